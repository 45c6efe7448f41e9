"""Hostile input: wrong types everywhere, deep nesting, huge strings. Always a typed error,
never a crash; the riskiest inputs run in a child process so that a crash fails one test."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import qa_engine
from conftest import TESTDATA, conversation


class Weird:
    def __float__(self) -> float:
        raise RuntimeError("no")


WRONG: List[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    float("nan"),
    float("inf"),
    2**80,
    "",
    "x" * 1000,
    "\ud800",
    b"bytes",
    [],
    [None],
    {},
    {"a": {1, 2}},
    {1: "int key"},
    {1, 2},
    object(),
    Weird(),
    (1, "a"),
]

RUBRIC_WRONG: List[Any] = [None, True, -1, 1.5, float("nan"), "", "x", [], {}, [[]], {"a": 1}, {1, 2}]


def positions(value: Any, path: Tuple[Any, ...] = ()) -> Iterator[Tuple[Any, ...]]:
    """Every path to a value inside dicts and lists, the root excluded."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + (k,)
            yield from positions(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield path + (i,)
            yield from positions(v, path + (i,))


def replaced(value: Any, path: Tuple[Any, ...], new: Any) -> Any:
    out = copy.deepcopy(value)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return out


def test_wrong_types_in_every_transcript_field(engine: qa_engine.Engine) -> None:
    base: Dict[str, Any] = conversation(1)
    base["meta"] = {"order": "1", "tags": ["x"]}
    n = 0
    for path in positions(base):
        for new in WRONG:
            t = replaced(base, path, new)
            try:
                report = engine.score(t)
                assert isinstance(report, dict)
            except qa_engine.TranscriptError as e:
                assert e.kind in {"wrong_type", "invalid_value", "missing_field"}, e
            n += 1
            session = engine.session()
            for turn in t.get("turns", []) if isinstance(t.get("turns"), list) else []:
                try:
                    session.push(turn)
                except qa_engine.TranscriptError:
                    pass
            assert isinstance(session.finish(), dict)
    assert n > 300


def test_wrong_types_in_every_rubric_field() -> None:
    spec = qa_engine.Engine.from_file(TESTDATA / "rubrics" / "spec-example.yaml").to_dict()
    n = 0
    for path in positions(spec):
        for new in RUBRIC_WRONG:
            try:
                engine = qa_engine.Engine.from_dict(replaced(spec, path, new))
            except qa_engine.RubricError as e:
                assert e.errors and e.kind, e
            else:
                assert isinstance(engine.score(conversation(2)), dict)
            n += 1
    assert n > 1000


def run_child(code: str) -> str:
    """Runs `code` in a fresh interpreter; fails the test if it crashed."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout.strip()


def test_deep_nesting_is_a_typed_error() -> None:
    out = run_child(
        """
        import sys
        import qa_engine
        sys.setrecursionlimit(10_000)
        engine = qa_engine.Engine.from_str("rubric: r\\nrules: [{id: a, kind: forbid, match: [x]}]")
        deep = {}
        node = deep
        for _ in range(100_000):
            node["a"] = {}
            node = node["a"]
        try:
            engine.score({"turns": [], "meta": deep})
        except qa_engine.TranscriptError as e:
            assert (e.kind, e.field) == ("too_deep", "meta"), e
        else:
            raise AssertionError("deep meta accepted")
        loop = []
        loop.append(loop)
        try:
            engine.score({"turns": [{"speaker": "agent", "text": "x", "end": loop}]})
        except qa_engine.TranscriptError as e:
            assert (e.kind, e.turn, e.field) == ("too_deep", 0, "end"), e
        else:
            raise AssertionError("a list that contains itself accepted")
        try:
            qa_engine.Engine.from_dict({"rubric": "r", "rules": [{"id": "a", "match": deep}]})
        except qa_engine.RubricError as e:
            assert e.kind == "too_deep", e
        else:
            raise AssertionError("deep rubric accepted")
        for text, fmt in [
            ("rules: " + "[" * 100_000 + "]" * 100_000, "yaml"),
            ("rules: " + "{a: " * 50_000 + "1" + "}" * 50_000, "yaml"),
            ('{"rules": ' + "[" * 100_000 + "]" * 100_000 + "}", "json"),
            ("rules = " + "[" * 100_000 + "]" * 100_000, "toml"),
            ("a:\\n" + "".join(" " * i + "- \\n" for i in range(1, 3000)), "yaml"),
            ("x: &a [*a]", "yaml"),
            ("rubric: r\\nrules:\\n- id: a\\n  kind: forbid\\n  match: [{any: " * 200 + "x" + "}]" * 200, "yaml"),
        ]:
            try:
                qa_engine.Engine.from_str(text, fmt)
            except qa_engine.RubricError as e:
                assert e.errors
            else:
                raise AssertionError(f"accepted: {text[:40]}")
        print("alive")
        """
    )
    assert out == "alive"


def test_huge_strings_are_typed_errors() -> None:
    out = run_child(
        """
        import qa_engine
        engine = qa_engine.Engine.from_str("rubric: r\\nrules: [{id: a, kind: forbid, match: [x]}]")
        huge = "这是规定" * 1_000_000
        try:
            engine.score({"turns": [{"speaker": "agent", "text": huge}]})
        except qa_engine.TranscriptError as e:
            assert (e.kind, e.turn, e.field) == ("turn_too_long", 0, "text"), e
        else:
            raise AssertionError("huge turn accepted")
        s = engine.session()
        try:
            s.push({"speaker": huge, "text": ""})
        except qa_engine.TranscriptError as e:
            assert e.kind == "turn_too_long", e
        else:
            raise AssertionError("huge speaker accepted")
        many = {"turns": [{"speaker": "agent", "text": "x" * 900_000}] * 20}
        try:
            engine.score(many)
        except qa_engine.TranscriptError as e:
            assert e.kind == "transcript_too_large", e
        else:
            raise AssertionError("huge transcript accepted")
        try:
            qa_engine.Engine.from_str("rubric: " + "x" * (5 << 20))
        except qa_engine.RubricError as e:
            assert e.kind == "rubric_too_large", e
        else:
            raise AssertionError("huge rubric accepted")
        phrase = "长" * 5000
        try:
            qa_engine.Engine.from_dict({"rubric": "r", "rules": [{"id": "a", "kind": "forbid", "match": [phrase]}]})
        except qa_engine.RubricError as e:
            assert e.kind == "phrase_too_long", e
        else:
            raise AssertionError("long phrase accepted")
        try:
            qa_engine.Engine.from_str("rubric: r\\nrules: [{id: a, kind: forbid, match: [{regex: '\\\\w{1000}{1000}'}]}]")
        except qa_engine.RubricError as e:
            assert e.kind in ("regex_too_large", "bad_regex"), e
        else:
            raise AssertionError("huge regex accepted")
        print("alive")
        """
    )
    assert out == "alive"


def test_unusual_but_valid_python_values(engine: qa_engine.Engine) -> None:
    from collections import OrderedDict, UserDict

    t = conversation(3)
    want = engine.score(t)
    assert engine.score(OrderedDict(t)) == want
    assert engine.score(UserDict(t)) == want
    as_tuples = dict(t, turns=tuple(dict(turn) for turn in t["turns"]))
    assert engine.score(as_tuples) == want
    np = pytest.importorskip("numpy")
    t2 = conversation(3)
    for turn in t2["turns"]:
        turn["start"] = np.float32(turn["start"])
    t2["meta"] = {"n": np.int64(3)}
    report = engine.score(t2)
    assert report["meta"] == {"n": 3}
    assert report["score"] == want["score"]


def test_a_mutating_value_cannot_crash(engine: qa_engine.Engine) -> None:
    class Evil:
        def __init__(self, victim: Dict[str, Any]) -> None:
            self.victim = victim

        def __float__(self) -> float:
            self.victim.clear()
            return 1.0

    t: Dict[str, Any] = {"turns": [{"speaker": "agent", "text": "x"}]}
    t["turns"][0]["start"] = Evil(t["turns"][0])
    t["turns"][0]["end"] = 2.0
    try:
        engine.score(t)
    except qa_engine.TranscriptError:
        pass


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_from_file_reads_a_special_file_with_a_cap(tmp_path: Path) -> None:
    # issue 16.6: the size check was a stat, so a symlink to /dev/zero was read without end
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    started = time.monotonic()
    with pytest.raises(qa_engine.RubricError) as info:
        qa_engine.Engine.from_file(link, limits={"max_rubric_bytes": 1 << 20})
    assert info.value.kind == "rubric_too_large"
    assert time.monotonic() - started < 5
