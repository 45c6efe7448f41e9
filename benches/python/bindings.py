"""The Python binding's side of benches/compare (issue 11): each way of scoring the same JSON
lines through qa_engine, to compare with `qa score --jobs 1` on those lines. Run with qa-py's
venv (qa-py/test.sh builds it).

    python bindings.py RUBRIC LINES.jsonl [--rounds R]

The lines are read into memory first (a list of str, and of bytes); the timed loops are:
- `python_score_json_str_per_s`: `[engine.score_json(line) for line in lines]`;
- `python_score_json_bytes_per_s`: the same with each line as bytes;
- `python_score_many_str_1_per_s` / `_2_per_s`: `engine.score_many(lines, jobs=1 | 2)`;
- `python_score_dict_per_s`: `[engine.score(d) for d in dicts]` (dicts parsed before timing).
Each is conversations per second, best of R rounds; reports come back as dicts, as users get
them. Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Callable

import qa_engine


def best_of(rounds: int, n: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return n / best


def main() -> None:
    args = sys.argv[1:]
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 3
    engine = qa_engine.Engine.from_file(args[0])
    with open(args[1], encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f if line.strip()]
    raw = [line.encode("utf-8") for line in lines]
    dicts = [json.loads(line) for line in lines]
    n = len(lines)
    for line in lines[:50]:  # warm up (allocator, jieba's dictionary if the rubric uses it)
        engine.score_json(line)
    out = {
        "python_score_json_str_per_s": best_of(rounds, n, lambda: [engine.score_json(t) for t in lines]),
        "python_score_json_bytes_per_s": best_of(rounds, n, lambda: [engine.score_json(b) for b in raw]),
        "python_score_many_str_1_per_s": best_of(rounds, n, lambda: engine.score_many(lines, jobs=1)),
        "python_score_many_str_2_per_s": best_of(rounds, n, lambda: engine.score_many(lines, jobs=2)),
        "python_score_dict_per_s": best_of(rounds, n, lambda: [engine.score(d) for d in dicts]),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
