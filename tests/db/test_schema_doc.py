"""docs/schema.md names every table and column of the models, with the models' MySQL type and nullability."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.dialects import mysql

from tinytalk_sdk.db import models  # noqa: F401  (registers the tables)
from tinytalk_sdk.db.base import Base

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
_ROW = re.compile(r"^\|\s*`(?P<col>[a-z_0-9]+)`\s*\|\s*(?P<type>[^|]+?)\s*\|\s*(?P<null>NULL|NOT NULL)\s*\|"
                  r"\s*(?P<why>.*)\|\s*$")


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### `([a-z_]+)`\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_table_has_a_section() -> None:
    assert set(_sections()) == set(Base.metadata.tables)


def test_every_column_documented_with_its_type_and_nullability() -> None:
    dialect = mysql.dialect()
    problems: list[str] = []
    for name, body in _sections().items():
        table = Base.metadata.tables[name]
        rows = {m["col"]: m for m in map(_ROW.match, body.splitlines()) if m}
        for col in table.columns:
            row = rows.get(col.name)
            if row is None:
                problems.append(f"{name}.{col.name}: not in docs/schema.md")
                continue
            want_type = str(col.type.compile(dialect=dialect))
            want_null = "NULL" if col.nullable else "NOT NULL"
            if (row["type"], row["null"]) != (want_type, want_null):
                problems.append(f"{name}.{col.name}: doc says {row['type']} {row['null']}, "
                                f"models say {want_type} {want_null}")
            if not row["why"].strip():
                problems.append(f"{name}.{col.name}: no why")
        problems += [f"{name}.{c}: documented but not in the models" for c in set(rows) - set(table.columns.keys())]
    assert not problems, "\n".join(problems)


def test_every_index_and_unique_constraint_is_explained() -> None:
    from sqlalchemy import UniqueConstraint

    text = DOC.read_text(encoding="utf-8")
    names = [str(ix.name) for t in Base.metadata.tables.values() for ix in t.indexes]
    names += [str(c.name) for t in Base.metadata.tables.values() for c in t.constraints
              if isinstance(c, UniqueConstraint)]
    missing = [n for n in names if not re.search(rf"^- `{n}` \(.+\) — \S", text, flags=re.M)]
    assert not missing
