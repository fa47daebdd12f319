"""What a persona is and the checks every write goes through: the shared core of the personas package."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..._exceptions import NotFoundError, ValidationError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ...db.models import AiPersona

__all__ = [
    "EDITABLE_FIELDS",
    "NAME_RE",
    "Persona",
    "PromptVersion",
    "parse_version",
]


NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,79}$")
# Metadata a file or an edit may set, besides name, system_prompt and status.
EDITABLE_FIELDS: tuple[str, ...] = (
    "display_name",
    "description",
    "model",
    "temperature",
    "heygen_avatar_id",
    "voice_id",
    "is_default",
)
_FILE_KEYS = ("name", *EDITABLE_FIELDS, "status", "version", "system_prompt")
_STATUSES = ("active", "archived")


@dataclass(frozen=True)
class Persona:
    id: int
    name: str
    display_name: str
    description: str | None
    system_prompt: str
    version: int
    model: str
    temperature: float
    heygen_avatar_id: str | None
    voice_id: str | None
    is_default: bool
    status: str
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    archived_at: dt.datetime | None

    def to_dict(self, *, prompt: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if not prompt:
            data.pop("system_prompt")
            data["prompt_lines"] = len(self.system_prompt.splitlines())
            data["prompt_chars"] = len(self.system_prompt)
        return data


@dataclass(frozen=True)
class PromptVersion:
    persona: str
    version: int
    old_prompt: str | None
    new_prompt: str
    changed_by: str
    reason: str | None
    created_at: dt.datetime | None

    def to_dict(self, *, prompts: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if not prompts:
            data.pop("old_prompt")
            data.pop("new_prompt")
            data["prompt_chars"] = len(self.new_prompt)
        return data


def _to_persona(row: AiPersona) -> Persona:
    return Persona(
        id=row.id,
        name=row.name,
        display_name=row.display_name,
        description=row.description,
        system_prompt=row.system_prompt,
        version=row.version,
        model=row.model,
        temperature=float(row.temperature),
        heygen_avatar_id=row.heygen_avatar_id,
        voice_id=row.voice_id,
        is_default=bool(row.is_default),
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
        archived_at=row.archived_at,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_version(text: str | int) -> int:
    """``v3``, ``3`` → 3."""
    if isinstance(text, int):
        value = text
    else:
        match = re.fullmatch(r"[vV]?(\d+)", text.strip())
        if not match:
            raise ValidationError(f"version '{text}' is not a version number (e.g. v3)")
        value = int(match.group(1))
    if value < 1:
        raise ValidationError(f"version {value}: versions start at 1")
    return value


def _check_name(name: str) -> None:
    if not NAME_RE.match(name or ""):
        raise ValidationError(
            f"persona name '{name}': use lowercase letters, digits, '-' and '_' (at most 80 characters)"
        )


def _check_prompt(prompt: str, *, where: str = "system_prompt") -> str:
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValidationError(f"{where}: the prompt is empty")
    # Editors on Windows save CRLF; store LF so versions diff cleanly.
    return prompt.replace("\r\n", "\n")


def _check_fields(fields: dict[str, Any], *, where: str = "persona") -> dict[str, Any]:
    out: dict[str, Any] = {}
    errors: list[str] = []
    for key, value in fields.items():
        if key not in EDITABLE_FIELDS:
            errors.append(f"{where}: unknown field '{key}'")
            continue
        if key == "display_name":
            if not isinstance(value, str) or not value.strip() or len(value) > 120:
                errors.append(f"{where}, field 'display_name': 1..120 characters")
                continue
        elif key == "temperature":
            try:
                value = float(value)
            except (TypeError, ValueError):
                errors.append(f"{where}, field 'temperature': not a number")
                continue
            if not 0.0 <= value <= 2.0:
                errors.append(f"{where}, field 'temperature': must be between 0 and 2")
                continue
        elif key == "is_default":
            if not isinstance(value, bool):
                errors.append(f"{where}, field 'is_default': true or false")
                continue
        elif key == "model":
            if not isinstance(value, str) or not value.strip() or len(value) > 64:
                errors.append(f"{where}, field 'model': 1..64 characters")
                continue
        elif value is not None and not isinstance(value, str):
            errors.append(f"{where}, field '{key}': text expected")
            continue
        elif key in ("heygen_avatar_id", "voice_id") and value and len(value) > 120:
            errors.append(f"{where}, field '{key}': at most 120 characters")
            continue
        out[key] = value
    if errors:
        raise ValidationError(errors[0] if len(errors) == 1 else f"{len(errors)} problems: {errors[0]} …",
                              errors=errors)
    return out


def _same(key: str, old: Any, new: Any) -> bool:
    # MySQL's FLOAT is single precision: 0.7 may come back as 0.699999988.
    if key == "temperature" and old is not None and new is not None:
        return round(float(old), 4) == round(float(new), 4)
    return bool(old == new)


def _load(session: Session, name: str) -> AiPersona:
    from sqlalchemy import select

    from ...db.models import AiPersona

    row = session.scalars(select(AiPersona).where(AiPersona.name == name)).one_or_none()
    if row is None:
        raise NotFoundError(f"persona '{name}' not found", hint="`tinytalk personas list` shows them")
    return row


# --------------------------------------------------------------------------------------------- reading
