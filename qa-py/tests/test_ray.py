"""qa_engine.ray.score on a local Ray (two CPUs, no dashboard; v1.1 additions §5, issue 13):
report columns equal to `Engine.score` row by row, a bad row's error while the rest are
scored, the input's columns kept, prefix= and name clashes. qa-py/test-scale.sh installs
ray[data] and runs this; qa-py/test.sh skips it when ray is missing. One Ray instance for the
module (a few seconds to start)."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List, Optional

import pytest

import qa_engine
from conftest import RUBRIC_YAML
from scale_cases import RICH_RUBRIC, REPORT_COLUMNS, check_row, generated, need, texts

need("ray")
need("pyarrow")

import pyarrow as pa  # type: ignore[import-not-found, import-untyped, unused-ignore]
import ray  # type: ignore[import-not-found, import-untyped, unused-ignore]
import ray.data  # type: ignore[import-not-found, import-untyped, unused-ignore]

import qa_engine.ray


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        object_store_memory=200 * 1024 * 1024,
    )
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def rich() -> qa_engine.Engine:
    return qa_engine.Engine.from_file(RICH_RUBRIC)


def dataset(rows: List[Optional[str]], blocks: int = 3, **extra: List[Any]) -> Any:
    """A dataset of `blocks` in-memory blocks: `row`, `transcript` (JSON text) and `extra`."""
    columns: Dict[str, Any] = {"row": list(range(len(rows))), "transcript": rows}
    columns.update(extra)
    table = pa.table(columns)
    size = -(-len(rows) // blocks)
    return ray.data.from_arrow([table.slice(k * size, size) for k in range(blocks)])


def by_row(ds: Any) -> Dict[int, Dict[str, Any]]:
    """Every row of `ds`, by its `row` value (the order of blocks is not kept)."""
    tables = ray.get(ds.to_arrow_refs())
    return {r["row"]: r for t in tables for r in t.to_pylist()}


def test_json_text_rows_equal_engine_score(rich: qa_engine.Engine) -> None:
    rows = texts()
    notes = [f"note {i} 备注" for i in range(len(rows))]
    out = qa_engine.ray.score(dataset(rows, note=notes), str(RICH_RUBRIC), batch_size=16)
    got = by_row(out)
    assert list(out.schema().names) == ["row", "transcript", "note"] + REPORT_COLUMNS
    assert sorted(got) == list(range(len(rows)))
    errors = 0
    for i, text in enumerate(rows):
        assert got[i]["transcript"] == text and got[i]["note"] == notes[i]
        check_row(rich, text, got[i])
        errors += got[i]["error"] is not None
    assert errors == 5 and len(rows) == 95
    assert sum(len(r["findings"] or []) for r in got.values()) > 100


def test_struct_column_and_two_actors(rich: qa_engine.Engine) -> None:
    convs = generated(60)
    table = pa.table({"row": list(range(len(convs))), "conv": convs})
    blocks = [table.slice(k * 15, 15) for k in range(4)]
    out = qa_engine.ray.score(ray.data.from_arrow(blocks), rich, "conv", concurrency=2, batch_size=8)
    got = by_row(out)
    for i, c in enumerate(convs):
        check_row(rich, json.dumps(c), got[i])
        assert got[i]["conv"]["id"] == c["id"]


def test_input_id_agent_channel_are_kept() -> None:
    rows = texts(10)
    ds = dataset(rows, id=[f"mine-{i}" for i in range(len(rows))], agent=["我的坐席"] * len(rows))
    out = qa_engine.ray.score(ds, RUBRIC_YAML)
    got = by_row(out)
    assert list(out.schema().names) == ["row", "transcript", "id", "agent"] + REPORT_COLUMNS[2:]
    assert all(got[i]["id"] == f"mine-{i}" and got[i]["agent"] == "我的坐席" for i in got)
    chat = [i for i, t in enumerate(rows) if t and '"channel": "chat"' in t]
    assert chat and all(got[i]["channel"] == "chat" for i in chat)  # the report's channel


def test_prefix_names_every_report_column() -> None:
    engine = qa_engine.Engine.from_str(RUBRIC_YAML)
    rows = texts(10)
    ds = dataset(rows, id=["x"] * len(rows), score=[1.5] * len(rows))
    out = qa_engine.ray.score(ds, RUBRIC_YAML, prefix="qa_")
    names = ["row", "transcript", "id", "score"] + ["qa_" + c for c in REPORT_COLUMNS]
    assert list(out.schema().names) == names
    for i, r in by_row(out).items():
        assert r["id"] == "x" and r["score"] == 1.5
        check_row(engine, rows[i], {c: r["qa_" + c] for c in REPORT_COLUMNS})


@pytest.mark.parametrize("name", ["score", "passed", "fatal", "findings", "error"])
def test_clash_raises_and_suggests_prefix(name: str) -> None:
    ds = dataset(["{}"], 1, **{name: [1]})
    with pytest.raises(ValueError, match=f"'{name}'.*prefix="):
        qa_engine.ray.score(ds, RUBRIC_YAML)
    clashing = dataset(["{}"], 1, **{name: [1], "qa_fatal": [2]})
    with pytest.raises(ValueError, match="'qa_fatal'.*another prefix="):
        qa_engine.ray.score(clashing, RUBRIC_YAML, prefix="qa_")


def test_bad_arguments() -> None:
    ds = dataset(["{}"], 1)
    with pytest.raises(ValueError, match="no column 'text'.*'row', 'transcript'"):
        qa_engine.ray.score(ds, RUBRIC_YAML, "text")
    with pytest.raises(ValueError, match="prefix must be a non-empty string"):
        qa_engine.ray.score(ds, RUBRIC_YAML, prefix="")
    with pytest.raises(FileNotFoundError, match="rubric file not found"):
        qa_engine.ray.score(ds, "nowhere.yaml")
    with pytest.raises(qa_engine.RubricError):  # on the driver, before any actor starts
        qa_engine.ray.score(ds, "rubric: 坏\nrules: [{id: x, kind: nope}]\n")
