"""The shared golden cases of testdata/cases (also run by the Rust and Node tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import qa_engine
from conftest import TESTDATA

CASES = sorted((TESTDATA / "cases").glob("*.json"))


def load(path: Path) -> Dict[str, Any]:
    case: Dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


def build(case: Dict[str, Any]) -> qa_engine.Engine:
    if "rubric" in case:
        return qa_engine.Engine.from_dict(case["rubric"])
    return qa_engine.Engine.from_str(case["rubric_text"], case.get("rubric_format", "yaml"))


def diff(path: str, got: Any, want: Any) -> Optional[str]:
    """The first difference between two JSON values (numbers compare numerically)."""
    if isinstance(want, bool) or isinstance(got, bool):
        return None if got is want else f"{path}: got {got!r}, want {want!r}"
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return None if float(got) == float(want) else f"{path}: got {got!r}, want {want!r}"
    if isinstance(want, dict) and isinstance(got, dict):
        for key in list(got) + [k for k in want if k not in got]:
            if key not in got or key not in want:
                return f"{path}.{key}: got {got.get(key, '<absent>')!r}, want {want.get(key, '<absent>')!r}"
            d = diff(f"{path}.{key}", got[key], want[key])
            if d:
                return d
        return None
    if isinstance(want, list) and isinstance(got, list):
        for i, (g, w) in enumerate(zip(got, want)):
            d = diff(f"{path}[{i}]", g, w)
            if d:
                return d
        if len(got) != len(want):
            return f"{path}: got {len(got)} items, want {len(want)}: got {json.dumps(got, ensure_ascii=False)}"
        return None
    return None if got == want else f"{path}: got {got!r}, want {want!r}"


def roundtrip(report: Dict[str, Any]) -> Any:
    return json.loads(json.dumps(report, ensure_ascii=False))


def stream(engine: qa_engine.Engine, transcript: Dict[str, Any]) -> Dict[str, Any]:
    meta = {k: transcript[k] for k in ("id", "agent", "channel", "meta") if k in transcript}
    session = engine.session(**meta)
    for turn in transcript["turns"]:
        session.push(turn)
    return session.finish()


def check_errors(err: qa_engine.RubricError, want: List[Dict[str, Any]], exact: bool) -> None:
    """As every runner checks them (testdata/README.md): for `expected_errors` (`exact`) the same
    number of errors, each matching in order; for `expected_error` the first; `message_contains`
    looked for in `message; help`."""
    got = err.errors
    if exact:
        assert len(got) == len(want), f"got {len(got)} errors, want {len(want)}:\n{err}"
    else:
        got = got[:1]
    for g, w in zip(got, want):
        for field in ("kind", "line", "column", "rule"):
            if field in w:
                assert g[field] == w[field], f"{field}: got {g[field]!r}, want {w[field]!r}\n{err}"
        text = f"{g['message']}; {g['help'] or ''}"
        for needle in w.get("message_contains", []):
            assert needle in text, f"message lacks {needle!r}:\n{err}"
            assert needle in str(err)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_case(path: Path) -> None:
    case = load(path)
    if "expected" in case:
        engine = build(case)
        want = case["expected"]
        d = diff("report", roundtrip(engine.score(case["transcript"])), want)
        assert d is None, f"score(): {d}"
        if case.get("stream", True) is not False:
            d = diff("report", roundtrip(stream(engine, case["transcript"])), want)
            assert d is None, f"session finish(): {d}"
        return
    with pytest.raises(qa_engine.RubricError) as info:
        build(case)
    err = info.value
    if "expected_errors" in case:
        check_errors(err, case["expected_errors"], exact=True)
    else:
        check_errors(err, [case["expected_error"]], exact=False)
    first = err.errors[0]
    assert (err.kind, err.line, err.column, err.rule) == (
        first["kind"],
        first["line"],
        first["column"],
        first["rule"],
    )


def test_there_are_golden_cases() -> None:
    assert CASES, f"no cases in {TESTDATA / 'cases'}"
