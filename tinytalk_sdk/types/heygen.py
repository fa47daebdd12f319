"""heygen_session (GET: the current one, POST: create) / heygen_start / heygen_ice / heygen_task / heygen_stop."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from ._base import RequestModel, ResponseModel

__all__ = [
    "HeygenIceRequest",
    "HeygenIceResponse",
    "HeygenSession",
    "HeygenSessionCreateRequest",
    "HeygenStartRequest",
    "HeygenStatus",
    "HeygenStopRequest",
    "HeygenTask",
    "HeygenTaskRequest",
]


class HeygenSessionCreateRequest(RequestModel):
    avatar_id: str | None = Field(default=None, max_length=120)
    voice_id: str | None = Field(default=None, max_length=120)
    quality: Literal["low", "medium", "high"] = "medium"
    chat_session_id: int | None = None


class HeygenSession(ResponseModel):
    """A HeyGen streaming session (GET returns the user's latest open one, 404 when none)."""

    session_id: str
    status: str = Field(description="new | started | stopped")
    avatar_id: str | None = None
    url: str | None = Field(default=None, description="LiveKit server URL")
    access_token: str | None = Field(default=None, repr=False)
    ice_servers: list[dict[str, Any]] = Field(default_factory=list)
    sdp: dict[str, Any] | None = Field(default=None, description="server offer {type, sdp}")
    created_at: dt.datetime | None = None


class HeygenStartRequest(RequestModel):
    session_id: str = Field(min_length=1, max_length=120)
    sdp: dict[str, Any] = Field(description="client answer {type, sdp}")


class HeygenStatus(ResponseModel):
    """Answer of heygen_start and heygen_stop."""

    session_id: str
    status: str
    duration_seconds: float | None = None


class HeygenIceRequest(RequestModel):
    session_id: str = Field(min_length=1, max_length=120)
    candidate: dict[str, Any]


class HeygenIceResponse(ResponseModel):
    accepted: bool


class HeygenTaskRequest(RequestModel):
    session_id: str = Field(min_length=1, max_length=120)
    text: str = Field(min_length=1, max_length=2000)
    task_type: Literal["repeat", "talk"] = "repeat"


class HeygenTask(ResponseModel):
    task_id: str
    duration_ms: int | None = None


class HeygenStopRequest(RequestModel):
    session_id: str = Field(min_length=1, max_length=120)
