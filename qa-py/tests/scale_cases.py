"""Rows shared by test_spark.py and test_ray.py: the 50 real dialogues of testdata/corpus, generated
conversations (Chinese, 繁體, full-width, English, emoji, empty turns) and rows that cannot be
read, each with the report `Engine.score` gives for it, as the report columns hold it."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional

import pytest

import qa_engine
from conftest import TESTDATA, conversation

CORPUS = TESTDATA / "corpus" / "stc3-sample.jsonl"
RICH_RUBRIC = TESTDATA / "rubrics" / "rich.yaml"
REPORT_COLUMNS = ["id", "agent", "channel", "score", "passed", "fatal", "findings", "error"]
FINDING_KEYS = ["rule", "kind", "severity", "deduct", "turn", "start", "end", "text"]

TEXTS = ["您好，這是規定", "ｈｅｌｌｏ，稳赚不赔", "hello, we don't care", "😀 爱买不买 😀", ""]

# Rows that cannot be read; None is a null value.
BAD_ROWS: List[Optional[str]] = [
    None,
    "{not json",
    "",
    '{"turns": "not a list"}',
    '{"turns": [{"speaker": "agent", "text": 5}]}',
]


def required() -> bool:
    """qa-py/test-scale.sh sets QA_SCALE_TESTS=1: there a missing pyspark, ray or java fails
    the tests instead of skipping them (qa-py/test.sh, without them, skips)."""
    return os.environ.get("QA_SCALE_TESTS") == "1"


def need(module: str) -> Any:
    if required():
        return __import__(module)
    return pytest.importorskip(module)


def corpus() -> List[Dict[str, Any]]:
    with open(CORPUS, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def generated(n: int) -> List[Dict[str, Any]]:
    """`n` conversations with timestamps; every fifth has a turn of TEXTS, so that findings
    land on every kind of text."""
    out = []
    for i in range(n):
        c = conversation(i)
        if i % 5 == 0:
            c["turns"].append({"speaker": "agent", "text": TEXTS[(i // 5) % len(TEXTS)]})
        out.append(c)
    return out


def texts(n_generated: int = 40) -> List[Optional[str]]:
    """JSON texts: the corpus, generated conversations and BAD_ROWS spread among them."""
    good = [json.dumps(t, ensure_ascii=False) for t in corpus() + generated(n_generated)]
    out: List[Optional[str]] = list(good)
    for k, bad in enumerate(BAD_ROWS):
        out.insert(min(3 + 19 * k, len(out)), bad)
    return out


def expected(engine: qa_engine.Engine, text: Optional[str]) -> Optional[Dict[str, Any]]:
    """The report columns `Engine.score` gives for `text`; None for a row it cannot read."""
    if text is None:
        return None
    try:
        report = engine.score(json.loads(text))
    except (ValueError, qa_engine.TranscriptError):
        return None
    row = {k: report[k] for k in REPORT_COLUMNS if k != "findings" and k != "error"}
    row["findings"] = [{k: f[k] for k in FINDING_KEYS} for f in report["findings"]]
    row["error"] = None
    return row


def check_row(engine: qa_engine.Engine, text: Optional[str], got: Dict[str, Any]) -> None:
    """`got` (one output row as a dict, report columns unprefixed) holds `Engine.score`'s
    report for `text`, or the error of a row that cannot be read."""
    want = expected(engine, text)
    if want is None:
        assert isinstance(got["error"], str) and got["error"], (text, got)
        assert got["score"] is None and got["passed"] is None and got["findings"] is None
        if text is None:
            assert "null" in got["error"]
        return
    assert {k: got[k] for k in REPORT_COLUMNS} == want, text
