"""A UTF-8 BOM before a rubric: YAML and TOML take it; JSON should too (issue 16, a qa-core
fix: the test of JSON is expected to fail until it is made)."""

from __future__ import annotations

from pathlib import Path

import pytest

import qa_engine

BOM_RUBRICS = {
    "yaml": "rubric: r\nrules:\n  - {id: a, kind: forbid, match: [x]}\n",
    "toml": 'rubric = "r"\n[[rules]]\nid = "a"\nkind = "forbid"\nmatch = ["x"]\n',
    "json": '{"rubric": "r", "rules": [{"id": "a", "kind": "forbid", "match": ["x"]}]}',
}


def read_with_bom(tmp_path: Path, fmt: str) -> None:
    assert qa_engine.Engine.from_str("\ufeff" + BOM_RUBRICS[fmt], fmt).name == "r"
    path = tmp_path / f"bom.{fmt}"
    path.write_bytes(b"\xef\xbb\xbf" + BOM_RUBRICS[fmt].encode())
    assert qa_engine.Engine.from_file(path).name == "r"


@pytest.mark.parametrize("fmt", ["yaml", "toml"])
def test_a_rubric_with_a_bom(tmp_path: Path, fmt: str) -> None:
    read_with_bom(tmp_path, fmt)


def test_a_json_rubric_with_a_bom_like_yaml_and_toml(tmp_path: Path) -> None:
    read_with_bom(tmp_path, "json")
