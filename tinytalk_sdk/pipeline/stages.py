"""The stages of a pupil turn as small objects: login → session → STT → GPT stream → TTS → avatar → save.

A stage has a ``name`` (the one smoke, QA and the load test report), ``run(ctx, timing)`` returning a
one-line detail, and the turn metrics its timing feeds (``total_metric`` from ``seconds``, ``first_metric``
from ``first``). :func:`pupil_turn` is the turn every user runs; a stage added there appears in smoke,
``qa compare`` and ``qa load`` alike.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from .._exceptions import CheckFailedError
from .runner import SkipStage
from .timing import Turn

if TYPE_CHECKING:
    from .avatars import Avatar
    from .targets import ApiTarget, Target
    from .timing import StageResult

__all__ = ["AvatarStage", "GptStage", "LoginStage", "SaveStage", "SessionStage", "Stage", "SttStage",
           "TtsStage", "TurnContext", "pupil_turn"]


@dataclass
class TurnContext:
    """What the stages of one turn share: where they talk to, the avatar, the clip and what it says."""

    target: Target
    avatar: Avatar
    clip: Path
    utterance: str | None = None  # what the clip says (the WER reference); None for a clip of the user's
    turn: Turn = field(default_factory=Turn)
    title: str = "pupil turn"
    user: tuple[str, str, str] = ("pupil", "Test Pupil", "tinytalk")  # email prefix, name, device
    wer: float | None = None

    def api(self) -> ApiTarget:
        from .targets import ApiTarget

        if not isinstance(self.target, ApiTarget):
            raise SkipStage("only through the TinyTalk API")
        return self.target


class Stage:
    name: ClassVar[str] = ""
    total_metric: ClassVar[str | None] = None
    first_metric: ClassVar[str | None] = None
    always: bool = False

    def run(self, ctx: TurnContext, timing: StageResult) -> str:
        raise NotImplementedError

    def record(self, ctx: TurnContext, timing: StageResult) -> None:
        metrics = ctx.turn.metrics
        if self.total_metric:
            metrics[self.total_metric] = timing.seconds
        if self.first_metric:
            metrics[self.first_metric] = timing.first


class LoginStage(Stage):
    """Register a throw-away user (``<prefix>+<hex>@tinytalk.invalid``): the app's login."""

    name = "register"

    def run(self, ctx: TurnContext, timing: StageResult) -> str:
        api = ctx.api()
        prefix, display, device = ctx.user
        token = api.client.auth.register(email=f"{prefix}+{secrets.token_hex(6)}@tinytalk.invalid",
                                         pin=f"{secrets.randbelow(10**6):06d}", name=display, device=device)
        api.user_id = token.user.id
        return ""


class SessionStage(Stage):
    """Create the day's chat session, in the avatar's response mode."""

    name = "session"

    def run(self, ctx: TurnContext, timing: StageResult) -> str:
        api = ctx.api()
        api.session_id = api.client.sessions.create(title=ctx.title,
                                                    response_mode=ctx.avatar.response_mode).session.id
        return ""


class SttStage(Stage):
    name = "stt"
    total_metric = "stt_latency"

    def __init__(self, *, require_text: bool = True) -> None:
        self.require_text = require_text

    def run(self, ctx: TurnContext, timing: StageResult) -> str:
        from ..testing.speech import word_error_rate

        turn = ctx.turn
        ctx.target.stt(turn, ctx.clip, timing)
        if not turn.transcript and self.require_text:
            raise CheckFailedError("empty transcript")
        ctx.wer = word_error_rate(ctx.utterance, turn.transcript) if ctx.utterance is not None else None
        return f'"{turn.transcript[:80]}"' + (f" WER {ctx.wer:.2f}" if ctx.wer is not None else "")


class GptStage(Stage):
    """The answer, streamed (SSE through the API) and read to the end; ``first`` is the first token."""

    name = "gpt_stream"
    total_metric = "gpt_total"
    first_metric = "ttft"

    def run(self, ctx: TurnContext, timing: StageResult) -> str:
        turn = ctx.turn
        ctx.target.chat(turn, turn.transcript or ctx.utterance or "", timing)
        if not turn.reply:
            raise CheckFailedError("empty answer")
        return f'"{turn.reply[:80]}"'


class TtsStage(Stage):
    """The answer spoken, downloaded in full; ``first`` is the first audio byte."""

    name = "tts_stream"
    total_metric = "tts_total"
    first_metric = "tts_ttfb"

    def run(self, ctx: TurnContext, timing: StageResult) -> str:
        turn = ctx.turn
        # character timestamps drive the lip-sync; only the providers target can ask for them
        stamps = ctx.avatar.needs_tts and not ctx.target.is_api
        ctx.target.tts(turn, turn.reply, timing, with_timestamps=stamps)
        if not turn.audio:
            raise CheckFailedError("no audio")
        return f"{len(turn.audio)} bytes {turn.content_type}"


class AvatarStage(Stage):
    """The avatar speaking the answer; ``first`` = avatar ready.

    ``session_per_turn`` (smoke): open the avatar session, speak, and always close it inside the stage.
    Otherwise the session was opened before the turn (QA, load: once per conversation) and stays open.
    """

    name = "avatar"
    first_metric = "avatar_ready"

    def __init__(self, *, session_per_turn: bool = False) -> None:
        self.session_per_turn = session_per_turn

    def run(self, ctx: TurnContext, timing: StageResult) -> str:
        avatar, target = ctx.avatar, ctx.target
        if not self.session_per_turn:
            return avatar.speak(target, ctx.turn, timing)
        avatar.open(target)
        try:
            detail = avatar.speak(target, ctx.turn, timing)
        finally:
            opened = avatar.is_open
            avatar.close(target)
        return detail + (" stopped" if opened else "")


class SaveStage(Stage):
    name = "save"

    def run(self, ctx: TurnContext, timing: StageResult) -> str:
        api = ctx.api()
        if api.session_id is None:
            raise CheckFailedError("no session to save")
        saved = api.client.sessions.save(session_id=api.session_id, title=ctx.title)
        if saved.session.status != "saved":
            raise CheckFailedError(f"session status is '{saved.session.status}'")
        return ""


def pupil_turn(avatar: Avatar, *, tts: bool | None = None, session_per_turn: bool = False,
               require_text: bool = True) -> list[Stage]:
    """The stages of one spoken turn: STT → GPT stream → (TTS when the avatar speaks it) → avatar.

    ``tts=True`` runs the TTS stage for every avatar (smoke checks the endpoint even in HeyGen mode).
    """
    with_tts = avatar.needs_tts if tts is None else tts
    return [SttStage(require_text=require_text), GptStage(), *([TtsStage()] if with_tts else []),
            AvatarStage(session_per_turn=session_per_turn)]
