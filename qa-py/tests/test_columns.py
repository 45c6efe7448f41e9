"""What qa_engine.spark and qa_engine.ray share, without Spark or Ray: which rubric a `str` means,
the report columns' names (kept, clashing, prefixed), and one compilation per worker process for
any number of batches. Runs in qa-py/test.sh (pyarrow only)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import qa_engine
import qa_engine.ray
import qa_engine.spark
from conftest import RUBRIC_YAML, conversation
from qa_engine._columns import (
    REPORT_COLUMNS,
    cached_engine,
    compilations,
    compile_rubric,
    engine_state,
    plan_columns,
)

pa = pytest.importorskip("pyarrow")


def test_importing_needs_neither_pyspark_nor_ray() -> None:
    code = (
        "import sys, qa_engine, qa_engine.spark, qa_engine.ray; "
        "print(sorted(m for m in ('pyspark', 'ray', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_str_rubric_is_text_or_a_path(tmp_path: Path) -> None:
    path = tmp_path / "售后.yaml"
    path.write_text(RUBRIC_YAML, encoding="utf-8")
    want = engine_state(qa_engine.Engine.from_str(RUBRIC_YAML))
    assert engine_state(compile_rubric(str(path))) == want  # an existing file
    assert engine_state(compile_rubric(path)) == want  # os.PathLike
    assert engine_state(compile_rubric(RUBRIC_YAML)) == want  # text: a newline
    one_line = '{"rubric": "一行", "rules": [{"id": "a", "kind": "forbid", "match": ["稳赚"]}]}'
    assert compile_rubric(one_line).name == "一行"  # text: a colon, no such file
    assert compile_rubric('rubric = "t"\nrules = []\n', format="toml").name == "t"
    engine = qa_engine.Engine.from_str(RUBRIC_YAML)
    assert compile_rubric(engine) is engine
    with pytest.raises(FileNotFoundError, match=r"rubric file not found: 'rubric\.yaml'"):
        compile_rubric("rubric.yaml")
    with pytest.raises(ValueError, match="an Engine was compiled with its own"):
        compile_rubric(engine, redact=False)
    with pytest.raises(TypeError, match="not int"):
        compile_rubric(3)  # type: ignore[arg-type]
    with pytest.raises(qa_engine.RubricError):
        compile_rubric("rubric: r\nrules: [{id: x, kind: nope}]\n")


def test_limits_and_redact_travel_with_the_rubric() -> None:
    state = engine_state(compile_rubric(RUBRIC_YAML, limits={"max_turns": 2}, redact=False))
    engine = cached_engine(state)
    assert engine.limits["max_turns"] == 2 and not engine.redacts
    assert state != engine_state(compile_rubric(RUBRIC_YAML))


def test_report_column_names() -> None:
    assert plan_columns(["transcript", "n"], "transcript", None) == [(c, c) for c in REPORT_COLUMNS]
    kept = plan_columns(["id", "transcript", "channel"], "transcript", None)
    assert [out for _, out in kept] == ["agent", "score", "passed", "fatal", "findings", "error"]
    prefixed = plan_columns(["id", "score", "transcript"], "transcript", "qa_")
    assert [out for _, out in prefixed] == ["qa_" + c for c in REPORT_COLUMNS]
    with pytest.raises(ValueError, match="'fatal', the name of a report column.*prefix="):
        plan_columns(["transcript", "fatal"], "transcript", None)
    with pytest.raises(ValueError, match="'SCORE'.*prefix="):
        plan_columns(["transcript", "SCORE"], "transcript", None, case_sensitive=False)
    assert len(plan_columns(["transcript", "SCORE"], "transcript", None)) == 8
    with pytest.raises(ValueError, match="'qa_id'.*another prefix="):
        plan_columns(["transcript", "qa_id"], "transcript", "qa_")
    with pytest.raises(ValueError, match="no column 'text' in the input; its columns: 'transcript'"):
        plan_columns(["transcript"], "text", None)
    with pytest.raises(ValueError, match="prefix must be a non-empty string"):
        plan_columns(["transcript"], "transcript", "")


def test_one_compilation_for_many_batches() -> None:
    """What a Spark worker runs: every batch of every task on the engine compiled once."""
    text = RUBRIC_YAML + "# test_one_compilation_for_many_batches\n"
    state = engine_state(compile_rubric(text))
    engine = qa_engine.Engine.from_str(text)
    rows = [json.dumps(conversation(i), ensure_ascii=False) for i in range(40)] + ["{"]
    table = pa.table({"transcript": rows, "n": list(range(len(rows)))})
    plan = plan_columns(table.column_names, "transcript", None)
    before = compilations()
    for _task in range(3):
        batches = table.to_batches(max_chunksize=4)
        out = list(qa_engine.spark._score_batches(iter(batches), state, "transcript", plan))
        assert len(out) == 11 and sum(b.num_rows for b in out) == 41
    assert compilations() == before + 1
    got = pa.Table.from_batches(out).to_pylist()
    assert [r["n"] for r in got] == list(range(41))
    assert [r["score"] for r in got[:40]] == [engine.score(conversation(i))["score"] for i in range(40)]
    assert got[40]["error"] and got[40]["score"] is None
