"""create_session / resume_session / get_sessions / get_chat_history / session_save / session_summarize."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from ._base import RequestModel, ResponseModel, Usage

__all__ = [
    "ChatHistoryRequest",
    "ChatHistoryResponse",
    "ChatMessage",
    "ChatSession",
    "CreateSessionRequest",
    "ResponseMode",
    "ResumeSessionRequest",
    "SessionIdRequest",
    "SessionListRequest",
    "SessionListResponse",
    "SessionResponse",
    "SessionSaveRequest",
    "SessionSummary",
]

ResponseMode = Literal["text", "audio", "video"]


class ChatSession(ResponseModel):
    id: int
    user_id: int
    persona_id: int | None = None
    character_id: int | None = None
    title: str | None = None
    session_date: dt.date
    status: str = Field(description="active | saved | ended")
    avatar_provider: str | None = None
    response_mode: str = "audio"
    summary: str | None = None
    message_count: int = 0
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    saved_at: dt.datetime | None = None


class ChatMessage(ResponseModel):
    id: int
    session_id: int
    role: str = Field(description="user | assistant | system")
    content: str
    audio_url: str | None = None
    emotion: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    created_at: dt.datetime | None = None


class CreateSessionRequest(RequestModel):
    title: str | None = Field(default=None, max_length=200)
    persona_id: int | None = None
    character_id: int | None = None
    response_mode: ResponseMode = "audio"


class ResumeSessionRequest(RequestModel):
    """Today's active session of the user, created when there is none."""

    response_mode: ResponseMode | None = None


class SessionResponse(ResponseModel):
    """Answer of create_session (201), resume_session and session_save."""

    session: ChatSession
    resumed: bool | None = Field(default=None, description="resume_session: true when it already existed")


class SessionListRequest(RequestModel):
    """Query string of get_sessions.php, newest first."""

    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0)


class SessionListResponse(ResponseModel):
    sessions: list[ChatSession]
    total: int
    limit: int
    offset: int


class ChatHistoryRequest(RequestModel):
    """Query string of get_chat_history.php, oldest first; ``after_id`` pages forward."""

    session_id: int
    limit: int = Field(default=100, ge=1, le=500)
    after_id: int | None = None


class ChatHistoryResponse(ResponseModel):
    session: ChatSession
    messages: list[ChatMessage]


class SessionIdRequest(RequestModel):
    session_id: int


class SessionSaveRequest(RequestModel):
    session_id: int
    title: str | None = Field(default=None, max_length=200)


class SessionSummary(ResponseModel):
    session_id: int
    summary: str
    usage: Usage | None = None
