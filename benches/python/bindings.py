"""The Python binding's side of benches/compare: qa_engine.Engine.score per transcript on one
thread (dicts already parsed), best of R rounds. Run with qa-py's venv (qa-py/test.sh builds it).

    python bindings.py RUBRIC.yaml CORPUS.jsonl [--rounds R]
"""

import json
import sys
import time

import qa_engine


def main() -> None:
    args = sys.argv[1:]
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 3
    engine = qa_engine.Engine.from_file(args[0])
    with open(args[1], encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()]
    for d in docs[:50]:
        engine.score(d)
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for d in docs:
            engine.score(d)
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"python_binding_per_s": len(docs) / best}))


if __name__ == "__main__":
    main()
