"""Exporting: assignments streamed as an Excel-friendly CSV through the toolkit's one CSV writer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

from ..._exceptions import ValidationError
from ...csvsafe import write_rows
from ._model import COLUMNS

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

__all__ = ["export_assignments", "iter_assignments"]


def _export_rows(session: Session, school: str | None, class_name: str | None) -> Iterable[dict[str, Any]]:
    from sqlalchemy import select

    from ...db.models import AiCharacter, User
    from ...db.models import StudentCharacterAssignment as A

    stmt = (
        select(User.email, User.student_no, User.name, A.school, A.class_name, AiCharacter.code)
        .join(User, User.id == A.user_id)
        .join(AiCharacter, AiCharacter.id == A.character_id)
        .order_by(A.school, A.class_name, User.email)
    )
    if school:
        stmt = stmt.where(A.school == school)
    if class_name:
        stmt = stmt.where(A.class_name == class_name)
    for r in session.execute(stmt.execution_options(yield_per=2000)):
        yield {"email": r.email, "student_id": r.student_no, "name": r.name, "school": r.school,
               "class": r.class_name, "character": r.code}


def iter_assignments(
    engine: Engine, *, school: str | None = None, class_name: str | None = None
) -> Iterator[dict[str, Any]]:
    """Yield assignments as dicts with the export's column names, streaming (constant memory)."""
    from ...db.session import transaction

    with transaction(engine) as session:
        yield from _export_rows(session, school, class_name)


def export_assignments(
    engine: Engine,
    out: IO[bytes],
    *,
    encoding: str = "utf-8-sig",
    school: str | None = None,
    class_name: str | None = None,
) -> int:
    """Stream assignments as an Excel-friendly CSV (BOM by default, cells neutralised). Returns the row count.

    The header uses the canonical column names, so the file imports back unchanged.
    """
    import codecs

    from ...db.session import transaction

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValidationError(f"--encoding: unknown encoding '{encoding}' (use utf-8-sig, cp949 or utf-8)") from None
    count = 0
    with transaction(engine) as session:
        for written in write_rows(out, COLUMNS, _export_rows(session, school, class_name), encoding=encoding):
            count = written
    return count
