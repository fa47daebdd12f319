"""client.pipeline: transcribe (stt_upload), chat_stream (gpt_stream SSE), feedback, speak (TTS stream)."""

from __future__ import annotations

import os
from collections.abc import Callable

import httpx

from .._audio import CHUNK_SIZE, AudioSink, SpeechResult, Writer
from .._base_client import NOT_GIVEN, Files, NotGiven
from .._files import ProgressFile, check_audio_file
from .._streaming import AsyncChatStream, ChatStream
from ..types import (
    ChatStreamRequest,
    Endpoint,
    FeedbackRequest,
    FeedbackResponse,
    SpeakRequest,
    TranscribeRequest,
    Transcription,
    endpoint,
)
from ._base import AsyncAPIResource, SyncAPIResource, make_params

__all__ = ["AsyncPipeline", "Pipeline", "Progress"]

Progress = Callable[[int, int], None]
"""``progress(done_bytes, total_bytes)``; total is 0 when the server sends no Content-Length."""


def _upload_files(path: str | os.PathLike[str], progress: Progress | None) -> tuple[Callable[[], Files], int]:
    audio = check_audio_file(path)
    opened: list[ProgressFile] = []

    def files() -> Files:
        # A fresh handle per attempt; the previous one is closed (a retry re-sends from byte 0).
        for old in opened:
            old.close()
        fh = ProgressFile(audio.path.open("rb"), audio.size, progress)
        opened.append(fh)
        return {"file": (audio.path.name, fh, audio.content_type)}

    files.opened = opened  # type: ignore[attr-defined]
    return files, audio.size


def _transcribe_request(
    path: str | os.PathLike[str], session_id: int | None, language: str | None, progress: Progress | None,
) -> tuple[Endpoint, TranscribeRequest, Callable[[], Files]]:
    """The endpoint, form fields and file factory of a transcribe call; the file is checked here, first."""
    ep = endpoint("stt_upload")
    params = make_params(TranscribeRequest, ep.path, session_id=session_id, language=language)
    files, _ = _upload_files(path, progress)
    return ep, params, files


def _close_files(files: Callable[[], Files]) -> None:
    for fh in getattr(files, "opened", []):
        fh.close()


class Pipeline(SyncAPIResource):
    def transcribe(
        self, path: str | os.PathLike[str], *, session_id: int | None = None, language: str | None = None,
        progress: Progress | None = None, idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> Transcription:
        """POST /stt_upload.php (multipart). The file is checked before anything is sent."""
        ep, params, files = _transcribe_request(path, session_id, language, progress)
        try:
            return self._client._request(ep, params, Transcription, files=files,
                                         idempotency_key=idempotency_key)
        finally:
            _close_files(files)

    def chat_stream(self, *, session_id: int, message: str) -> ChatStream:
        """POST /gpt_stream.php: an open event stream; iterate it, or ``.until_done()``."""
        ep = endpoint("gpt_stream")
        params = make_params(ChatStreamRequest, ep.path, session_id=session_id, message=message)
        started = self._client._clock()
        response = self._client._send(ep, params, accept="text/event-stream")
        return ChatStream(response, endpoint=ep.path, method=ep.method, started=started,
                          clock=self._client._clock)

    def feedback(
        self, *, message: str, session_id: int | None = None,
        idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> FeedbackResponse:
        """POST /gpt_feedback.php: a non-streaming answer with corrections."""
        ep = endpoint("gpt_feedback")
        params = make_params(FeedbackRequest, ep.path, message=message, session_id=session_id)
        return self._client._request(ep, params, FeedbackResponse, idempotency_key=idempotency_key)

    def speak(
        self, *, text: str, to: str | os.PathLike[str] | Writer, voice_id: str | None = None,
        session_id: int | None = None, progress: Progress | None = None,
    ) -> SpeechResult:
        """POST /elevenlabs_tts_stream.php: the audio goes to ``to`` (a path or a writer) chunk by chunk."""
        ep = endpoint("elevenlabs_tts_stream")
        params = make_params(SpeakRequest, ep.path, text=text, voice_id=voice_id, session_id=session_id)
        response = self._client._send(ep, params, accept="audio/*")
        try:
            sink = AudioSink(response, to, progress, method=ep.method, path=ep.path)
            try:
                for chunk in response.iter_bytes(CHUNK_SIZE):
                    sink.write(chunk)
                return sink.finish()
            except BaseException:
                sink.abort()
                raise
        except httpx.TransportError as exc:
            raise self._client._transport_error(ep, exc) from exc
        finally:
            response.close()


class AsyncPipeline(AsyncAPIResource):
    async def transcribe(
        self, path: str | os.PathLike[str], *, session_id: int | None = None, language: str | None = None,
        progress: Progress | None = None, idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> Transcription:
        ep, params, files = _transcribe_request(path, session_id, language, progress)
        try:
            return await self._client._request(ep, params, Transcription, files=files,
                                               idempotency_key=idempotency_key)
        finally:
            _close_files(files)

    async def chat_stream(self, *, session_id: int, message: str) -> AsyncChatStream:
        ep = endpoint("gpt_stream")
        params = make_params(ChatStreamRequest, ep.path, session_id=session_id, message=message)
        started = self._client._clock()
        response = await self._client._send(ep, params, accept="text/event-stream")
        return AsyncChatStream(response, endpoint=ep.path, method=ep.method, started=started,
                               clock=self._client._clock)

    async def feedback(
        self, *, message: str, session_id: int | None = None,
        idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> FeedbackResponse:
        ep = endpoint("gpt_feedback")
        params = make_params(FeedbackRequest, ep.path, message=message, session_id=session_id)
        return await self._client._request(ep, params, FeedbackResponse, idempotency_key=idempotency_key)

    async def speak(
        self, *, text: str, to: str | os.PathLike[str] | Writer, voice_id: str | None = None,
        session_id: int | None = None, progress: Progress | None = None,
    ) -> SpeechResult:
        ep = endpoint("elevenlabs_tts_stream")
        params = make_params(SpeakRequest, ep.path, text=text, voice_id=voice_id, session_id=session_id)
        response = await self._client._send(ep, params, accept="audio/*")
        try:
            sink = AudioSink(response, to, progress, method=ep.method, path=ep.path)
            try:
                async for chunk in response.aiter_bytes(CHUNK_SIZE):
                    sink.write(chunk)
                return sink.finish()
            except BaseException:
                sink.abort()
                raise
        except httpx.TransportError as exc:
            raise self._client._transport_error(ep, exc) from exc
        finally:
            await response.aclose()
