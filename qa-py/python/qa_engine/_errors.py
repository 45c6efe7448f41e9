"""The exceptions qa_engine raises. The native module builds them (qa-py/src/errors.rs)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

__all__ = ["RubricError", "TranscriptError"]


class RubricError(ValueError):
    """A rubric that cannot be used: every problem found in it, not just the first.

    ``str(err)`` is every problem, one per line, as ``file:line:col: message``.
    ``kind``, ``line``, ``column``, ``rule`` and ``help`` describe the first problem;
    ``errors`` lists them all as dicts with the keys ``kind``, ``message``, ``line``,
    ``column``, ``rule`` and ``help``. ``line`` and ``column`` are 1-based (the column
    counts characters) and ``None`` where the rubric has no text positions (``from_dict``).
    """

    kind: str
    line: Optional[int]
    column: Optional[int]
    rule: Optional[str]
    help: Optional[str]
    file: Optional[str]
    errors: List[Dict[str, Any]]

    def __init__(
        self,
        message: str,
        errors: Optional[List[Dict[str, Any]]] = None,
        file: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.errors = list(errors or [])
        first: Dict[str, Any] = self.errors[0] if self.errors else {}
        self.kind = first.get("kind", "invalid_value")
        self.line = first.get("line")
        self.column = first.get("column")
        self.rule = first.get("rule")
        self.help = first.get("help")
        self.file = file


class TranscriptError(ValueError):
    """A transcript or turn that cannot be scored.

    ``kind`` is what is wrong (``missing_field``, ``wrong_type``, ``invalid_value``,
    ``transcript_too_large``, ``too_many_turns``, ``turn_too_long``, ``too_deep``,
    ``meta_too_large``, ``syntax``: the names
    of the Rust core and of Node's ``code``), ``turn`` the 0-based
    index of the turn at fault and ``field`` the field at fault (``turns``, ``speaker``,
    ``text``, ``start``, ``end``, ``meta`` …), each ``None`` when it does not apply.
    ``index`` is the position of the transcript in a ``score_many`` batch. ``line`` and
    ``column`` (1-based) locate a ``syntax`` error in JSON text (``score_json``).
    """

    kind: str
    turn: Optional[int]
    field: Optional[str]
    index: Optional[int]
    line: Optional[int]
    column: Optional[int]

    def __init__(
        self,
        message: str,
        kind: str = "invalid_value",
        turn: Optional[int] = None,
        field: Optional[str] = None,
        index: Optional[int] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.turn = turn
        self.field = field
        self.index = index
        self.line = line
        self.column = column
