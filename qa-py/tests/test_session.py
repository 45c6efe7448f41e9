"""Live sessions: findings pushed at once, and finish() equal to score() on the same turns."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

import qa_engine
from conftest import TESTDATA, conversation


def stream(engine: qa_engine.Engine, t: Dict[str, Any]) -> Dict[str, Any]:
    meta = {k: t[k] for k in ("id", "agent", "channel", "meta") if k in t}
    session = engine.session(**meta)
    for turn in t["turns"]:
        session.push(turn)
    return session.finish()


def test_streaming_equals_batch(engine: qa_engine.Engine) -> None:
    for i in range(12):
        t = conversation(i)
        t["meta"] = {"order": i, "tags": ["a", {"b": None}]}
        assert stream(engine, t) == engine.score(t)


def test_streaming_equals_batch_on_the_spec_rubric() -> None:
    engine = qa_engine.Engine.from_file(TESTDATA / "rubrics" / "spec-example.yaml")
    t = {
        "id": "c-1",
        "agent": "A007",
        "channel": "call",
        "turns": [
            {"speaker": "customer", "text": "我要投诉，设备报警了", "start": 0.0, "end": 4.0},
            {"speaker": "agent", "text": "您好，这是规定", "start": 40.0, "end": 45.0},
            {"speaker": "customer", "text": "气死了，我要投诉你们", "start": 44.0, "end": 50.0},
            {"speaker": "customer", "text": "气死了，我要投诉你们", "start": 120.0, "end": 125.0},
            {"speaker": "agent", "text": "非常抱歉，请告诉我报警代码，卡号 6222020200112233445", "start": 126.0},
            {"speaker": "agent", "text": "还有什么可以帮您", "start": 1000.0},
        ],
    }
    report = engine.score(t)
    assert report["findings"]
    assert stream(engine, t) == report


def test_push_returns_certain_findings_at_once(engine: qa_engine.Engine) -> None:
    session = engine.session(id="live-1")
    assert session.push({"speaker": "customer", "text": "设备报警了"}) == []
    now = {f["rule"]: f for f in session.push({"speaker": "agent", "text": "爱买不买"})}
    # the forbidden phrase at once; the greeting and the alarm question are decided by this
    # first agent turn: neither was met in its window
    assert set(now) == {"rude", "greeting", "ask-code"}
    assert now["rude"]["alert"] is True
    assert now["rude"]["turn"] == 1 and now["rude"]["text"] == "爱买不买"
    assert now["ask-code"]["turn"] == 0 and now["greeting"]["turn"] is None
    assert session.push({"speaker": "agent", "text": "好的"}) == []
    assert session.turn_count == 3
    report = session.finish()
    assert report["id"] == "live-1"
    assert {f["rule"] for f in report["findings"]} >= {"rude", "ask-code"}
    assert session.finished


def test_a_finished_session_refuses_more(engine: qa_engine.Engine) -> None:
    session = engine.session()
    session.finish()
    with pytest.raises(RuntimeError, match="finished"):
        session.push({"speaker": "agent", "text": "x"})
    with pytest.raises(RuntimeError, match="finished"):
        session.finish()


def test_a_bad_turn_names_its_index_and_is_not_pushed(engine: qa_engine.Engine) -> None:
    session = engine.session()
    session.push({"speaker": "agent", "text": "您好"})
    with pytest.raises(qa_engine.TranscriptError) as info:
        session.push({"speaker": "agent"})
    assert (info.value.kind, info.value.turn, info.value.field) == ("missing_field", 1, "text")
    with pytest.raises(qa_engine.TranscriptError) as info:
        session.push({"speaker": "agent", "text": "x", "start": {1}})
    assert (info.value.kind, info.value.turn, info.value.field) == ("wrong_type", 1, "start")
    with pytest.raises(qa_engine.TranscriptError) as info:
        session.push("hello")  # type: ignore[arg-type]
    assert (info.value.kind, info.value.turn) == ("wrong_type", 1)
    assert session.turn_count == 1
    session.push({"speaker": "agent", "text": "再见"})
    assert session.finish() == engine.score(
        {"turns": [{"speaker": "agent", "text": "您好"}, {"speaker": "agent", "text": "再见"}]}
    )


def test_session_meta_is_checked(engine: qa_engine.Engine) -> None:
    with pytest.raises(qa_engine.TranscriptError) as info:
        engine.session(meta=[1, 2])  # type: ignore[arg-type]
    assert info.value.field == "meta"
    with pytest.raises(qa_engine.TranscriptError) as info:
        engine.session(agent={"x": 1})  # type: ignore[arg-type]
    assert info.value.field == "agent"
    with pytest.raises(TypeError):
        engine.session(conversation="c1")  # type: ignore[call-arg]
    report = engine.session(id=7, agent="A1", channel="chat", meta={"k": [1.5]}).finish()
    assert (report["id"], report["agent"], report["channel"], report["meta"]) == (
        "7",
        "A1",
        "chat",
        {"k": [1.5]},
    )


def test_session_limits() -> None:
    from conftest import RUBRIC_YAML

    engine = qa_engine.Engine.from_str(RUBRIC_YAML, limits={"max_turns": 2})
    session = engine.session()
    pushed: List[Any] = []
    for _ in range(2):
        pushed += session.push({"speaker": "agent", "text": "hi"})
    with pytest.raises(qa_engine.TranscriptError) as info:
        session.push({"speaker": "agent", "text": "hi"})
    assert (info.value.kind, info.value.turn) == ("too_many_turns", 2)
    assert session.finish()["findings"] is not None
