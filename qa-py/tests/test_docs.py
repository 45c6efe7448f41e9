"""docs/python.md runs: every ```python block, in order, in one namespace, must print exactly
the ```text blocks that follow it. The examples in examples/python run too."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from conftest import DOCS, EXAMPLES, TESTDATA

FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)


def blocks(path: Path) -> List[Tuple[str, str]]:
    """(python code, its expected output) for each python block of a markdown file."""
    out: List[Tuple[str, str]] = []
    for lang, body in FENCE.findall(path.read_text(encoding="utf-8")):
        if lang == "python":
            out.append((body, ""))
        elif lang == "text" and out:
            code, expected = out[-1]
            out[-1] = (code, expected + body)
    return out


@pytest.fixture(scope="module")
def python_md() -> Dict[str, Any]:
    """Runs docs/python.md; returns its namespace."""
    namespace: Dict[str, Any] = {"__name__": "__docs__"}
    for code, expected in blocks(DOCS / "python.md"):
        if any(
            f"import {m}" in code and importlib.util.find_spec(m) is None
            for m in ("pandas", "pyarrow")
        ):
            continue
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            exec(compile(code, "docs/python.md", "exec"), namespace)
        assert stdout.getvalue() == expected, f"block:\n{code}"
    return namespace


def test_python_md_runs_and_prints_what_it_says(python_md: Dict[str, Any]) -> None:
    assert "report" in python_md


def test_first_example_is_import_and_score() -> None:
    code, expected = blocks(DOCS / "python.md")[0]
    assert code.startswith("import qa_engine\n")
    assert "engine.score(" in code and expected


def test_pandas_recipe(python_md: Dict[str, Any]) -> None:
    pytest.importorskip("pandas")
    df, findings, engine = python_md["df"], python_md["findings"], python_md["engine"]
    for _, row in df.iterrows():
        report = engine.score(row["transcript"])
        assert row["score"] == report["score"]
        assert row["passed"] == report["passed"]
        assert row["fatal"] == report["fatal"]
        assert row["rules"] == sorted({f["rule"] for f in report["findings"]})
    n = sum(len(engine.score(t)["findings"]) for t in df["transcript"])
    assert len(findings) == n
    assert list(findings.columns[:3]) == ["rule", "name", "kind"]


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_examples_run(example: Path, tmp_path: Path) -> None:
    jsonl = tmp_path / "calls.jsonl"
    jsonl.write_text(
        '{"id": "c1", "agent": "A1", "turns": [{"speaker": "agent", "text": "您好，这是规定"}]}\n'
        '{"id": "c2", "agent": "A2", "turns": [{"speaker": "customer", "text": "设备报警了"}]}\n'
        '{"id": "c3", "turns": [{"speaker": "agent"}]}\n',
        encoding="utf-8",
    )
    rubric = TESTDATA / "rubrics" / "spec-example.yaml"
    proc = subprocess.run(
        [sys.executable, str(example), str(rubric), str(jsonl)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 3), proc.stderr
    assert proc.stdout.strip(), proc.stderr
