"""health / cleanup_uploads."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ._base import RequestModel, ResponseModel

__all__ = ["CleanupRequest", "CleanupResult", "Health"]


class Health(ResponseModel):
    status: str = Field(description="ok | degraded")
    version: str | None = None
    database: str | None = Field(default=None, description="ok | error")
    time: dt.datetime | None = None


class CleanupRequest(RequestModel):
    """Query string of cleanup_uploads.php (run by cron; ``token`` is the cleanup_token setting)."""

    token: str = Field(min_length=1, repr=False)
    older_than_days: int = Field(default=30, ge=0)
    dry_run: bool = False


class CleanupResult(ResponseModel):
    deleted_files: int
    freed_bytes: int
    dry_run: bool = False
