"""Read big result sets through a server-side cursor, with driver errors mapped to DatabaseError."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .._exceptions import DatabaseError
from .._redact import redact

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["stream_rows"]


def stream_rows(engine: Engine, stmt: Any, *, batch: int = 1000) -> Iterator[Any]:
    """Rows of ``stmt``, ``batch`` at a time: ``yield_per`` buffers one batch; on PyMySQL
    ``stream_results`` picks the unbuffered ``SSCursor`` (the default cursor would fetch everything)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
            try:
                yield from result
            finally:
                result.close()
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise DatabaseError(f"database {redact(engine.url.render_as_string(hide_password=True))}: "
                            f"{redact(first)}") from None
