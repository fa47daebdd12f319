"""Schema migrations through Alembic, shipped inside the package: no ``alembic.ini`` at run time.

The Alembic :class:`~alembic.config.Config` is built in code and the caller's engine is handed to
``migrations/env.py`` as an open connection, so every entry point (CLI, tests, scripts) migrates the very
database it was given.

Autogenerate settings live in :func:`context_options`, shared by ``env.py`` (``alembic revision
--autogenerate``) and :func:`autogen_diff` (the test that proves the models and the migrations agree):

- ``render_as_batch=True`` so ``ALTER`` operations also run on SQLite (table copy-and-move);
- ``compare_type`` with a comparator that knows MariaDB spells ``JSON`` as ``LONGTEXT`` and that
  ``DATETIME`` is not ``DATETIME(6)`` (Alembic alone ignores fractional seconds);
- ``UTCDateTime`` renders as ``sa.DateTime().with_variant(mysql.DATETIME(fsp=6), ...)`` so revisions
  freeze the DDL instead of importing our Python type (a later change to the type cannot rewrite history).

Making a new revision (from the repository root)::

    .venv/bin/python -m tinytalk_sdk.db.migrate revision "add users.avatar_url"
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import DatabaseError, NotFoundError
from .._redact import redact

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from alembic.config import Config as AlembicConfig
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import Column, Connection, Engine
    from sqlalchemy.types import TypeEngine

__all__ = [
    "SCRIPT_LOCATION",
    "alembic_config",
    "autogen_diff",
    "check_revision",
    "context_options",
    "create_database_if_missing",
    "current",
    "db_errors",
    "describe_url",
    "head",
    "pending_between",
    "sqlite_file_missing",
    "stamp",
    "status",
    "upgrade",
]

SCRIPT_LOCATION = Path(__file__).with_name("migrations")
_VERSION_TABLE = "alembic_version"
# MySQL client errors meaning "could not reach": can't connect (socket/TCP), unknown host, gone, lost.
_CANNOT_CONNECT = frozenset({2002, 2003, 2005, 2006, 2013})
_HINTS = {
    1045: "check the user and password in database_url (`tinytalk config set database_url …`)",
    1049: "create it with `tinytalk db init`",
}


def describe_url(engine: Engine) -> str:
    """The engine's URL without its password, for messages."""
    return redact(engine.url.render_as_string(hide_password=True))


@contextmanager
def db_errors(engine: Engine, doing: str = "database") -> Iterator[None]:
    """Turn driver errors into one-line :class:`DatabaseError` naming the database, never its password."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    try:
        yield
    except DBAPIError as exc:
        first = (str(exc.orig if exc.orig is not None else exc) or exc.__class__.__name__).splitlines()[0]
        args = getattr(exc.orig, "args", ())
        code = args[0] if args and isinstance(args[0], int) else None
        url = describe_url(engine)
        if code in _CANNOT_CONNECT or "unable to open database file" in first:
            raise DatabaseError(f"cannot connect to {url}: {redact(first)}") from None
        hint = _HINTS.get(code) if code is not None else None
        raise DatabaseError(f"{doing} failed on {url}: {redact(first)}", hint=hint) from None
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise DatabaseError(f"{doing} failed on {describe_url(engine)}: {redact(first)}") from None


def sqlite_file_missing(engine: Engine) -> bool:
    """True for a SQLite URL whose file does not exist yet (SQLite would create it on connect)."""
    db = engine.url.database
    return engine.dialect.name == "sqlite" and bool(db) and db != ":memory:" and not Path(str(db)).exists()


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    """An Alembic config pointing at the packaged scripts; ``connection`` is what env.py migrates."""
    from alembic.config import Config

    cfg = Config()
    # ConfigParser interpolation: a '%' in the install path must be doubled.
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION).replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    cfg.attributes["connection"] = connection
    return cfg


def _metadata() -> Any:
    from . import models  # noqa: F401  (registers the 12 tables on Base.metadata)
    from .base import Base

    return Base.metadata


# What UTCDateTime renders as in revisions: the DDL it produces, frozen (DATETIME(6) on MySQL/MariaDB).
_UTC_DATETIME_DDL = (
    "sa.DateTime()"
    ".with_variant(mysql.DATETIME(fsp=6), 'mariadb')"
    ".with_variant(mysql.DATETIME(fsp=6), 'mysql')"
)


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    from .types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        if autogen_context.imports is not None:
            autogen_context.imports.add("from sqlalchemy.dialects import mysql")
        return _UTC_DATETIME_DDL
    return False


def _compare_type(
    context: MigrationContext,
    inspected_column: Column[Any],
    metadata_column: Column[Any],
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """``False`` = same, ``True`` = different, ``None`` = let Alembic decide."""
    from sqlalchemy import JSON
    from sqlalchemy.dialects import mysql
    from sqlalchemy.types import TypeDecorator

    dialect = context.dialect
    if dialect.name not in ("mysql", "mariadb"):
        return None
    expected = metadata_type.dialect_impl(dialect)
    if isinstance(expected, TypeDecorator):
        expected = expected.load_dialect_impl(dialect)
    if isinstance(expected, JSON):
        # MariaDB has no JSON type: JSON is an alias of LONGTEXT (with a json_valid CHECK).
        name = inspected_type.__class__.__name__.upper()
        return name not in ("JSON", "LONGTEXT")
    if isinstance(expected, mysql.DATETIME) and isinstance(inspected_type, mysql.DATETIME):
        # Alembic ignores fractional seconds; DATETIME vs DATETIME(6) is real drift for us.
        return (expected.fsp or 0) != (inspected_type.fsp or 0)
    return None


def context_options(dialect_name: str) -> dict[str, Any]:
    """Options of ``context.configure`` shared by env.py and :func:`autogen_diff`."""
    return {
        "target_metadata": _metadata(),
        "compare_type": _compare_type,
        "render_as_batch": True,
        "render_item": _render_item,
        "version_table": _VERSION_TABLE,
    }


def _script() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def check_revision(revision: str) -> None:
    """Raise :class:`NotFoundError` naming ``revision`` when no shipped migration has it (a typo)."""
    from alembic.util import CommandError

    if revision in ("head", "heads", "base") or re.fullmatch(r"(head|base)?[+-]\d+", revision.strip()):
        return  # relative steps (+1, head-1) are resolved by Alembic against the database: see _alembic
    try:
        found = _script().get_revision(revision) if revision.strip() else None
    except (CommandError, AssertionError):  # alembic asserts on some malformed ids
        found = None
    if found is None:
        raise NotFoundError(
            f"revision '{revision}' not found in the shipped migrations (head is {head()})",
            hint="`tinytalk db status` shows the revisions",
        )


@contextmanager
def _alembic(revision: str) -> Iterator[None]:
    """Alembic's own errors (a relative step past the end, …) as one line naming the revision."""
    from alembic.util import CommandError

    try:
        yield
    except CommandError as exc:
        raise NotFoundError(f"revision '{revision}': {str(exc).splitlines()[0]}",
                            hint="`tinytalk db status` shows the revisions") from None


def head() -> str:
    """The newest revision shipped with this version of the toolkit."""
    rev = _script().get_current_head()
    assert rev is not None, "no migrations shipped"
    return str(rev)


def current(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` when it was never migrated (or made by PHP)."""
    from alembic.runtime.migration import MigrationContext

    if sqlite_file_missing(engine):
        return None  # connecting would create an empty file
    with db_errors(engine, "reading the schema revision"), engine.connect() as conn:
        rev = MigrationContext.configure(conn, opts={"version_table": _VERSION_TABLE}).get_current_revision()
    return str(rev) if rev is not None else None


def _model_tables_present(engine: Engine) -> list[str]:
    from sqlalchemy import inspect

    with db_errors(engine, "inspecting the database"), engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
    return sorted(existing & set(_metadata().tables))


def upgrade(engine: Engine, revision: str = "head") -> list[str]:
    """Migrate the database to ``revision`` (default: head). Returns the revisions applied.

    Refuses a database that has TinyTalk tables but no Alembic revision (the PHP-made production
    database): creating the tables again would fail half way. Compare it with :func:`~.drift.check_drift`
    and adopt it with :func:`stamp` instead.
    """
    from alembic import command

    check_revision(revision)
    cur = current(engine)
    if cur is None:
        present = _model_tables_present(engine)
        if present:
            raise DatabaseError(
                f"{describe_url(engine)} has {len(present)} TinyTalk tables but no schema revision "
                "(made outside these migrations); refusing to create them again",
                hint="run `tinytalk db check`, fix the drift, then `tinytalk db stamp head`",
            )
    with _alembic(revision), db_errors(engine, "migrating"), engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
    return pending_between(cur, current(engine))


def pending_between(lower: str | None, upper: str | None) -> list[str]:
    """Revisions after ``lower`` up to and including ``upper``, oldest first."""
    if upper is None or upper == lower:
        return []
    revs = [str(r.revision) for r in _script().iterate_revisions(upper, lower)]
    return list(reversed([r for r in revs if r != lower]))


def stamp(engine: Engine, revision: str = "head") -> None:
    """Record ``revision`` as applied without running it (adopting a database made by PHP)."""
    from alembic import command

    check_revision(revision)
    with _alembic(revision), db_errors(engine, "stamping"), engine.begin() as conn:
        command.stamp(alembic_config(conn), revision)


def status(engine: Engine) -> dict[str, Any]:
    """Where the database stands: ``current``, ``head``, ``pending`` revisions, ``up_to_date``."""
    cur = current(engine)
    hd = head()
    todo = pending_between(cur, hd)
    return {
        "database": describe_url(engine),
        "backend": engine.dialect.name,
        "current": cur,
        "head": hd,
        "pending": todo,
        "up_to_date": cur == hd,
    }


def autogen_diff(engine: Engine) -> list[Any]:
    """What ``alembic revision --autogenerate`` would emit against this database (empty = clean)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with db_errors(engine, "comparing the schema"), engine.connect() as conn:
        opts = context_options(conn.dialect.name)
        metadata = opts.pop("target_metadata")
        ctx = MigrationContext.configure(conn, opts=opts)
        return list(compare_metadata(ctx, metadata))


def create_database_if_missing(engine: Engine) -> bool:
    """Create the database itself when absent: the SQLite file's folder, or a MySQL schema in utf8mb4.

    Returns ``True`` when something was created.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    if engine.dialect.name == "sqlite":
        db = engine.url.database
        if not db or db == ":memory:":
            return False
        existed = Path(db).exists()
        Path(db).parent.mkdir(parents=True, exist_ok=True)
        with db_errors(engine, "creating the database"), engine.connect():
            pass
        return not existed
    name = engine.url.database
    try:
        with engine.connect():
            return False
    except OperationalError as exc:
        code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
        if code != 1049 or not name:  # 1049 = Unknown database
            with db_errors(engine, "connecting"):
                raise
    server = create_engine(engine.url.set(database=""), connect_args={"connect_timeout": 5})
    try:
        with db_errors(engine, "creating the database"), server.begin() as conn:
            quoted = conn.dialect.identifier_preparer.quote_identifier(name or "")
            conn.execute(text(f"CREATE DATABASE IF NOT EXISTS {quoted} "
                              "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    finally:
        server.dispose()
    return True


def _main(argv: list[str]) -> int:
    """Developer entry point: ``python -m tinytalk_sdk.db.migrate revision "message"``.

    Autogenerates against a fresh SQLite database migrated to head, so only model changes show up.
    """
    import tempfile

    from alembic import command

    from .session import make_engine

    if len(argv) != 2 or argv[0] != "revision":
        sys.stderr.write('usage: python -m tinytalk_sdk.db.migrate revision "message"\n')
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/autogen.db")
        try:
            upgrade(engine)
            if not autogen_diff(engine):
                sys.stderr.write("the models match head: nothing to generate\n")
                return 1
            with engine.begin() as conn:
                command.revision(alembic_config(conn), message=argv[1], autogenerate=True)
        finally:
            engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
