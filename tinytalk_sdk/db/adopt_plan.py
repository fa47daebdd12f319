"""`db adopt --plan`: the SQL that brings a mapped, PHP-made MySQL database up to what the toolkit needs.

Only additive steps, so the PHP app that shares the database keeps working:

- the toolkit's own tables (``alembic_version``, the step journal ``tinytalk_adoption_steps``) and model
  tables the database lacks (created without foreign keys: PHP's ids are ``INT UNSIGNED`` and some of its
  tables are MyISAM, which a foreign key cannot reference);
- model columns the database lacks, always ``NULL`` (with the model's default, which MySQL also gives the
  existing rows), string columns in utf8mb4 whatever the table's charset;
- ``relax_null``: a PHP column the toolkit never writes that is ``NOT NULL`` without a default would make
  every toolkit insert fail; it becomes ``NULL`` with its exact type, charset and comment kept (PHP's own
  inserts still fill it). This is the one step that touches a PHP column, and the plan says so;
- data steps, batched (``LIMIT`` per statement, repeated until no row is left): a derived column filled from
  PHP's (clear token → sha256 hex), PHP's column untouched;
- missing indexes and unique constraints (a unique one only when the rows hold no duplicate);
- opt-in, with their cost (rows, size): ``engine`` (MyISAM → InnoDB) and ``charset`` (→ utf8mb4);
- finally ``stamp``: record the Alembic head, so `db check` and `db upgrade` work from then on.

Never: drop, rename or narrow a column, change a type or a primary key PHP depends on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .._exceptions import ValidationError

if TYPE_CHECKING:
    from sqlalchemy import Column, Connection, Engine, Table

    from .schema_map import SchemaMap

__all__ = ["BATCH_ROWS", "JOURNAL_TABLE", "AdoptPlan", "Step", "plan_adoption"]

JOURNAL_TABLE = "tinytalk_adoption_steps"
BATCH_ROWS = 1000
_UTF8MB4 = "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
_JOURNAL_DDL = (
    f"CREATE TABLE IF NOT EXISTS {JOURNAL_TABLE} (step_id VARCHAR(191) NOT NULL, kind VARCHAR(16) NOT NULL, "
    "status VARCHAR(16) NOT NULL, rows_changed BIGINT NULL, detail TEXT NULL, started_at DATETIME(6) NULL, "
    "finished_at DATETIME(6) NULL, PRIMARY KEY (step_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
)
_ALEMBIC_DDL = ("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")


@dataclass(frozen=True)
class Step:
    """One idempotent step. ``sql`` runs in order; a ``batched`` step repeats its one UPDATE until 0 rows."""

    id: str
    kind: str
    table: str | None
    summary: str
    sql: tuple[str, ...]
    column: str | None = None
    opt_in: bool = False
    batched: bool = False
    touches_php: bool = False
    cost: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sql": list(self.sql)}


@dataclass
class AdoptPlan:
    database: str
    head: str
    steps: list[Step] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # what adoption cannot do, and why

    def to_sql(self) -> str:
        lines = [f"-- tinytalk db adopt --plan for {self.database}",
                 "-- MySQL/MariaDB run DDL outside transactions: each step commits on its own. `db adopt --apply`",
                 "-- takes a backup first, records every step, and skips what is already done when run again.", ""]
        for n, step in enumerate(self.steps, 1):
            flags = [f for f, on in (("opt-in", step.opt_in), ("batched", step.batched),
                                     ("changes a PHP column's NULL-ability only", step.touches_php)) if on]
            lines.append(f"-- step {n} [{step.id}] {step.summary}" + (f" ({', '.join(flags)})" if flags else ""))
            if step.cost:
                lines.append(f"--   cost: {step.cost}")
            lines += [s + ";" for s in step.sql]
            lines.append("")
        for why in self.left:
            lines.append(f"-- left as is: {why}")
        return "\n".join(lines).rstrip() + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {"database": self.database, "head": self.head, "steps": [s.to_dict() for s in self.steps],
                "left": self.left}


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _literal(value: Any) -> str | None:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return None


def _column_sql(col: Column[Any], live_name: str, conn: Connection) -> str:
    spelled = str(col.type.compile(dialect=conn.dialect))
    if spelled.split("(")[0].upper() in ("VARCHAR", "CHAR", "TEXT", "MEDIUMTEXT", "LONGTEXT", "TINYTEXT"):
        spelled += " " + _UTF8MB4
    out = f"{_q(live_name)} {spelled} NULL"
    default = getattr(col.default, "arg", None) if col.default is not None else None
    literal = None if callable(default) else _literal(default)
    if literal is not None:
        out += f" DEFAULT {literal}"
    return out


def _cost(info: dict[str, tuple[int, int, str]], table: str) -> str:
    rows, size, engine = info.get(table, (0, 0, "?"))
    return f"{table}: ~{rows:,} rows, {size / 1048576:.1f} MiB ({engine})"


def _table_info(conn: Connection) -> dict[str, tuple[int, int, str]]:
    from sqlalchemy import text

    rows = conn.execute(text(
        "SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH, ENGINE, TABLE_COLLATION "
        "FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
    )).all()
    return {str(r[0]): (int(r[1] or 0), int(r[2] or 0), f"{r[3]}, {r[4]}") for r in rows}


def _has_duplicates(conn: Connection, table: str, cols: tuple[str, ...]) -> bool:
    from sqlalchemy import text

    listed = ", ".join(_q(c) for c in cols)
    not_null = " AND ".join(f"{_q(c)} IS NOT NULL" for c in cols)
    found = conn.execute(text(f"SELECT 1 FROM {_q(table)} WHERE {not_null} GROUP BY {listed} "
                              "HAVING COUNT(*) > 1 LIMIT 1")).first()
    return found is not None


def _relax_sql(conn: Connection, table: str, column: str) -> str:
    from sqlalchemy import text

    row = conn.execute(text(
        "SELECT COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_COMMENT FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t AND COLUMN_NAME = :c"), {"t": table, "c": column}).one()
    spelled = str(row[0])
    if row[1]:
        spelled += f" CHARACTER SET {row[1]} COLLATE {row[2]}"
    comment = f" COMMENT {_literal(str(row[3]))}" if row[3] else ""
    return f"ALTER TABLE {_q(table)} MODIFY COLUMN {_q(column)} {spelled} NULL{comment}"


def _table_steps(table: Table, conn: Connection, inspector: Any, smap: SchemaMap,
                 info: dict[str, tuple[int, int, str]], plan: AdoptPlan) -> tuple[list[Step], list[Step]]:
    """(column steps, index steps) of one existing model table."""
    from .drift import expected_indexes
    from .schema_map import TRANSFORMS

    name = table.name
    live_cols = {c["name"]: c for c in inspector.get_columns(name)}
    live = {c.name: smap.live(name, c.name) for c in table.columns}
    derived = smap.derived.get(name, {})
    col_steps: list[Step] = []
    for col in table.columns:
        target = live[col.name]
        if target not in live_cols and target != col.name and not target.startswith("tt_"):
            # A typo in the map must not become a new column PHP can see (and the toolkit read empty).
            raise ValidationError(f"[schema.{name}] {col.name} = \"{target}\": {name} has no column '{target}'",
                                  hint="`tinytalk db map suggest` lists the live columns; an added column of the "
                                       "toolkit's own is spelled tt_<name>")
        if target not in live_cols:
            col_steps.append(Step(f"add_column:{name}.{target}", "add_column", name,
                                  f"add {name}.{target} for the toolkit's {col.name}",
                                  (f"ALTER TABLE {_q(name)} ADD COLUMN {_column_sql(col, target, conn)}",),
                                  column=target))
        elif not live_cols[target]["nullable"] and col.nullable and live_cols[target].get("default") is None \
                and not live_cols[target].get("autoincrement"):
            col_steps.append(Step(f"relax_null:{name}.{target}", "relax_null", name,
                                  f"allow NULL in {name}.{target} (the toolkit may leave it empty)",
                                  (_relax_sql(conn, name, target),), column=target, touches_php=True,
                                  cost=_cost(info, name)))
    for col_name, d in sorted(derived.items()):
        if d.source not in live_cols:
            raise ValidationError(f"[schema.{name}] {col_name}: from = '{d.source}' is not a column of {name}")
        expr = TRANSFORMS[d.transform].format(src=_q(d.source))
        col_steps.append(Step(
            f"data:{name}.{col_name}", "data", name,
            f"fill {name}.{col_name} from PHP's {d.source} ({d.transform}), {BATCH_ROWS} rows a statement",
            (f"UPDATE {_q(name)} SET {_q(col_name)} = {expr} WHERE {_q(col_name)} IS NULL "
             f"AND {_q(d.source)} IS NOT NULL LIMIT {BATCH_ROWS}",),
            column=col_name, batched=True, cost=_cost(info, name)))
    mapped_live = set(live.values())
    for col_name, got in live_cols.items():
        if col_name in mapped_live or got["nullable"] or got.get("default") is not None or got.get("autoincrement"):
            continue
        col_steps.append(Step(f"relax_null:{name}.{col_name}", "relax_null", name,
                              f"allow NULL in PHP's {name}.{col_name} (the toolkit does not write it)",
                              (_relax_sql(conn, name, col_name),), column=col_name, touches_php=True,
                              cost=_cost(info, name)))

    existing: list[tuple[str, ...]] = []
    unique_sets: list[tuple[str, ...]] = []
    pk = tuple(inspector.get_pk_constraint(name).get("constrained_columns") or ())
    if pk:
        existing.append(pk)
        unique_sets.append(pk)
    for ix in inspector.get_indexes(name):
        cols = tuple(c for c in ix["column_names"] if c is not None)
        existing.append(cols)
        if ix.get("unique"):
            unique_sets.append(cols)
    ix_steps: list[Step] = []
    plain, unique = expected_indexes(table, live)
    for ix_name, cols in plain:
        if any(have[: len(cols)] == cols for have in existing):
            continue
        if pk and len(cols) > len(pk) and cols[-len(pk):] == pk and cols[: -len(pk)] in existing:
            continue  # InnoDB: (session_id) serves (session_id, id)
        ix_steps.append(Step(f"index:{name}.{ix_name}", "index", name, f"add index {ix_name} ({', '.join(cols)})",
                             (f"CREATE INDEX {_q(ix_name)} ON {_q(name)} ({', '.join(_q(c) for c in cols)})",),
                             cost=_cost(info, name)))
    for uq_name, cols in unique:
        if cols in unique_sets:
            continue
        if all(c in live_cols for c in cols) and _has_duplicates(conn, name, cols):
            plan.left.append(f"{name}: unique ({', '.join(cols)}) not added, the rows hold duplicates")
            continue
        ix_steps.append(Step(f"unique:{name}.{uq_name}", "unique", name,
                             f"add unique index {uq_name} ({', '.join(cols)})",
                             (f"CREATE UNIQUE INDEX {_q(uq_name)} ON {_q(name)} ({', '.join(_q(c) for c in cols)})",),
                             cost=_cost(info, name)))
    return col_steps, ix_steps


def _upgrade_steps(conn: Connection, tables: list[str], info: dict[str, tuple[int, int, str]], *,
                   engine_upgrade: bool, charset_upgrade: bool) -> list[Step]:
    from sqlalchemy import text

    steps: list[Step] = []
    rows = conn.execute(text(
        "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME")).all()
    off_charset = {str(r[0]) for r in conn.execute(text(
        "SELECT DISTINCT TABLE_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
        "AND CHARACTER_SET_NAME IS NOT NULL AND CHARACTER_SET_NAME <> 'utf8mb4'")).all()}
    for table, engine, collation in rows:
        if table not in tables:
            continue
        if engine_upgrade and str(engine).lower() != "innodb":
            steps.append(Step(f"engine:{table}", "engine", table, f"convert {table} from {engine} to InnoDB "
                              "(copies the table; locks writes while it runs on MyISAM)",
                              (f"ALTER TABLE {_q(table)} ENGINE=InnoDB",), opt_in=True, cost=_cost(info, table)))
        if charset_upgrade and (not str(collation).lower().startswith("utf8mb4") or table in off_charset):
            steps.append(Step(f"charset:{table}", "charset", table, f"convert {table} from {collation} to utf8mb4 "
                              "(rebuilds the table; TEXT columns may grow to MEDIUMTEXT)",
                              (f"ALTER TABLE {_q(table)} CONVERT TO {_UTF8MB4}",), opt_in=True,
                              cost=_cost(info, table)))
    return steps


def plan_adoption(engine: Engine, schema_map: SchemaMap | None = None, *, engine_upgrade: bool = False,
                  charset_upgrade: bool = False) -> AdoptPlan:
    """The additive steps for the database behind ``engine`` read through ``schema_map``. Read-only."""
    from sqlalchemy import inspect
    from sqlalchemy.schema import CreateIndex, CreateTable

    from .._exceptions import DatabaseError
    from .migrate import _metadata, db_errors, describe_url, head
    from .schema_map import schema_map_of

    if engine.dialect.name not in ("mysql", "mariadb"):
        raise DatabaseError(f"{describe_url(engine)}: `db adopt` is for the PHP backend's MySQL/MariaDB",
                            hint="a SQLite database is made by `tinytalk db init`")
    smap = schema_map if schema_map is not None else schema_map_of(engine)
    metadata = _metadata()
    plan = AdoptPlan(database=describe_url(engine), head=head())
    plan.steps.append(Step("toolkit_tables", "toolkit", None,
                           f"the toolkit's own tables: alembic_version, {JOURNAL_TABLE}",
                           (_ALEMBIC_DDL, _JOURNAL_DDL)))
    col_steps: list[Step] = []
    ix_steps: list[Step] = []
    with db_errors(engine, "planning the adoption"), engine.connect() as conn:
        inspector = inspect(conn)
        existing = set(inspector.get_table_names())
        info = _table_info(conn)
        present = sorted(set(metadata.tables) & existing)
        plan.steps.extend(_upgrade_steps(conn, present, info, engine_upgrade=engine_upgrade,
                                         charset_upgrade=charset_upgrade))
        for name in sorted(metadata.tables):
            table = metadata.tables[name]
            if name not in existing:
                ddl = [str(CreateTable(table, include_foreign_key_constraints=[]).compile(dialect=conn.dialect))
                       .strip()]
                ddl += [str(CreateIndex(ix).compile(dialect=conn.dialect)).strip() for ix in sorted(
                    table.indexes, key=lambda i: str(i.name))]
                plan.steps.append(Step(f"create_table:{name}", "create_table", name,
                                       f"create the toolkit's {name} (no foreign keys)", tuple(ddl)))
                continue
            cols, ixs = _table_steps(table, conn, inspector, smap, info, plan)
            col_steps += cols
            ix_steps += ixs
    plan.steps += [s for s in col_steps if s.kind != "data"] + [s for s in col_steps if s.kind == "data"] + ix_steps
    plan.steps.append(Step("stamp", "stamp", None, f"record schema revision {plan.head} (Alembic)",
                           ("DELETE FROM alembic_version",
                            f"INSERT INTO alembic_version (version_num) VALUES ('{plan.head}')")))
    for table in sorted(existing - set(metadata.tables) - {"alembic_version", JOURNAL_TABLE}):
        plan.left.append(f"{table}: PHP's own table, untouched")
    return plan
