"""Error kinds: the strings Python gives in `.kind` are the names of the core's error kinds
(`TranscriptErrorKind::as_str`, `RubricErrorKind::as_str`, Node's `code`), one set everywhere."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest

import qa_engine
from conftest import DOCS, ROOT, RUBRIC_YAML

# The names, as the Rust core spells them.
TRANSCRIPT_KINDS = [
    "syntax",
    "missing_field",
    "wrong_type",
    "invalid_value",
    "transcript_too_large",
    "too_many_turns",
    "turn_too_long",
    "too_deep",
    "meta_too_large",
]
RUBRIC_KINDS = [
    "io",
    "syntax",
    "unknown_field",
    "unknown_kind",
    "missing_field",
    "wrong_type",
    "invalid_value",
    "duplicate_id",
    "undefined_list",
    "bad_regex",
    "rubric_too_large",
    "too_many_rules",
    "too_many_phrases",
    "phrase_too_long",
    "regex_too_large",
    "too_deep",
    "regex_budget_exceeded",
    "undefined_pattern",
]


def rust_kind_names(enum: str) -> Set[str]:
    """Every `Enum::Variant => "name"` arm in qa-core's sources (the `as_str` of `enum`)."""
    names: Set[str] = set()
    arm = re.compile(rf"\b{enum}::\w+\s*=>\s*\"(\w+)\"")
    for path in (ROOT / "qa-core" / "src").rglob("*.rs"):
        names.update(arm.findall(path.read_text(encoding="utf-8")))
    return names


@pytest.mark.skipif(not (ROOT / "qa-core" / "src").is_dir(), reason="needs the Rust sources")
def test_the_lists_are_the_rust_names() -> None:
    assert rust_kind_names("TranscriptErrorKind") == set(TRANSCRIPT_KINDS)
    assert rust_kind_names("RubricErrorKind") == set(RUBRIC_KINDS)


def test_the_docs_list_every_kind() -> None:
    text = (DOCS / "python.md").read_text(encoding="utf-8")
    transcript = text.split("`TranscriptError`: `.kind`", 1)[1].split(")", 1)[0]
    # every kind, `syntax` too since `score_json` reads JSON text
    from_python = TRANSCRIPT_KINDS
    assert re.findall(r"`(\w+)`", transcript) == from_python
    rubric = text.split("Kinds: ", 1)[1].split(".\n", 1)[0]
    assert re.findall(r"`(\w+)`", rubric) == RUBRIC_KINDS
    doc = qa_engine.TranscriptError.__doc__ or ""
    for kind in from_python:
        assert f"``{kind}``" in doc, kind


def kind_of(engine: qa_engine.Engine, transcript: Any) -> str:
    with pytest.raises(qa_engine.TranscriptError) as info:
        engine.score(transcript)
    return info.value.kind


def test_every_transcript_kind_python_gives_is_a_core_name() -> None:
    engine = qa_engine.Engine.from_str(
        RUBRIC_YAML,
        limits={
            "max_turns": 3,
            "max_turn_bytes": 10,
            "max_transcript_bytes": 20,
            "max_meta_bytes": 100,
        },
    )
    turn = {"speaker": "agent", "text": "hi"}
    deep: Dict[str, Any] = {}
    node = deep
    for _ in range(200):
        node["a"] = {}
        node = node["a"]
    loop: List[Any] = []
    loop.append(loop)
    seen = {
        # checked in the core
        kind_of(engine, {}),
        kind_of(engine, {"turns": {}}),
        kind_of(engine, {"turns": [dict(turn, start=-1)]}),
        kind_of(engine, {"turns": [turn] * 4}),
        kind_of(engine, {"turns": [dict(turn, text="x" * 11)]}),
        kind_of(engine, {"turns": [dict(turn, text="x" * 9)] * 3}),
        kind_of(engine, {"turns": [], "id": "x" * 101}),
        # checked while converting the Python values
        kind_of(engine, {"turns": [dict(turn, start={1})]}),
        kind_of(engine, {"turns": [dict(turn, start=float("nan"))]}),
        kind_of(engine, {"turns": [dict(turn, text="\ud800")]}),
        kind_of(engine, {"turns": [], "meta": deep}),
        kind_of(engine, {"turns": [dict(turn, end=loop)]}),
    }
    # JSON text, read by the core (`score_json`)
    texts: List[Any] = ['{"turns": [', b'{"turns": []}\xff', "{}", '{"turns": [], "meta": [1]}']
    for text in texts:
        with pytest.raises(qa_engine.TranscriptError) as info:
            engine.score_json(text)
        seen.add(info.value.kind)
    assert seen <= set(TRANSCRIPT_KINDS), seen - set(TRANSCRIPT_KINDS)
    assert seen == set(TRANSCRIPT_KINDS)


def test_a_transcript_nested_too_deep_is_too_deep() -> None:
    engine = qa_engine.Engine.from_str(RUBRIC_YAML)
    deep: List[Any] = []
    node = deep
    for _ in range(200):
        node.append([])
        node = node[0]
    with pytest.raises(qa_engine.TranscriptError) as info:
        engine.score({"turns": [], "meta": {"x": deep}})
    assert (info.value.kind, info.value.field, info.value.turn) == ("too_deep", "meta", None)
    # a turn pushed to a session, and a transcript in a batch, say the same
    session = engine.session()
    with pytest.raises(qa_engine.TranscriptError) as info:
        session.push({"speaker": "agent", "text": "x", "start": deep})
    assert (info.value.kind, info.value.field, info.value.turn) == ("too_deep", "start", 0)
    out = engine.score_many([{"turns": [], "meta": deep}], errors="return")
    assert isinstance(out[0], qa_engine.TranscriptError)
    assert (out[0].kind, out[0].index) == ("too_deep", 0)


def test_every_rubric_kind_python_gives_is_a_core_name(tmp_path: Path) -> None:
    def kind(text: str, fmt: str = "yaml", **limits: int) -> str:
        with pytest.raises(qa_engine.RubricError) as info:
            qa_engine.Engine.from_str(text, fmt, limits=limits)
        for e in info.value.errors:
            assert e["kind"] in RUBRIC_KINDS, e
        return info.value.kind

    def dict_kind(d: Any) -> str:
        with pytest.raises(qa_engine.RubricError) as info:
            qa_engine.Engine.from_dict(d)
        return info.value.kind

    rule = "rubric: r\nrules:\n  - id: a\n    kind: forbid\n"
    deep: Dict[str, Any] = {}
    node = deep
    for _ in range(200):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(qa_engine.RubricError) as info:
        qa_engine.Engine.from_file(tmp_path / "missing.yaml")
    seen = {
        info.value.kind,
        kind("rubric: [unclosed\n"),
        kind(rule + "    match: [x]\n    severty: major\n"),
        kind("rubric: r\nrules:\n  - id: a\n    kind: forbidd\n    match: [x]\n"),
        kind("rubric: r\nrules:\n  - id: a\n    kind: forbid\n"),
        kind(rule + "    match: [x]\n    deduct: lots\n"),
        kind(rule + "    match: [x]\n    deduct: -1\n"),
        kind(rule + "    match: [x]\n  - id: a\n    kind: forbid\n    match: [y]\n"),
        kind(rule + "    match: ['@nosuch']\n"),
        kind(rule + "    match: [{regex: '('}]\n"),
        kind(RUBRIC_YAML, max_rubric_bytes=10),
        kind(RUBRIC_YAML, max_rules=1),
        kind(rule + "    match: [a, b, c]\n", max_phrases=2),
        kind(rule + "    match: [abcdef]\n", max_phrase_chars=3),
        kind(rule + "    match: [{regex: 'a{1000}'}]\n", max_regex_bytes=100),
        kind(rule + "    match: [{regex: 'ab'}]\n", max_regex_total_bytes=1000),
        kind(rule + "    match: ['$nosuch']\n"),
        dict_kind({"rubric": "r", "rules": [{"id": "a", "match": deep}]}),
        dict_kind({"rubric": "r", "rules": [{"id": "a", "match": {1}}]}),
        dict_kind({"rubric": "r", "rules": [{"id": "a", "match": [float("nan")]}]}),
    }
    assert seen <= set(RUBRIC_KINDS), seen - set(RUBRIC_KINDS)
    assert seen == set(RUBRIC_KINDS), set(RUBRIC_KINDS) - seen
