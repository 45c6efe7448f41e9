"""`redact`: findings' text masked by the core in every output (score, score_many, sessions),
turned off with `redact=False` on every constructor, kept through pickling; `redact_text`."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Dict

import qa_engine

RUBRIC = """
rubric: pii
redact: {builtin: [phone_cn, id_cn, bank_card, email], match: ["@vip"], mask: "#"}
lists:
  vip: [张三丰]
rules:
  - {id: phone, kind: forbid, match: [{regex: '1[3-9]\\d{9}'}], deduct: 20}
  - {id: vip, kind: forbid, role: any, match: [张三丰先生]}
"""

TRANSCRIPT: Dict[str, Any] = {
    "id": "c1",
    "turns": [
        {"speaker": "customer", "text": "我是張三豐先生😀"},
        {"speaker": "agent", "text": "好的，已记录１３８００１３８０００。"},
    ],
}


def test_findings_are_masked_one_code_point_for_one() -> None:
    engine = qa_engine.Engine.from_str(RUBRIC)
    assert engine.redacts
    report = engine.score(TRANSCRIPT)
    assert report["redacted"] is True
    vip, phone = report["findings"]
    assert (vip["start"], vip["end"], vip["text"]) == (2, 7, "###先生")
    assert (phone["start"], phone["end"], phone["text"]) == (6, 17, "#" * 11)
    # the rule matched the original full-width digits
    assert report["score"] == 80
    assert engine.score_many([TRANSCRIPT, TRANSCRIPT], jobs=2) == [report, report]


def test_sessions_push_masked_findings() -> None:
    engine = qa_engine.Engine.from_str(RUBRIC)
    session = engine.session(id="c1")
    assert session.push(TRANSCRIPT["turns"][0])[0]["text"] == "###先生"
    assert session.push(TRANSCRIPT["turns"][1])[0]["text"] == "#" * 11
    assert session.finish() == engine.score(TRANSCRIPT)


def test_redact_false_on_every_constructor(tmp_path: Path) -> None:
    path = tmp_path / "pii.yaml"
    path.write_text(RUBRIC, encoding="utf-8")
    masked = qa_engine.Engine.from_file(path)
    engines = [
        qa_engine.Engine.from_file(path, redact=False),
        qa_engine.Engine.from_file(str(path), redact=False),
        qa_engine.Engine.from_str(RUBRIC, redact=False),
        qa_engine.Engine.from_str(RUBRIC, "yaml", redact=False),
        qa_engine.Engine.from_dict(masked.to_dict(), redact=False),
    ]
    for engine in engines:
        assert not engine.redacts
        report = engine.score(TRANSCRIPT)
        assert "redacted" not in report
        assert [f["text"] for f in report["findings"]] == ["張三豐先生", "１３８００１３８０００"]
        assert engine.redact_text("电话13800138000") == "电话13800138000"
        session = engine.session()
        assert session.push(TRANSCRIPT["turns"][1])[0]["text"] == "１３８００１３８０００"
    assert masked.score(TRANSCRIPT)["redacted"] is True


def test_redact_text() -> None:
    engine = qa_engine.Engine.from_str(RUBRIC)
    assert engine.redact_text("写信a@b.cn或打138 0013 8000") == "写信######或打#############"
    assert engine.redact_text("") == ""
    assert engine.redact_text("没有个人信息") == "没有个人信息"
    plain = qa_engine.Engine.from_str("rubric: r\nrules: []")
    assert not plain.redacts
    assert plain.redact_text("13800138000") == "13800138000"


def test_pickling_keeps_the_redact_setting() -> None:
    for redact in (True, False):
        engine = qa_engine.Engine.from_str(RUBRIC, redact=redact)
        copy_ = pickle.loads(pickle.dumps(engine))
        assert copy_.redacts is redact
        assert copy_.score(TRANSCRIPT) == engine.score(TRANSCRIPT)
