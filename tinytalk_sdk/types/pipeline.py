"""stt_upload / gpt_stream (SSE) / gpt_feedback / elevenlabs_tts_stream."""

from __future__ import annotations

from pydantic import Field

from ._base import RequestModel, ResponseModel, Usage

__all__ = [
    "AUDIO_FORMATS",
    "MAX_UPLOAD_BYTES",
    "ChatStreamRequest",
    "Correction",
    "DeltaData",
    "DoneData",
    "ErrorData",
    "FeedbackRequest",
    "FeedbackResponse",
    "SpeakRequest",
    "TranscribeRequest",
    "Transcription",
]

# Whisper's limit, enforced by the SDK before sending and by the server (413).
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
AUDIO_FORMATS: tuple[str, ...] = ("wav", "mp3", "m4a", "webm", "ogg")


class TranscribeRequest(RequestModel):
    """Form fields of the multipart upload besides the ``file`` part."""

    session_id: int | None = None
    language: str | None = Field(default=None, max_length=10, description="ISO 639-1 hint, e.g. en")


class Transcription(ResponseModel):
    text: str
    language: str | None = None
    duration_seconds: float | None = None
    message_id: int | None = None
    audio_url: str | None = None


class ChatStreamRequest(RequestModel):
    session_id: int
    message: str = Field(min_length=1, max_length=4000)


class DeltaData(ResponseModel):
    """``event: delta``: one chunk of the answer."""

    text: str


class DoneData(ResponseModel):
    """``event: done``: the full answer, saved as a chat_messages row."""

    message_id: int | None = None
    text: str
    usage: Usage | None = None
    emotion: str | None = None


class ErrorData(ResponseModel):
    """``event: error``: the stream failed after the 200 was sent."""

    code: str
    message: str


class FeedbackRequest(RequestModel):
    """Non-streaming answer: a reply plus corrections of the learner's sentence."""

    message: str = Field(min_length=1, max_length=4000)
    session_id: int | None = None


class Correction(ResponseModel):
    original: str
    corrected: str
    explanation: str | None = None


class FeedbackResponse(ResponseModel):
    text: str
    corrections: list[Correction] = Field(default_factory=list)
    emotion: str | None = None
    usage: Usage | None = None
    message_id: int | None = None


class SpeakRequest(RequestModel):
    """The answer is the audio body itself (audio/mpeg, or audio/wav from the offline provider)."""

    text: str = Field(min_length=1, max_length=5000)
    voice_id: str | None = Field(default=None, max_length=120)
    session_id: int | None = None
