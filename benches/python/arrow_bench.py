"""score_arrow against score_many on the same rows: rows per second, best of R rounds.

score_arrow gets a pyarrow Table with one JSON-text column; score_many gets the same lines as a
list of str (both read by the core's JSON reader, without the GIL). Run with qa-py's venv
(qa-py/test.sh builds the release wheel and installs pyarrow):

    python benches/python/arrow_bench.py RUBRIC.yaml CORPUS.jsonl [CORPUS.jsonl ...] [--rounds R] [--repeat N]

--repeat N scores the corpus N times over (more rows, steadier figures). Prints one JSON line per number of jobs (1 and 2) and the load average before and after.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Callable, List

import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

import qa_engine


def best(rounds: int, f: Callable[[], object]) -> float:
    f()  # warm: threads started, pages touched
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    args = sys.argv[1:]
    rounds = 3
    if "--rounds" in args:
        i = args.index("--rounds")
        rounds = int(args[i + 1])
        del args[i : i + 2]
    repeat = 1
    if "--repeat" in args:
        i = args.index("--repeat")
        repeat = int(args[i + 1])
        del args[i : i + 2]
    engine = qa_engine.Engine.from_file(args[0])
    lines: List[str] = []
    for path in args[1:]:
        with open(path, encoding="utf-8") as f:
            lines.extend(line for line in f if line.strip())
    lines *= repeat
    table = pa.table({"transcript": pa.array(lines, pa.utf8())})
    print(json.dumps({"rows": len(lines), "loadavg_before": os.getloadavg()}))
    for jobs in (1, 2):
        many = best(rounds, lambda: engine.score_many(lines, jobs))
        arrow = best(rounds, lambda: engine.score_arrow(table, jobs=jobs))
        print(
            json.dumps(
                {
                    "jobs": jobs,
                    "score_many_rows_per_s": round(len(lines) / many),
                    "score_arrow_rows_per_s": round(len(lines) / arrow),
                    "ratio": round(many / arrow, 2),
                }
            )
        )
    print(json.dumps({"loadavg_after": os.getloadavg()}))


if __name__ == "__main__":
    main()
