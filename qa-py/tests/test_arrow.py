"""`Engine.score_arrow`: Arrow data in (pyarrow, polars, pandas through pyarrow; JSON text or
struct columns), one report row per input row out as a pyarrow.Table, equal to `Engine.score`
row by row; a bad or null row gives its `error`, never an exception for the batch."""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Dict, List, Optional

import pytest

import qa_engine
from conftest import TESTDATA, conversation

pa: Any = pytest.importorskip("pyarrow")

SAMPLE = TESTDATA / "corpus" / "stc3-sample.jsonl"

PII = """
rubric: pii
redact: {builtin: [phone_cn], mask: "#"}
rules:
  - {id: phone, kind: forbid, match: [{regex: '1[3-9]\\d{9}'}], deduct: 20}
  - {id: rude, kind: forbid, match: [这是规定, ＡＢＣ, "don't care"], deduct: 10}
"""

SCRIPTS: List[Dict[str, Any]] = [
    {"id": "zh", "turns": [{"speaker": "agent", "text": "您好，这是规定"}]},
    {"id": "繁", "agent": "A1", "turns": [{"speaker": "agent", "text": "這是規定，不保本😀"}]},
    {"id": "full", "turns": [{"speaker": "agent", "text": "ＡＢＣ，电话１３８００１３８０００"}]},
    {"id": "en", "channel": "call", "turns": [{"speaker": "agent", "text": "hello, I DON'T CARE"}]},
    {"id": "emoji", "turns": [{"speaker": "agent", "text": "😀👍🏽这是规定😀"}]},
    {"id": "empty", "turns": [{"speaker": "agent", "text": ""}]},
    {"turns": []},
]


def schema() -> Any:
    finding = pa.struct(
        [
            ("rule", pa.utf8()),
            ("kind", pa.utf8()),
            ("severity", pa.utf8()),
            ("deduct", pa.float64()),
            ("turn", pa.int64()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.utf8()),
        ]
    )
    return pa.schema(
        [
            ("id", pa.utf8()),
            ("agent", pa.utf8()),
            ("channel", pa.utf8()),
            ("score", pa.float64()),
            ("passed", pa.bool_()),
            ("fatal", pa.bool_()),
            ("findings", pa.list_(finding)),
            ("error", pa.utf8()),
        ]
    )


FINDING_KEYS = ("rule", "kind", "severity", "deduct", "turn", "start", "end", "text")


def row(report: Dict[str, Any]) -> Dict[str, Any]:
    """The row `score_arrow` gives for a transcript `Engine.score` reports on."""
    return {
        "id": report["id"],
        "agent": report["agent"],
        "channel": report["channel"],
        "score": report["score"],
        "passed": report["passed"],
        "fatal": report["fatal"],
        "findings": [{k: f[k] for k in FINDING_KEYS} for f in report["findings"]],
        "error": None,
    }


def error_row(message: str) -> Dict[str, Any]:
    return {
        "id": None,
        "agent": None,
        "channel": None,
        "score": None,
        "passed": None,
        "fatal": None,
        "findings": None,
        "error": message,
    }


def rows(table: Any) -> List[Dict[str, Any]]:
    assert isinstance(table, pa.Table)
    assert table.schema.equals(schema()), table.schema
    out: List[Dict[str, Any]] = table.to_pylist()
    return out


def texts(transcripts: List[Dict[str, Any]]) -> List[str]:
    return [json.dumps(t, ensure_ascii=False) for t in transcripts]


@pytest.fixture(scope="module")
def pii() -> qa_engine.Engine:
    return qa_engine.Engine.from_str(PII)


def test_table_of_json_text_equals_score_in_every_script(pii: qa_engine.Engine) -> None:
    table = pa.table({"n": list(range(len(SCRIPTS))), "transcript": texts(SCRIPTS)})
    got = rows(pii.score_arrow(table))
    assert got == [row(pii.score(t)) for t in SCRIPTS]
    emoji = got[4]["findings"][0]
    assert (emoji["start"], emoji["end"], emoji["text"]) == (3, 7, "这是规定")  # code points
    assert got[1]["findings"][0]["text"] == "這是規定"
    assert got[2]["findings"][0]["text"] == "ＡＢＣ"
    assert got[5]["score"] == 100 and got[5]["findings"] == []


def test_record_batch_reader_and_chunked_columns(engine: qa_engine.Engine) -> None:
    ts = [conversation(i) for i in range(9)]
    want = [row(engine.score(t)) for t in ts]
    batches = [
        pa.record_batch({"transcript": pa.array(texts(ts[i : i + 4]))}) for i in range(0, 9, 4)
    ]
    assert rows(engine.score_arrow(batches[0])) == want[:4]
    reader = pa.RecordBatchReader.from_batches(batches[0].schema, batches)
    assert rows(engine.score_arrow(reader, jobs=2)) == want
    table = pa.Table.from_batches(batches)
    assert table.column("transcript").num_chunks == 3
    assert rows(engine.score_arrow(table, jobs=1)) == want
    # an array or chunked array is the column itself
    assert rows(engine.score_arrow(table.column("transcript"))) == want
    assert rows(engine.score_arrow(pa.array(texts(ts)))) == want


def test_text_and_binary_types(engine: qa_engine.Engine) -> None:
    ts = [conversation(i) for i in range(5)]
    want = [row(engine.score(t)) for t in ts]
    data = texts(ts)
    for kind in (pa.utf8(), pa.large_utf8(), pa.string_view()):
        assert rows(engine.score_arrow(pa.table({"transcript": pa.array(data, kind)}))) == want
    raw = [d.encode() for d in data]
    for kind in (pa.binary(), pa.large_binary()):
        assert rows(engine.score_arrow(pa.table({"transcript": pa.array(raw, kind)}))) == want
    bad = rows(engine.score_arrow(pa.table({"transcript": pa.array([b"\xff"], pa.binary())})))
    assert bad[0]["error"].startswith("the transcript is not UTF-8 text")


def test_struct_column(engine: qa_engine.Engine) -> None:
    ts = [conversation(i) for i in range(6)]
    table = pa.table({"transcript": pa.array(ts)})
    assert pa.types.is_struct(table.schema.field("transcript").type)
    assert rows(engine.score_arrow(table)) == [row(engine.score(t)) for t in ts]
    # missing optional fields: turns of speaker and text only, an int start
    minimal = [{"turns": [{"speaker": "agent", "text": "这是规定", "start": 3}]}]
    got = rows(engine.score_arrow(pa.table({"transcript": pa.array(minimal)})))
    assert got == [row(engine.score(minimal[0]))]
    # a struct array of transcripts is the column itself
    assert rows(engine.score_arrow(pa.array(ts))) == [row(engine.score(t)) for t in ts]
    # and so is a table of the transcripts' own fields
    flat = pa.Table.from_pylist(ts)
    assert "turns" in flat.column_names
    assert rows(engine.score_arrow(flat)) == [row(engine.score(t)) for t in ts]
    with pytest.raises(ValueError, match="no column 'conversation'"):
        engine.score_arrow(flat, column="conversation")


def test_a_bad_row_gives_its_error_and_the_others_are_scored(engine: qa_engine.Engine) -> None:
    good = json.dumps(conversation(1), ensure_ascii=False)
    items: List[Optional[str]] = [
        good,
        '{"turns": [{"speaker": "agent"}]}',
        '{"turns": [{"speaker": 3, "text": "您好"}]}',
        '{"turns": [',
        None,
        good,
    ]
    got = rows(engine.score_arrow(pa.table({"transcript": items})))
    assert got[0] == got[5] == row(engine.score(conversation(1)))
    assert got[1] == error_row("turn 0: missing field `text`")
    assert got[2] == error_row("turn 0: `speaker` must be a string, found a number")
    assert got[3]["error"].startswith("invalid JSON")
    assert got[4] == error_row("transcript is null")
    for i in (1, 2, 3):
        with pytest.raises(qa_engine.TranscriptError) as e:
            engine.score_json(items[i] or "")
        assert got[i]["error"] == str(e.value)
    # in a struct column: a null turn field names the turn and the field
    structs = [{"turns": [{"speaker": "agent", "text": "您好"}, {"speaker": None, "text": "x"}]}]
    got = rows(engine.score_arrow(pa.table({"transcript": pa.array(structs)})))
    assert got == [error_row("turn 1: `speaker` must be a string, found null")]


def test_wrong_column_or_data_raise(engine: qa_engine.Engine) -> None:
    table = pa.table({"transcript": texts([conversation()]), "n": [1]})
    with pytest.raises(ValueError, match="no column 'conversation'"):
        engine.score_arrow(table, column="conversation")
    with pytest.raises(ValueError, match="int64 holds no transcripts"):
        engine.score_arrow(table, column="n")
    with pytest.raises(ValueError, match="needs a field `turns`"):
        engine.score_arrow(pa.table({"transcript": [{"id": "c1"}]}))
    with pytest.raises(TypeError, match="found a list"):
        engine.score_arrow(texts([conversation()]))
    with pytest.raises(ValueError, match="jobs must be between 1 and 256"):
        engine.score_arrow(table, jobs=0)


def test_empty_table_keeps_the_schema(engine: qa_engine.Engine) -> None:
    empty = pa.table({"transcript": pa.array([], pa.utf8())})
    out = engine.score_arrow(empty)
    assert out.num_rows == 0
    assert rows(out) == []


def test_redact_on_and_off(pii: qa_engine.Engine) -> None:
    table = pa.table({"transcript": texts(SCRIPTS[2:3])})
    masked = rows(pii.score_arrow(table))[0]
    phone = [f for f in masked["findings"] if f["rule"] == "phone"][0]
    assert phone["text"] == "#" * 11
    assert masked == row(pii.score(SCRIPTS[2]))
    plain = qa_engine.Engine.from_str(PII, redact=False)
    shown = rows(plain.score_arrow(table))[0]
    assert [f for f in shown["findings"] if f["rule"] == "phone"][0]["text"] == "１３８００１３８０００"
    assert shown == row(plain.score(SCRIPTS[2]))


@pytest.mark.parametrize("rubric", ["rich.yaml", "spec-example.yaml"])
def test_corpus_sample_equals_score_row_by_row(rubric: str) -> None:
    engine = qa_engine.Engine.from_file(TESTDATA / "rubrics" / rubric)
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    ts = [json.loads(line) for line in lines]
    want = [row(engine.score(t)) for t in ts]
    assert rows(engine.score_arrow(pa.table({"transcript": lines}), jobs=2)) == want
    assert rows(engine.score_arrow(pa.table({"transcript": pa.array(ts)}))) == want


def test_polars_dataframe(engine: qa_engine.Engine) -> None:
    pl: Any = pytest.importorskip("polars")
    ts = [conversation(i) for i in range(5)]
    want = [row(engine.score(t)) for t in ts]
    df = pl.DataFrame({"transcript": texts(ts), "n": list(range(5))})
    assert rows(engine.score_arrow(df)) == want
    assert rows(engine.score_arrow(pl.DataFrame({"transcript": ts}))) == want
    # back to polars
    out = pl.from_arrow(engine.score_arrow(df))
    assert out["score"].to_list() == [w["score"] for w in want]


def test_pandas_through_pyarrow(engine: qa_engine.Engine) -> None:
    pd: Any = pytest.importorskip("pandas")
    ts = [conversation(i) for i in range(5)]
    want = [row(engine.score(t)) for t in ts]
    df = pd.DataFrame({"transcript": texts(ts), "n": range(5)})
    assert rows(engine.score_arrow(pa.Table.from_pandas(df))) == want
    out = engine.score_arrow(pa.Table.from_pandas(df)).to_pandas()
    assert list(out["score"]) == [w["score"] for w in want]
    if hasattr(df, "__arrow_c_stream__"):
        assert rows(engine.score_arrow(df)) == want


def test_the_gil_is_released_while_scoring() -> None:
    engine = qa_engine.Engine.from_file(TESTDATA / "rubrics" / "rich.yaml")
    lines = SAMPLE.read_text(encoding="utf-8").splitlines() * 100
    table = pa.table({"transcript": lines})
    ticks = 0
    stop = threading.Event()

    def tick() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)  # needs the GIL back each millisecond

    thread = threading.Thread(target=tick)
    thread.start()
    try:
        time.sleep(0.01)
        before, t0 = ticks, time.perf_counter()
        out = engine.score_arrow(table, jobs=1)
        during, ms = ticks - before, (time.perf_counter() - t0) * 1000
    finally:
        stop.set()
        thread.join()
    assert out.num_rows == len(lines)
    # with the GIL held the other thread could not tick at all while the core scores
    assert ms < 50 or during >= ms / 8, (during, ms)
