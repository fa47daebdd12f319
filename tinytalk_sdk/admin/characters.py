"""AI characters and their seven emotion motions (``ai_characters`` + ``character_emotions``).

A character is *complete* only when every one of :data:`~tinytalk_sdk.db.models.EMOTIONS` has a motion (a
``character_emotions`` row with a motion group or a motion URL): the app cycles through all seven states and
a missing one freezes the avatar. ``live2d publish --register`` fills these rows from a validated model; the
functions here edit the records themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._exceptions import ConflictError, NotFoundError, ValidationError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from ..db.models import AiCharacter

__all__ = [
    "CHARACTER_FIELDS",
    "EmotionMotion",
    "check_characters",
    "create_character",
    "get_character",
    "incomplete_characters",
    "list_characters",
    "parse_motion",
    "update_character",
]

# Columns an admin may set with create/update (the rest are ids and timestamps).
CHARACTER_FIELDS = (
    "name",
    "description",
    "persona_id",
    "model_url",
    "manifest_url",
    "model_version",
    "moc_version",
    "thumbnail_url",
    "voice_id",
    "is_active",
    "is_default",
)


@dataclass(frozen=True)
class EmotionMotion:
    """What one emotion plays: a motion (group + index, or a URL) and optionally an expression."""

    motion_group: str | None = None
    motion_index: int = 0
    motion_url: str | None = None
    expression: str | None = None
    expression_url: str | None = None
    loop: bool = False

    @property
    def has_motion(self) -> bool:
        return bool(self.motion_group or self.motion_url)


def parse_motion(spec: str) -> tuple[str, EmotionMotion]:
    """``"idle=Idle:0"`` / ``"praise=https://…/praise.motion3.json"`` → (emotion, motion)."""
    from ..db.models import EMOTIONS

    emotion, sep, rest = spec.partition("=")
    emotion = emotion.strip()
    if not sep or not rest.strip():
        raise ValidationError(f"motion '{spec}': expected EMOTION=GROUP[:INDEX] or EMOTION=URL")
    if emotion not in EMOTIONS:
        raise ValidationError(f"motion '{spec}': unknown emotion '{emotion}' (known: {', '.join(EMOTIONS)})")
    rest = rest.strip()
    if "://" in rest:
        return emotion, EmotionMotion(motion_url=rest)
    group, _, index = rest.partition(":")
    try:
        number = int(index) if index else 0
    except ValueError:
        raise ValidationError(f"motion '{spec}': index '{index}' is not a number") from None
    return emotion, EmotionMotion(motion_group=group, motion_index=number)


def _has_motion(row: Any) -> bool:
    return bool(row.motion_group or row.motion_url)


def _record(char: AiCharacter, *, with_emotions: bool) -> dict[str, Any]:
    from ..db.models import EMOTIONS

    have = {e.emotion for e in char.emotions if _has_motion(e)}
    missing = [e for e in EMOTIONS if e not in have]
    out: dict[str, Any] = {
        "id": char.id,
        "code": char.code,
        "name": char.name,
        "description": char.description,
        "persona_id": char.persona_id,
        "model_url": char.model_url,
        "manifest_url": char.manifest_url,
        "model_version": char.model_version,
        "moc_version": char.moc_version,
        "thumbnail_url": char.thumbnail_url,
        "voice_id": char.voice_id,
        "is_active": char.is_active,
        "is_default": char.is_default,
        "emotions_with_motion": len(have),
        "complete": not missing,
        "missing": missing,
        "created_at": char.created_at,
        "updated_at": char.updated_at,
    }
    if with_emotions:
        by_name = {e.emotion: e for e in char.emotions}
        out["emotions"] = [
            {
                "emotion": name,
                "motion_group": by_name[name].motion_group if name in by_name else None,
                "motion_index": by_name[name].motion_index if name in by_name else None,
                "motion_url": by_name[name].motion_url if name in by_name else None,
                "expression": by_name[name].expression if name in by_name else None,
                "loop": by_name[name].loop if name in by_name else None,
                "has_motion": name in have,
            }
            for name in EMOTIONS
        ]
    return out


def _find(session: Session, ref: str | int) -> AiCharacter:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from ..db.models import AiCharacter

    stmt = select(AiCharacter).options(selectinload(AiCharacter.emotions))
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        char = session.scalars(stmt.where(AiCharacter.id == int(ref))).first()
        if char is None:  # a numeric code is possible
            char = session.scalars(stmt.where(AiCharacter.code == str(ref))).first()
    else:
        char = session.scalars(stmt.where(AiCharacter.code == ref)).first()
    if char is None:
        raise NotFoundError(f"character '{ref}' not found", hint="`tinytalk characters list` shows them")
    return char


def list_characters(engine: Engine, *, incomplete_only: bool = False) -> list[dict[str, Any]]:
    """Every character with how many emotions have a motion and which are missing."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from ..db.models import AiCharacter
    from ..db.session import transaction

    with transaction(engine) as session:
        chars = session.scalars(
            select(AiCharacter).options(selectinload(AiCharacter.emotions)).order_by(AiCharacter.id)
        ).all()
        rows = [_record(c, with_emotions=False) for c in chars]
    return [r for r in rows if not r["complete"]] if incomplete_only else rows


def incomplete_characters(engine: Engine) -> list[dict[str, Any]]:
    """Characters missing a motion for at least one emotion: ``id``, ``code``, ``name``, ``missing``."""
    return [
        {"id": r["id"], "code": r["code"], "name": r["name"], "missing": r["missing"]}
        for r in list_characters(engine, incomplete_only=True)
    ]


def check_characters(engine: Engine) -> dict[str, Any]:
    """``{"ok": bool, "checked": n, "incomplete": [...]}``: the data behind `characters check`."""
    rows = list_characters(engine)
    bad = [
        {"id": r["id"], "code": r["code"], "name": r["name"], "missing": r["missing"]}
        for r in rows
        if not r["complete"]
    ]
    return {"ok": not bad, "checked": len(rows), "incomplete": bad}


def get_character(engine: Engine, ref: str | int) -> dict[str, Any]:
    """One character (by code or id) with its seven emotion slots."""
    from ..db.session import transaction

    with transaction(engine) as session:
        return _record(_find(session, ref), with_emotions=True)


def _check_fields(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - set(CHARACTER_FIELDS)
    if unknown:
        raise ValidationError(f"unknown character field '{sorted(unknown)[0]}'")
    if "name" in fields and not (fields["name"] or "").strip():
        raise ValidationError("field 'name': must not be empty")


def _apply_motions(session: Session, char: AiCharacter, motions: Mapping[str, EmotionMotion]) -> None:
    from ..db.models import EMOTIONS, CharacterEmotion

    by_name = {e.emotion: e for e in char.emotions}
    now = dt.datetime.now(dt.UTC)
    for emotion, motion in motions.items():
        if emotion not in EMOTIONS:
            raise ValidationError(f"unknown emotion '{emotion}' (known: {', '.join(EMOTIONS)})")
        row = by_name.get(emotion)
        if row is None:
            row = CharacterEmotion(emotion=emotion)
            char.emotions.append(row)
        else:
            row.updated_at = now
        row.motion_group = motion.motion_group
        row.motion_index = motion.motion_index
        row.motion_url = motion.motion_url
        row.expression = motion.expression
        row.expression_url = motion.expression_url
        row.loop = motion.loop
    session.flush()


def _clear_other_defaults(session: Session, keep_id: int) -> None:
    from sqlalchemy import update

    from ..db.models import AiCharacter

    session.execute(update(AiCharacter).where(AiCharacter.id != keep_id).values(is_default=False))


def _check_persona(session: Session, persona_id: int | None) -> None:
    """A persona_id that names no persona fails here, not as a foreign-key error from the database."""
    from ..db.models import AiPersona

    if persona_id is not None and session.get(AiPersona, persona_id) is None:
        raise NotFoundError(f"field 'persona_id': persona id {persona_id} not found",
                            hint="`tinytalk personas list --json` shows the ids")


def create_character(
    engine: Engine,
    *,
    code: str,
    name: str,
    motions: Mapping[str, EmotionMotion] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Create a character (and any emotion motions given) in one transaction."""
    from sqlalchemy import select

    from ..db.models import AiCharacter
    from ..db.session import transaction

    code = code.strip()
    if not code:
        raise ValidationError("field 'code': must not be empty")
    _check_fields({"name": name, **fields})
    with transaction(engine) as session:
        if session.scalars(select(AiCharacter.id).where(AiCharacter.code == code)).first() is not None:
            raise ConflictError(f"character '{code}' already exists", hint="use `tinytalk characters update`")
        _check_persona(session, fields.get("persona_id"))
        char = AiCharacter(code=code, name=name, **fields)
        session.add(char)
        session.flush()
        if motions:
            _apply_motions(session, char, motions)
        if char.is_default:
            _clear_other_defaults(session, char.id)
        session.flush()
        session.refresh(char, ["emotions"])
        return _record(char, with_emotions=True)


def update_character(
    engine: Engine,
    ref: str | int,
    *,
    motions: Mapping[str, EmotionMotion] | None = None,
    remove_emotions: list[str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Change fields and emotion motions of one character in one transaction."""
    from ..db.models import EMOTIONS
    from ..db.session import transaction

    _check_fields(fields)
    for emotion in remove_emotions or []:
        if emotion not in EMOTIONS:
            raise ValidationError(f"--remove-motion '{emotion}': unknown emotion (known: {', '.join(EMOTIONS)})")
    with transaction(engine) as session:
        char = _find(session, ref)
        _check_persona(session, fields.get("persona_id"))
        for key, value in fields.items():
            setattr(char, key, value)
        if motions:
            _apply_motions(session, char, motions)
        if remove_emotions:
            for row in [e for e in char.emotions if e.emotion in set(remove_emotions)]:
                char.emotions.remove(row)
        char.updated_at = dt.datetime.now(dt.UTC)
        if fields.get("is_default"):
            _clear_other_defaults(session, char.id)
        session.flush()
        session.refresh(char, ["emotions"])
        return _record(char, with_emotions=True)
