"""The persona store: list, get, create, update, archive — every prompt change one history row, every write
guarded by the optimistic version lock (see the package docstring)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..._exceptions import ConflictError
from ._model import (
    Persona,
    _check_fields,
    _check_name,
    _check_prompt,
    _load,
    _now,
    _same,
    _to_persona,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from ...db.models import AiPersona

__all__ = [
    "archive_persona",
    "create_persona",
    "get_persona",
    "list_personas",
    "update_persona",
]


def list_personas(engine: Engine, *, include_archived: bool = False) -> list[Persona]:
    from sqlalchemy import select

    from ...db import transaction
    from ...db.models import AiPersona

    with transaction(engine) as session:
        stmt = select(AiPersona).order_by(AiPersona.name)
        if not include_archived:
            stmt = stmt.where(AiPersona.status == "active")
        return [_to_persona(r) for r in session.scalars(stmt)]


def get_persona(engine: Engine, name: str) -> Persona:
    from ...db import transaction

    with transaction(engine) as session:
        return _to_persona(_load(session, name))




# --------------------------------------------------------------------------------------------- writing


def _insert_history(
    session: Session, *, persona_id: int, version: int, old: str | None, new: str, actor: str,
    reason: str | None,
) -> None:
    from ...db.models import PromptHistory

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

    from ...db.models import AiPersona

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
    from ...db import transaction

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

    from ...db.models import AiPersona

    session.execute(
        update(AiPersona).where(AiPersona.id != keep_id, AiPersona.is_default.is_(True)).values(is_default=False)
    )


def _guarded_update(session: Session, persona_id: int, name: str, expected: int, values: dict[str, Any]) -> None:
    """``UPDATE … WHERE version = expected``: the optimistic lock. No row matched → someone else won."""
    from sqlalchemy import select, update

    from ...db.models import AiPersona

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
    from ...db import transaction

    prompt = _check_prompt(system_prompt) if system_prompt is not None else None
    checked = _check_fields(fields)
    with transaction(engine) as session:
        row = _load(session, name)
        expected = row.version if expect_version is None else expect_version
        _write(session, row, expected=expected, actor=actor, reason=reason, prompt=prompt, fields=checked)
    return get_persona(engine, name)


def archive_persona(engine: Engine, name: str, *, actor: str, restore: bool = False) -> Persona:
    """Archive (or with ``restore=True`` bring back) ``name``. Archived personas keep their history."""
    from ...db import transaction

    with transaction(engine) as session:
        row = _load(session, name)
        _write(session, row, expected=row.version, actor=actor, reason=None,
               status="active" if restore else "archived")
    return get_persona(engine, name)
