"""One engine shared by threads; score_many keeps order, equals score, and runs in parallel."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterator, List

import pytest

import qa_engine
from conftest import conversation

N = 300


@pytest.fixture(scope="module")
def batch() -> List[Dict[str, Any]]:
    return [conversation(i) for i in range(N)]


def test_score_many_keeps_order_and_equals_score(
    engine: qa_engine.Engine, batch: List[Dict[str, Any]]
) -> None:
    one_by_one = [engine.score(t) for t in batch]
    assert len({r["score"] for r in one_by_one}) > 1
    assert engine.score_many(batch) == one_by_one
    assert [r["id"] for r in engine.score_many(batch)] == [f"c{i}" for i in range(N)]
    for jobs in (1, 2, 3):
        assert engine.score_many(batch, jobs=jobs) == one_by_one
    assert engine.score_many(batch, 2) == one_by_one


def test_score_many_takes_any_iterable(engine: qa_engine.Engine) -> None:
    def gen() -> Iterator[Dict[str, Any]]:
        for i in range(5):
            yield conversation(i)

    assert engine.score_many(gen()) == [engine.score(conversation(i)) for i in range(5)]
    assert engine.score_many(()) == []
    assert engine.score_many(tuple(gen())) == engine.score_many(list(gen()))


def test_score_many_errors(engine: qa_engine.Engine) -> None:
    batch: List[Any] = [conversation(0), {"turns": [{"speaker": "agent"}]}, conversation(2), 42]
    with pytest.raises(qa_engine.TranscriptError) as info:
        engine.score_many(batch)
    assert (info.value.index, info.value.turn, info.value.field) == (1, 0, "text")

    out = engine.score_many(batch, errors="return")
    assert out[0] == engine.score(conversation(0))
    assert out[2] == engine.score(conversation(2))
    e1, e3 = out[1], out[3]
    assert isinstance(e1, qa_engine.TranscriptError) and e1.index == 1 and e1.field == "text"
    assert isinstance(e3, qa_engine.TranscriptError) and e3.index == 3 and e3.kind == "wrong_type"


def test_score_many_limit_errors_keep_their_place() -> None:
    from conftest import RUBRIC_YAML

    engine = qa_engine.Engine.from_str(RUBRIC_YAML, limits={"max_turns": 3})
    big = {"turns": [{"speaker": "agent", "text": "x"}] * 4}
    out = engine.score_many([conversation(0), big, conversation(1)], errors="return")
    assert isinstance(out[1], qa_engine.TranscriptError)
    assert (out[1].kind, out[1].index) == ("too_many_turns", 1)
    assert isinstance(out[0], dict) and isinstance(out[2], dict)


@pytest.mark.parametrize("jobs", [0, -1, 100_000])
def test_bad_jobs(engine: qa_engine.Engine, jobs: int) -> None:
    with pytest.raises((ValueError, OverflowError)):
        engine.score_many([conversation(0)], jobs=jobs)


def test_bad_errors_argument(engine: qa_engine.Engine) -> None:
    with pytest.raises(ValueError, match="errors must be"):
        engine.score_many([], errors="ignore")  # type: ignore[call-overload]


def test_threads_share_one_engine(engine: qa_engine.Engine, batch: List[Dict[str, Any]]) -> None:
    want = [engine.score(t) for t in batch]
    failures: List[str] = []

    def work(k: int) -> None:
        for i in range(k, N, 4):
            if engine.score(batch[i]) != want[i]:
                failures.append(f"thread {k}: conversation {i}")
        if engine.score_many(batch[k::8], jobs=2) != want[k::8]:
            failures.append(f"thread {k}: score_many")
        s = engine.session(id=f"c{k}", agent=f"A{k % 4}", channel="chat")
        for turn in batch[k]["turns"]:
            s.push(turn)
        if s.finish() != want[k]:
            failures.append(f"thread {k}: session")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_score_many_releases_the_gil(engine: qa_engine.Engine) -> None:
    """While one thread runs a long score_many, another thread keeps running Python code."""
    text = "您好，这是规定，设备报警了。" * 500
    batch = [{"turns": [{"speaker": "agent", "text": text}] * 10}] * 40
    running = threading.Event()
    done = threading.Event()
    ticks = 0

    def count() -> None:
        nonlocal ticks
        running.wait()
        while not done.is_set():
            ticks += 1

    def rate() -> float:
        n, end = 0, time.perf_counter() + 0.1
        while time.perf_counter() < end:
            n += 1
        return n / 0.1

    alone = rate()
    counter = threading.Thread(target=count)
    counter.start()
    running.set()
    began = time.perf_counter()
    try:
        reports = engine.score_many(batch, jobs=1)
    finally:
        took = time.perf_counter() - began
        done.set()
        counter.join()
    assert len(reports) == 40
    assert took > 0.05, "the batch is too small to tell"
    # with the GIL held, the counter would run for one switch interval (5 ms) at most
    assert ticks > 0.1 * alone * took, (ticks, alone, took)


def test_score_many_on_a_pool_keeps_places_across_chunks(engine: qa_engine.Engine) -> None:
    # the pool scores chunks of 64 while the calling thread converts: bad items at and around
    # the chunk edges keep their places, and the reports equal one thread's
    bad_json = {63, 64, 130, 299}
    unreadable = {0, 65, 127, 128, 250}
    items: List[Any] = []
    for i in range(300):
        if i in bad_json:
            items.append('{"turns": [{"speaker": "a"}]}')
        elif i in unreadable:
            items.append(i)
        elif i % 2:
            items.append(json.dumps(conversation(i)))
        else:
            items.append(conversation(i))
    one = engine.score_many(items, 1, errors="return")
    two = engine.score_many(items, 2, errors="return")
    assert len(one) == len(two) == 300
    for i, (a, b) in enumerate(zip(one, two)):
        if i in bad_json | unreadable:
            assert isinstance(a, qa_engine.TranscriptError) and isinstance(b, qa_engine.TranscriptError)
            assert (a.kind, a.index, str(a)) == (b.kind, b.index, str(b))
            assert a.kind == ("missing_field" if i in bad_json else "wrong_type")
        else:
            assert a == b == engine.score(conversation(i))
    readable = [x for i, x in enumerate(items) if i not in unreadable]
    with pytest.raises(qa_engine.TranscriptError) as info:
        engine.score_many(readable, 2)
    assert (info.value.index, info.value.field) == (62, "text")
