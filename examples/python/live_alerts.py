"""Replays conversations turn by turn through live sessions and prints alerts as they happen.

    python live_alerts.py RUBRIC INPUT.jsonl

Each line of INPUT is one transcript; its turns are pushed one by one, as a live call
would deliver them, and each finding of an `alert` rule is printed the moment it is certain.
"""

from __future__ import annotations

import json
import sys
from typing import List

import qa_engine


def main(argv: List[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    engine = qa_engine.Engine.from_file(argv[1])
    status = 0
    with open(argv[2], encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            t = json.loads(line)
            session = engine.session(id=t.get("id"), agent=t.get("agent"))
            try:
                for turn in t["turns"]:
                    for finding in session.push(turn):
                        if finding["alert"]:
                            print(f"[{t.get('id')}] ALERT {finding['name']}: {finding['text']}")
            except qa_engine.TranscriptError as err:
                print(f"{argv[2]}:{number}: {err}", file=sys.stderr)
                status = 3
                continue
            report = session.finish()
            verdict = "passed" if report["passed"] else "failed"
            print(f"[{t.get('id')}] score {report['score']:g}, {verdict}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
