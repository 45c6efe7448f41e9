"""Rubric and transcript errors: typed exceptions with their fields."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

import qa_engine
from conftest import RUBRIC_YAML, TESTDATA


def rubric_error(text: str, fmt: str = "yaml") -> qa_engine.RubricError:
    with pytest.raises(qa_engine.RubricError) as info:
        qa_engine.Engine.from_str(text, fmt)
    return info.value


def transcript_error(engine: qa_engine.Engine, t: Any) -> qa_engine.TranscriptError:
    with pytest.raises(qa_engine.TranscriptError) as info:
        engine.score(t)
    return info.value


def test_rubric_error_fields() -> None:
    err = rubric_error("rubric: x\nrules:\n  - id: a\n    kind: forbidd\n    match: [x]\n")
    assert isinstance(err, ValueError)
    assert (err.kind, err.line, err.column, err.rule) == ("unknown_kind", 4, 11, "a")
    assert err.help == "did you mean `forbid`?"
    assert err.file is None
    assert str(err) == "<rubric>:4:11: rule `a`: unknown kind `forbidd`; did you mean `forbid`?"
    assert err.errors == [
        {
            "kind": "unknown_kind",
            "message": "unknown kind `forbidd`",
            "line": 4,
            "column": 11,
            "rule": "a",
            "help": "did you mean `forbid`?",
        }
    ]


def test_every_error_of_a_rubric_is_reported() -> None:
    text = (
        "rubric: t\nrules:\n  - id: a\n    kind: forbidd\n    match: [x]\n"
        "  - id: a\n    kind: forbid\n    match: ['@nosuch']\n    severty: major\n"
    )
    err = rubric_error(text)
    kinds = [e["kind"] for e in err.errors]
    assert kinds == ["unknown_kind", "duplicate_id", "undefined_list", "unknown_field"]
    lines = str(err).splitlines()
    assert len(lines) == 4
    assert all(line.startswith("<rubric>:") for line in lines)
    assert "did you mean `severity`" in lines[3]


def test_syntax_errors_in_each_format() -> None:
    assert rubric_error("rubric: [unclosed\n").kind == "syntax"
    assert rubric_error('{"rubric": "x",', "json").kind == "syntax"
    assert rubric_error('rubric = "x"\nrules = [', "toml").kind == "syntax"


def test_from_dict_errors_have_no_positions() -> None:
    with pytest.raises(qa_engine.RubricError) as info:
        qa_engine.Engine.from_dict(
            {"rubric": "t", "rules": [{"id": "a", "kind": "forbid", "match": ["x"], "severty": 1}]}
        )
    err = info.value
    assert (err.kind, err.rule, err.line, err.column) == ("unknown_field", "a", None, None)
    assert "did you mean `severity`" in str(err)
    assert ":1:" not in str(err)


def test_from_dict_with_values_that_are_not_json() -> None:
    with pytest.raises(qa_engine.RubricError) as info:
        qa_engine.Engine.from_dict({"rubric": "t", "rules": [{"id": "a", "match": {1, 2}}]})
    assert info.value.kind == "wrong_type"
    assert "rules[0].match" in str(info.value)
    with pytest.raises(qa_engine.RubricError) as info:
        qa_engine.Engine.from_dict({"rubric": "t", 3: "x"})  # type: ignore[dict-item]
    assert info.value.kind == "wrong_type"


def test_from_file(tmp_path: Path) -> None:
    engine = qa_engine.Engine.from_file(TESTDATA / "rubrics" / "spec-example.yaml")
    assert engine.name == "电商售后服务质检"
    assert engine.version == "2026.11"
    assert qa_engine.Engine.from_file(str(TESTDATA / "rubrics" / "spec-example.yaml")).name

    bad = tmp_path / "bad.yaml"
    bad.write_text("rubric: x\nrules:\n  - id: a\n    kind: forbid\n    match: [x]\n    deduct: lots\n")
    with pytest.raises(qa_engine.RubricError) as info:
        qa_engine.Engine.from_file(bad)
    err = info.value
    assert (err.kind, err.line, err.column, err.rule) == ("wrong_type", 6, 13, "a")
    assert err.file == str(bad)
    assert str(err).startswith(f"{bad}:6:13: ")

    with pytest.raises(qa_engine.RubricError) as info:
        qa_engine.Engine.from_file(tmp_path / "missing.yaml")
    assert info.value.kind == "io"
    with pytest.raises(qa_engine.RubricError) as info:
        qa_engine.Engine.from_file(tmp_path / "rubric.txt")
    assert info.value.kind == "io"


def test_unknown_format_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown rubric format"):
        qa_engine.Engine.from_str("rubric: x\nrules: []\n", "xml")


def test_limits() -> None:
    engine = qa_engine.Engine.from_str(RUBRIC_YAML, limits={"max_turns": 2, "max_turn_bytes": 10})
    assert engine.limits["max_turns"] == 2
    assert engine.limits["max_rules"] == 10_000
    turn = {"speaker": "agent", "text": "hi"}
    err = transcript_error(engine, {"turns": [turn] * 3})
    assert (err.kind, err.field, err.turn) == ("too_many_turns", "turns", None)
    err = transcript_error(engine, {"turns": [turn, {"speaker": "agent", "text": "x" * 11}]})
    assert (err.kind, err.field, err.turn) == ("turn_too_long", "text", 1)

    with pytest.raises(qa_engine.RubricError) as info:
        qa_engine.Engine.from_str(RUBRIC_YAML, limits={"max_rules": 1})
    assert info.value.kind == "too_many_rules"
    with pytest.raises(qa_engine.RubricError) as info:
        qa_engine.Engine.from_str(RUBRIC_YAML, limits={"max_rubric_bytes": 10})
    assert info.value.kind == "rubric_too_large"
    with pytest.raises(ValueError, match="unknown limit `max_turn`"):
        qa_engine.Engine.from_str(RUBRIC_YAML, limits={"max_turn": 1})
    with pytest.raises(ValueError, match="non-negative"):
        qa_engine.Engine.from_str(RUBRIC_YAML, limits={"max_turns": -1})


@pytest.mark.parametrize(
    "transcript, kind, turn, field",
    [
        ({}, "missing_field", None, "turns"),
        ({"turns": {}}, "wrong_type", None, "turns"),
        ({"turns": [{"speaker": "agent"}]}, "missing_field", 0, "text"),
        ({"turns": [{"speaker": "agent", "text": "a"}, {"text": "b"}]}, "missing_field", 1, "speaker"),
        ({"turns": [{"speaker": 7, "text": "a"}]}, "wrong_type", 0, "speaker"),
        ({"turns": [{"speaker": "a", "text": "a", "start": -1}]}, "invalid_value", 0, "start"),
        ({"turns": [{"speaker": "a", "text": "a", "end": "10s"}]}, "wrong_type", 0, "end"),
        ({"turns": [{"speaker": "a", "text": "a", "start": float("nan")}]}, "invalid_value", 0, "start"),
        ({"turns": [{"speaker": "a", "text": "a", "start": 2**70}]}, "invalid_value", 0, "start"),
        ({"turns": [{"speaker": "a", "text": "a", "start": {1}}]}, "wrong_type", 0, "start"),
        ({"turns": ["hello"]}, "wrong_type", 0, None),
        ({"turns": [], "meta": [1]}, "wrong_type", None, "meta"),
        ({"turns": [], "agent": ["x"]}, "wrong_type", None, "agent"),
        ({"turns": [], "meta": {"when": object()}}, "wrong_type", None, "meta"),
        ([], "wrong_type", None, None),
        (None, "wrong_type", None, None),
    ],
)
def test_transcript_error_fields(
    engine: qa_engine.Engine, transcript: Any, kind: str, turn: Any, field: Any
) -> None:
    err = transcript_error(engine, transcript)
    assert isinstance(err, ValueError)
    assert (err.kind, err.turn, err.field, err.index) == (kind, turn, field, None)
    if turn is not None:
        assert str(err).startswith(f"turn {turn}: ")
    if field is not None:
        assert f"`{field}" in str(err)


def test_transcript_error_message(engine: qa_engine.Engine) -> None:
    err = transcript_error(engine, {"turns": [{"speaker": 3, "text": ""}]})
    assert str(err) == "turn 0: `speaker` must be a string, found a number"
    err = transcript_error(engine, {"turns": [{"speaker": "a", "text": "", "start": {1}}]})
    assert str(err).startswith("turn 0: `start`: a set is not JSON data")


def test_errors_pickle() -> None:
    err = rubric_error("rubric: x\nrules:\n  - id: a\n    kind: forbidd\n    match: [x]\n")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.kind, copy.line, copy.column, copy.rule, copy.errors, str(copy)) == (
        err.kind,
        err.line,
        err.column,
        err.rule,
        err.errors,
        str(err),
    )
    t = qa_engine.TranscriptError("turn 1: x", "wrong_type", 1, "text", 4)
    copy_t = pickle.loads(pickle.dumps(t))
    assert (copy_t.kind, copy_t.turn, copy_t.field, copy_t.index) == ("wrong_type", 1, "text", 4)


def test_exception_hierarchy() -> None:
    assert issubclass(qa_engine.RubricError, ValueError)
    assert issubclass(qa_engine.TranscriptError, ValueError)
    assert not issubclass(qa_engine.RubricError, qa_engine.TranscriptError)
