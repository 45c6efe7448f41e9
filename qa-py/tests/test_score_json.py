"""JSON text in: `Engine.score_json(str | bytes)` and `score_many` items that are `str` or
`bytes` (v1.1 additions §5, issue 11). The text goes to the core's serde path with the
engine's limits, never through a Python dict: the report is the one `score` gives on the
dict, errors are the same `TranscriptError`s (plus `syntax`, with `line` and `column`)."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List

import pytest

import qa_engine
from conftest import RUBRIC_YAML, conversation
from test_pools import PRELUDE, run_child

TEXTS = [
    "您好，设备又报警了，这是规定吗",  # Chinese
    "您好，這是規定，請理解",  # traditional
    "ｈｅｌｌｏ，这是规定！",  # full-width
    "hello, we don't care, 稳赚",  # English and Chinese
    "😀👍🏽 这是规定 😀",  # emoji, outside the BMP
    "",  # empty
]


def transcript(text: str, i: int = 0) -> Dict[str, Any]:
    return {
        "id": f"t{i}",
        "agent": "A1",
        "meta": {"k": [1, "x", None, 2.5]},
        "turns": [
            {"speaker": "customer", "text": "设备报警了", "start": 0.0, "end": 1.5},
            {"speaker": "agent", "text": text, "start": 2.0},
        ],
    }


def error_of(call: Any) -> qa_engine.TranscriptError:
    with pytest.raises(qa_engine.TranscriptError) as info:
        call()
    return info.value


@pytest.mark.parametrize("text", TEXTS)
def test_str_and_bytes_give_the_dicts_report(engine: qa_engine.Engine, text: str) -> None:
    t = transcript(text)
    want = engine.score(t)
    for dumped in [json.dumps(t), json.dumps(t, ensure_ascii=False), json.dumps(t, indent=2)]:
        assert engine.score_json(dumped) == want
        assert engine.score_json(dumped.encode("utf-8")) == want
        assert engine.score_json(bytearray(dumped.encode("utf-8"))) == want
    # offsets are Python indices into the original text
    for f in want["findings"]:
        if f["turn"] is not None:
            turn_text = t["turns"][f["turn"]]["text"]
            assert turn_text[f["start"] : f["end"]] == f["text"]


def test_the_texts_make_findings(engine: qa_engine.Engine) -> None:
    # the offsets above are checked on real findings, not on none
    found = [engine.score_json(json.dumps(transcript(t)))["findings"] for t in TEXTS]
    rude = [[(f["start"], f["end"], f["text"]) for f in fs if f["rule"] == "rude"] for fs in found]
    phrases = ["这是规定", "這是規定", "这是规定", "don't care", "这是规定", None]
    want = [[(t.index(p), t.index(p) + len(p), p)] if p else [] for t, p in zip(TEXTS, phrases)]
    assert rude == want
    # the emoji text: Python indices count 😀, 👍 and the skin tone as one each
    assert rude[4][0][:2] == (4, 8)


def test_score_many_takes_dicts_str_and_bytes_mixed(engine: qa_engine.Engine) -> None:
    dicts = [conversation(i) for i in range(12)]
    want = engine.score_many(dicts, 1)
    mixed: List[Any] = []
    for i, t in enumerate(dicts):
        mixed.append([t, json.dumps(t, ensure_ascii=False), json.dumps(t).encode()][i % 3])
    assert engine.score_many(mixed, 1) == want
    assert engine.score_many(mixed, 2) == want
    assert engine.score_many(iter(mixed)) == want
    assert engine.score_many([json.dumps(t) for t in dicts], 2) == engine.score_many(
        [json.dumps(t) for t in dicts], 1
    )


def test_invalid_json_is_a_syntax_error_with_line_and_column(engine: qa_engine.Engine) -> None:
    e = error_of(lambda: engine.score_json('{"turns": [}'))
    assert (e.kind, e.line, e.column, e.turn, e.field, e.index) == ("syntax", 1, 12, None, None, None)
    assert "line 1 column 12" in str(e)
    e = error_of(lambda: engine.score_json(b'{"turns": [\n  {"speaker": "a",\n  "text": }]}'))
    assert (e.kind, e.line, e.column) == ("syntax", 3, 11)
    empties: List[Any] = ["", b"", "   "]
    for empty in empties:
        e = error_of(lambda: engine.score_json(empty))
        assert (e.kind, e.line) == ("syntax", 1)
    e = error_of(lambda: engine.score_json('{"turns": []} {"turns": []}'))
    assert e.kind == "syntax" and "trailing" in str(e)


def test_errors_inside_the_text_name_turn_and_field(engine: qa_engine.Engine) -> None:
    e = error_of(lambda: engine.score_json('{"turns": [\n  {"speaker": "a", "text": 1}]}'))
    assert (e.kind, e.turn, e.field, e.line) == ("wrong_type", 0, "text", None)
    assert str(e) == str(error_of(lambda: engine.score({"turns": [{"speaker": "a", "text": 1}]})))
    e = error_of(lambda: engine.score_json("[]"))
    assert e.kind == "wrong_type"
    e = error_of(lambda: engine.score_json('{"id": "x"}'))
    assert (e.kind, e.field) == ("missing_field", "turns")
    deep = '{"turns": [], "meta": {"d": ' + "[" * 200 + "]" * 200 + "}}"
    assert error_of(lambda: engine.score_json(deep)).kind == "too_deep"


def test_bytes_must_be_utf8(engine: qa_engine.Engine) -> None:
    for bad, at in [(b'{"turns": [], "id": "\xff"}', 21), ('{"id": "你好"}'.encode("gbk"), 8)]:
        e = error_of(lambda: engine.score_json(bad))
        assert e.kind == "syntax"
        assert str(e) == f"invalid JSON: the text is not valid UTF-8 (at byte {at})"
    # UTF-16 is not UTF-8 either
    e = error_of(lambda: engine.score_json(json.dumps(conversation(1)).encode("utf-16")))
    assert e.kind == "syntax"


def test_a_byte_order_mark_is_refused_as_the_core_and_node_refuse_it(engine: qa_engine.Engine) -> None:
    text = json.dumps(conversation(1))
    boms: List[Any] = ["\ufeff" + text, ("\ufeff" + text).encode("utf-8")]
    for bom in boms:
        e = error_of(lambda: engine.score_json(bom))
        assert (e.kind, e.line, e.column) == ("syntax", 1, 1)


def test_a_lone_surrogate_in_str_is_a_syntax_error(engine: qa_engine.Engine) -> None:
    e = error_of(lambda: engine.score_json('{"turns": [], "id": "a\udc00"}'))
    assert e.kind == "syntax"
    assert str(e) == "invalid JSON: the text is not valid Unicode: lone surrogate 0xdc00 at character 22"
    # escaped in the JSON it is the core's to judge, as for a dict
    e = error_of(lambda: engine.score_json('{"turns": [{"speaker": "a", "text": "\\ud800"}]}'))
    assert e.kind == "syntax"


def test_score_json_takes_only_text(engine: qa_engine.Engine) -> None:
    loose: Any = engine
    for wrong in [conversation(1), None, 1, [json.dumps(conversation(1))], memoryview(b"{}")]:
        with pytest.raises(TypeError, match="score_json takes JSON text, a str or bytes, found a"):
            loose.score_json(wrong)


def test_score_many_errors_in_place(engine: qa_engine.Engine) -> None:
    good = conversation(3)
    items: List[Any] = [
        json.dumps(good),
        '{"turns": [',
        b"\x7b\xff",
        '{"turns": [], "id": "\ud800"}',
        '{"turns": [{"speaker": "a"}]}',
        7,
        None,
        good,
        json.dumps(good).encode(),
    ]
    out = engine.score_many(items, 2, errors="return")
    want = engine.score(good)
    assert out[0] == want and out[7] == want and out[8] == want
    errs = [x for x in out[1:7] if isinstance(x, qa_engine.TranscriptError)]
    assert [(e.kind, e.index, e.turn, e.field) for e in errs] == [
        ("syntax", 1, None, None),
        ("syntax", 2, None, None),
        ("syntax", 3, None, None),
        ("missing_field", 4, 0, "text"),
        ("wrong_type", 5, None, None),
        ("wrong_type", 6, None, None),
    ]
    assert (errs[0].line, errs[0].column) == (1, 11)
    assert str(errs[4]) == "item 5: a transcript is a dict or its JSON text (str or bytes), found int"
    # errors="raise": the first bad item, with its index
    e = error_of(lambda: engine.score_many(items, 2))
    assert (e.kind, e.index) == ("syntax", 1)
    with_a_set: List[Any] = [good, good, {1, 2}]
    e = error_of(lambda: engine.score_many(with_a_set, 1))
    assert (e.kind, e.index) == ("wrong_type", 2)
    assert "item 2" in str(e) and "found set" in str(e)


def test_too_many_turns_stop_while_reading(engine: qa_engine.Engine) -> None:
    turn = '{"speaker": "agent", "text": "您好 😀"}'
    huge = '{"id": "big", "turns": [' + ",".join([turn] * 500_000) + "]}"
    small = qa_engine.Engine.from_str(RUBRIC_YAML, limits={"max_turns": 1000})
    started = time.perf_counter()
    e = error_of(lambda: small.score_json(huge))
    fast = time.perf_counter() - started
    assert (e.kind, e.field) == ("too_many_turns", "turns")
    out = small.score_many([huge, huge.encode(), conversation(1)], errors="return")
    assert [getattr(x, "kind", None) for x in out] == ["too_many_turns", "too_many_turns", None]
    assert [getattr(x, "index", None) for x in out[:2]] == [0, 1]
    # the default limits (100,000 turns) too; reading stops at the limit, so refusing the text
    # takes a fraction of what reading all of it into dicts takes
    assert error_of(lambda: engine.score_json(huge)).kind == "too_many_turns"
    started = time.perf_counter()
    json.loads(huge)
    assert fast < time.perf_counter() - started
    # a text over twice max_transcript_bytes is refused before it is read
    tiny = qa_engine.Engine.from_str(RUBRIC_YAML, limits={"max_transcript_bytes": 1000})
    e = error_of(lambda: tiny.score_json(huge))
    assert e.kind == "transcript_too_large"


def test_an_error_pickles_with_its_position(engine: qa_engine.Engine) -> None:
    import pickle

    e = error_of(lambda: engine.score_json('{"turns": [}'))
    copy = pickle.loads(pickle.dumps(e))
    assert (copy.kind, copy.line, copy.column, str(copy)) == (e.kind, e.line, e.column, str(e))


def test_json_items_in_a_forked_child() -> None:
    out = run_child(
        PRELUDE
        + """
import json
import multiprocessing as mp
texts = [json.dumps(t) if i % 2 else json.dumps(t).encode() for i, t in enumerate(batch)]
assert engine.score_many(texts, 2) == want

def child(q):
    q.put([engine.score_many(texts, 2) == want, engine.score_many(texts) == want])

ctx = mp.get_context("fork")
q = ctx.Queue()
p = ctx.Process(target=child, args=(q,))
p.start()
assert q.get(timeout=90) == [True, True]
p.join(10)
print("ok")
"""
    )
    assert out == "ok"
