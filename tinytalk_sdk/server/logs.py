"""Logging of ``tinytalk serve``: uvicorn's loggers (access log included) through the redacting formatter.

uvicorn's own default config prints the access line ``"GET /api/gpt_stream.php?token=<bearer>"`` raw;
this config keeps uvicorn's line shapes and routes them through
:class:`tinytalk_sdk._logs.RedactingFormatter`.
"""

from __future__ import annotations

import logging
from typing import Any

from .._logs import RedactingFormatter

__all__ = ["access_formatter", "uvicorn_log_config"]

_FORMATTER = "tinytalk_sdk._logs.RedactingFormatter"
_ACCESS = '%(levelname)s:     %(client_addr)s - "%(request_line)s" %(status_code)s'


def access_formatter(fmt: str) -> logging.Formatter:
    """uvicorn's access formatter (it unpacks the request line), with redaction around it."""
    from uvicorn.logging import AccessFormatter

    return RedactingFormatter(inner=AccessFormatter(fmt, use_colors=False))


def uvicorn_log_config(*, debug: bool) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn: stderr, redacted, DEBUG with ``debug`` else WARNING."""
    level = "DEBUG" if debug else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {"()": _FORMATTER, "fmt": "%(levelname)s:     %(name)s: %(message)s"},
            "access": {"()": "tinytalk_sdk.server.logs.access_formatter", "fmt": _ACCESS},
        },
        "handlers": {
            "default": {"formatter": "default", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
            "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO" if debug else "WARNING",
                               "propagate": False},
        },
    }
