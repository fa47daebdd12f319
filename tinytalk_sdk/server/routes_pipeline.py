"""stt_upload / gpt_stream (SSE) / gpt_feedback / elevenlabs_tts_stream."""

from __future__ import annotations

import json
import logging
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.responses import Response, StreamingResponse

from .._exceptions import ProviderError
from .._redact import redact
from ..db.session import transaction
from ..providers.base import ChatResult, ChatTurn
from ._call import Call, Handler
from ._chat import api_error_of, complete, detect_emotion, provider_errors
from ._lookup import DEFAULT_SYSTEM_PROMPT, default_persona, owned_session, setting
from ._responses import ApiError, ok
from ._serialize import absolute

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..db.models import ChatMessage, ChatSession

__all__ = ["FEEDBACK_PROMPT", "HANDLERS", "sniff_audio"]

log = logging.getLogger("tinytalk.server")

FEEDBACK_PROMPT = (
    "You are a kind English tutor for children. Reply in one or two short sentences, then list any "
    "mistakes in the learner's sentence, one per line, as 'original -> corrected: why'."
)
_CORRECTION_LINE = re.compile(r'^\s*[-*]?\s*"?(?P<orig>[^"\n]+?)"?\s*(?:->|→)\s*"?(?P<fix>[^":\n]+?)"?\s*'
                              r"(?::\s*(?P<why>.+))?$")


def sniff_audio(head: bytes) -> str | None:
    """The container format of an upload from its first bytes (not from what the client claims)."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


# ---- helpers shared by the chat endpoints -----------------------------------------------------------


def _system_prompt(session: Session, row: ChatSession | None) -> str:
    from ..db.models import AiPersona

    persona = session.get(AiPersona, row.persona_id) if row and row.persona_id else None
    persona = persona or default_persona(session)
    return persona.system_prompt if persona else DEFAULT_SYSTEM_PROMPT


def _add_message(session: Session, row: ChatSession, call: Call, **values: Any) -> ChatMessage:
    from ..db.models import ChatMessage

    now = call.state.now()
    message = ChatMessage(session_id=row.id, created_at=now, **values)
    session.add(message)
    row.message_count = (row.message_count or 0) + 1
    row.updated_at = now
    session.flush()
    return message


def _user_turn(session: Session, row: ChatSession, call: Call, text: str) -> ChatMessage:
    """Save the learner's message, or reuse the one stt_upload just saved with the same text."""
    from sqlalchemy import select

    from ..db.models import ChatMessage

    last = session.execute(
        select(ChatMessage).where(ChatMessage.session_id == row.id).order_by(ChatMessage.id.desc()).limit(1)
    ).scalar_one_or_none()
    if last is not None and last.role == "user" and last.content == text and last.audio_url:
        return last
    return _add_message(session, row, call, role="user", content=text)


def _history(session: Session, row: ChatSession, before_id: int, limit: int = 20) -> list[ChatTurn]:
    from sqlalchemy import select

    from ..db.models import ChatMessage

    rows = session.execute(
        select(ChatMessage).where(ChatMessage.session_id == row.id, ChatMessage.id < before_id,
                                  ChatMessage.role.in_(("user", "assistant")))
        .order_by(ChatMessage.id.desc()).limit(limit)
    ).scalars().all()
    return [ChatTurn(m.role, m.content) for m in reversed(rows)]


# ---- stt_upload.php ---------------------------------------------------------------------------------


def stt_upload(call: Call) -> Response:
    from ..types import AUDIO_FORMATS

    assert call.upload is not None
    claimed = Path(call.upload_name or "").suffix.lower().lstrip(".")
    size = call.upload.stat().st_size  # at most upload_limit(): checked while it was received (_call)
    if size == 0:
        raise ApiError(422, "validation_failed", "file: the upload is empty", fields={"file": "empty file"})
    with call.upload.open("rb") as fh:
        sniffed = sniff_audio(fh.read(16))
    if claimed not in AUDIO_FORMATS:
        raise ApiError(415, "unsupported_media_type",
                       f"file: '.{claimed}' is not an accepted format ({', '.join(AUDIO_FORMATS)})")
    if sniffed != claimed:
        raise ApiError(415, "unsupported_media_type",
                       f"file: content is {sniffed or 'not audio'}, not {claimed}")
    p = call.params
    if p.session_id is not None:
        with transaction(call.state.engine) as session:
            owned_session(session, call.user_id, p.session_id)
    stt = call.state.providers.stt
    with provider_errors(), call.usage(stt, "stt", session_id=p.session_id) as entry:
        transcript = stt.transcribe(call.upload, language=p.language or "en", ctx=call.ctx(p.session_id))
        entry.audio_seconds = transcript.duration_seconds
    # Keep the audio like the PHP backend does (voice storage), under uploads/YYYY/MM/.
    now = call.state.now()
    relative = f"{now:%Y}/{now:%m}/{now:%Y%m%d%H%M%S}-{secrets.token_hex(6)}.{claimed}"
    target = call.state.uploads_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(call.upload, target)
    audio_path = "/uploads/" + relative
    message_id: int | None = None
    if p.session_id is not None and transcript.text:
        with transaction(call.state.engine) as session:
            row = owned_session(session, call.user_id, p.session_id)
            message = _add_message(session, row, call, role="user", content=transcript.text, audio_url=audio_path,
                                   audio_bytes=size, audio_seconds=transcript.duration_seconds)
            message_id = message.id
    return ok({"text": transcript.text, "language": transcript.language,
               "duration_seconds": transcript.duration_seconds, "message_id": message_id,
               "audio_url": absolute(audio_path, call.base_url())})


# ---- gpt_stream.php (SSE) -----------------------------------------------------------------------------


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def gpt_stream(call: Call) -> Response:
    p = call.params
    text = p.message.strip()
    if not text:
        raise ApiError(422, "validation_failed", "message: must not be blank", fields={"message": "blank"})
    with transaction(call.state.engine) as session:
        row = owned_session(session, call.user_id, p.session_id)
        user_message = _user_turn(session, row, call, text)
        turns = [ChatTurn("system", _system_prompt(session, row)),
                 *_history(session, row, user_message.id), ChatTurn("user", text)]
        user_message_id = user_message.id
    return StreamingResponse(_stream_events(call, p.session_id, turns, user_message_id),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _stream_events(call: Call, session_id: int, turns: list[ChatTurn], user_message_id: int) -> Iterator[bytes]:
    chat = call.state.providers.chat
    result = ChatResult(text="")
    parts: list[str] = []
    try:
        with call.usage(chat, "chat_stream", session_id=session_id) as entry:
            for delta in chat.stream(turns, ctx=call.ctx(session_id), result=result):
                parts.append(delta)
                yield _sse("delta", {"text": delta})
            entry.input_tokens, entry.output_tokens = result.input_tokens, result.output_tokens
    except ProviderError as exc:
        error = api_error_of(exc)
        yield _sse("error", {"code": error.code, "message": error.message})
        return
    except Exception as exc:  # after the 200 the only way to report is an error event
        log.exception("gpt_stream failed (request %s)", call.request_id)
        yield _sse("error", {"code": "internal_error", "message": f"stream failed ({exc.__class__.__name__})"})
        return
    answer = result.text or "".join(parts)
    emotion = detect_emotion(answer)
    usage = {"input_tokens": result.input_tokens or 0, "output_tokens": result.output_tokens or 0}
    try:
        with transaction(call.state.engine) as session:
            row = owned_session(session, call.user_id, session_id)
            message = _add_message(session, row, call, role="assistant", content=answer, emotion=emotion,
                                   input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"])
            message_id = message.id
    except Exception as exc:
        log.exception("gpt_stream could not save the answer (request %s)", call.request_id)
        yield _sse("error", {"code": "internal_error", "message": f"answer not saved ({exc.__class__.__name__})"})
        return
    yield _sse("done", {"message_id": message_id, "text": answer, "usage": usage, "emotion": emotion,
                        "user_message_id": user_message_id})


# ---- gpt_feedback.php ---------------------------------------------------------------------------------


def _split_corrections(reply: str) -> tuple[str, list[dict[str, str | None]]]:
    kept: list[str] = []
    corrections: list[dict[str, str | None]] = []
    for line in reply.splitlines():
        match = _CORRECTION_LINE.match(line) if ("->" in line or "→" in line) else None
        if match:
            corrections.append({"original": match["orig"].strip(), "corrected": match["fix"].strip(),
                                "explanation": (match["why"] or "").strip() or None})
        else:
            kept.append(line)
    return "\n".join(kept).strip(), corrections


def gpt_feedback(call: Call) -> Response:
    p = call.params
    text = p.message.strip()
    if not text:
        raise ApiError(422, "validation_failed", "message: must not be blank", fields={"message": "blank"})
    if p.session_id is not None:
        with transaction(call.state.engine) as session:
            owned_session(session, call.user_id, p.session_id)
    result = complete(call, [ChatTurn("system", FEEDBACK_PROMPT), ChatTurn("user", text)],
                      operation="feedback", session_id=p.session_id)
    answer, corrections = _split_corrections(result.text)
    emotion = "review" if corrections else detect_emotion(answer)
    usage = {"input_tokens": result.input_tokens or 0, "output_tokens": result.output_tokens or 0}
    message_id: int | None = None
    if p.session_id is not None:
        with transaction(call.state.engine) as session:
            row = owned_session(session, call.user_id, p.session_id)
            _user_turn(session, row, call, text)
            message = _add_message(session, row, call, role="assistant", content=answer, emotion=emotion,
                                   input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"])
            message_id = message.id
    return ok({"text": answer, "corrections": corrections, "emotion": emotion, "usage": usage,
               "message_id": message_id})


# ---- elevenlabs_tts_stream.php ------------------------------------------------------------------------


def tts_stream(call: Call) -> Response:
    from ..db.models import AiCharacter, AiPersona

    p = call.params
    if not p.text.strip():
        raise ApiError(422, "validation_failed", "text: must not be blank", fields={"text": "blank"})
    voice_id = p.voice_id
    with transaction(call.state.engine) as session:
        # The voice: asked for, else the session's character's, else its persona's, else tts_voice_id.
        if p.session_id is not None:
            row = owned_session(session, call.user_id, p.session_id)
            if voice_id is None and row.character_id is not None:
                character = session.get(AiCharacter, row.character_id)
                voice_id = character.voice_id if character else None
            if voice_id is None and row.persona_id is not None:
                persona = session.get(AiPersona, row.persona_id)
                voice_id = persona.voice_id if persona else None
        voice_id = voice_id or setting(session, "tts_voice_id")
    tts = call.state.providers.tts
    ctx = call.ctx(p.session_id)
    usage = call.usage(tts, "tts", session_id=p.session_id)
    entry = usage.__enter__()
    entry.characters = len(p.text)
    try:
        with provider_errors():
            audio = tts.stream(p.text, voice_id=voice_id, ctx=ctx)
            chunks = iter(audio.chunks)
            # Pull the first chunk now: a provider refusing the request still gets a JSON error answer.
            first = next(chunks, b"")
    except BaseException as exc:
        usage.__exit__(type(exc), exc, exc.__traceback__)
        raise

    def body() -> Iterator[bytes]:
        failed: BaseException | None = None
        try:
            if first:
                yield first
            yield from chunks
        except BaseException as exc:
            failed = exc
            log.warning("tts stream broke (request %s): %s", call.request_id, redact(str(exc)))
            raise
        finally:
            if failed is None:
                usage.__exit__(None, None, None)
            else:
                usage.__exit__(type(failed), failed, failed.__traceback__)

    return StreamingResponse(body(), media_type=audio.content_type, headers={"Cache-Control": "no-store"})


HANDLERS: dict[str, Handler] = {
    "stt_upload": stt_upload,
    "gpt_stream": gpt_stream,
    "gpt_feedback": gpt_feedback,
    "elevenlabs_tts_stream": tts_stream,
}
