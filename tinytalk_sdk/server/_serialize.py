"""Rows → the JSON objects of the contract (the ``tinytalk_sdk.types`` response models' fields)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..db.models import AiCharacter, CharacterEmotion, ChatMessage, ChatSession, User

__all__ = ["absolute", "character_out", "iso", "message_out", "session_out", "user_out"]


def iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return value.isoformat(timespec="seconds").replace("+00:00", "Z")
    return value.isoformat()


def absolute(url: str | None, base: str) -> str | None:
    """Site-relative URLs (``/uploads/…``, ``/assets/live2d/…``) become absolute on this server."""
    if url and url.startswith("/") and not url.startswith("//"):
        return base + url
    return url


def user_out(user: User) -> dict[str, Any]:
    return {
        "id": user.id, "email": user.email, "name": user.name, "nickname": user.nickname,
        "level": user.level, "birth_year": user.birth_year, "school": user.school,
        "class_name": user.class_name, "student_no": user.student_no, "locale": user.locale,
        "created_at": iso(user.created_at), "last_login_at": iso(user.last_login_at),
    }


def session_out(row: ChatSession) -> dict[str, Any]:
    return {
        "id": row.id, "user_id": row.user_id, "persona_id": row.persona_id, "character_id": row.character_id,
        "title": row.title, "session_date": iso(row.session_date), "status": row.status,
        "avatar_provider": row.avatar_provider, "response_mode": row.response_mode, "summary": row.summary,
        "message_count": row.message_count, "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at), "saved_at": iso(row.saved_at),
    }


def message_out(row: ChatMessage, base: str) -> dict[str, Any]:
    return {
        "id": row.id, "session_id": row.session_id, "role": row.role, "content": row.content,
        "audio_url": absolute(row.audio_url, base), "emotion": row.emotion,
        "input_tokens": row.input_tokens, "output_tokens": row.output_tokens, "created_at": iso(row.created_at),
    }


def _emotion_out(row: CharacterEmotion, base: str) -> dict[str, Any]:
    return {
        "emotion": row.emotion, "motion_group": row.motion_group, "motion_index": row.motion_index,
        "motion_url": absolute(row.motion_url, base), "expression": row.expression,
        "expression_url": absolute(row.expression_url, base), "loop": bool(row.loop),
    }


def character_out(row: AiCharacter, emotions: list[CharacterEmotion], base: str) -> dict[str, Any]:
    from ..db.models import EMOTIONS

    order = {name: i for i, name in enumerate(EMOTIONS)}
    return {
        "id": row.id, "code": row.code, "name": row.name, "description": row.description,
        "persona_id": row.persona_id, "model_url": absolute(row.model_url, base),
        "manifest_url": absolute(row.manifest_url, base), "model_version": row.model_version,
        "thumbnail_url": absolute(row.thumbnail_url, base), "voice_id": row.voice_id,
        "is_default": bool(row.is_default),
        "emotions": [_emotion_out(e, base) for e in sorted(emotions, key=lambda e: order.get(e.emotion, 99))],
    }
