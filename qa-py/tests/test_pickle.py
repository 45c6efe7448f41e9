"""An Engine pickles (to ship to Spark or Ray workers) with its rubric and its limits."""

from __future__ import annotations

import copy
import pickle

import pytest

import qa_engine
from conftest import RUBRIC_YAML, TESTDATA, conversation


@pytest.mark.parametrize("protocol", range(2, pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip(engine: qa_engine.Engine, protocol: int) -> None:
    copy_ = pickle.loads(pickle.dumps(engine, protocol=protocol))
    assert isinstance(copy_, qa_engine.Engine)
    assert copy_.to_dict() == engine.to_dict()
    for i in range(6):
        assert copy_.score(conversation(i)) == engine.score(conversation(i))


def test_pickle_keeps_limits() -> None:
    engine = qa_engine.Engine.from_str(RUBRIC_YAML, limits={"max_turns": 3})
    copy_ = pickle.loads(pickle.dumps(engine))
    assert copy_.limits == engine.limits
    assert copy_.limits["max_turns"] == 3
    with pytest.raises(qa_engine.TranscriptError):
        copy_.score({"turns": [{"speaker": "agent", "text": "x"}] * 4})


def test_copy_and_deepcopy(engine: qa_engine.Engine) -> None:
    for c in (copy.copy(engine), copy.deepcopy(engine)):
        assert c.score(conversation(1)) == engine.score(conversation(1))


def test_spec_example_round_trips_through_to_dict() -> None:
    engine = qa_engine.Engine.from_file(TESTDATA / "rubrics" / "spec-example.yaml")
    again = qa_engine.Engine.from_dict(engine.to_dict())
    assert again.to_dict() == engine.to_dict()
    restored = pickle.loads(pickle.dumps(engine))
    t = {
        "turns": [
            {"speaker": "customer", "text": "设备报警了，气死了", "start": 0.0, "end": 3.0},
            {"speaker": "agent", "text": "这是规定，保本的，电话13800138000", "start": 50.0},
        ]
    }
    assert restored.score(t) == engine.score(t)
