"""Personas as code: export ``<name>.yaml`` per persona, read a folder back, plan and apply it in one
transaction (create, update, archive with ``prune``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._exceptions import ConflictError, NotFoundError, TinyTalkError, ValidationError
from ._model import (
    _FILE_KEYS,
    _STATUSES,
    EDITABLE_FIELDS,
    NAME_RE,
    Persona,
    _check_fields,
    _same,
)
from .history import unified_diff
from .store import _clear_other_defaults, _create, _write, list_personas

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

__all__ = [
    "ApplyChange",
    "ApplyPlan",
    "PersonaFile",
    "apply_personas",
    "export_personas",
    "load_persona_dir",
    "persona_document",
    "plan_apply",
]


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

    from ...db.models import AiPersona

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
    from ...db import transaction

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

    from ...db import transaction
    from ...db.models import AiPersona

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
