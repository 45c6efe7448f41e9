"""qa_engine.spark.score on a local[2] Spark session (v1.1 additions §5, issue 13): report
columns equal to `Engine.score` row by row, a bad row's error while the rest are scored, the
input's columns kept, prefix= and name clashes, the rubric compiled once per Python worker.
qa-py/test-scale.sh installs pyspark and Java and runs this; qa-py/test.sh skips it when they
are missing. One session for the module (about 5 s to start)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

import pytest

import qa_engine
from conftest import RUBRIC_YAML
from qa_engine._columns import compilations
from scale_cases import (
    CORPUS,
    REPORT_COLUMNS,
    RICH_RUBRIC,
    check_row,
    corpus,
    generated,
    need,
    required,
    texts,
)

need("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    if required():
        raise RuntimeError("qa-py/test-scale.sh needs java (it installs openjdk-17-jre-headless)")
    pytest.skip("no java", allow_module_level=True)

from pyspark.sql import SparkSession  # type: ignore[import-not-found, import-untyped, unused-ignore]
from pyspark.sql import types as T  # type: ignore[import-not-found, import-untyped, unused-ignore]

import qa_engine.spark

BATCH = 16  # spark.sql.execution.arrow.maxRecordsPerBatch: several batches per task


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PYSPARK_PYTHON", sys.executable)
        env.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
        # the workers unpickle this module's functions (probe) by reference
        env.setenv("PYTHONPATH", str(Path(__file__).parent), prepend=os.pathsep)
        session = (
            SparkSession.builder.master("local[2]")
            .appName("qa-engine-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH))
            .config("spark.driver.memory", "1g")
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def rich() -> qa_engine.Engine:
    return qa_engine.Engine.from_file(RICH_RUBRIC)


def text_frame(spark: Any, rows: Sequence[Optional[str]], partitions: int = 2) -> Any:
    schema = "row INT, transcript STRING, note STRING"
    data = [(i, t, f"note {i} 备注") for i, t in enumerate(rows)]
    return spark.createDataFrame(data, schema).repartition(partitions, "row")


def by_row(df: Any) -> Dict[int, Dict[str, Any]]:
    return {r["row"]: r.asDict(recursive=True) for r in df.collect()}


def test_json_text_rows_equal_engine_score(spark: Any, rich: qa_engine.Engine) -> None:
    rows = texts()
    out = qa_engine.spark.score(text_frame(spark, rows), str(RICH_RUBRIC))
    assert out.columns == ["row", "transcript", "note"] + REPORT_COLUMNS
    got = by_row(out)
    assert sorted(got) == list(range(len(rows)))
    errors = 0
    for i, text in enumerate(rows):
        assert got[i]["transcript"] == text and got[i]["note"] == f"note {i} 备注"
        check_row(rich, text, got[i])
        errors += got[i]["error"] is not None
    assert errors == 5 and len(rows) == 95
    assert sum(len(r["findings"] or []) for r in got.values()) > 100  # the rubric finds things


def test_rubric_text_binary_column_and_one_partition(spark: Any) -> None:
    engine = qa_engine.Engine.from_str(RUBRIC_YAML)
    rows = texts(60)
    data = [(i, None if t is None else t.encode("utf-8")) for i, t in enumerate(rows)]
    df = spark.createDataFrame(data, "row INT, transcript BINARY").coalesce(1)
    got = by_row(qa_engine.spark.score(df, RUBRIC_YAML))
    for i, text in enumerate(rows):
        check_row(engine, text, got[i])


TURN = T.StructType(
    [
        T.StructField("speaker", T.StringType()),
        T.StructField("text", T.StringType()),
        T.StructField("start", T.DoubleType()),
        T.StructField("end", T.DoubleType()),
    ]
)
CONVERSATION = T.StructType(
    [
        T.StructField("id", T.StringType()),
        T.StructField("agent", T.StringType()),
        T.StructField("channel", T.StringType()),
        T.StructField("turns", T.ArrayType(TURN)),
    ]
)


def test_struct_column(spark: Any, rich: qa_engine.Engine) -> None:
    convs = generated(50)
    data = [(i, c) for i, c in enumerate(convs)]
    schema = T.StructType([T.StructField("row", T.IntegerType()), T.StructField("conv", CONVERSATION)])
    got = by_row(qa_engine.spark.score(spark.createDataFrame(data, schema), rich, "conv"))
    for i, c in enumerate(convs):
        check_row(rich, json.dumps(c), got[i])
        assert got[i]["conv"]["id"] == c["id"]


def test_json_lines_read_by_spark_as_structs(spark: Any, rich: qa_engine.Engine) -> None:
    """The corpus file as Spark reads JSON lines (fields in its own order, types inferred),
    gathered into one struct column per conversation as docs/scale.md shows."""
    from pyspark.sql import functions as F  # type: ignore[import-not-found, import-untyped, unused-ignore]

    calls = spark.read.json(str(CORPUS))
    df = calls.select("id", F.struct(*calls.columns).alias("transcript"))
    got = [r.asDict(recursive=True) for r in qa_engine.spark.score(df, rich).collect()]
    docs = corpus()  # one small file: one partition, the rows in the file's order
    assert len(got) == len(docs) == 50
    for doc, row in zip(docs, got):
        check_row(rich, json.dumps(doc, ensure_ascii=False), row)


def test_input_id_agent_channel_are_kept(spark: Any) -> None:
    rows = texts(10)
    data = [(i, f"mine-{i}", "我的坐席", t) for i, t in enumerate(rows)]
    df = spark.createDataFrame(data, "row INT, id STRING, AGENT STRING, transcript STRING")
    out = qa_engine.spark.score(df, RUBRIC_YAML)
    # agent is kept too: Spark compares names case-insensitively by default
    assert out.columns == ["row", "id", "AGENT", "transcript"] + REPORT_COLUMNS[2:]
    got = by_row(out)
    assert all(got[i]["id"] == f"mine-{i}" and got[i]["AGENT"] == "我的坐席" for i in got)
    chat = [i for i, t in enumerate(rows) if t and '"channel": "chat"' in t]
    assert chat and all(got[i]["channel"] == "chat" for i in chat)  # the report's channel


def test_prefix_names_every_report_column(spark: Any) -> None:
    engine = qa_engine.Engine.from_str(RUBRIC_YAML)
    rows = texts(10)
    data = [(i, "x", t, 1.5) for i, t in enumerate(rows)]
    df = spark.createDataFrame(data, "row INT, id STRING, transcript STRING, score DOUBLE")
    out = qa_engine.spark.score(df, RUBRIC_YAML, prefix="qa_")
    assert out.columns == ["row", "id", "transcript", "score"] + ["qa_" + c for c in REPORT_COLUMNS]
    for i, r in by_row(out).items():
        assert r["id"] == "x" and r["score"] == 1.5
        check_row(engine, rows[i], {c: r["qa_" + c] for c in REPORT_COLUMNS})


@pytest.mark.parametrize("name", ["score", "passed", "fatal", "findings", "error", "Score"])
def test_clash_raises_and_suggests_prefix(spark: Any, name: str) -> None:
    df = spark.createDataFrame([("{}", 1)], f"transcript STRING, `{name}` INT")
    with pytest.raises(ValueError, match=f"'{name}'.*prefix="):
        qa_engine.spark.score(df, RUBRIC_YAML)
    with pytest.raises(ValueError, match="'qa_error'.*another prefix="):
        qa_engine.spark.score(df.withColumn("qa_error", df[name]), RUBRIC_YAML, prefix="qa_")
    assert "qa_score" in qa_engine.spark.score(df, RUBRIC_YAML, prefix="qa_").columns


def test_bad_arguments(spark: Any, tmp_path: Path) -> None:
    df = spark.createDataFrame([(1, "{}")], "n INT, transcript STRING")
    with pytest.raises(ValueError, match="no column 'text'.*'n', 'transcript'"):
        qa_engine.spark.score(df, RUBRIC_YAML, "text")
    with pytest.raises(ValueError, match="column 'n' is int"):
        qa_engine.spark.score(df, RUBRIC_YAML, "n")
    with pytest.raises(ValueError, match="prefix must be a non-empty string"):
        qa_engine.spark.score(df, RUBRIC_YAML, prefix="")
    with pytest.raises(FileNotFoundError, match="rubric file not found: 'nowhere.yaml'"):
        qa_engine.spark.score(df, "nowhere.yaml")
    with pytest.raises(qa_engine.RubricError):  # on the driver, before any job
        qa_engine.spark.score(df, "rubric: 坏\nrules: [{id: x, kind: nope}]\n")
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"rubric": "json", "rules": [{"id": "a", "kind": "forbid", "match": ["稳赚"]}]}))
    out = qa_engine.spark.score(spark.createDataFrame([(1, '{"turns": [{"speaker": "agent", "text": "稳赚"}]}')], "n INT, transcript STRING"), path)
    assert [f["rule"] for f in out.collect()[0]["findings"]] == ["a"]


def probe(batches: Iterator[Any]) -> Iterator[Any]:
    """Reports this Python worker's pid and how often it compiled a rubric."""
    import pyarrow as pa  # type: ignore[import-not-found, import-untyped, unused-ignore]

    for _ in batches:
        pass
    yield pa.RecordBatch.from_pylist([{"pid": os.getpid(), "compiles": compilations()}])


def test_rubric_compiled_once_per_worker(spark: Any) -> None:
    """Four tasks of about eight batches each on two cores: a worker that scored compiled the
    rubric once per rubric scored in this module, not once per batch or task."""
    rows = [json.dumps(c) for c in generated(480)]
    text = RUBRIC_YAML + "# a rubric of its own for this test\n"
    assert qa_engine.spark.score(text_frame(spark, rows, 4), text).filter("error IS NULL").count() == 480
    workers = spark.range(8).repartition(8).mapInArrow(probe, "pid LONG, compiles LONG").collect()
    scored = [w for w in workers if w["compiles"] > 0]
    assert scored, workers  # Python workers are reused (spark.python.worker.reuse)
    assert all(w["compiles"] <= 6 for w in scored), workers  # rubrics used so far; 60 batches
