"""Shared paths and fixtures. Paths come from this file, never from the working directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest

import qa_engine

QA_PY = Path(__file__).resolve().parents[1]
ROOT = QA_PY.parent
TESTDATA = ROOT / "testdata"
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples" / "python"

RUBRIC_YAML = """\
rubric: 售后质检
version: "1"
scoring: {base: 100, pass: 80}
lists:
  greeting: [您好, 你好, hello]
rules:
  - id: greeting
    name: 开场问候
    category: 服务规范
    kind: require
    window: {first: 1}
    match: ["@greeting"]
    deduct: 5
  - id: rude
    name: 服务禁语
    category: 服务规范
    kind: forbid
    match: [这是规定, 爱买不买, "don't care"]
    deduct: 10
    max_deduct: 30
    alert: true
  - id: promise
    kind: forbid
    match: [保本, 稳赚]
    negation: skip
    fatal: true
  - id: ask-code
    kind: respond
    when: {role: customer, match: [报警, 故障]}
    expect: {role: agent, match: [报警代码, 故障代码]}
    within: {turns: 1}
    deduct: 10
"""


def conversation(i: int = 0) -> Dict[str, Any]:
    """A small conversation; `i` varies its content so that reports differ."""
    turns = [
        {"speaker": "customer", "text": f"第{i}次了，设备又报警了", "start": 0.0, "end": 2.0},
        {"speaker": "agent", "text": "您好" if i % 2 else "在的", "start": 3.0},
        {"speaker": "agent", "text": "这是规定 😀" * (i % 3), "start": 5.0},
    ]
    return {"id": f"c{i}", "agent": f"A{i % 4}", "channel": "chat", "turns": turns}


@pytest.fixture(scope="session")
def engine() -> qa_engine.Engine:
    return qa_engine.Engine.from_str(RUBRIC_YAML)
