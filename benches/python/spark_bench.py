"""qa_engine.spark on a local[2] Spark session against score_many(jobs=2) in one process, on the same
N conversations (100,000 by default): real dialogues repeated with fresh ids. Not a test; the
figures are in docs/scale.md. Run with qa-py's venv after qa-py/test-scale.sh (pyspark, Java):

    python benches/python/spark_bench.py [RUBRIC.yaml] [--rows N] [--rounds R] [--corpus F.jsonl ...]

The corpus is /work/shared/corpus/*.jsonl when it exists (a machine of this project), else
testdata/corpus/stc3-sample.jsonl. Spark reads the rows from Parquet (four files, so both cores
get work) and writes to the `noop` sink; score_many gets the same JSON lines as a list of str.
Prints JSON lines: the setup, the best of R rounds of each (and of score_arrow(jobs=2) on the
same rows in one process, what each Spark worker runs), the time ratios, the load average.
"""

from __future__ import annotations

import glob
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, List

import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

import qa_engine
import qa_engine.spark

ROOT = Path(__file__).resolve().parents[2]


def option(args: List[str], name: str, default: str) -> str:
    if name in args:
        i = args.index(name)
        value = args[i + 1]
        del args[i : i + 2]
        return value
    return default


def corpus(paths: List[str], rows: int) -> List[str]:
    """`rows` JSON lines: the dialogues of `paths` over and over, each copy with its own id."""
    docs = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            docs.extend(json.loads(line) for line in f if line.strip())
    out = []
    for i in range(rows):
        doc = dict(docs[i % len(docs)])
        doc["id"] = f"{doc.get('id')}-{i // len(docs)}"
        out.append(json.dumps(doc, ensure_ascii=False))
    return out


def best(rounds: int, f: Callable[[], Any]) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    args = sys.argv[1:]
    rows = int(option(args, "--rows", "100000"))
    rounds = int(option(args, "--rounds", "3"))
    paths = []
    while "--corpus" in args:
        paths.append(option(args, "--corpus", ""))
    paths = paths or sorted(glob.glob("/work/shared/corpus/*.jsonl"))
    paths = paths or [str(ROOT / "testdata" / "corpus" / "stc3-sample.jsonl")]
    rubric = args[0] if args else str(ROOT / "testdata" / "rubrics" / "rich.yaml")
    lines = corpus(paths, rows)
    engine = qa_engine.Engine.from_file(rubric)
    print(json.dumps({"rows": rows, "corpus": paths, "rubric": rubric, "cores": os.cpu_count()}))

    print(json.dumps({"loadavg_before_score_many": os.getloadavg()}))
    engine.score_many(lines[:1000], 2)  # warm: the pool started
    many = best(rounds, lambda: engine.score_many(lines, 2))
    print(json.dumps({"score_many_jobs2_s": round(many, 2), "rows_per_s": round(rows / many)}))
    table = pa.table({"transcript": pa.array(lines)})
    arrow = best(rounds, lambda: engine.score_arrow(table, jobs=2))
    print(json.dumps({"score_arrow_jobs2_s": round(arrow, 2), "rows_per_s": round(rows / arrow)}))

    from pyspark.sql import SparkSession  # type: ignore[import-untyped,unused-ignore]

    with tempfile.TemporaryDirectory() as tmp:
        quarter = -(-rows // 4)
        for k in range(4):
            part = pa.table({"transcript": pa.array(lines[k * quarter : (k + 1) * quarter])})
            pq.write_table(part, os.path.join(tmp, f"part-{k}.parquet"))
        os.environ["PYSPARK_PYTHON"] = sys.executable
        print(json.dumps({"loadavg_before_spark": os.getloadavg()}))
        t0 = time.perf_counter()
        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        start = time.perf_counter() - t0

        def run() -> None:
            df = spark.read.parquet(tmp)
            qa_engine.spark.score(df, rubric).write.format("noop").mode("overwrite").save()

        first = best(1, run)  # Python workers started, the rubric compiled in each
        warm = best(rounds, run)
        batch = spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch")
        spark.stop()
    print(
        json.dumps(
            {
                "spark_local2_session_start_s": round(start, 2),
                "spark_first_run_s": round(first, 2),
                "spark_best_run_s": round(warm, 2),
                "rows_per_s": round(rows / warm),
                "maxRecordsPerBatch": batch,
            }
        )
    )
    print(json.dumps({"spark_time_over_score_many": round(warm / many, 2),
                      "spark_time_over_score_arrow": round(warm / arrow, 2)}))
    print(json.dumps({"loadavg_after": os.getloadavg()}))


if __name__ == "__main__":
    main()
