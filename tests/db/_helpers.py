"""Raw SQL alterations, made as a DBA or the PHP side would make them (no ORM, no Alembic)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["HEAD", "REVISIONS", "run_sql", "sqlite_rebuild"]

# The migration chain, oldest first (0002, the security tables, joins at merge: add it here then).
REVISIONS = ["0001", "0002", "0003"]
HEAD = REVISIONS[-1]


def run_sql(engine: Engine, *statements: str) -> None:
    """Run raw SQL through the driver (no ORM), with SQLite foreign keys off as its ALTER recipe asks."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("PRAGMA foreign_keys=OFF")
        for statement in statements:
            cur.execute(statement)
        raw.commit()
    finally:
        raw.close()


def sqlite_rebuild(engine: Engine, table: str, pattern: str, replacement: str) -> None:
    """Change a SQLite table's DDL by hand: the documented create-copy-drop-rename recipe.

    ``pattern`` (a regex) must match the table's CREATE TABLE text; its indexes are re-created.
    """
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name=?", (table,))
        row = cur.fetchone()
        assert row is not None, f"no table {table}"
        ddl = row[0]
        new_ddl, count = re.subn(pattern, replacement, ddl)
        assert count == 1, f"{pattern!r} not in {ddl}"
        cur.execute("SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL",
                    (table,))
        indexes = [r[0] for r in cur.fetchall()]
        cur.execute(f"PRAGMA table_info({table})")
        cols = [r[1] for r in cur.fetchall()]
    finally:
        raw.close()
    new_ddl = new_ddl.replace(f"CREATE TABLE {table} ", f"CREATE TABLE _new_{table} ", 1)
    kept = [c for c in cols if re.search(rf"\b{c}\b", new_ddl)]
    run_sql(
        engine,
        new_ddl,
        f"INSERT INTO _new_{table} ({', '.join(kept)}) SELECT {', '.join(kept)} FROM {table}",
        f"DROP TABLE {table}",
        f"ALTER TABLE _new_{table} RENAME TO {table}",
        *indexes,
    )
