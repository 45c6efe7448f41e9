"""Scores a Ray Dataset of transcripts: `score(ds, rubric)` is `ds` with the report columns of
`Engine.score_arrow` added, computed by `Dataset.map_batches` with a callable class (its
actors compile the rubric once, in `__init__`) on pyarrow batches.

The rubric is compiled on the driver (a bad rubric raises before any job) and shipped to the
actors as its compiled JSON text. ray is imported only when `score` is called. See
docs/scale.md.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._columns import (
    EngineState,
    Rubric,
    append_report,
    cached_engine,
    check_prefix,
    compile_rubric,
    engine_state,
    plan_columns,
)

if TYPE_CHECKING:
    from ray.data import Dataset as _Dataset  # type: ignore[import-not-found, import-untyped, unused-ignore]

__all__ = ["score"]


def score(
    ds: _Dataset,
    rubric: Rubric,
    column: str = "transcript",
    *,
    prefix: str | None = None,
    format: str = "yaml",
    limits: Mapping[str, int] | None = None,
    redact: bool = True,
    concurrency: int | tuple[int, int] = 1,
    batch_size: int | None = 4096,
    **map_batches_args: Any,
) -> _Dataset:
    """`ds` with the report columns added: `id`, `agent`, `channel`, `score`, `passed`,
    `fatal`, `findings`, `error`, one report per row, lazily (like any Ray Data transform).

    `rubric`, `column`, `prefix`, `format`, `limits` and `redact` as in
    `qa_engine.spark.score`: a `str` rubric is text when it holds a newline, else a path
    (read here, on the driver) when that file exists, else text when it holds a colon; an
    input column `id`, `agent` or `channel` is kept, any other clash with a report column is
    a `ValueError` that suggests `prefix=`; a bad row gets its message in `error`.

    `concurrency`: the number of scoring actors (or a `(min, max)` autoscaling range), each
    taking one CPU (unless `num_cpus=` says otherwise) and scoring on one thread;
    `batch_size`: rows per batch. Other keywords go to `Dataset.map_batches` as they are
    (`num_cpus`, `memory`, `runtime_env`, ...).
    """
    check_prefix(prefix)
    cpus = map_batches_args.get("num_cpus", 1)
    jobs = max(1, int(cpus))  # an actor scores on as many threads as it has CPUs
    schema = ds.schema()
    if schema is not None:  # known without running: name errors raise now, not in an actor
        plan_columns(list(schema.names), column, prefix)
    state = engine_state(compile_rubric(rubric, format=format, limits=limits, redact=redact))
    return ds.map_batches(
        _Scorer,
        fn_constructor_kwargs={"state": state, "column": column, "prefix": prefix, "jobs": jobs},
        batch_format="pyarrow",
        batch_size=batch_size,
        **{"num_cpus": cpus, **_actors(ds, concurrency), **map_batches_args},
    )


def _actors(ds: _Dataset, concurrency: int | tuple[int, int]) -> dict[str, Any]:
    """The arguments that size the actor pool, in the form the installed Ray wants:
    `concurrency=` from Ray 2.9 to 2.50, `compute=ActorPoolStrategy(...)` before and since
    (2.51 deprecated `concurrency`); and `udf_modifying_row_count=False` where Ray takes it
    (one report per row lets it push a limit down)."""
    import ray  # type: ignore[import-not-found, import-untyped, unused-ignore]

    params = inspect.signature(ds.map_batches).parameters
    args: dict[str, Any] = {}
    if "udf_modifying_row_count" in params:
        args["udf_modifying_row_count"] = False
    version = tuple(int(p) for p in ray.__version__.split(".")[:2] if p.isdigit())
    if "concurrency" in params and (2, 9) <= version < (2, 51):
        args["concurrency"] = concurrency
        return args
    from ray.data import ActorPoolStrategy  # type: ignore[import-not-found, import-untyped, unused-ignore]

    if isinstance(concurrency, tuple):
        args["compute"] = ActorPoolStrategy(min_size=concurrency[0], max_size=concurrency[1])
    else:
        args["compute"] = ActorPoolStrategy(size=concurrency)
    return args


class _Scorer:
    """One Ray actor's scorer: the engine compiled once, in `__init__`."""

    def __init__(self, state: EngineState, column: str, prefix: str | None, jobs: int) -> None:
        self._engine = cached_engine(state)
        self._column = column
        self._prefix = prefix
        self._jobs = jobs

    def __call__(self, batch: Any) -> Any:
        plan = plan_columns(batch.column_names, self._column, self._prefix)
        return append_report(batch, self._engine.score_arrow(batch, self._column, jobs=self._jobs), plan)
