"""The avatar step, one class per provider: what "the avatar starts speaking" means for each.

An avatar has a session life cycle (``open`` before the pupil speaks, ``close`` always, also on errors),
and a ``speak`` per turn that returns a one-line detail and marks ``first`` on the stage when the avatar is
ready. A provider is one subclass registered in :data:`AVATARS` (``replika``, ``heygen``, ``liveavatar``);
smoke, QA and the load test pick it up by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from .._exceptions import CheckFailedError, ValidationError

if TYPE_CHECKING:
    from .targets import Target
    from .timing import StageResult, Turn

__all__ = ["AVATARS", "Avatar", "HeyGenAvatar", "Live2DAvatar", "LiveAvatarAvatar", "avatar_for", "lipsync"]


class Avatar:
    """Base: no session, nothing to close."""

    name: ClassVar[str] = ""
    response_mode: ClassVar[Literal["text", "audio", "video"]] = "audio"  # the chat session's response_mode in the app
    needs_tts: ClassVar[bool] = True  # speaks the TTS audio (else the vendor speaks with its own voice)
    has_session: ClassVar[bool] = False  # a vendor session opened before the pupil speaks
    billing_service: ClassVar[str | None] = None  # price-table service billing the session by the minute

    def __init__(self) -> None:
        self.session_id: str | None = None
        self.opened: list[str] = []  # every session this step opened (to prove they were all stopped)

    @property
    def is_open(self) -> bool:
        return self.session_id is not None

    def open(self, target: Target) -> None:
        """Start the avatar session (the app does it when the conversation screen opens)."""

    def speak(self, target: Target, turn: Turn, timing: StageResult) -> str:
        raise NotImplementedError

    def close(self, target: Target) -> None:
        """Stop the session; safe to call when none is open."""

    def speech_to_avatar(self, turn: Turn) -> float | None:
        """End of the pupil's speech → the avatar speaking, for a turn run stage after stage."""
        m = turn.metrics
        parts = [m["stt_latency"], m["gpt_total"], *([m["tts_ttfb"]] if self.needs_tts else []), m["avatar_ready"]]
        if any(p is None for p in parts):
            return None
        return round(sum(p for p in parts if p is not None), 3)

    def speech_seconds(self, turn: Turn) -> float:
        """How long the avatar's answer lasts (a conversation minute is a minute of speech)."""
        from ..testing.speech import audio_duration

        return audio_duration(turn.audio) or 0.0


def lipsync(turn: Turn) -> dict[str, Any]:
    """A Live2D motion whose mouth follows the TTS audio."""
    from live2d_tools.lipsync import lipsync_motion

    if turn.audio_path is None:
        raise CheckFailedError("no TTS audio to lip-sync")
    motion = lipsync_motion(turn.audio_path, alignment=turn.alignment)
    if not motion.get("Curves") or float(motion["Meta"]["Duration"]) <= 0:
        raise CheckFailedError("lip-sync motion is empty")
    return motion


class Live2DAvatar(Avatar):
    """Replika mode: the Live2D model's mouth follows the TTS audio (a lip-sync motion made from it)."""

    name = "replika"

    def speak(self, target: Target, turn: Turn, timing: StageResult) -> str:
        motion = lipsync(turn)
        timing.mark_first()
        meta = motion["Meta"]
        return f"lip-sync motion {meta['Duration']} s, {meta['CurveCount']} curve(s)"


class HeyGenAvatar(Avatar):
    """HeyGen streaming avatar: a session (new + start), a ``task`` per answer, always stopped."""

    name = "heygen"
    response_mode = "video"
    needs_tts = False
    has_session = True
    billing_service = "heygen"

    def open(self, target: Target) -> None:
        if self.session_id is None:
            self.session_id = target.heygen_open()
            self.opened.append(self.session_id)

    def speak(self, target: Target, turn: Turn, timing: StageResult) -> str:
        if self.session_id is None:
            raise CheckFailedError("no HeyGen session")
        target.heygen_say(self.session_id, turn.reply)
        timing.mark_first()
        return f"heygen session {self.session_id[:12]}…"

    def close(self, target: Target) -> None:
        sid, self.session_id = self.session_id, None
        if sid is not None:
            target.heygen_close(sid)  # always: HeyGen bills the minutes

    def speech_seconds(self, turn: Turn) -> float:
        return len(turn.reply.split()) * 0.4  # HeyGen voices: ~150 words/min


class LiveAvatarAvatar(HeyGenAvatar):
    """HeyGen LiveAvatar (FULL mode): token + start once per run, ``avatar.speak_text`` over LiveKit per answer,
    always stopped. "Ready" is the event accepted by the room (LiveAvatar sends no task answer)."""

    name = "liveavatar"
    billing_service = "liveavatar"

    def open(self, target: Target) -> None:
        if self.session_id is None:
            self.session_id = target.liveavatar_open()
            self.opened.append(self.session_id)

    def speak(self, target: Target, turn: Turn, timing: StageResult) -> str:
        if self.session_id is None:
            raise CheckFailedError("no LiveAvatar session")
        target.liveavatar_say(self.session_id, turn.reply)
        timing.mark_first()
        return f"liveavatar session {self.session_id[:12]}…"

    def close(self, target: Target) -> None:
        sid, self.session_id = self.session_id, None
        if sid is not None:
            target.liveavatar_close(sid)  # always: billed per minute in credits


AVATARS: dict[str, type[Avatar]] = {"replika": Live2DAvatar, "heygen": HeyGenAvatar, "liveavatar": LiveAvatarAvatar}


def avatar_for(name: str) -> Avatar:
    try:
        return AVATARS[name]()
    except KeyError:
        raise ValidationError(f"unknown avatar '{name}' (known: {', '.join(AVATARS)})") from None
