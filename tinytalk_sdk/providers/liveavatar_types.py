"""Requests and answers of the LiveAvatar API, from the vendor's OpenAPI (docs.liveavatar.com/openapi.json).

Names follow the vendor's schema names (``FullSDKSessionTokenConfigDataSchema`` → :class:`FullTokenConfig`, …);
the excerpt this module was written from is vendored as ``tests/fixtures/openapi/liveavatar.json``, and a
test validates every answer of the fake against it. Requests forbid unknown fields (a typo is a bug);
answers keep them (the vendor adds fields often: ``voice_agent``, ``memory``, …).

Every answer is wrapped in ``{"code": 100, "data": …, "message": …}``; 422 is FastAPI's
``{"detail": [{"loc", "msg", "type"}]}``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Avatar",
    "AvatarPersona",
    "Context",
    "Credits",
    "FullTokenConfig",
    "LiteTokenConfig",
    "LiveKitConfig",
    "Mode",
    "Page",
    "SessionEntry",
    "SessionToken",
    "StartedSession",
    "StopReason",
    "VideoSettings",
    "Voice",
]

Mode = Literal["FULL", "LITE"]
# SessionEndReasonEnum
StopReason = Literal[
    "UNKNOWN", "USER_DISCONNECTED", "SERVER_ERROR", "IDLE_TIMEOUT", "NO_CREDITS", "USER_CLOSED",
    "AVATAR_DELETED", "MAX_DURATION_REACHED", "ZOMBIE_SESSION_REAP", "AGENT_HANG_UP",
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class VideoSettings(_Request):
    quality: Literal["very_high", "high", "medium", "low"] = "high"
    encoding: Literal["VP8", "H264"] = "H264"


class AvatarPersona(_Request):
    """AvatarPersonaSchema: the FULL-mode voice, context (what the avatar knows) and language."""

    voice_id: str | None = None
    context_id: str | None = None
    language: str = "en"


class LiveKitConfig(_Request):
    """LiveKitConfigSchema: LITE mode may send the avatar into the caller's own LiveKit room."""

    livekit_url: str
    livekit_room: str
    livekit_client_token: str = Field(repr=False)


class _TokenConfig(_Request):
    avatar_id: str
    is_sandbox: bool = False
    video_settings: VideoSettings | None = None
    max_session_duration: int | None = Field(default=None, ge=1)


class FullTokenConfig(_TokenConfig):
    """FullSDKSessionTokenConfigDataSchema: LiveAvatar runs STT, LLM and TTS (2 credits/min)."""

    mode: Literal["FULL"] = "FULL"
    avatar_persona: AvatarPersona
    interactivity_type: Literal["CONVERSATIONAL", "PUSH_TO_TALK"] = "CONVERSATIONAL"


class LiteTokenConfig(_TokenConfig):
    """LiteSDKSessionTokenConfigDataSchema: the caller brings the voice; LiveAvatar renders video (1 credit/min)."""

    mode: Literal["LITE"] = "LITE"
    livekit_config: LiveKitConfig | None = None


class SessionToken(_Answer):
    """SDKSessionTokenSchema."""

    session_id: str
    session_token: str = Field(repr=False)


class StartedSession(_Answer):
    """StartSessionResponseSchema (``POST /v1/sessions/start`` answers 201)."""

    session_id: str
    livekit_url: str
    livekit_client_token: str = Field(repr=False)
    livekit_agent_token: str | None = Field(default=None, repr=False)
    max_session_duration: int | None = None
    ws_url: str | None = None  # LITE mode: the websocket its audio events go to


class SessionEntry(_Answer):
    """ListSessionEntrySchema / ListHistoricEntrySchema (``end_at``, ``end_reason`` on historic ones)."""

    id: str
    created_at: str
    updated_at: str
    duration: int  # seconds
    source: str
    mode: Mode
    is_sandbox: bool
    credits_consumed: float
    end_at: str | None = None
    end_reason: str | None = None


class Avatar(_Answer):
    """AvatarSchema."""

    id: str
    name: str
    type: str = "VIDEO"
    status: str = "INIT"
    preview_url: str | None = None
    is_expired: bool = False
    default_voice: dict[str, Any] | None = None
    created_at: str | None = None
    updated_at: str | None = None


class Voice(_Answer):
    """VoiceSchema."""

    id: str
    name: str
    language: str | None = None
    gender: str | None = None
    tags: list[str] = Field(default_factory=list)


class Context(_Answer):
    """ContextSchema (the list form; ``GET /v1/contexts/{id}`` adds prompt, opening_text, links)."""

    id: str
    name: str
    created_at: str | None = None
    updated_at: str | None = None


class Credits(_Answer):
    """UserCreditsSchema: ``credits_left`` is a decimal sent as a string."""

    credits_left: str | float


class Page(_Answer):
    """PaginatedResponse[…]: ``count`` in all, this page's ``results``, ``next``/``previous`` page URLs."""

    count: int
    results: list[dict[str, Any]]
    next: str | None = None
    previous: str | None = None
