"""Prompt history: every version of a persona, the prompt at a version, diffs between versions, rollback
(a new version equal to an old one: history is appended to, never rewritten)."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from ..._exceptions import NotFoundError, ValidationError
from ._model import (
    Persona,
    PromptVersion,
    _load,
    parse_version,
)
from .store import _write, get_persona

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "diff_versions",
    "persona_history",
    "prompt_at",
    "rollback_persona",
    "unified_diff",
]


def persona_history(engine: Engine, name: str) -> list[PromptVersion]:
    """Every prompt version of ``name``, oldest first."""
    from sqlalchemy import select

    from ...db import transaction
    from ...db.models import PromptHistory

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

    from ...db import transaction
    from ...db.models import PromptHistory

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
    from ...db import transaction

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
