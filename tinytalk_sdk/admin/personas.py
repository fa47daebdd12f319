"""AI personas and their prompt history: the admin module people touch most.

Rules (docs/admin-operations.md):

- ``ai_personas.version`` is the *prompt* version. Every prompt change bumps it and writes one
  ``prompt_history`` row (version, old and new prompt, who, when, reason) in the same transaction.
  Changing only metadata (display name, model, …) keeps the version and writes no history row.
- Optimistic locking: every write is ``UPDATE … WHERE id = ? AND version = N`` with N the version the
  caller based the edit on (``expect_version``, else the version just read). When another admin got there
  first the statement matches no row, :class:`ConflictError` is raised and the transaction rolls back.
- A rollback writes a *new* version whose prompt equals the old one; history is never rewritten.
- Personas as code: :func:`export_personas` writes ``<name>.yaml`` per persona (the prompt as a YAML block
  scalar so git diffs read line by line); :func:`plan_apply` / :func:`apply_personas` bring the database to
  what a folder says, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import ConflictError, NotFoundError, TinyTalkError, ValidationError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from ..db.models import AiPersona

__all__ = [
    "EDITABLE_FIELDS",
    "ApplyChange",
    "ApplyPlan",
    "Persona",
    "PersonaFile",
    "PromptVersion",
    "apply_personas",
    "archive_persona",
    "create_persona",
    "diff_versions",
    "export_personas",
    "get_persona",
    "list_personas",
    "load_persona_dir",
    "parse_version",
    "persona_document",
    "persona_history",
    "plan_apply",
    "prompt_at",
    "rollback_persona",
    "unified_diff",
    "update_persona",
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

    from ..db.models import AiPersona

    row = session.scalars(select(AiPersona).where(AiPersona.name == name)).one_or_none()
    if row is None:
        raise NotFoundError(f"persona '{name}' not found", hint="`tinytalk personas list` shows them")
    return row


# --------------------------------------------------------------------------------------------- reading


def list_personas(engine: Engine, *, include_archived: bool = False) -> list[Persona]:
    from sqlalchemy import select

    from ..db import transaction
    from ..db.models import AiPersona

    with transaction(engine) as session:
        stmt = select(AiPersona).order_by(AiPersona.name)
        if not include_archived:
            stmt = stmt.where(AiPersona.status == "active")
        return [_to_persona(r) for r in session.scalars(stmt)]


def get_persona(engine: Engine, name: str) -> Persona:
    from ..db import transaction

    with transaction(engine) as session:
        return _to_persona(_load(session, name))


def persona_history(engine: Engine, name: str) -> list[PromptVersion]:
    """Every prompt version of ``name``, oldest first."""
    from sqlalchemy import select

    from ..db import transaction
    from ..db.models import PromptHistory

    with transaction(engine) as session:
        persona = _load(session, name)
        rows = session.scalars(
            select(PromptHistory).where(PromptHistory.persona_id == persona.id).order_by(PromptHistory.version)
        )
        return [
            PromptVersion(
                persona=name,
                version=r.version,
                old_prompt=r.old_prompt,
                new_prompt=r.new_prompt,
                changed_by=r.changed_by,
                reason=r.reason,
                created_at=r.created_at,
            )
            for r in rows
        ]


def prompt_at(engine: Engine, name: str, version: str | int) -> str:
    """The prompt as it was at ``version``."""
    from sqlalchemy import select

    from ..db import transaction
    from ..db.models import PromptHistory

    number = parse_version(version)
    with transaction(engine) as session:
        persona = _load(session, name)
        prompt = session.scalars(
            select(PromptHistory.new_prompt).where(
                PromptHistory.persona_id == persona.id, PromptHistory.version == number
            )
        ).one_or_none()
        if prompt is None:
            if number == persona.version:  # a persona made by PHP without history rows
                return persona.system_prompt
            raise NotFoundError(
                f"persona '{name}' has no version {number} (current: v{persona.version})",
                hint=f"`tinytalk personas history {name}` lists the versions",
            )
        return prompt


def unified_diff(old: str, new: str, *, old_label: str, new_label: str, context: int = 3) -> str:
    """A unified diff of two prompts ('' when equal); lines end with a newline."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    # A last line without a newline would glue onto the next diff line.
    if old_lines and not old_lines[-1].endswith("\n"):
        old_lines[-1] += "\n"
    if new_lines and not new_lines[-1].endswith("\n"):
        new_lines[-1] += "\n"
    return "".join(difflib.unified_diff(old_lines, new_lines, old_label, new_label, n=context))


def diff_versions(engine: Engine, name: str, old: str | int, new: str | int, *, context: int = 3) -> str:
    """Unified diff of the prompt between two versions of ``name``."""
    a, b = parse_version(old), parse_version(new)
    return unified_diff(
        prompt_at(engine, name, a),
        prompt_at(engine, name, b),
        old_label=f"{name}@v{a}",
        new_label=f"{name}@v{b}",
        context=context,
    )


# --------------------------------------------------------------------------------------------- writing


def _insert_history(
    session: Session, *, persona_id: int, version: int, old: str | None, new: str, actor: str,
    reason: str | None,
) -> None:
    from ..db.models import PromptHistory

    session.add(
        PromptHistory(
            persona_id=persona_id,
            version=version,
            old_prompt=old,
            new_prompt=new,
            changed_by=(actor or "unknown")[:100],
            reason=(reason or None) and reason[:500],
            created_at=_now(),
        )
    )
    session.flush()


def _create(session: Session, *, name: str, system_prompt: str, actor: str, reason: str | None,
            fields: dict[str, Any], status: str = "active") -> AiPersona:
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from ..db.models import AiPersona

    if session.scalars(select(AiPersona.id).where(AiPersona.name == name)).first() is not None:
        raise ConflictError(f"persona '{name}' already exists")
    now = _now()
    row = AiPersona(
        name=name,
        display_name=fields.get("display_name") or name,
        description=fields.get("description"),
        system_prompt=system_prompt,
        version=1,
        model=fields.get("model") or "gpt-4o",
        temperature=fields.get("temperature", 0.7),
        heygen_avatar_id=fields.get("heygen_avatar_id"),
        voice_id=fields.get("voice_id"),
        is_default=bool(fields.get("is_default", False)),
        status=status,
        created_at=now,
        archived_at=now if status == "archived" else None,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # created by someone else between our check and our insert
        raise ConflictError(f"persona '{name}' already exists") from None
    _insert_history(session, persona_id=row.id, version=1, old=None, new=system_prompt, actor=actor,
                    reason=reason or "created")
    return row


def create_persona(
    engine: Engine,
    *,
    name: str,
    system_prompt: str,
    actor: str,
    reason: str | None = None,
    display_name: str | None = None,
    **fields: Any,
) -> Persona:
    """A new persona at version 1, with its first ``prompt_history`` row."""
    from ..db import transaction

    _check_name(name)
    prompt = _check_prompt(system_prompt)
    checked = _check_fields({"display_name": display_name or name, **fields})
    with transaction(engine) as session:
        row = _create(session, name=name, system_prompt=prompt, actor=actor, reason=reason, fields=checked)
        if checked.get("is_default"):
            _clear_other_defaults(session, row.id)
        return _to_persona(row)


def _clear_other_defaults(session: Session, keep_id: int) -> None:
    # One default persona: the app falls back to it when a user has none.
    from sqlalchemy import update

    from ..db.models import AiPersona

    session.execute(
        update(AiPersona).where(AiPersona.id != keep_id, AiPersona.is_default.is_(True)).values(is_default=False)
    )


def _guarded_update(session: Session, persona_id: int, name: str, expected: int, values: dict[str, Any]) -> None:
    """``UPDATE … WHERE version = expected``: the optimistic lock. No row matched → someone else won."""
    from sqlalchemy import select, update

    from ..db.models import AiPersona

    result = session.execute(
        update(AiPersona)
        .where(AiPersona.id == persona_id, AiPersona.version == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        current = session.scalars(select(AiPersona.version).where(AiPersona.id == persona_id)).first()
        raise ConflictError(
            f"persona '{name}' changed while you were editing: you started from v{expected}, "
            f"the database now has v{current}; nothing was written",
            hint=f"look at `tinytalk personas diff {name} v{expected} v{current}` and edit again",
        )


def _write(
    session: Session,
    row: AiPersona,
    *,
    expected: int,
    actor: str,
    reason: str | None,
    prompt: str | None = None,
    fields: dict[str, Any] | None = None,
    status: str | None = None,
) -> bool:
    """Apply a change to a loaded row through the guarded UPDATE. False when nothing differs."""
    values: dict[str, Any] = {}
    for key, value in (fields or {}).items():
        if not _same(key, getattr(row, key), value):
            values[key] = value
    if status is not None and status != row.status:
        values["status"] = status
        values["archived_at"] = _now() if status == "archived" else None
    new_version = row.version
    prompt_changed = prompt is not None and prompt != row.system_prompt
    if prompt_changed:
        new_version = expected + 1
        values["system_prompt"] = prompt
        values["version"] = new_version
    if not values:
        if row.version != expected:  # nothing to write, but the caller's view is stale: still say so
            _guarded_update(session, row.id, row.name, expected, {"version": expected})
        return False
    values["updated_at"] = _now()
    old_prompt = row.system_prompt
    _guarded_update(session, row.id, row.name, expected, values)
    if prompt_changed:
        assert prompt is not None
        _insert_history(session, persona_id=row.id, version=new_version, old=old_prompt, new=prompt,
                        actor=actor, reason=reason)
    if values.get("is_default"):
        _clear_other_defaults(session, row.id)
    return True


def update_persona(
    engine: Engine,
    name: str,
    *,
    actor: str,
    system_prompt: str | None = None,
    expect_version: int | None = None,
    reason: str | None = None,
    **fields: Any,
) -> Persona:
    """Change the prompt and/or metadata of ``name``.

    ``expect_version`` is the version the edit is based on (the one shown when the editor opened);
    when the stored version differs, :class:`ConflictError` and nothing is written.
    """
    from ..db import transaction

    prompt = _check_prompt(system_prompt) if system_prompt is not None else None
    checked = _check_fields(fields)
    with transaction(engine) as session:
        row = _load(session, name)
        expected = row.version if expect_version is None else expect_version
        _write(session, row, expected=expected, actor=actor, reason=reason, prompt=prompt, fields=checked)
    return get_persona(engine, name)


def archive_persona(engine: Engine, name: str, *, actor: str, restore: bool = False) -> Persona:
    """Archive (or with ``restore=True`` bring back) ``name``. Archived personas keep their history."""
    from ..db import transaction

    with transaction(engine) as session:
        row = _load(session, name)
        _write(session, row, expected=row.version, actor=actor, reason=None,
               status="active" if restore else "archived")
    return get_persona(engine, name)


def rollback_persona(
    engine: Engine,
    name: str,
    version: str | int,
    *,
    actor: str,
    reason: str | None = None,
    expect_version: int | None = None,
) -> Persona:
    """A new version whose prompt equals ``version``'s. History is appended to, never rewritten."""
    from ..db import transaction

    number = parse_version(version)
    target = prompt_at(engine, name, number)
    with transaction(engine) as session:
        row = _load(session, name)
        expected = row.version if expect_version is None else expect_version
        if number == row.version and expected == row.version:
            raise ValidationError(f"persona '{name}' is already at v{number}; nothing to roll back")
        if target == row.system_prompt:
            raise ValidationError(
                f"persona '{name}' v{row.version} already has the prompt of v{number}; nothing to roll back"
            )
        _write(session, row, expected=expected, actor=actor, reason=reason or f"rollback to v{number}",
               prompt=target)
    return get_persona(engine, name)


# ------------------------------------------------------------------------------------ personas as code


def _yaml_dump(data: dict[str, Any]) -> str:
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        # Multi-line text as a block scalar: one prompt line per file line, so git diffs are readable.
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)


def persona_document(persona: Persona) -> dict[str, Any]:
    """What one exported file holds (``version`` is informational: apply ignores it)."""
    return {
        "name": persona.name,
        "display_name": persona.display_name,
        "description": persona.description,
        "model": persona.model,
        "temperature": persona.temperature,
        "heygen_avatar_id": persona.heygen_avatar_id,
        "voice_id": persona.voice_id,
        "is_default": persona.is_default,
        "status": persona.status,
        "version": persona.version,
        "system_prompt": persona.system_prompt,
    }


def export_personas(engine: Engine, directory: Path | str, *, include_archived: bool = True) -> list[Path]:
    """Write ``<name>.yaml`` per persona into ``directory`` (made if missing). Returns the files."""
    import yaml

    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise ValidationError(f"{folder}: not a folder (give a folder for the <name>.yaml files)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TinyTalkError(f"{folder}: cannot create the folder ({exc.strerror})") from None
    written: list[Path] = []
    for persona in list_personas(engine, include_archived=include_archived):
        path = folder / f"{persona.name}.yaml"
        text = _yaml_dump(persona_document(persona))
        # Block scalars cannot hold every string (trailing spaces, some control characters): PyYAML then
        # quotes. Either way the prompt must come back identical.
        if yaml.safe_load(text)["system_prompt"] != persona.system_prompt:  # pragma: no cover - guard
            raise ValidationError(f"{path}: the prompt does not survive YAML; report this persona")
        try:
            path.write_text(text, encoding="utf-8", newline="\n")
        except OSError as exc:
            raise TinyTalkError(f"{path}: cannot write ({exc.strerror})") from None
        written.append(path)
    return written


@dataclass(frozen=True)
class PersonaFile:
    path: Path
    name: str
    system_prompt: str
    status: str
    fields: dict[str, Any]


def load_persona_dir(directory: Path | str) -> list[PersonaFile]:
    """Read and check every ``*.yaml``/``*.yml`` in ``directory``; all problems at once."""
    import yaml

    folder = Path(directory)
    if not folder.is_dir():
        raise NotFoundError(f"{folder}: not a folder")
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    errors: list[str] = []
    out: list[PersonaFile] = []
    seen: dict[str, Path] = {}
    for path in files:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.MarkedYAMLError as exc:
            # name the line: content people fix these files by hand
            mark = exc.problem_mark
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
            errors.append(f"{path}: not valid YAML: {where}{exc.problem or exc.context or 'syntax error'}")
            continue
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            errors.append(f"{path}: not valid UTF-8 YAML: {str(exc).splitlines()[0]}")
            continue
        if not isinstance(doc, dict):
            errors.append(f"{path}: expected a mapping of persona fields")
            continue
        unknown = sorted(set(doc) - set(_FILE_KEYS))
        if unknown:
            errors.append(f"{path}: unknown field(s) {', '.join(unknown)}")
        name = doc.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            errors.append(f"{path}, field 'name': missing or not a persona name")
            continue
        if name in seen:
            errors.append(f"{path}: persona '{name}' also defined in {seen[name]}")
            continue
        seen[name] = path
        prompt = doc.get("system_prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            errors.append(f"{path}, field 'system_prompt': missing or empty")
            continue
        status = doc.get("status", "active")
        if status not in _STATUSES:
            errors.append(f"{path}, field 'status': must be active or archived")
            continue
        raw_fields = {k: doc[k] for k in EDITABLE_FIELDS if k in doc}
        raw_fields.setdefault("display_name", name)
        try:
            fields = _check_fields(raw_fields, where=str(path))
        except ValidationError as exc:
            errors.extend(str(e) for e in exc.errors)
            continue
        out.append(PersonaFile(path=path, name=name, system_prompt=prompt.replace("\r\n", "\n"),
                               status=status, fields=fields))
    if errors:
        raise ValidationError(
            f"{len(errors)} problem(s) in {folder}: {errors[0]}", errors=errors
        )
    return out


@dataclass
class ApplyChange:
    name: str
    action: str  # create | update | archive | unchanged
    version: int | None = None  # the stored version the change is based on
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field → (old, new)
    prompt_diff: str = ""
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "action": self.action,
            "version": self.version,
            "fields": {k: {"old": a, "new": b} for k, (a, b) in self.fields.items()},
            "prompt_changed": bool(self.prompt_diff),
            "prompt_diff": self.prompt_diff,
            "path": self.path,
        }


@dataclass
class ApplyPlan:
    directory: str
    changes: list[ApplyChange]
    applied: bool = False

    def by_action(self, action: str) -> list[ApplyChange]:
        return [c for c in self.changes if c.action == action]

    @property
    def is_noop(self) -> bool:
        return all(c.action == "unchanged" for c in self.changes)

    def counts(self) -> dict[str, int]:
        return {a: len(self.by_action(a)) for a in ("create", "update", "archive", "unchanged")}

    def to_dict(self) -> dict[str, Any]:
        return {"directory": self.directory, "applied": self.applied, "counts": self.counts(),
                "changes": [c.to_dict() for c in self.changes]}


def _plan(session: Session, files: Sequence[PersonaFile], *, prune: bool, directory: str) -> ApplyPlan:
    from sqlalchemy import select

    from ..db.models import AiPersona

    stored = {r.name: r for r in session.scalars(select(AiPersona))}
    changes: list[ApplyChange] = []
    for f in files:
        row = stored.get(f.name)
        if row is None:
            changes.append(ApplyChange(
                name=f.name, action="create", path=str(f.path),
                fields={k: (None, v) for k, v in f.fields.items()},
                prompt_diff=unified_diff("", f.system_prompt, old_label="/dev/null", new_label=f"{f.name}@new"),
            ))
            continue
        diffs = {k: (getattr(row, k), v) for k, v in f.fields.items() if not _same(k, getattr(row, k), v)}
        if f.status != row.status:
            diffs["status"] = (row.status, f.status)
        prompt_diff = unified_diff(row.system_prompt, f.system_prompt, old_label=f"{f.name}@v{row.version}",
                                   new_label=f"{f.name}@{f.path.name}")
        action = "update" if diffs or prompt_diff else "unchanged"
        changes.append(ApplyChange(name=f.name, action=action, version=row.version, fields=diffs,
                                   prompt_diff=prompt_diff, path=str(f.path)))
    if prune:
        named = {f.name for f in files}
        for name, row in sorted(stored.items()):
            if name not in named and row.status == "active":
                changes.append(ApplyChange(name=name, action="archive", version=row.version,
                                           fields={"status": ("active", "archived")}))
    return ApplyPlan(directory=directory, changes=changes)


def plan_apply(engine: Engine, directory: Path | str, *, prune: bool = False) -> ApplyPlan:
    """What :func:`apply_personas` would change; writes nothing."""
    from ..db import transaction

    files = load_persona_dir(directory)
    with transaction(engine) as session:
        return _plan(session, files, prune=prune, directory=str(directory))


def apply_personas(
    engine: Engine,
    directory: Path | str,
    *,
    actor: str,
    prune: bool = False,
    reason: str | None = None,
    plan: ApplyPlan | None = None,
) -> ApplyPlan:
    """Make the database match ``directory`` in one transaction (create, update, archive with ``prune``).

    With ``plan`` (from :func:`plan_apply`, shown to the user) every update is guarded by the version the
    plan saw: a persona changed since then raises :class:`ConflictError` and nothing is written.
    """
    from sqlalchemy import select

    from ..db import transaction
    from ..db.models import AiPersona

    files = load_persona_dir(directory)
    by_name = {f.name: f for f in files}
    why = reason or f"personas apply {Path(directory).name}"
    with transaction(engine) as session:
        fresh = _plan(session, files, prune=prune, directory=str(directory))
        seen = {c.name: c.version for c in (plan.changes if plan else fresh.changes)}
        for change in fresh.changes:
            if change.action == "unchanged":
                continue
            if plan is not None and change.name in seen and seen[change.name] != change.version:
                raise ConflictError(
                    f"persona '{change.name}' changed since the plan was made "
                    f"(v{seen[change.name]} → v{change.version}); nothing was written",
                    hint="run apply again to see the new diff",
                )
            if change.action == "create":
                f = by_name[change.name]
                _create(session, name=f.name, system_prompt=f.system_prompt, actor=actor, reason=why,
                        fields=f.fields, status=f.status)
                continue
            row = session.scalars(select(AiPersona).where(AiPersona.name == change.name)).one()
            expected = seen.get(change.name) or row.version
            if change.action == "archive":
                _write(session, row, expected=expected, actor=actor, reason=why, status="archived")
            else:
                f = by_name[change.name]
                _write(session, row, expected=expected, actor=actor, reason=why, prompt=f.system_prompt,
                       fields=f.fields, status=f.status)
        defaults = [f.name for f in files if f.fields.get("is_default")]
        if len(defaults) > 1:
            raise ValidationError(f"more than one persona has is_default: true ({', '.join(defaults)})")
        if defaults:
            keep = session.scalars(select(AiPersona.id).where(AiPersona.name == defaults[0])).one()
            _clear_other_defaults(session, keep)
        fresh.applied = not fresh.is_noop
    return fresh
