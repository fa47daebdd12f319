"""The two ways a turn reaches the services: through the TinyTalk API, or straight to the providers.

Both expose the same calls (``stt``, ``chat``, ``tts`` and the HeyGen session calls); each call records its
first byte/token on the :class:`~.timing.StageResult` it is given, the stage total is the runner's.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import CheckFailedError
from .timing import StageResult, Turn

if TYPE_CHECKING:
    from .._client import TinyTalk
    from ..providers.base import UsageRecorder
    from ..providers.bundle import Providers
    from ..testing.fake_vendors import RunningFakeVendors

__all__ = ["SYSTEM_PROMPT", "ApiTarget", "ProviderTarget", "Target"]

SYSTEM_PROMPT = ("You are a friendly English tutor for children. Answer in one or two short sentences and ask a "
                 "simple question back.")


def _audio_suffix(content_type: str) -> str:
    return ".mp3" if "mpeg" in content_type else ".wav"


class ApiTarget:
    """One conversation turn through the TinyTalk API (``TinyTalk`` client)."""

    is_api = True

    def __init__(self, client: TinyTalk, *, work_dir: Path) -> None:
        self.client = client
        self.work_dir = work_dir
        self.session_id: int | None = None
        self.user_id: int | None = None
        self.uploads: list[str] = []  # audio URLs of the clips the server kept (removed with the test user)
        self._heygen: str | None = None

    def stt(self, turn: Turn, audio: Path, timing: StageResult) -> None:
        result = self.client.pipeline.transcribe(audio, session_id=self.session_id, language="en")
        if result.audio_url:
            self.uploads.append(result.audio_url)
        turn.transcript = result.text.strip()

    def chat(self, turn: Turn, message: str, timing: StageResult) -> None:
        from .._streaming import DeltaEvent

        if self.session_id is None:
            raise CheckFailedError("no chat session")
        parts: list[str] = []
        with self.client.pipeline.chat_stream(session_id=self.session_id, message=message) as stream:
            for event in stream:
                if isinstance(event, DeltaEvent):
                    timing.mark_first()
                    parts.append(event.text)
        if stream.error is not None:
            raise CheckFailedError(f"gpt_stream error event: {stream.error.code}: {stream.error.message}")
        turn.reply = (stream.done.text if stream.done is not None else "".join(parts)).strip()

    def tts(self, turn: Turn, text: str, timing: StageResult, *, with_timestamps: bool = False) -> None:
        def progress(done: int, _total: int) -> None:
            if done:
                timing.mark_first()

        target = self.work_dir / f"tts-{secrets.token_hex(4)}.audio"
        result = self.client.pipeline.speak(text=text, to=target, session_id=self.session_id, progress=progress)
        turn.content_type = result.content_type
        turn.audio = target.read_bytes()
        turn.audio_path = target.rename(target.with_suffix(_audio_suffix(result.content_type)))

    def heygen_open(self) -> str:
        sess = self.client.heygen.create_session(quality="low", chat_session_id=self.session_id)
        self._heygen = sess.session_id
        self.client.heygen.start(session_id=sess.session_id, sdp={"type": "answer", "sdp": "v=0\r\n"})
        return sess.session_id

    def heygen_say(self, session_id: str, text: str) -> None:
        self.client.heygen.task(session_id=session_id, text=text, task_type="repeat")

    def heygen_close(self, session_id: str) -> None:
        self.client.heygen.stop(session_id=session_id)
        self._heygen = None

    # Through the API the video mode is whichever vendor `video_avatar_vendor` names: not selectable per run.
    def liveavatar_open(self) -> str:
        raise CheckFailedError("the liveavatar mode runs on the providers target (--target providers)")

    def liveavatar_say(self, session_id: str, text: str) -> None:
        raise CheckFailedError("the liveavatar mode runs on the providers target (--target providers)")

    def liveavatar_close(self, session_id: str) -> None:
        """Nothing was opened."""


class ProviderTarget:
    """One conversation turn straight to the providers (real vendors, or their fakes)."""

    is_api = False

    def __init__(self, providers: Providers, recorder: UsageRecorder, *, work_dir: Path, tag: str,
                 fakes: RunningFakeVendors | None = None) -> None:
        from ..providers.base import CallContext

        self.providers = providers
        self.recorder = recorder
        self.work_dir = work_dir
        self.ctx = CallContext(tag=tag)
        self.fakes = fakes
        self.history: list[Any] = []

    def stt(self, turn: Turn, audio: Path, timing: StageResult) -> None:
        turn.transcript = self.providers.stt.transcribe(audio, language="en", ctx=self.ctx).text.strip()

    def chat(self, turn: Turn, message: str, timing: StageResult) -> None:
        from ..providers.base import ChatResult, ChatTurn

        turns = [ChatTurn("system", SYSTEM_PROMPT), *self.history[-6:], ChatTurn("user", message)]
        result = ChatResult(text="")
        for _delta in self.providers.chat.stream(turns, ctx=self.ctx, result=result):
            timing.mark_first()
        turn.reply = result.text.strip()
        self.history += [ChatTurn("user", message), ChatTurn("assistant", turn.reply)]

    def tts(self, turn: Turn, text: str, timing: StageResult, *, with_timestamps: bool = False) -> None:
        stream = self.providers.tts.stream(text, with_timestamps=with_timestamps, ctx=self.ctx)
        chunks: list[bytes] = []
        for chunk in stream.chunks:
            timing.mark_first()
            chunks.append(chunk)
        turn.audio = b"".join(chunks)
        turn.content_type = stream.content_type
        turn.alignment = stream.alignment
        turn.audio_path = self.work_dir / f"tts-{secrets.token_hex(4)}{_audio_suffix(stream.content_type)}"
        turn.audio_path.write_bytes(turn.audio)

    def heygen_open(self) -> str:
        avatar = self.providers.avatar
        sess = avatar.create_session(quality="low", ctx=self.ctx)
        try:
            avatar.start_session(sess.session_id, ctx=self.ctx)
        except BaseException:
            avatar.stop_session(sess.session_id, ctx=self.ctx)
            raise
        return sess.session_id

    def heygen_say(self, session_id: str, text: str) -> None:
        self.providers.avatar.speak(session_id, text, ctx=self.ctx)

    def heygen_close(self, session_id: str) -> None:
        self.providers.avatar.stop_session(session_id, ctx=self.ctx)

    def _liveavatar(self) -> Any:
        video = self.providers.videos.get("liveavatar")
        if video is None:
            raise CheckFailedError("no LiveAvatar provider: set liveavatar_api_key (or run on the fakes)")
        return video

    def liveavatar_open(self) -> str:
        # create_session is token + start + keep-alive; it stops the session itself if a step fails
        session_id: str = self._liveavatar().create_session(ctx=self.ctx).session_id
        return session_id

    def liveavatar_say(self, session_id: str, text: str) -> None:
        self._liveavatar().speak(session_id, text, ctx=self.ctx)

    def liveavatar_close(self, session_id: str) -> None:
        self._liveavatar().stop_session(session_id, ctx=self.ctx)


Target = ApiTarget | ProviderTarget
