"""The same input gives the same output: run after run, with any number of threads, and from
Python as from the `qa` command line (reports compared as parsed JSON values)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import qa_engine
from conftest import ROOT, TESTDATA

RUBRIC = TESTDATA / "rubrics" / "spec-example.yaml"
SAMPLE = TESTDATA / "corpus" / "stc3-sample.jsonl"


def transcripts() -> List[Dict[str, Any]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


def dumps(reports: List[Dict[str, Any]]) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in reports)


def test_same_bytes_across_runs_and_jobs() -> None:
    engine = qa_engine.Engine.from_file(RUBRIC)
    ts = transcripts() * 4
    first = dumps([engine.score(t) for t in ts])
    assert dumps([engine.score(t) for t in ts]) == first
    for jobs in (1, 2, 8):
        assert dumps(engine.score_many(ts, jobs=jobs)) == first
    # a fresh engine, and one that went through pickle, agree too
    import pickle

    again = pickle.loads(pickle.dumps(qa_engine.Engine.from_file(RUBRIC)))
    assert dumps([again.score(t) for t in ts]) == first


def qa_binary() -> Optional[Path]:
    """The most recently built `qa` binary of this workspace, if any."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    found = [p for p in (target / "debug" / "qa", target / "release" / "qa") if p.is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def test_python_and_cli_give_the_same_reports() -> None:
    qa = qa_binary()
    if qa is None:
        pytest.skip("no qa binary built (cargo build -p qa-cli)")
    engine = qa_engine.Engine.from_file(RUBRIC)
    for jobs in ("1", "2"):
        out = subprocess.run(
            [str(qa), "score", str(RUBRIC), str(SAMPLE), "--jobs", jobs, "--no-progress"],
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")
        cli = [json.loads(line) for line in out.splitlines()]
        ts = transcripts()
        assert len(cli) == len(ts)
        for t, from_cli in zip(ts, cli):
            assert engine.score(t) == from_cli, t.get("id")
