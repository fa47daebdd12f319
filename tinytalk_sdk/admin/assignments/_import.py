"""Importing: rows checked against the database, planned (added/changed/unchanged/removed), applied in bulk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..._exceptions import ValidationError
from ..csvfile import normalize_header, read_table
from ._model import _ALIAS_TO_COLUMN, ImportResult, RowError
from ._parse import _map_header, _parse_rows, _Row

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

__all__ = ["import_assignments"]

_CHUNK = 500  # IN-list size: well under SQLite's and MariaDB's parameter limits


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _load_users(session: Session, emails: Sequence[str]) -> dict[str, Any]:
    from sqlalchemy import select

    from ...db.models import User

    found: dict[str, Any] = {}
    cols = (User.id, User.email, User.name, User.student_no, User.school, User.class_name, User.deleted_at)
    for chunk in _chunks(emails):
        for r in session.execute(select(*cols).where(User.email.in_(chunk))):
            found[r.email.lower()] = r
    return found


def _load_existing(session: Session, user_ids: Sequence[int]) -> dict[int, Any]:
    from sqlalchemy import select

    from ...db.models import StudentCharacterAssignment as A

    found: dict[int, Any] = {}
    cols = (A.id, A.user_id, A.character_id, A.school, A.class_name)
    for chunk in _chunks(user_ids):
        for r in session.execute(select(*cols).where(A.user_id.in_(chunk))):
            found[r.user_id] = r
    return found


def _check_against_db(
    rows: list[_Row], shown: dict[str, str], users: dict[str, Any], characters: dict[str, int], warnings: list[str]
) -> None:
    first_row: dict[str, list[int]] = {}
    for row in rows:
        email = row.values.get("email")
        if email:
            first_row.setdefault(email, []).append(row.row)
    for row in rows:
        email = row.values.get("email")
        code = row.values.get("character")
        if email and len(first_row[email]) > 1:
            others = ", ".join(str(n) for n in first_row[email] if n != row.row)
            row.errors.append(RowError(row.row, shown["email"], f"duplicate: the same address is in row {others}"))
        bad_email = any(e.column == shown["email"] for e in row.errors)
        if email and not bad_email:
            user = users.get(email)
            if user is None:
                row.errors.append(RowError(row.row, shown["email"], f"no student with address {email}"))
            elif user.deleted_at is not None:
                row.errors.append(RowError(row.row, shown["email"], f"student {email} is deleted"))
            else:
                _warn_mismatch(row, shown, user, warnings)
        if code and not any(e.column == shown["character"] for e in row.errors) and code not in characters:
            row.errors.append(RowError(row.row, shown["character"], f'no character "{code}"'))


def _warn_mismatch(row: _Row, shown: dict[str, str], user: Any, warnings: list[str]) -> None:
    # Names and student numbers are there for the people reading the file; the address is the key.
    name = row.values.get("name")
    if name and user.name and name != user.name:
        warnings.append(f'row {row.row}, column "{shown["name"]}": "{name}" in the file, "{user.name}" in users')
    number = row.values.get("student_id")
    if number and user.student_no and number != user.student_no:
        warnings.append(
            f'row {row.row}, column "{shown["student_id"]}": "{number}" in the file, "{user.student_no}" in users'
        )


def import_assignments(
    engine: Engine,
    path: str | Path | bytes,
    *,
    encoding: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    replace_class: bool = False,
    actor: str | None = None,
    source: str | None = None,
) -> ImportResult:
    """Validate a file and plan, then (unless ``dry_run``) apply it in one transaction.

    Raises :class:`ValidationError` (``errors`` = every :class:`RowError`) when a row failed and neither
    ``dry_run`` nor ``skip_invalid`` is set; nothing is written then. A dry run returns the errors in the
    result instead, next to the plan.
    """
    from sqlalchemy import select

    from ...db.models import AiCharacter
    from ...db.session import transaction

    table = read_table(path, encoding=encoding, source=source)
    index, shown = _map_header(table)
    rows = _parse_rows(table, index, shown)
    result = ImportResult(
        source=table.source,
        encoding=table.encoding,
        encoding_source=table.encoding_source,
        delimiter=table.delimiter_name,
        rows=len(rows),
        dry_run=dry_run,
    )
    ignored = [h for h in table.header if h and _ALIAS_TO_COLUMN.get(normalize_header(h)) is None]
    if ignored:
        result.warnings.append("ignored columns: " + ", ".join(f'"{h}"' for h in ignored))

    with transaction(engine) as session:
        emails = sorted({r.values["email"] for r in rows if "email" in r.values})
        users = _load_users(session, emails)
        characters = {code: cid for cid, code in session.execute(select(AiCharacter.id, AiCharacter.code))}
        codes = {cid: code for code, cid in characters.items()}
        _check_against_db(rows, shown, users, characters, result.warnings)
        result.errors = [e for r in rows for e in r.errors]
        good = [r for r in rows if not r.errors]
        result.skipped_rows = [r.row for r in rows if r.errors] if skip_invalid else []
        if result.errors and not (dry_run or skip_invalid):
            raise ValidationError(
                f"{table.source}: {len(result.errors)} error{'s' if len(result.errors) > 1 else ''} in "
                f"{len({e.row for e in result.errors})} row(s); nothing imported",
                errors=result.errors,
                hint="fix the rows, or pass --skip-invalid to import the others",
            )
        existing = _load_existing(session, sorted({users[r.values["email"]].id for r in good}))
        inserts, updates = _plan(result, good, users, existing, characters, codes)
        deletes: list[int] = []
        if replace_class:
            file_users = {u.id for u in users.values()}  # invalid rows too: never remove someone named in the file
            deletes = _plan_removals(session, result, good, users, file_users, codes)
        if dry_run:
            return result
        _write(session, inserts, updates, deletes, actor=actor, source=f"csv:{Path(table.source).name}"[:255])
        result.applied = True
    return result


def _target(row: _Row, user: Any) -> tuple[str | None, str | None]:
    return row.values.get("school") or user.school, row.values.get("class") or user.class_name


def _plan(
    result: ImportResult,
    good: list[_Row],
    users: dict[str, Any],
    existing: dict[int, Any],
    characters: dict[str, int],
    codes: dict[int, str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in good:
        user = users[row.values["email"]]
        school, class_name = _target(row, user)
        code = row.values["character"]
        item = {"row": row.row, "email": user.email, "character": code, "school": school, "class": class_name}
        old = existing.get(user.id)
        if old is None:
            result.added.append(item)
            inserts.append({"user_id": user.id, "character_id": characters[code], "school": school,
                            "class_name": class_name})
        elif (old.character_id, old.school, old.class_name) != (characters[code], school, class_name):
            item["before"] = {"character": codes.get(old.character_id), "school": old.school,
                              "class": old.class_name}
            result.changed.append(item)
            updates.append({"_id": old.id, "_user_id": user.id, "_character_id": characters[code],
                            "_school": school, "_class_name": class_name})
        else:
            result.unchanged.append(item)
    return inserts, updates


def _plan_removals(
    session: Session,
    result: ImportResult,
    good: list[_Row],
    users: dict[str, Any],
    file_users: set[int],
    codes: dict[int, str],
) -> list[int]:
    from sqlalchemy import and_, or_, select

    from ...db.models import StudentCharacterAssignment as A
    from ...db.models import User

    pairs = sorted({_target(r, users[r.values["email"]]) for r in good}, key=lambda p: (p[0] or "", p[1] or ""))
    pairs = [p for p in pairs if p[0] is not None and p[1] is not None]  # "no class" is not a class to replace
    deletes: list[int] = []
    for chunk in _chunks(pairs, 100):
        cond = or_(*(and_(A.school == s, A.class_name == c) for s, c in chunk))
        stmt = (
            select(A.id, A.user_id, A.character_id, A.school, A.class_name, User.email)
            .join(User, User.id == A.user_id)
            .where(cond)
            .order_by(A.id)
        )
        for r in session.execute(stmt):
            if r.user_id in file_users:
                continue
            deletes.append(r.id)
            result.removed.append(
                {"row": None, "email": r.email, "character": codes.get(r.character_id), "school": r.school,
                 "class": r.class_name}
            )
    return deletes


def _write(
    session: Session,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    deletes: list[int],
    *,
    actor: str | None,
    source: str,
) -> None:
    from sqlalchemy import Table, bindparam, delete, insert, update

    from ...db.models import StudentCharacterAssignment

    table = cast(Table, StudentCharacterAssignment.__table__)
    now = dt.datetime.now(dt.UTC)
    if inserts:
        # Core executemany: one statement, many parameter sets (no ORM unit of work per row).
        session.execute(
            insert(table), [{**i, "assigned_by": actor, "source": source, "created_at": now} for i in inserts]
        )
    if updates and session.get_bind().dialect.name in ("mysql", "mariadb"):
        # PyMySQL sends an executemany UPDATE as one round trip per row; an upsert on the unique user_id is
        # batched into multi-row INSERT statements instead (≈ 10× faster on 100k rows). Every row exists, so
        # only the UPDATE branch runs.
        from sqlalchemy.dialects.mysql import insert as mysql_insert

        upsert = mysql_insert(table)
        upsert = upsert.on_duplicate_key_update(
            character_id=upsert.inserted.character_id,
            school=upsert.inserted.school,
            class_name=upsert.inserted.class_name,
            assigned_by=upsert.inserted.assigned_by,
            source=upsert.inserted.source,
            updated_at=upsert.inserted.updated_at,
        )
        session.execute(upsert, [
            {"user_id": u["_user_id"], "character_id": u["_character_id"], "school": u["_school"],
             "class_name": u["_class_name"], "assigned_by": actor, "source": source, "created_at": now,
             "updated_at": now}
            for u in updates
        ])
    elif updates:
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values(
                character_id=bindparam("_character_id"),
                school=bindparam("_school"),
                class_name=bindparam("_class_name"),
                assigned_by=bindparam("_actor"),
                source=bindparam("_source"),
                updated_at=bindparam("_now"),
            )
        )
        session.connection().execute(stmt, [{**u, "_actor": actor, "_source": source, "_now": now} for u in updates])
    for chunk in _chunks(deletes):
        session.execute(delete(table).where(table.c.id.in_(chunk)))
