"""Hostile arguments beyond the transcript and rubric fields of test_hostile.py: wrong types for
every parameter, lone surrogates and NUL bytes in rubric text, unreadable files, bad limits,
YAML aliases. Each is a typed error (never a PanicException, which is not an `Exception`),
and the engine keeps working afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, List

import pytest

import qa_engine
from conftest import RUBRIC_YAML, TESTDATA, conversation

TYPED = (qa_engine.RubricError, qa_engine.TranscriptError, TypeError, ValueError, OverflowError)

WRONG: List[Any] = [
    None,
    True,
    -1,
    2**80,
    1.5,
    float("nan"),
    "",
    "\ud800",
    "\x00",
    b"rubric: x",
    [],
    {},
    {1, 2},
    object(),
]


def typed_error_or_ok(call: Callable[[], Any]) -> None:
    """`call` returns, or raises one of the typed errors; anything else fails the test."""
    try:
        call()
    except TYPED:
        pass


def test_wrong_types_for_every_parameter(engine: qa_engine.Engine, tmp_path: Path) -> None:
    E: Any = qa_engine.Engine
    s: Any = engine.session()
    e: Any = engine
    for limits in [{"nope": 1}, {"max_turns": -1}, {"max_turns": 2**80}, {1: 1}]:
        typed_error_or_ok(lambda: E.from_str(RUBRIC_YAML, limits=limits))
    for w in WRONG:
        typed_error_or_ok(lambda: E.from_str(w))
        typed_error_or_ok(lambda: E.from_str(RUBRIC_YAML, w))
        typed_error_or_ok(lambda: E.from_str(RUBRIC_YAML, limits=w))
        typed_error_or_ok(lambda: E.from_str(RUBRIC_YAML, limits={"max_turns": w}))
        typed_error_or_ok(lambda: E.from_dict(w))
        typed_error_or_ok(lambda: E.from_file(w))
        typed_error_or_ok(lambda: e.score(w))
        typed_error_or_ok(lambda: e.score_many(w))
        typed_error_or_ok(lambda: e.score_many([conversation(1), w], errors="return"))
        typed_error_or_ok(lambda: e.score_many([conversation(1)], jobs=w))
        typed_error_or_ok(lambda: e.session(id=w))
        typed_error_or_ok(lambda: e.session(meta=w))
        typed_error_or_ok(lambda: s.push(w))
    assert engine.score(conversation(2))["score"] >= 0
    assert s.turn_count == 0  # every push was refused
    assert isinstance(s.finish()["score"], float)


def test_score_many_returns_each_hostile_item_as_its_error(engine: qa_engine.Engine) -> None:
    items: List[Any] = [conversation(0), None, {"turns": "x"}, {"turns": [{"speaker": 1}]}, conversation(1)]
    out = engine.score_many(items, errors="return")
    assert len(out) == len(items)
    assert isinstance(out[0], dict) and isinstance(out[4], dict)
    assert all(isinstance(x, qa_engine.TranscriptError) for x in out[1:4])


@pytest.mark.parametrize(
    "text",
    [
        "rubric: \ud800\nrules: []\n",
        "rubric: x\nrules: []\n\x00",
        "\ufeffrubric: x\nrules: [\x00]\n",
        "rubric: x\nlists:\n  a: &x [p]\n  b: *x\nrules: []\n",
        "rubric: x\nrules: []\n" + "#" * 100 + "\udfff",
        "%YAML 9.9\n---\nrubric: x\n",
        "--- !!binary\nAAAA\n",
    ],
)
def test_odd_rubric_text_is_a_typed_error(text: str) -> None:
    with pytest.raises(TYPED):
        qa_engine.Engine.from_str(text)


def test_yaml_alias_is_refused_with_its_place() -> None:
    with pytest.raises(qa_engine.RubricError) as info:
        qa_engine.Engine.from_str("rubric: x\nlists:\n  a: &x [p]\n  b: *x\nrules: []\n")
    assert (info.value.kind, info.value.line) == ("syntax", 4)
    assert "aliases" in str(info.value)


def test_unreadable_rubric_files_are_io_errors(tmp_path: Path) -> None:
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"rubric: \xff\xfe\x00\x80\n")
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    for path in [binary, folder, tmp_path / "missing.toml"]:
        with pytest.raises(qa_engine.RubricError) as info:
            qa_engine.Engine.from_file(path)
        assert info.value.kind in ("io", "syntax"), info.value
    # and a good file still loads
    assert qa_engine.Engine.from_file(TESTDATA / "rubrics" / "spec-example.yaml").name


def test_transcript_text_with_every_odd_character(engine: qa_engine.Engine) -> None:
    odd = "".join(chr(c) for c in range(0, 0x3000, 7) if not 0xD800 <= c < 0xE000)
    odd += "\U0001f600\u200d\ufeff\U0010ffff" * 100 + "这是规定"
    report = engine.score({"turns": [{"speaker": "agent", "text": odd}]})
    f = report["findings"][-1]
    assert odd[f["start"] : f["end"]] == f["text"] == "这是规定"
