"""The set of providers the local API server runs on, and the video-avatar interface.

The server takes one :class:`Providers` bundle: speech-to-text, chat, text-to-speech and a video avatar.
:func:`tinytalk_sdk.providers.offline.make_offline_providers` builds the offline bundle; the OpenAI /
ElevenLabs / HeyGen adapters build a real one from the config and plug into the same four slots.

Usage logging, exactly one ``api_usage_logs`` row per provider call: a provider that records its own calls
(all of ours: offline, OpenAI, ElevenLabs, HeyGen) sets ``records_usage = True`` and writes through its
``recorder``; the server then only passes the :class:`CallContext`. For any other provider the server wraps
each call in ``UsageRecorder.call`` itself and fills the row from what the call returned. A provider whose
``recorder`` has no engine (rows in memory) is rebound by ``create_app`` to the server's database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .base import CallContext, ChatModel, SpeechToText, TextToSpeech

__all__ = [
    "AvatarSession",
    "AvatarStop",
    "AvatarTask",
    "Providers",
    "VideoAvatar",
    "service_of",
]


@dataclass
class AvatarSession:
    """A streaming-avatar session as HeyGen's ``streaming.new`` describes it."""

    session_id: str
    avatar_id: str | None = None
    url: str | None = None  # LiveKit server (wss://…)
    access_token: str | None = None  # LiveKit JWT
    session_duration_limit: int | None = None  # seconds
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class AvatarTask:
    task_id: str
    duration_ms: int | None = None


@dataclass
class AvatarStop:
    session_id: str
    duration_seconds: float  # billed time: HeyGen bills streaming per minute

    @property
    def session_minutes(self) -> float:
        return round(self.duration_seconds / 60.0, 4)


@runtime_checkable
class VideoAvatar(Protocol):
    """HeyGen-style streaming avatar: new → start (SDP) → ice → task (speak) → stop."""

    name: str

    def create_session(
        self, *, avatar_id: str | None = None, voice_id: str | None = None, quality: str | None = None,
        ctx: CallContext | None = None,
    ) -> AvatarSession: ...

    def start_session(
        self, session_id: str, *, sdp: dict[str, Any] | None = None, ctx: CallContext | None = None
    ) -> dict[str, Any]:
        """Start streaming; returns the answer (``{"sdp": {...}}`` for raw WebRTC, ``{}`` for LiveKit)."""
        ...

    def send_ice(self, session_id: str, candidate: dict[str, Any], *, ctx: CallContext | None = None) -> None: ...

    def speak(
        self, session_id: str, text: str, *, task_type: str = "repeat", ctx: CallContext | None = None
    ) -> AvatarTask: ...

    def stop_session(self, session_id: str, *, ctx: CallContext | None = None) -> AvatarStop: ...


@dataclass
class Providers:
    """The four provider slots of the server."""

    stt: SpeechToText
    chat: ChatModel
    tts: TextToSpeech
    avatar: VideoAvatar
    # Other video-avatar vendors by name (``liveavatar``), chosen per request by the platform setting
    # ``video_avatar_vendor``; ``avatar`` is HeyGen v1's slot (or the offline one).
    videos: dict[str, VideoAvatar] = field(default_factory=dict)

    def names(self) -> dict[str, str]:
        return {"stt": self.stt.name, "chat": self.chat.name, "tts": self.tts.name, "avatar": self.avatar.name}

    def video(self, vendor: str | None) -> VideoAvatar:
        """The video avatar of ``vendor`` (``heygen`` or unknown/unconfigured → the ``avatar`` slot)."""
        return self.videos.get(vendor or "", self.avatar)


def service_of(provider: object) -> str:
    """The ``api_usage_logs.service`` value of a provider: its ``service`` attribute, else its name."""
    service = getattr(provider, "service", None) or getattr(provider, "name", None) or "unknown"
    return str(service)[:20]
