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
        path: str | PathLike[str], *, limits: Mapping[str, int] | None = None
    ) -> Engine: ...
    @staticmethod
    def from_str(
        text: str,
        format: str = "yaml",
        *,
        limits: Mapping[str, int] | None = None,
    ) -> Engine: ...
    @staticmethod
    def from_dict(
        rubric: Mapping[str, Any], *, limits: Mapping[str, int] | None = None
    ) -> Engine: ...
    def score(self, transcript: Mapping[str, Any]) -> dict[str, Any]: ...
    @overload
    def score_many(
        self,
        transcripts: Iterable[Mapping[str, Any]],
        jobs: int | None = None,
        *,
        errors: Literal["raise"] = "raise",
    ) -> list[dict[str, Any]]: ...
    @overload
    def score_many(
        self,
        transcripts: Iterable[Mapping[str, Any]],
        jobs: int | None = None,
        *,
        errors: Literal["return"],
    ) -> list[dict[str, Any] | TranscriptError]: ...
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
    def __reduce__(self) -> tuple[Any, tuple[str, dict[str, int]]]: ...

@final
class Session:
    """One conversation scored turn by turn (from `Engine.session`)."""

    def push(self, turn: Mapping[str, Any]) -> list[dict[str, Any]]: ...
    def finish(self) -> dict[str, Any]: ...
    @property
    def turn_count(self) -> int: ...
    @property
    def finished(self) -> bool: ...

def _rebuild_engine(rubric_json: str, limits: Mapping[str, int]) -> Engine: ...
