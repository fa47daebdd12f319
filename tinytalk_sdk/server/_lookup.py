"""Queries the endpoints share: settings, the caller's session, personas and characters."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ._responses import ApiError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..db.models import AiCharacter, AiPersona, ChatSession

__all__ = [
    "DEFAULT_AVATAR_PROVIDER",
    "DEFAULT_SYSTEM_PROMPT",
    "app_flags",
    "avatar_provider",
    "default_character",
    "default_persona",
    "owned_session",
    "setting",
    "settings",
    "typed_value",
    "user_character",
]

DEFAULT_AVATAR_PROVIDER = "replika"
DEFAULT_SYSTEM_PROMPT = (
    "You are TinyTalk, a friendly English tutor for children. Answer in one or two short, simple "
    "sentences. When the child makes a mistake, repeat the sentence correctly and ask them to try again."
)
_TRUE = {"1", "true", "yes", "on"}


def typed_value(raw: str | None, value_type: str | None) -> Any:
    """An admin_settings value as its declared type (PHP stores everything as text)."""
    kind = (value_type or "string").lower()
    if raw is None:
        return None
    try:
        if kind in ("bool", "boolean"):
            return raw.strip().lower() in _TRUE
        if kind in ("int", "integer"):
            return int(raw)
        if kind in ("float", "number", "decimal"):
            return float(raw)
        if kind == "json":
            return json.loads(raw)
    except ValueError:
        return raw
    return raw


def settings(session: Session) -> dict[str, tuple[Any, str]]:
    """Every admin setting: key → (typed value, value_type)."""
    from sqlalchemy import select

    from ..db.models import AdminSetting

    rows = session.execute(select(AdminSetting)).scalars().all()
    return {r.setting_key: (typed_value(r.setting_value, r.value_type), (r.value_type or "string").lower())
            for r in rows}


def setting(session: Session, key: str) -> Any:
    """A setting's effective value: the row parsed as ``tinytalk_sdk.settings`` declares it, else its default.

    A row that does not parse (a hand edit, an old PHP value) counts as the default, as a PHP
    ``?? default`` would; ``tinytalk settings list`` flags such rows.
    """
    from .._exceptions import ValidationError
    from ..db.models import AdminSetting
    from ..settings import KNOWN_SETTINGS

    row = session.get(AdminSetting, key)
    spec = KNOWN_SETTINGS.get(key)
    if row is None:
        return spec.default if spec else None
    if spec is None:
        return typed_value(row.setting_value, row.value_type)
    try:
        return spec.parse(row.setting_value)
    except ValidationError:
        return spec.default


def avatar_provider(session: Session) -> str:
    value = setting(session, "avatar_provider")
    return value if value in ("heygen", "replika") else DEFAULT_AVATAR_PROVIDER


def video_avatar_vendor(session: Session) -> str:
    value = setting(session, "video_avatar_vendor")
    return value if value in ("heygen", "liveavatar") else "heygen"


def app_flags(session: Session) -> dict[str, bool]:
    """Switches for the app: every boolean setting (``maintenance_mode``, …) plus the boolean entries of
    the ``feature_flags`` JSON object."""
    from ..settings import KNOWN_SETTINGS

    flags: dict[str, bool] = {}
    for key, (value, kind) in settings(session).items():
        if kind in ("bool", "boolean") and key not in KNOWN_SETTINGS:
            flags[key] = bool(value)
    for key, spec in KNOWN_SETTINGS.items():
        if spec.value_type == "bool":
            flags[key] = bool(setting(session, key))
    features = setting(session, "feature_flags")
    if isinstance(features, dict):
        flags.update({str(k): v for k, v in features.items() if isinstance(v, bool)})
    return flags


def owned_session(session: Session, user_id: int | None, session_id: int) -> ChatSession:
    """The caller's chat session; 404 for a missing one or someone else's (no existence leak)."""
    from ..db.models import ChatSession

    row = session.get(ChatSession, session_id)
    if row is None or row.user_id != user_id:
        raise ApiError(404, "session_not_found", f"chat session {session_id} not found")
    return row


def default_persona(session: Session) -> AiPersona | None:
    """The persona named by the ``default_persona`` setting, else the one flagged default, else the first."""
    from sqlalchemy import select

    from ..db.models import AiPersona

    named = setting(session, "default_persona")
    if named:
        persona = session.execute(
            select(AiPersona).where(AiPersona.name == named, AiPersona.status == "active")
        ).scalar_one_or_none()
        if persona is not None:
            return persona
    return session.execute(
        select(AiPersona).where(AiPersona.status == "active")
        .order_by(AiPersona.is_default.desc(), AiPersona.id).limit(1)
    ).scalar_one_or_none()


def default_character(session: Session) -> AiCharacter | None:
    """The character named by the ``default_character`` setting (its code), else the active one flagged
    default, else the first active one."""
    from sqlalchemy import select

    from ..db.models import AiCharacter

    code = setting(session, "default_character")
    if code:
        named = session.execute(
            select(AiCharacter).where(AiCharacter.code == code, AiCharacter.is_active.is_(True))
        ).scalar_one_or_none()
        if named is not None:
            return named
    return session.execute(
        select(AiCharacter).where(AiCharacter.is_active.is_(True))
        .order_by(AiCharacter.is_default.desc(), AiCharacter.id).limit(1)
    ).scalar_one_or_none()


def user_character(session: Session, user_id: int | None) -> tuple[AiCharacter | None, str | None]:
    """The character assigned to the user (B2B), else the default one: (character, source)."""
    from sqlalchemy import select

    from ..db.models import AiCharacter, StudentCharacterAssignment

    if user_id is not None:
        row = session.execute(
            select(AiCharacter).join(StudentCharacterAssignment,
                                     StudentCharacterAssignment.character_id == AiCharacter.id)
            .where(StudentCharacterAssignment.user_id == user_id, AiCharacter.is_active.is_(True))
        ).scalar_one_or_none()
        if row is not None:
            return row, "assignment"
    fallback = default_character(session)
    return fallback, ("default" if fallback is not None else None)
