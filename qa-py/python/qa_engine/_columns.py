"""Shared by `qa_engine.spark` and `qa_engine.ray`: which rubric a caller meant (a path, rubric
text or an Engine), and which report columns of `Engine.score_arrow` are added to a table under
which names. Imports nothing but qa_engine at import time; pyarrow only inside functions, so
qa_engine imports without pyarrow, pyspark or ray installed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Tuple, Union

from ._native import Engine, _rebuild_engine

#: The columns of `Engine.score_arrow`'s result, in its order.
REPORT_COLUMNS = ("id", "agent", "channel", "score", "passed", "fatal", "findings", "error")
#: Report columns that give way to an input column of the same name (without `prefix`).
KEPT_FROM_INPUT = ("id", "agent", "channel")

Rubric = Union[str, "os.PathLike[str]", Engine]
#: What a worker needs to rebuild the engine: the compiled rubric as JSON text, its limits
#: (sorted pairs, hashable) and whether it redacts. The engine cache is keyed by it.
EngineState = Tuple[str, Tuple[Tuple[str, int], ...], bool]


def compile_rubric(
    rubric: Rubric,
    *,
    format: str = "yaml",
    limits: Mapping[str, int] | None = None,
    redact: bool = True,
) -> Engine:
    """The engine for `rubric`, compiled here (on the driver) so that a bad rubric raises
    `RubricError` before any job starts.

    `rubric` is an `Engine`, a path (`os.PathLike`, or a `str` naming an existing file) or the
    rubric's text in `format`. A `str` is text when it holds a newline; else a path when such a
    file exists; else text when it holds a colon (one-line YAML or JSON); anything else is taken
    for a missing file and raises `FileNotFoundError`.
    """
    if isinstance(rubric, Engine):
        if limits is not None or not redact:
            raise ValueError(
                "limits= and redact= apply to a rubric path or text; an Engine was compiled with its own"
            )
        return rubric
    if isinstance(rubric, os.PathLike):
        return Engine.from_file(rubric, limits=limits, redact=redact)
    if not isinstance(rubric, str):
        raise TypeError(
            f"rubric must be a path, rubric text or an Engine, not {type(rubric).__name__}"
        )
    if "\n" not in rubric and os.path.isfile(rubric):
        return Engine.from_file(rubric, limits=limits, redact=redact)
    if "\n" in rubric or ":" in rubric:
        return Engine.from_str(rubric, format, limits=limits, redact=redact)
    raise FileNotFoundError(
        f"rubric file not found: {rubric!r} (rubric text is told from a path by a newline or a colon)"
    )


def engine_state(engine: Engine) -> EngineState:
    """The picklable, hashable state that `cached_engine` rebuilds `engine` from."""
    _, (rubric_json, limits, redact) = engine.__reduce__()
    return (rubric_json, tuple(sorted(limits.items())), redact)


_ENGINES: dict[EngineState, Engine] = {}
_COMPILED = [0]  # compilations in this process, for tests (compilations())


def cached_engine(state: EngineState) -> Engine:
    """The engine of `state`, compiled once per process: a Spark or Ray worker scores every
    batch of every task with the same engine. Keeps the last 8 rubrics."""
    engine = _ENGINES.get(state)
    if engine is None:
        rubric_json, limits, redact = state
        engine = _rebuild_engine(rubric_json, dict(limits), redact)
        _COMPILED[0] += 1
        if len(_ENGINES) >= 8:
            del _ENGINES[next(iter(_ENGINES))]
        _ENGINES[state] = engine
    return engine


def compilations() -> int:
    """How many rubrics `cached_engine` compiled in this process."""
    return _COMPILED[0]


def check_prefix(prefix: str | None) -> None:
    if prefix is not None and (not isinstance(prefix, str) or not prefix):
        raise ValueError(f"prefix must be a non-empty string, not {prefix!r}")


def plan_columns(
    input_names: Sequence[str],
    column: str,
    prefix: str | None,
    *,
    case_sensitive: bool = True,
) -> list[tuple[str, str]]:
    """The report columns to add, as (name in the report, name in the output) pairs.

    Without `prefix`, an input column named `id`, `agent` or `channel` is kept and the report's
    is not added; an input column with the name of any other report column is a `ValueError`
    that suggests `prefix=`. With `prefix`, every report column is prefixed and any clash is a
    `ValueError`. `case_sensitive=False` compares names as Spark does by default.
    """
    check_prefix(prefix)
    if column not in input_names:
        raise ValueError(
            f"no column {column!r} in the input; its columns: {', '.join(map(repr, input_names))}"
        )

    def fold(name: str) -> str:
        return name if case_sensitive else name.casefold()

    taken = {fold(name): name for name in input_names}
    plan = []
    for name in REPORT_COLUMNS:
        out = (prefix or "") + name
        clash = taken.get(fold(out))
        if clash is None:
            plan.append((name, out))
        elif prefix is None and name in KEPT_FROM_INPUT:
            continue
        else:
            hint = "another prefix=" if prefix else "prefix= (e.g. prefix=\"qa_\")"
            raise ValueError(
                f"the input already has a column {clash!r}, the name of a report column: "
                f"pass {hint} to name every report column with a prefix"
            )
    return plan


def append_report(batch: Any, report: Any, plan: Sequence[tuple[str, str]]) -> Any:
    """`batch` (a pyarrow RecordBatch or Table) with the report columns of `plan` appended,
    taken from `report` (the Table that `Engine.score_arrow` returned for `batch`)."""
    import pyarrow as pa  # type: ignore[import-not-found, import-untyped, unused-ignore]

    if report.num_rows != batch.num_rows:  # the contract says one row per input row
        raise RuntimeError(f"score_arrow returned {report.num_rows} rows for {batch.num_rows}")
    if isinstance(batch, pa.Table):
        for name, out in plan:
            batch = batch.append_column(out, report.column(name))
        return batch
    arrays = list(batch.columns)
    fields = list(batch.schema)
    for name, out in plan:
        arrays.append(report.column(name).combine_chunks())
        fields.append(report.schema.field(name).with_name(out))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields, batch.schema.metadata))
