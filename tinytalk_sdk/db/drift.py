"""Compare an existing database with the models and report every difference. Changes nothing.

The production database was created by the PHP backend, not by our migrations, so index and constraint
names differ and MySQL spells types its own way. The comparison is therefore by meaning, not by name:

- types are normalised before comparing: ``INT(11)`` = ``INTEGER``, ``TINYINT(1)`` = ``BOOLEAN`` = ``BOOL``,
  ``NUMERIC`` = ``DECIMAL``, display widths and ``UNSIGNED`` ignored, MariaDB's ``LONGTEXT`` = ``JSON``;
- ``DATETIME`` where the model wants ``DATETIME(6)`` is its own kind, ``precision`` (whole seconds only);
- an index is present when some index (or unique constraint, or the primary key) *starts with* the
  expected columns; on InnoDB an index on exactly ``(session_id)`` also serves ``(session_id, id)``, as
  every secondary index ends with the primary key;
- a unique constraint is present when a unique index or constraint has exactly the expected columns;
- extra indexes are not drift (a DBA may add indexes for their own queries).

Finding kinds: ``missing_table``, ``extra_table``, ``missing_column``, ``extra_column``, ``type``,
``precision``, ``nullable``, ``primary_key``, ``missing_index``, ``missing_unique``, ``charset``
(MySQL: table or text column not utf8mb4), ``engine`` (MySQL: not InnoDB).

On a database the PHP backend made, the engine's schema map (:mod:`.schema_map`) says which live column
holds each model column; the comparison follows it, and the differences an adopted database keeps for PHP
(:mod:`.tolerance`) are listed under ``accepted`` with their reason instead of as findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, Table
    from sqlalchemy.engine import Dialect

    from .schema_map import SchemaMap

__all__ = ["KINDS", "DriftFinding", "DriftReport", "check_drift", "normalize_type"]

KINDS: tuple[str, ...] = (
    "missing_table",
    "extra_table",
    "missing_column",
    "extra_column",
    "type",
    "precision",
    "nullable",
    "primary_key",
    "missing_index",
    "missing_unique",
    "charset",
    "engine",
)

# Tables that are ours but not models: Alembic's bookkeeping.
_IGNORED_TABLES = frozenset({"alembic_version"})
# The toolkit's own bookkeeping beside the models: `db adopt`'s step journal.
_TOOLKIT_TABLES = frozenset({"tinytalk_adoption_steps"})


@dataclass(frozen=True)
class DriftFinding:
    """One difference. ``column`` or ``index`` names the part of ``table`` at fault (or neither)."""

    kind: str
    table: str
    column: str | None
    index: str | None
    expected: str | None
    actual: str | None
    message: str
    # Set on an adopted database when the toolkit lives with this difference: why.
    accepted: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        out = asdict(self)
        if out["accepted"] is None:
            del out["accepted"]
        return out


@dataclass
class DriftReport:
    database: str
    backend: str
    findings: list[DriftFinding] = field(default_factory=list)
    accepted: list[DriftFinding] = field(default_factory=list)
    mapped: bool = False

    @property
    def ok(self) -> bool:
        return not self.findings

    def kinds(self) -> set[str]:
        return {f.kind for f in self.findings}

    def by_kind(self, kind: str) -> list[DriftFinding]:
        return [f for f in self.findings if f.kind == kind]

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[f.kind] = counts.get(f.kind, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "backend": self.backend,
            "ok": self.ok,
            "count": len(self.findings),
            "summary": self.summary(),
            "findings": [f.to_dict() for f in self.findings],
            **({"mapped": True, "accepted": [f.to_dict() for f in self.accepted]} if self.mapped else {}),
        }


# ---------------------------------------------------------------------------------------------------
# Type normalisation

_TYPE_RE = re.compile(r"^\s*([A-Z][A-Z ]*[A-Z]|[A-Z])\s*(?:\(([^)]*)\))?\s*(.*)$")
_INT_SIZES = {"TINYINT": "tiny", "SMALLINT": "small", "MEDIUMINT": "medium", "INT": "int",
              "INTEGER": "int", "BIGINT": "big"}
_TEXT_SIZES = {"TINYTEXT": "tiny", "TEXT": "text", "CLOB": "text", "MEDIUMTEXT": "medium",
               "LONGTEXT": "long"}
_FLOATS = {"FLOAT": "float", "REAL": "double", "DOUBLE": "double", "DOUBLE PRECISION": "double"}


def normalize_type(spelled: str) -> tuple[Any, ...]:
    """A comparable key for a SQL type as a database spells it: ``INT(11) UNSIGNED`` → ``("int", "int")``.

    The key keeps what changes behaviour (integer size, string length, text capacity, decimal precision,
    fractional seconds) and drops what does not (display width, ``UNSIGNED``, character set clauses).
    """
    match = _TYPE_RE.match(spelled.strip().upper())
    if not match:
        return ("other", spelled.strip().upper())
    name = " ".join(match.group(1).split())
    args = [a.strip() for a in (match.group(2) or "").split(",") if a.strip()]
    if name in ("BOOL", "BOOLEAN") or (name == "TINYINT" and args == ["1"]):
        return ("boolean",)
    name = name.removesuffix(" UNSIGNED").removesuffix(" SIGNED")
    if name in _INT_SIZES:
        return ("int", _INT_SIZES[name])
    if name in ("VARCHAR", "NVARCHAR", "CHARACTER VARYING", "VARCHAR2"):
        return ("varchar", int(args[0]) if args else None)
    if name in ("CHAR", "NCHAR", "CHARACTER"):
        return ("char", int(args[0]) if args else 1)
    if name in _TEXT_SIZES:
        return ("text", _TEXT_SIZES[name])
    if name in ("DATETIME", "TIMESTAMP", "TIME"):
        return (name.lower(), int(args[0]) if args else 0)
    if name in _FLOATS:
        return ("float", _FLOATS[name])
    if name in ("NUMERIC", "DECIMAL"):
        return ("decimal", *(int(a) for a in args))
    return (name.lower(), *args)


def _spell(type_: Any, dialect: Dialect) -> str:
    """How ``dialect`` writes a type, without character set / collation clauses."""
    try:
        text = str(type_.compile(dialect=dialect))
    except Exception:  # a reflected type the dialect cannot render (NullType)
        text = str(type_)
    return re.sub(r"\s+(CHARACTER SET|COLLATE)\s+\S+", "", text).strip()


def _same_type(expected: tuple[Any, ...], actual: tuple[Any, ...], backend: str) -> bool:
    if expected == actual:
        return True
    # MariaDB has no JSON type: JSON columns are LONGTEXT with a json_valid() check.
    return backend == "mysql" and expected == ("json",) and actual == ("text", "long")


# ---------------------------------------------------------------------------------------------------
# The comparison


def _finding(kind: str, table: str, message: str, *, column: str | None = None, index: str | None = None,
             expected: str | None = None, actual: str | None = None) -> DriftFinding:
    return DriftFinding(kind=kind, table=table, column=column, index=index, expected=expected,
                        actual=actual, message=message)


def _null(nullable: bool) -> str:
    return "NULL" if nullable else "NOT NULL"


def expected_indexes(table: Table, live: dict[str, str] | None = None,
                     ) -> tuple[list[tuple[str, tuple[str, ...]]], list[tuple[str, tuple[str, ...]]]]:
    """(plain indexes, unique sets) the models declare, each as (name, live columns)."""
    from sqlalchemy import UniqueConstraint

    names = live or {}
    plain: list[tuple[str, tuple[str, ...]]] = []
    unique: list[tuple[str, tuple[str, ...]]] = []
    for ix in sorted(table.indexes, key=lambda i: str(i.name)):
        cols = tuple(names.get(c.name, c.name) for c in ix.columns)
        (unique if ix.unique else plain).append((str(ix.name), cols))
    for cons in table.constraints:
        if isinstance(cons, UniqueConstraint):
            unique.append((str(cons.name), tuple(names.get(c.name, c.name) for c in cons.columns)))
    return plain, sorted(unique)


def _accept(finding: DriftFinding, reason: str | bool | None) -> DriftFinding:
    return DriftFinding(**{**asdict(finding), "accepted": reason}) if isinstance(reason, str) and reason else finding


def _compare_table(table: Table, conn: Connection, inspector: Any, backend: str,
                   smap: SchemaMap) -> list[DriftFinding]:
    from .tolerance import accept_reason

    dialect = conn.dialect
    name = table.name
    tolerant = smap.present
    out: list[DriftFinding] = []
    actual_cols = {c["name"]: c for c in inspector.get_columns(name)}
    live = {c.name: smap.live(name, c.name) for c in table.columns}
    pk_cols = {c.name for c in table.primary_key.columns}

    for col in table.columns:
        got = actual_cols.get(live[col.name])
        # A mapped column is named by the model, with the live name beside it.
        label = f"{name}.{col.name}" + (f" (live {live[col.name]})" if live[col.name] != col.name else "")
        want_spelled = _spell(col.type, dialect)
        if got is None:
            out.append(_finding("missing_column", name, f"{label}: missing column "
                                f"(expected {want_spelled} {_null(bool(col.nullable))})", column=col.name,
                                expected=f"{want_spelled} {_null(bool(col.nullable))}"))
            continue
        got_spelled = _spell(got["type"], dialect)
        want, have = normalize_type(want_spelled), normalize_type(got_spelled)
        if not _same_type(want, have, backend):
            if want[0] == have[0] == "datetime" and have[1] < want[1]:
                kept = "whole seconds only" if have[1] == 0 else f"{have[1]} fractional digits"
                message = f"{label}: {got_spelled} keeps {kept}, expected {want_spelled}"
                found = _finding("precision", name, message, column=col.name,
                                 expected=want_spelled, actual=got_spelled)
                out.append(_accept(found, tolerant and accept_reason("precision")))
            else:
                found = _finding("type", name, f"{label}: type {got_spelled}, expected "
                                 f"{want_spelled}", column=col.name, expected=want_spelled, actual=got_spelled)
                out.append(_accept(found, tolerant and accept_reason("type", want=want, have=have,
                                                                     actual=got_spelled, column=col.name)))
        # Primary keys are NOT NULL by definition; SQLite reports hand-made ones as nullable.
        if col.name not in pk_cols and bool(got["nullable"]) != bool(col.nullable):
            found = _finding("nullable", name, f"{label}: {_null(bool(got['nullable']))}, "
                             f"expected {_null(bool(col.nullable))}", column=col.name,
                             expected=_null(bool(col.nullable)), actual=_null(bool(got["nullable"])))
            out.append(_accept(found, tolerant and accept_reason("nullable", live=got,
                                                                 model_nullable=bool(col.nullable))))

    model_cols = set(live.values())
    for col_name, got in actual_cols.items():
        if col_name not in model_cols:
            spelled = f"{_spell(got['type'], dialect)} {_null(bool(got['nullable']))}"
            found = _finding("extra_column", name, f"{name}.{col_name}: column not in the models "
                             f"({spelled})", column=col_name, actual=spelled)
            out.append(_accept(found, tolerant and accept_reason("extra_column", live=got)))

    actual_pk = tuple(inspector.get_pk_constraint(name).get("constrained_columns") or ())
    want_pk = tuple(live[c.name] for c in table.primary_key.columns)
    if actual_pk != want_pk:
        found = _finding("primary_key", name, f"{name}: primary key ({', '.join(actual_pk)}), expected "
                         f"({', '.join(want_pk)})", expected=", ".join(want_pk), actual=", ".join(actual_pk))
        unique_sets = [tuple(ix["column_names"]) for ix in inspector.get_indexes(name) if ix.get("unique")]
        out.append(_accept(found, tolerant and accept_reason("primary_key", pk_unique=want_pk in unique_sets)))

    out.extend(_compare_indexes(table, inspector, backend, actual_pk, live))
    return out


def _compare_indexes(table: Table, inspector: Any, backend: str,
                     actual_pk: Sequence[str], live: dict[str, str]) -> list[DriftFinding]:
    name = table.name
    out: list[DriftFinding] = []
    actual_all: list[tuple[str, ...]] = [tuple(actual_pk)] if actual_pk else []
    actual_unique: list[tuple[str, ...]] = [tuple(actual_pk)] if actual_pk else []
    for ix in inspector.get_indexes(name):
        cols = tuple(c for c in ix["column_names"] if c is not None)
        actual_all.append(cols)
        if ix.get("unique"):
            actual_unique.append(cols)
    for uq in inspector.get_unique_constraints(name):
        cols = tuple(uq["column_names"])
        actual_all.append(cols)
        actual_unique.append(cols)

    pk = tuple(live[c.name] for c in table.primary_key.columns)
    plain, unique = expected_indexes(table, live)
    for ix_name, cols in plain:
        found = any(have[: len(cols)] == cols for have in actual_all)
        # InnoDB appends the primary key to every secondary index: (session_id) serves (session_id, id).
        if not found and backend == "mysql" and pk and cols[-len(pk):] == pk and len(cols) > len(pk):
            found = cols[: -len(pk)] in actual_all
        if not found:
            out.append(_finding("missing_index", name, f"{name}: missing index {ix_name} ({', '.join(cols)})",
                                index=ix_name, expected=", ".join(cols)))
    for uq_name, cols in unique:
        if cols not in actual_unique:
            out.append(_finding("missing_unique", name, f"{name}: missing unique constraint {uq_name} "
                                f"({', '.join(cols)})", index=uq_name, expected=", ".join(cols)))
    return out


def _mysql_table_options(conn: Connection, tables: Iterable[str], tolerant: bool) -> list[DriftFinding]:
    from .tolerance import accept_reason

    return [_accept(f, tolerant and accept_reason(f.kind)) for f in _mysql_options(conn, tables)]


def _mysql_options(conn: Connection, tables: Iterable[str]) -> list[DriftFinding]:
    from sqlalchemy import text

    wanted = set(tables)
    out: list[DriftFinding] = []
    rows = conn.execute(text(
        "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
    )).all()
    for table, engine, collation in rows:
        if table not in wanted:
            continue
        if (engine or "").lower() != "innodb":
            out.append(_finding("engine", table, f"{table}: engine {engine}, expected InnoDB "
                                "(transactions and foreign keys)", expected="InnoDB", actual=engine))
        if not (collation or "").lower().startswith("utf8mb4"):
            out.append(_finding("charset", table, f"{table}: default collation {collation}, expected "
                                "utf8mb4 (Korean and emoji)", expected="utf8mb4", actual=collation))
    cols = conn.execute(text(
        "SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND CHARACTER_SET_NAME IS NOT NULL "
        "AND CHARACTER_SET_NAME <> 'utf8mb4' ORDER BY TABLE_NAME, ORDINAL_POSITION"
    )).all()
    for table, column, charset in cols:
        if table in wanted:
            out.append(_finding("charset", table, f"{table}.{column}: character set {charset}, expected "
                                "utf8mb4 (Korean and emoji)", column=column, expected="utf8mb4",
                                actual=charset))
    return out


def check_drift(engine: Engine, schema_map: SchemaMap | None = None) -> DriftReport:
    """Inspect the database behind ``engine`` and list how it differs from the models.

    ``schema_map`` defaults to the one installed on the engine. Read-only: runs reflection queries only.
    Raises :class:`~tinytalk_sdk.DatabaseError` when the database cannot be reached.
    """
    from sqlalchemy import inspect

    from .._exceptions import DatabaseError
    from .migrate import _metadata, db_errors, describe_url, sqlite_file_missing
    from .schema_map import schema_map_of
    from .tolerance import accept_reason

    if sqlite_file_missing(engine):
        raise DatabaseError(f"no database at {describe_url(engine)}", hint="create it with `tinytalk db init`")
    metadata = _metadata()
    backend = "mysql" if engine.dialect.name in ("mysql", "mariadb") else engine.dialect.name
    smap = schema_map if schema_map is not None else schema_map_of(engine)
    report = DriftReport(database=describe_url(engine), backend=backend, mapped=smap.present)
    found: list[DriftFinding] = []
    with db_errors(engine, "checking the schema"), engine.connect() as conn:
        inspector = inspect(conn)
        existing = set(inspector.get_table_names())
        for name in sorted(metadata.tables):
            table = metadata.tables[name]
            if name not in existing:
                found.append(_finding("missing_table", name, f"{name}: missing table"))
                continue
            found.extend(_compare_table(table, conn, inspector, backend, smap))
        for name in sorted(existing - set(metadata.tables) - _IGNORED_TABLES - _TOOLKIT_TABLES):
            found.append(_accept(_finding("extra_table", name, f"{name}: table not in the models"),
                                 smap.present and accept_reason("extra_table")))
        if backend == "mysql":
            found.extend(_mysql_table_options(conn, existing & set(metadata.tables), smap.present))
    report.findings = [f for f in found if not f.accepted]
    report.accepted = [f for f in found if f.accepted]
    return report
