"""Scores transcripts from JSON Lines files in parallel; writes one report per line.

    python score_jsonl.py RUBRIC INPUT.jsonl [INPUT.jsonl ...] > reports.jsonl

A bad line is reported on stderr as `file:line: message` and the others are still scored;
the exit status is then 3 (as `qa score` does).
"""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, List, Tuple

import qa_engine


def main(argv: List[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        engine = qa_engine.Engine.from_file(argv[1])
    except qa_engine.RubricError as err:
        print(err, file=sys.stderr)
        return 2

    where: List[Tuple[str, int]] = []
    transcripts: List[Any] = []
    bad = 0
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    transcripts.append(json.loads(line))
                except json.JSONDecodeError as err:
                    print(f"{path}:{number}: invalid JSON: {err}", file=sys.stderr)
                    bad += 1
                    continue
                where.append((path, number))

    for (path, number), result in zip(where, engine.score_many(transcripts, errors="return")):
        if isinstance(result, qa_engine.TranscriptError):
            print(f"{path}:{number}: {result}", file=sys.stderr)
            bad += 1
        else:
            report: Dict[str, Any] = result
            print(json.dumps(report, ensure_ascii=False))
    return 3 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
