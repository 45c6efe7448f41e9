"""Offsets are Python string indices (code points): turn_text[start:end] == text."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

import qa_engine

RUBRIC = """\
rubric: offsets
normalize: {skip: " -"}
rules:
  - {id: rude, kind: forbid, role: any, match: [这是规定, 不归我管, "don't care"], deduct: 1, max_deduct: 100}
  - {id: phone, kind: forbid, role: any, match: [{regex: '1[3-9]\\d{9}'}], deduct: 1, max_deduct: 100}
  - {id: near, kind: forbid, role: any, match: [{near: [卡号, {regex: '\\d{4}'}], within: 5}]}
"""

TEXTS = [
    "😀這是規定",  # an astral emoji, then traditional characters
    "👨‍👩‍👧 family then 这是规定 and 😀😀 这是规定",  # ZWJ family: 5 code points
    "ＩＤＯＮ'Ｔ ＣＡＲＥ? I DON'T CARE 🙃",  # full-width letters
    "🇨🇳 号码 138-0013-8000，请记下 📞",  # noise characters inside a regex match
    "卡号😀是 1234 🎉 不歸我管",
    "𠀀𠀁 (CJK extension B) 这 是 规 定",
]


def check(findings: List[Dict[str, Any]], texts: List[str]) -> int:
    n = 0
    for f in findings:
        if f["turn"] is None or f["start"] is None:
            continue
        text = texts[f["turn"]]
        assert text[f["start"] : f["end"]] == f["text"], f
        n += 1
    return n


@pytest.fixture(scope="module")
def engine() -> qa_engine.Engine:
    return qa_engine.Engine.from_str(RUBRIC)


def test_offsets_slice_the_original_text(engine: qa_engine.Engine) -> None:
    turns = [{"speaker": "agent", "text": t} for t in TEXTS]
    report = engine.score({"turns": turns})
    assert check(report["findings"], TEXTS) >= 8
    first = report["findings"][0]
    assert (first["turn"], first["start"], first["end"], first["text"]) == (0, 1, 5, "這是規定")
    family = [f for f in report["findings"] if f["turn"] == 1]
    assert [f["start"] for f in family] == [TEXTS[1].find("这是规定"), TEXTS[1].rfind("这是规定")]
    assert family[0]["start"] == 18  # the family emoji counts 5
    phone = [f for f in report["findings"] if f["rule"] == "phone"]
    assert phone[0]["text"] == "138-0013-8000"


def test_session_findings_use_the_same_offsets(engine: qa_engine.Engine) -> None:
    session = engine.session()
    pushed: List[Dict[str, Any]] = []
    for t in TEXTS:
        pushed += session.push({"speaker": "agent", "text": t})
    assert check(pushed, TEXTS) >= 8
    report = session.finish()
    def key(f: Dict[str, Any]) -> Any:
        return (f["turn"], f["start"], f["rule"])

    final = [f for f in report["findings"] if f["turn"] is not None]
    assert sorted(pushed, key=key) == sorted(final, key=key)
