"""Every log line through redaction: one formatter, one installer, one list of loggers kept quiet.

:class:`RedactingFormatter` formats a record as usual (message, arguments, traceback) and then masks the
whole text with :func:`~tinytalk_sdk._redact.redact` plus :func:`mask_query` (``?token=…``,
``cleanup_uploads.php?token=…``). Masking the finished text rather than ``record.msg`` catches secrets in
arguments, in exception messages and in tracebacks alike.

:func:`install_redaction` puts it on every handler of a logger (the root logger that ``--debug`` sets up)
and turns down the loggers whose DEBUG lines carry request payloads — SQL statements with their
parameters (a pupil's message text, PIN and token hashes) and vendor SDK request dumps — so that
``--debug`` shows what happened, not what the child said.
"""

from __future__ import annotations

import logging
import re

from ._redact import redact

__all__ = ["QUIET_LOGGERS", "RedactingFormatter", "install_redaction", "mask_query"]

# Query parameters that carry a secret — the SSE bearer token (EventSource cannot send headers), the
# cleanup token, key-like names a vendor URL may use — or a pupil's words (the SSE GET form carries the
# message in the query).
_QUERY_SECRET = re.compile(
    r"(?i)([?&](?:token|access_token|api_token|api_key|key|cleanup_token|password|pin|secret|message|text|prompt)=)"
    r"[^&\s\"']*")

# Loggers whose DEBUG/INFO lines carry bodies: SQLAlchemy logs statements with bound parameters,
# openai logs its request options (the messages), httpcore logs raw headers.
QUIET_LOGGERS: dict[str, int] = {
    "sqlalchemy.engine": logging.WARNING,
    "sqlalchemy.pool": logging.WARNING,
    "openai": logging.INFO,
    "httpcore": logging.INFO,
    "multipart": logging.INFO,
    "python_multipart": logging.INFO,
    "elevenlabs": logging.INFO,
    "aiosqlite": logging.INFO,
    "pymysql": logging.INFO,
}


def mask_query(text: str) -> str:
    """``/api/gpt_stream.php?session_id=1&message=hi&token=abc`` → ``…&message=***&token=***``."""
    return _QUERY_SECRET.sub(r"\1***", text)


class RedactingFormatter(logging.Formatter):
    """A formatter whose output never holds a registered or recognisable secret."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None, style: str = "%",
                 *, inner: logging.Formatter | None = None) -> None:
        super().__init__(fmt, datefmt, style)  # type: ignore[arg-type]
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        text = self.inner.format(record) if self.inner is not None else super().format(record)
        return redact(mask_query(text))


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Wrap the formatter of every handler of ``logger`` (default: root) and quiet :data:`QUIET_LOGGERS`."""
    target = logger if logger is not None else logging.getLogger()
    for handler in target.handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            handler.setFormatter(RedactingFormatter(inner=handler.formatter or logging.Formatter()))
    for name, level in QUIET_LOGGERS.items():
        quiet = logging.getLogger(name)
        if quiet.level == logging.NOTSET or quiet.level < level:
            quiet.setLevel(level)
