"""Global platform settings in ``admin_settings``: typed, validated, and audited.

The PHP backend reads these rows (``get_app_config.php`` sends ``avatar_provider``, the feature flags and
the default character to the app), so values are stored as plain strings it can read:

=========  =======================================  ==========================
type       stored as                                example
=========  =======================================  ==========================
choice     the choice                               ``replika``
string     the text; empty clears an optional one   ``tutor_kim``
int        decimal digits                           ``10``
bool       ``true`` / ``false``                     ``false``
json       compact JSON                             ``{"missions":true}``
=========  =======================================  ==========================

Every change is validated first (an invalid value raises :class:`~tinytalk_sdk.ValidationError` naming
the key and the allowed values, and nothing is written), then written in one transaction that sets
``updated_by`` / ``updated_at`` and appends ``{"at", "by", "old", "new"}`` to the row's ``history`` JSON
list (the last :data:`HISTORY_LIMIT` entries are kept). The platform fixes the database at 12 tables, so
the audit trail lives in the row rather than in a 13th table.

Keys the toolkit does not know (the PHP side may add its own) are listed and readable, but writing one
needs ``force=True`` (``tinytalk settings set --force``): we cannot validate what we do not know.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._exceptions import NotFoundError, ValidationError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from .db.models import AdminSetting

__all__ = [
    "HISTORY_LIMIT",
    "KNOWN_SETTINGS",
    "SettingChange",
    "SettingSpec",
    "SettingView",
    "add_default_settings",
    "ensure_default_settings",
    "get_setting",
    "list_settings",
    "set_setting",
    "setting_history",
]

HISTORY_LIMIT = 50
_KEY_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class SettingSpec:
    """What a known setting accepts. ``parse`` turns input (text or a Python value) into the typed value."""

    key: str
    value_type: str  # choice | string | int | bool | json
    default: Any
    description: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    optional: bool = False  # an empty value clears it (NULL)

    def allowed(self) -> str:
        """The allowed values, in words, for error messages and ``settings list``."""
        if self.value_type == "choice":
            return ", ".join(self.choices)
        if self.value_type == "bool":
            return "true, false"
        if self.value_type == "int":
            return f"an integer from {self.minimum} to {self.maximum}"
        if self.value_type == "json":
            return "a JSON object, e.g. {\"missions\": true}"
        text = f"text matching {self.pattern}" if self.pattern else "text"
        return text + (" (empty clears it)" if self.optional else "")

    def _invalid(self, value: Any, why: str = "") -> ValidationError:
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return ValidationError(
            f"invalid value '{shown}' for setting '{self.key}'{': ' + why if why else ''}; "
            f"allowed: {self.allowed()}",
            errors=[{"key": self.key, "value": shown, "allowed": self.allowed()}],
        )

    def parse(self, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            if self.optional:
                return None
            raise self._invalid("" if value is None else value, "a value is required")
        if self.value_type == "choice":
            text = str(value).strip().lower()
            if text not in self.choices:
                raise self._invalid(value)
            return text
        if self.value_type == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise self._invalid(value)
        if self.value_type == "int":
            if isinstance(value, bool):
                raise self._invalid(value)
            try:
                number = int(str(value).strip())
            except ValueError:
                raise self._invalid(value) from None
            if (self.minimum is not None and number < self.minimum) or (
                self.maximum is not None and number > self.maximum
            ):
                raise self._invalid(value, "out of range")
            return number
        if self.value_type == "json":
            parsed = value
            if isinstance(value, str):
                try:
                    parsed = json.loads(value)
                except json.JSONDecodeError as exc:
                    raise self._invalid(value, f"not JSON ({exc.msg})") from None
            if not isinstance(parsed, dict):
                raise self._invalid(value, "not a JSON object")
            return parsed
        text = str(value).strip()
        if self.pattern and not re.fullmatch(self.pattern, text):
            raise self._invalid(value)
        return text

    def dump(self, value: Any) -> str | None:
        """The typed value as the text stored in ``setting_value``."""
        if value is None:
            return None
        if self.value_type == "bool":
            return "true" if value else "false"
        if self.value_type == "json":
            return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return str(value)


def _specs(*specs: SettingSpec) -> dict[str, SettingSpec]:
    return {s.key: s for s in specs}


KNOWN_SETTINGS: dict[str, SettingSpec] = _specs(
    SettingSpec("avatar_provider", "choice", "replika",
                "Global avatar: heygen (premium video) or replika (Live2D); sent by get_app_config.php",
                choices=("heygen", "replika")),
    SettingSpec("default_character", "string", None, "ai_characters.code shown when a user has no assignment",
                pattern=r"[a-z0-9][a-z0-9_-]{0,63}", optional=True),
    SettingSpec("default_persona", "string", None, "ai_personas.name used for new sessions",
                pattern=r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}", optional=True),
    SettingSpec("max_upload_mb", "int", 10, "Largest voice upload stt_upload.php accepts (Whisper caps at 25)",
                minimum=1, maximum=25),
    SettingSpec("maintenance_mode", "bool", False, "When true the app shows a maintenance notice"),
    SettingSpec("feature_flags", "json", {}, "Feature switches sent to the app (JSON object)"),
    SettingSpec("tts_voice_id", "string", None, "ElevenLabs voice for TTS when the persona names none",
                pattern=r"[A-Za-z0-9_-]{1,120}", optional=True),
    SettingSpec("heygen_avatar_id", "string", None, "HeyGen avatar for streaming sessions",
                pattern=r"[A-Za-z0-9_.-]{1,120}", optional=True),
    # Which vendor serves the video mode (avatar_provider = heygen). A separate key, not a third
    # avatar_provider value: the PHP app only knows heygen | replika (docs/liveavatar.md).
    SettingSpec("video_avatar_vendor", "choice", "heygen",
                "Vendor behind the video avatar (avatar_provider heygen): heygen (v1 streaming) or liveavatar",
                choices=("heygen", "liveavatar")),
    SettingSpec("liveavatar_avatar_id", "string", None, "LiveAvatar avatar (UUID) for video sessions",
                pattern=r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                optional=True),
)


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass
class SettingView:
    """One setting as stored (or its default when no row exists)."""

    key: str
    value: Any
    raw: str | None
    value_type: str
    description: str | None
    known: bool
    is_default: bool
    valid: bool = True
    problem: str | None = None
    allowed: str | None = None
    updated_by: str | None = None
    updated_at: dt.datetime | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, *, with_history: bool = False) -> dict[str, Any]:
        out = {
            "key": self.key,
            "value": self.value,
            "raw": self.raw,
            "type": self.value_type,
            "known": self.known,
            "is_default": self.is_default,
            "valid": self.valid,
            "problem": self.problem,
            "allowed": self.allowed,
            "description": self.description,
            "updated_by": self.updated_by,
            "updated_at": _iso(self.updated_at),
        }
        if with_history:
            out["history"] = list(self.history)
        return out


@dataclass(frozen=True)
class SettingChange:
    key: str
    old: str | None
    new: str | None
    changed: bool
    by: str
    at: dt.datetime
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "old": self.old, "new": self.new, "changed": self.changed, "by": self.by,
                "at": _iso(self.at), "dry_run": self.dry_run}


def _view(row: AdminSetting | None, key: str) -> SettingView:
    spec = KNOWN_SETTINGS.get(key)
    if row is None:
        assert spec is not None
        return SettingView(key=key, value=spec.default, raw=spec.dump(spec.default), value_type=spec.value_type,
                           description=spec.description, known=True, is_default=True, allowed=spec.allowed())
    view = SettingView(
        key=key, value=row.setting_value, raw=row.setting_value,
        value_type=spec.value_type if spec else row.value_type, description=row.description or
        (spec.description if spec else None), known=spec is not None, is_default=False,
        allowed=spec.allowed() if spec else None, updated_by=row.updated_by, updated_at=row.updated_at,
        history=list(row.history or []),
    )
    if spec is not None:
        try:
            view.value = spec.parse(row.setting_value)
        except ValidationError as exc:
            # A row PHP (or a hand edit) wrote that we would not accept: show it, flag it.
            view.valid, view.problem = False, exc.message
    return view


def list_settings(engine: Engine) -> list[SettingView]:
    """Every known setting (its default when no row exists) and every other row, sorted by key."""
    from sqlalchemy import select

    from .db import transaction
    from .db.models import AdminSetting

    with transaction(engine) as session:
        rows = {r.setting_key: r for r in session.scalars(select(AdminSetting))}
    keys = sorted(set(KNOWN_SETTINGS) | set(rows))
    return [_view(rows.get(k), k) for k in keys]


def get_setting(engine: Engine, key: str) -> SettingView:
    """One setting; a known setting without a row gives its default. Unknown and absent → NotFoundError."""
    from .db import transaction
    from .db.models import AdminSetting

    with transaction(engine) as session:
        row = session.get(AdminSetting, key)
    if row is None and key not in KNOWN_SETTINGS:
        raise NotFoundError(
            f"setting '{key}' not found", hint=f"known settings: {', '.join(sorted(KNOWN_SETTINGS))}"
        )
    return _view(row, key)


def setting_history(engine: Engine, key: str) -> list[dict[str, Any]]:
    """The audit entries of one setting, oldest first: ``{"at", "by", "old", "new"}``."""
    return get_setting(engine, key).history


def _check_actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor:
        raise ValidationError("a setting change needs an actor (who is changing it)")
    return actor[:100]


def set_setting(
    engine: Engine,
    key: str,
    value: Any,
    *,
    actor: str,
    force: bool = False,
    dry_run: bool = False,
    now: Callable[[], dt.datetime] | None = None,
) -> SettingChange:
    """Validate and store one setting, recording who changed it, when, and old → new.

    ``value`` may be text (as typed on a command line) or a Python value (``True``, ``25``, ``{...}``).
    Setting the value it already has changes nothing and records nothing (``changed=False``).
    Unknown keys need ``force=True`` and are stored as text. ``dry_run`` validates and reports, writes
    nothing.
    """
    from sqlalchemy import select

    from .db import transaction
    from .db.models import AdminSetting
    from .db.types import utcnow

    actor = _check_actor(actor)
    spec = KNOWN_SETTINGS.get(key)
    if spec is None:
        if not _KEY_RE.match(key):
            raise ValidationError(f"invalid setting key '{key}': use a-z, 0-9, '_', '.', '-' (max 64)")
        if not force:
            raise ValidationError(
                f"unknown setting '{key}'; known: {', '.join(sorted(KNOWN_SETTINGS))}",
                hint="to store a key the toolkit cannot validate, pass --force (force=True)",
            )
        new_raw: str | None = None if value is None else str(value)
    else:
        new_raw = spec.dump(spec.parse(value))
    at = (now or utcnow)()

    with transaction(engine) as session:
        # FOR UPDATE: two admins changing the same key must not lose a history entry (no-op on SQLite).
        row = session.scalars(
            select(AdminSetting).where(AdminSetting.setting_key == key).with_for_update()
        ).one_or_none()
        old_raw = row.setting_value if row is not None else None
        if row is not None and old_raw == new_raw:
            return SettingChange(key=key, old=old_raw, new=new_raw, changed=False, by=actor, at=at,
                                 dry_run=dry_run)
        if dry_run:
            return SettingChange(key=key, old=old_raw, new=new_raw, changed=True, by=actor, at=at, dry_run=True)
        if row is None:
            row = AdminSetting(setting_key=key, value_type=spec.value_type if spec else "string",
                               description=spec.description[:255] if spec else None, history=[])
            session.add(row)
        entry = {"at": _iso(at), "by": actor, "old": old_raw, "new": new_raw}
        # Assign a new list: the JSON column does not track in-place mutation.
        row.history = [*(row.history or []), entry][-HISTORY_LIMIT:]
        row.setting_value = new_raw
        row.updated_by = actor
        row.updated_at = at
        if spec is not None:
            row.value_type = spec.value_type
    return SettingChange(key=key, old=old_raw, new=new_raw, changed=True, by=actor, at=at)


def add_default_settings(
    session: Session, *, actor: str, overrides: Mapping[str, Any] | None = None
) -> list[str]:
    """In the caller's transaction: a row with the default value for each known setting that has none.

    ``overrides`` replaces some defaults (validated like any value). Returns the keys added. Existing
    rows are never touched, whatever their value.
    """
    from sqlalchemy import select

    from .db.models import AdminSetting
    from .db.types import utcnow

    actor = _check_actor(actor)
    at = utcnow()
    added: list[str] = []
    present = set(session.scalars(select(AdminSetting.setting_key)))
    for key, spec in KNOWN_SETTINGS.items():
        if key in present:
            continue
        value = spec.parse(overrides[key]) if overrides and key in overrides else spec.default
        raw = spec.dump(value)
        session.add(AdminSetting(
            setting_key=key, setting_value=raw, value_type=spec.value_type,
            description=spec.description[:255], updated_by=actor, updated_at=at,
            history=[{"at": _iso(at), "by": actor, "old": None, "new": raw}],
        ))
        added.append(key)
    return added


def ensure_default_settings(engine: Engine, *, actor: str) -> list[str]:
    """:func:`add_default_settings` in its own transaction."""
    from .db import transaction

    with transaction(engine) as session:
        return add_default_settings(session, actor=actor)
