"""The schema map: which live column holds each model column, on a database the PHP backend made.

The profile's ``[profiles.<name>.schema.<table>]`` tables say, per model column, the name the live database
uses::

    [profiles.prod.schema.users]
    pin_hash = "pin"                   # the PHP column, read and written directly
    last_login_at = "last_login"
    [profiles.prod.schema.user_auth_tokens]
    token_hash = { from = "token", transform = "sha256" }   # an added column, filled from PHP's clear token

How the map reaches every query: :func:`install` gives one engine a statement compiler and an identifier
preparer that render a model column under its live name. The models keep their names (and Python
attribute keys); only the SQL text differs. ORM and Core statements, DML column lists, ``ON DUPLICATE KEY
UPDATE``, DDL and index DDL all pass through those two objects, so nothing in the SDK, server or admin code
has to know about the map. Because the compiler belongs to the engine's dialect, two engines with two maps
live side by side in one process, and the statement cache (per engine) never mixes them. Raw ``text()``
SQL does not pass through the compiler: the SDK runs none over model tables (a test greps for it).

Table names are not mapped: the 12 table names are the platform's own (PLATFORM.md), PHP made them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine, MetaData

__all__ = ["TRANSFORMS", "Derived", "SchemaMap", "install", "parse_schema_map"]

# How an added column is filled from a PHP column (a data step of `db adopt`), as MySQL SQL over `src`.
TRANSFORMS: dict[str, str] = {"sha256": "SHA2({src}, 256)", "copy": "{src}"}


@dataclass(frozen=True)
class Derived:
    """A model column the toolkit adds, filled from a live column (``from``) through ``transform``."""

    source: str
    transform: str


@dataclass(frozen=True)
class SchemaMap:
    """``names[table][model_column] = live_column``; ``derived`` columns are added, filled from PHP's.

    ``present`` is true when the profile has a ``[schema]`` table at all (even empty): the database is
    one the PHP backend made, and `db check` compares with the toleration of an adopted database.
    """

    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    derived: Mapping[str, Mapping[str, Derived]] = field(default_factory=dict)
    present: bool = False

    def live(self, table: str, column: str) -> str:
        """The live name of a model column (its own name when unmapped)."""
        return self.names.get(table, {}).get(column, column)

    def renames(self) -> dict[str, dict[str, str]]:
        """Only the entries whose live name differs from the model's."""
        out: dict[str, dict[str, str]] = {}
        for table, cols in self.names.items():
            diff = {k: v for k, v in cols.items() if k != v}
            if diff:
                out[table] = diff
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for table in sorted(set(self.names) | set(self.derived)):
            entry: dict[str, Any] = dict(sorted(self.names.get(table, {}).items()))
            for col, d in sorted(self.derived.get(table, {}).items()):
                entry[col] = {"from": d.source, "transform": d.transform}
            out[table] = entry
        return out


def _metadata() -> MetaData:
    from . import models  # noqa: F401  (registers the tables)
    from .base import Base

    return Base.metadata


def parse_schema_map(data: Mapping[str, Any] | None, *, source: str = "the profile") -> SchemaMap:
    """Check a ``[schema]`` table against the models: every table and column must exist, live names unique.

    Raises :class:`ConfigError` naming the table and column at fault.
    """
    if data is None:
        return SchemaMap()
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: [schema] must be a table of [schema.<table>] tables")
    tables = _metadata().tables
    names: dict[str, dict[str, str]] = {}
    derived: dict[str, dict[str, Derived]] = {}
    for table, cols in data.items():
        where = f"{source}: [schema.{table}]"
        if table not in tables:
            raise ConfigError(f"{where}: no such table in the models", hint="the 12 tables are in docs/schema.md")
        if not isinstance(cols, Mapping):
            raise ConfigError(f"{where} must be a table of model_column = \"live_column\"")
        model_cols = {c.name for c in tables[table].columns}
        seen: dict[str, str] = {}
        for col, value in cols.items():
            if col not in model_cols:
                raise ConfigError(f"{where}: '{col}' is not a column of {table} in the models")
            if isinstance(value, str):
                if not value.strip():
                    raise ConfigError(f"{where}: '{col}' maps to an empty name")
                names.setdefault(table, {})[col] = value.strip()
                live = value.strip()
            elif isinstance(value, Mapping):
                src, transform = value.get("from"), value.get("transform", "copy")
                if not isinstance(src, str) or transform not in TRANSFORMS:
                    raise ConfigError(f"{where}: '{col}' needs from = \"live_column\" and transform = one of "
                                      f"{', '.join(TRANSFORMS)}")
                derived.setdefault(table, {})[col] = Derived(source=src, transform=str(transform))
                live = col
            else:
                raise ConfigError(f"{where}: '{col}' must be a column name or {{ from = …, transform = … }}")
            if live in seen:
                raise ConfigError(f"{where}: '{col}' and '{seen[live]}' both map to live column '{live}'")
            seen[live] = col
    return SchemaMap(names=names, derived=derived, present=True)


# ---------------------------------------------------------------------------------------------------
# Rendering: a compiler and a preparer per engine.


def _base_table_name(selectable: Any) -> str | None:
    """The model table behind a column's table, through aliases (``aliased(User)``) and annotations."""
    from sqlalchemy import Table

    seen = 0
    while selectable is not None and seen < 8:
        if isinstance(selectable, Table):
            return str(selectable.name)
        selectable = getattr(selectable, "element", None)
        seen += 1
    return None


def _live_name(renames: Mapping[str, Mapping[str, str]], column: Any) -> str | None:
    name = getattr(column, "name", None)
    if not name or getattr(column, "is_literal", False):
        return None
    table = _base_table_name(getattr(column, "table", None))
    if table is None:
        return None
    return renames.get(table, {}).get(str(name))


class _PreparerMixin:
    _tt_renames: Mapping[str, Mapping[str, str]] = {}

    def format_column(self, column: Any, use_table: bool = False, name: str | None = None,
                      **kw: Any) -> str:
        if name is None:
            name = _live_name(self._tt_renames, column)
        return super().format_column(column, use_table, name, **kw)  # type: ignore[misc]


class _TableQuoter:
    """The preparer, with ``quote`` mapping the names of one table (MySQL's ON DUPLICATE KEY UPDATE)."""

    def __init__(self, inner: Any, renames: Mapping[str, str]) -> None:
        self._inner, self._renames = inner, renames

    def quote(self, name: str) -> str:
        return str(self._inner.quote(self._renames.get(name, name)))

    def __getattr__(self, item: str) -> Any:
        return getattr(self._inner, item)


class _CompilerMixin:
    preparer: Any

    def visit_column(self, column: Any, add_to_result_map: Any = None, include_table: bool = True,
                     **kw: Any) -> str:
        rendered = str(super().visit_column(column, add_to_result_map, include_table, **kw))  # type: ignore[misc]
        live = _live_name(self.preparer._tt_renames, column)
        if live is None:
            return rendered
        quoted = self.preparer.quote(column.name)
        if not rendered.endswith(quoted):
            return rendered
        out = rendered[: len(rendered) - len(quoted)] + self.preparer.quote(live)
        # A bare column in a SELECT list keeps the name the rest of the statement (and the result) expect.
        if kw.get("within_columns_clause") and not kw.get("within_label_clause"):
            out += " AS " + quoted
        return out

    def visit_on_duplicate_key_update(self, on_duplicate: Any, **kw: Any) -> str:
        executable = getattr(self, "current_executable", None)
        table = _base_table_name(getattr(executable, "table", None) if executable is not None else None)
        renames = self.preparer._tt_renames.get(table or "", {})
        saved = self.preparer
        self.preparer = _TableQuoter(saved, renames)
        try:
            return str(super().visit_on_duplicate_key_update(on_duplicate, **kw))  # type: ignore[misc]
        finally:
            self.preparer = saved


def install(engine: Engine, schema_map: SchemaMap) -> Engine:
    """Make ``engine`` render model columns under their live names. Returns the engine.

    The engine must be new (nothing compiled on it yet): its statement cache is per engine.
    """
    renames = schema_map.renames()
    engine._tinytalk_schema_map = schema_map  # type: ignore[attr-defined]
    if not renames:
        return engine
    dialect = engine.dialect
    preparer_cls = type(dialect.identifier_preparer)
    mapped_preparer = type("Mapped" + preparer_cls.__name__, (_PreparerMixin, preparer_cls),
                           {"_tt_renames": renames})
    compiler_cls = dialect.statement_compiler
    mapped_compiler = type("Mapped" + compiler_cls.__name__, (_CompilerMixin, compiler_cls), {})
    # MySQL makes its preparer again on the first connect (ANSI_QUOTES detection): from this class.
    dialect.preparer = mapped_preparer
    dialect.identifier_preparer = mapped_preparer(dialect)
    dialect.statement_compiler = mapped_compiler
    return engine


def schema_map_of(engine: Engine) -> SchemaMap:
    """The map installed on ``engine`` (empty when none)."""
    found = getattr(engine, "_tinytalk_schema_map", None)
    return found if isinstance(found, SchemaMap) else SchemaMap()
