"""Student → character assignments from the CSV files schools send (``student_character_assignments``).

:func:`import_assignments` reads a file in any encoding schools use (see :mod:`.csvfile`), maps header
aliases (``email``/``이메일``/``E-mail``, ``student_id``/``학번``, ``name``/``이름``/``성명``, ``school``/``학교``,
``class``/``반``/``학급``, ``character``/``캐릭터``), validates every row against ``schemas/assignment_row.json``
and against the database (unknown student, unknown character, duplicate email), and reports *all* problems
at once as ``row 42, column "email": not an address`` with Excel's row numbers.

It then plans added / changed / unchanged / removed (``replace_class``) assignments and applies them in one
transaction with bulk statements (one executemany INSERT, one executemany UPDATE), or writes nothing when a
row failed (unless ``skip_invalid``). Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from .._exceptions import ValidationError
from .csvfile import FORMULA_PREFIXES, CsvTable, normalize_header, read_table, write_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

__all__ = [
    "COLUMNS",
    "HEADER_ALIASES",
    "ImportResult",
    "RowError",
    "export_assignments",
    "import_assignments",
    "row_schema",
]

COLUMNS = ("email", "student_id", "name", "school", "class", "character")
REQUIRED = ("email", "character")
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "mail", "이메일", "메일", "이메일주소"),
    "student_id": ("student_id", "student_no", "student number", "학번", "학생번호"),
    "name": ("name", "student_name", "이름", "성명", "학생이름"),
    "school": ("school", "학교", "학교명"),
    "class": ("class", "class_name", "반", "학급"),
    "character": ("character", "character_code", "캐릭터", "캐릭터코드"),
}
_ALIAS_TO_COLUMN = {normalize_header(a): col for col, aliases in HEADER_ALIASES.items() for a in aliases}
_CHUNK = 500  # IN-list size: well under SQLite's and MariaDB's parameter limits


@dataclass(frozen=True)
class RowError:
    """One problem in one cell. ``row`` is the Excel row number (header = 1); ``column`` as in the header."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f', column "{self.column}"' if self.column else "")
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    """What an import found and did (or, with ``dry_run``, would do)."""

    source: str
    encoding: str
    encoding_source: str
    delimiter: str
    rows: int = 0
    dry_run: bool = False
    applied: bool = False
    added: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped_rows: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
            "errors": len(self.errors),
            "skipped": len(self.skipped_rows),
        }

    def to_dict(self, *, details: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "encoding": self.encoding,
            "encoding_source": self.encoding_source,
            "delimiter": self.delimiter,
            "rows": self.rows,
            "dry_run": self.dry_run,
            "applied": self.applied,
            **self.counts,
            "error_list": [e.to_dict() for e in self.errors],
            "skipped_rows": self.skipped_rows,
            "warnings": self.warnings,
        }
        if details:
            out["plan"] = {
                "added": self.added,
                "changed": self.changed,
                "unchanged": self.unchanged,
                "removed": self.removed,
            }
        return out


@cache
def row_schema() -> dict[str, Any]:
    """The JSON Schema of one row (``schemas/assignment_row.json``; shipped as ``tinytalk_sdk/_schemas``)."""
    shipped = resources.files("tinytalk_sdk").joinpath("_schemas", "assignment_row.json")
    path = Path(str(shipped))
    if not path.exists():  # a source checkout: the repository's schemas/ folder
        path = Path(__file__).resolve().parents[2] / "schemas" / "assignment_row.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@cache
def _cell_validators() -> dict[str, Any]:
    """One validator per column, from the row schema's ``properties``.

    Validating cell by cell gives the same errors as validating the row object (the row schema is an object of
    independent properties), skips jsonschema's per-row descent, and lets repeated cells (school, class,
    character) be checked once per distinct value.
    """
    from jsonschema import Draft202012Validator

    schema = row_schema()
    return {col: Draft202012Validator(sub) for col, sub in schema["properties"].items()}


def _message(column: str, kind: str, limit: Any) -> str:
    if kind == "pattern":
        return "not an address" if column == "email" else "must not contain spaces"
    if kind == "maxLength":
        return f"longer than {limit} characters"
    if kind == "minLength":
        return "empty"
    if kind == "type":
        return "not text"
    return f"fails the schema's '{kind}' rule"


def _unquote(value: str) -> str:
    # Our own export prefixes formula-like cells with "'"; take it off again so a round trip is exact.
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


@dataclass
class _Row:
    row: int
    values: dict[str, str]
    errors: list[RowError] = field(default_factory=list)


def _map_header(table: CsvTable) -> tuple[dict[str, int], dict[str, str]]:
    """canonical column → cell index, and canonical column → the header text the user wrote."""
    index: dict[str, int] = {}
    shown: dict[str, str] = {}
    errors: list[RowError] = []
    for i, raw in enumerate(table.header):
        column = _ALIAS_TO_COLUMN.get(normalize_header(raw))
        if column is None:
            continue
        if column in index:
            errors.append(RowError(1, raw, f'same column as "{shown[column]}"'))
            continue
        index[column] = i
        shown[column] = raw
    for column in REQUIRED:
        if column not in index:
            expected = ", ".join(HEADER_ALIASES[column])
            errors.append(RowError(1, column, f"missing column (one of: {expected})"))
    if errors:
        raise ValidationError(
            f"{table.source}: bad header ({len(errors)} problem{'s' if len(errors) > 1 else ''})",
            errors=errors,
            hint="the header row needs at least an email and a character column",
        )
    return index, shown


def _parse_rows(table: CsvTable, index: dict[str, int], shown: dict[str, str]) -> list[_Row]:
    validators = _cell_validators()
    required = tuple(row_schema()["required"])
    width = len(table.header)
    seen: dict[tuple[str, str], list[tuple[str, Any]]] = {}
    rows: list[_Row] = []
    for row_no, cells in table.rows:
        values: dict[str, str] = {}
        for column, i in index.items():
            value = _unquote(cells[i].strip()) if i < len(cells) else ""
            if value:
                values[column] = value.lower() if column == "email" else value
        row = _Row(row_no, values)
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            row.errors.append(RowError(row_no, None, f"{len(cells)} cells, the header has {width}"))
        for column in required:
            if column not in values:
                row.errors.append(RowError(row_no, shown[column], "missing"))
        for column, value in values.items():
            key = (column, value)
            problems = seen.get(key)
            if problems is None:
                problems = [(e.validator, e.validator_value) for e in validators[column].iter_errors(value)]
                if column != "email":  # emails are unique per file: caching them would only cost memory
                    seen[key] = problems
            for kind, limit in problems:
                row.errors.append(RowError(row_no, shown.get(column, column), _message(column, kind, limit)))
        rows.append(row)
    return rows


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _load_users(session: Session, emails: Sequence[str]) -> dict[str, Any]:
    from sqlalchemy import select

    from ..db.models import User

    found: dict[str, Any] = {}
    cols = (User.id, User.email, User.name, User.student_no, User.school, User.class_name, User.deleted_at)
    for chunk in _chunks(emails):
        for r in session.execute(select(*cols).where(User.email.in_(chunk))):
            found[r.email.lower()] = r
    return found


def _load_existing(session: Session, user_ids: Sequence[int]) -> dict[int, Any]:
    from sqlalchemy import select

    from ..db.models import StudentCharacterAssignment as A

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

    from ..db.models import AiCharacter
    from ..db.session import transaction

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

    from ..db.models import StudentCharacterAssignment as A
    from ..db.models import User

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

    from ..db.models import StudentCharacterAssignment

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


def _export_rows(session: Session, school: str | None, class_name: str | None) -> Iterable[dict[str, Any]]:
    from sqlalchemy import select

    from ..db.models import AiCharacter, User
    from ..db.models import StudentCharacterAssignment as A

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
    from ..db.session import transaction

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

    from ..db.session import transaction

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValidationError(f"--encoding: unknown encoding '{encoding}' (use utf-8-sig, cp949 or utf-8)") from None
    count = 0
    with transaction(engine) as session:
        for written in write_rows(out, COLUMNS, _export_rows(session, school, class_name), encoding=encoding):
            count = written
    return count
