"""Scores a PySpark DataFrame of transcripts: `score(df, rubric)` is `df` with the report columns
of `Engine.score_arrow` added, computed by `DataFrame.mapInArrow` on the executors.

The rubric is compiled on the driver (a bad rubric raises before any job) and shipped to the
Python workers as its compiled JSON text; each worker process compiles it once and keeps it
(`qa_engine._columns.cached_engine`), whatever number of tasks and batches it scores. pyspark
is imported only when `score` is called. See docs/scale.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ._columns import (
    EngineState,
    Rubric,
    append_report,
    cached_engine,
    compile_rubric,
    engine_state,
    plan_columns,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as _DataFrame  # type: ignore[import-not-found, import-untyped, unused-ignore]

__all__ = ["score", "report_schema"]


def report_schema() -> Any:
    """The report columns of `Engine.score_arrow` as a PySpark `StructType` (contract: `id`,
    `agent`, `channel` strings, `score` double, `passed`/`fatal` booleans, `findings`
    array<struct<rule, kind, severity, deduct double, turn/start/end long, text>>, `error`)."""
    from pyspark.sql import types as T  # type: ignore[import-not-found, import-untyped, unused-ignore]

    string, double, long, boolean = T.StringType(), T.DoubleType(), T.LongType(), T.BooleanType()
    finding = T.StructType(
        [
            T.StructField("rule", string),
            T.StructField("kind", string),
            T.StructField("severity", string),
            T.StructField("deduct", double),
            T.StructField("turn", long),
            T.StructField("start", long),
            T.StructField("end", long),
            T.StructField("text", string),
        ]
    )
    return T.StructType(
        [
            T.StructField("id", string),
            T.StructField("agent", string),
            T.StructField("channel", string),
            T.StructField("score", double),
            T.StructField("passed", boolean),
            T.StructField("fatal", boolean),
            T.StructField("findings", T.ArrayType(finding)),
            T.StructField("error", string),
        ]
    )


def score(
    df: _DataFrame,
    rubric: Rubric,
    column: str = "transcript",
    *,
    prefix: str | None = None,
    format: str = "yaml",
    limits: Mapping[str, int] | None = None,
    redact: bool = True,
) -> _DataFrame:
    """`df` with the report columns added: `id`, `agent`, `channel`, `score`, `passed`,
    `fatal`, `findings`, `error`, one report per row, lazily (a transformation, like any).

    `rubric`: a path (read on the driver), the rubric's text in `format`, or an `Engine`; a
    `str` is text when it holds a newline, else a path when that file exists, else text when
    it holds a colon (`FileNotFoundError` otherwise). `column`: JSON text (string or binary) or
    a struct `{id, agent, channel, meta, turns: array<struct{speaker, text, start, end}>}`.
    A row that cannot be read gets its message in `error` (and null score); the job goes on.

    Names: an input column `id`, `agent` or `channel` is kept and the report's is not added;
    an input column named like another report column is a `ValueError` that suggests
    `prefix=`, which prefixes every report column (`prefix="qa_"`: `qa_score`, ...). Names
    are compared as the session's `spark.sql.caseSensitive` says.
    """
    from pyspark.sql import types as T  # type: ignore[import-not-found, import-untyped, unused-ignore]

    if column not in df.columns:
        plan_columns(df.columns, column, prefix)  # raises, naming the columns there are
    kind = df.schema[column].dataType
    if not isinstance(kind, (T.StringType, T.BinaryType, T.StructType)):
        raise ValueError(
            f"column {column!r} is {kind.simpleString()}: it must hold JSON text (string or "
            "binary) or transcript structs"
        )
    case_sensitive = df.sparkSession.conf.get("spark.sql.caseSensitive", "false") == "true"
    plan = plan_columns(df.columns, column, prefix, case_sensitive=case_sensitive)
    state = engine_state(compile_rubric(rubric, format=format, limits=limits, redact=redact))

    fields = {f.name: f for f in report_schema().fields}
    schema = T.StructType(
        list(df.schema.fields)
        + [T.StructField(out, fields[name].dataType, True) for name, out in plan]
    )

    def score_batches(batches: Iterator[Any]) -> Iterator[Any]:
        return _score_batches(batches, state, column, plan)

    return df.mapInArrow(score_batches, schema)


def _score_batches(
    batches: Iterator[Any], state: EngineState, column: str, plan: list[tuple[str, str]]
) -> Iterator[Any]:
    """Runs in a Python worker: one engine per process, each Arrow batch scored in Rust."""
    engine = cached_engine(state)
    for batch in batches:
        # jobs=1: Spark runs one Python worker per core already
        yield append_report(batch, engine.score_arrow(batch, column, jobs=1), plan)
