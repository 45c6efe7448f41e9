# Types of the native module (qa-py/src). Checked against it by `python -m mypy.stubtest`.
from collections.abc import Iterable, Mapping
from os import PathLike
from typing import Any, Literal, final, overload

from ._errors import TranscriptError

__all__ = ["Engine", "Session"]

__version__: str

@final
class Engine:
    """A compiled rubric; immutable, safe to share between threads, picklable."""

    @staticmethod
    def from_file(
        path: str | PathLike[str],
        *,
        limits: Mapping[str, int] | None = None,
        redact: bool = True,
    ) -> Engine:
        """Reads and compiles a rubric file. `redact=False`: findings' text is the original,
        not masked by the rubric's `redact` (for auditors); reports then carry no
        `"redacted": true`."""
    @staticmethod
    def from_str(
        text: str,
        format: str = "yaml",
        *,
        limits: Mapping[str, int] | None = None,
        redact: bool = True,
    ) -> Engine: ...
    @staticmethod
    def from_dict(
        rubric: Mapping[str, Any],
        *,
        limits: Mapping[str, int] | None = None,
        redact: bool = True,
    ) -> Engine: ...
    @property
    def redacts(self) -> bool:
        """Whether findings' text is masked: the rubric has `redact` and it is on."""
    def redact_text(self, text: str) -> str:
        """`text` with the rubric's `redact` applied, one character for one."""
    def score(self, transcript: Mapping[str, Any]) -> dict[str, Any]: ...
    def score_json(self, text: str | bytes | bytearray) -> dict[str, Any]:
        """Scores the JSON text of one transcript (`str`, or UTF-8 `bytes`), read by the core
        with the engine's limits without the GIL; the same report as `score` on the dict.
        Text that does not parse: `TranscriptError` of kind `syntax`, with `line`/`column`."""
    @overload
    def score_many(
        self,
        transcripts: Iterable[Mapping[str, Any] | str | bytes | bytearray],
        jobs: int | None = None,
        *,
        errors: Literal["raise"] = "raise",
    ) -> list[dict[str, Any]]:
        """Scores `transcripts` in parallel without the GIL; the reports keep the input order.

        `jobs`: threads to score on, 1 to 256 (else `ValueError`), capped at 4 per core the
        process may use; the default is one per core, and 1 scores on the calling thread. At
        most two thread pools are kept (the sizes used last). Safe in a forked child: it
        starts threads of its own. An item is a transcript dict or its JSON text (`str` or
        UTF-8 `bytes`, read as `score_json` reads it), mixed freely. With `errors="return"` a bad transcript's
        `TranscriptError` takes its place in the result instead of being raised.
        """
    @overload
    def score_many(
        self,
        transcripts: Iterable[Mapping[str, Any] | str | bytes | bytearray],
        jobs: int | None = None,
        *,
        errors: Literal["return"],
    ) -> list[dict[str, Any] | TranscriptError]:
        """As above; `jobs` is capped at 4 threads per core, see the first overload."""
    def score_arrow(
        self, data: object, column: str = "transcript", *, jobs: int | None = None
    ) -> Any:
        """Scores a column of Arrow data; returns a `pyarrow.Table`, one report row per input row.

        `data`: a pyarrow Table, RecordBatch or RecordBatchReader, a polars DataFrame, or
        anything with `__arrow_c_stream__` or `__arrow_c_array__` (an array or chunked array is
        taken as the column itself). `column` holds JSON text (utf8, large_utf8, utf8_view,
        binary, large_binary) or structs `{id, agent, channel, meta, turns: list<{speaker,
        text, start, end}>}`. The result's columns: `id, agent, channel, score, passed, fatal,
        findings (list<struct{rule, kind, severity, deduct, turn, start, end, text}>), error`;
        a row that cannot be read has its message in `error` (never an exception). A missing
        column or one of another type: `ValueError`. Scored in parallel without the GIL,
        `jobs` as in `score_many`. Needs pyarrow, imported only when called.
        """
    def session(
        self,
        *,
        id: str | int | None = None,
        agent: str | int | None = None,
        channel: str | int | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Session: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str | None: ...
    @property
    def limits(self) -> dict[str, int]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __reduce__(self) -> tuple[Any, tuple[str, dict[str, int], bool]]: ...

@final
class Session:
    """One conversation scored turn by turn (from `Engine.session`)."""

    def push(self, turn: Mapping[str, Any]) -> list[dict[str, Any]]: ...
    def finish(self) -> dict[str, Any]: ...
    @property
    def turn_count(self) -> int: ...
    @property
    def finished(self) -> bool: ...

def _rebuild_engine(
    rubric_json: str, limits: Mapping[str, int], redact: bool = True
) -> Engine: ...
