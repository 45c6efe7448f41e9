"""qa_engine: quality inspection (客服质检) of customer-service conversations.

Compile a rubric once into an :class:`Engine`, then score transcripts (plain dicts) into
reports (plain dicts)::

    import qa_engine

    engine = qa_engine.Engine.from_file("rubric.yaml")
    report = engine.score({"turns": [{"speaker": "agent", "text": "您好"}]})

See docs/python.md for the whole API.
"""

from ._errors import RubricError, TranscriptError
from ._native import Engine, Session, __version__

__all__ = ["Engine", "Session", "RubricError", "TranscriptError", "__version__"]
