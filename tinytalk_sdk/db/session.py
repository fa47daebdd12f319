"""Engines and transactions. Nothing connects at import time: callers make an engine from a URL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigError, DatabaseError
from .._redact import redact

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from .schema_map import SchemaMap

__all__ = ["make_engine", "transaction"]


def make_engine(url: str, *, schema_map: Mapping[str, Any] | SchemaMap | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings TinyTalk needs (utf8mb4, UTC, SQLite foreign keys on).

    ``schema_map`` (a profile's ``[schema]`` table, or a parsed :class:`~.schema_map.SchemaMap`) makes the
    engine read and write the live column names of a database the PHP backend made.
    """
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"bad database URL '{redact(url)}'", hint="e.g. sqlite:///path.db or "
                          "mysql+pymysql://user:pw@host/db?charset=utf8mb4") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"bad database URL '{redact(url)}': cannot create its folder ({exc.strerror})"
                ) from None
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
    elif backend in ("mysql", "mariadb"):
        if "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_recycle", 3600)
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("connect_timeout", 5)
        # connect_timeout does not bound a handshake that never answers; a generous read timeout does,
        # without cutting off the long reports (they stream in chunks well under this).
        connect_args.setdefault("read_timeout", 600)
        connect_args.setdefault("init_command", "SET time_zone = '+00:00'")
    else:
        raise ConfigError(f"unsupported database '{backend}' in '{redact(url)}' (use sqlite or mysql+pymysql)")
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError as exc:
        raise ConfigError(f"bad database URL '{redact(url)}': {exc}") from None
    if backend == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    if schema_map is not None:
        from .schema_map import SchemaMap as _Map
        from .schema_map import install, parse_schema_map

        install(engine, schema_map if isinstance(schema_map, _Map) else parse_schema_map(schema_map))
    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One ORM session in one transaction: commit on success, roll back on any error.

    Driver errors become :class:`DatabaseError` with the URL's password masked.
    """
    from sqlalchemy.exc import OperationalError, SQLAlchemyError
    from sqlalchemy.orm import Session

    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session
    except OperationalError as exc:
        raise DatabaseError(
            f"database {redact(engine.url.render_as_string(hide_password=True))}: "
            f"{redact(str(exc.orig).splitlines()[0] if exc.orig else str(exc))}"
        ) from None
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        code = orig.args[0] if orig is not None and getattr(orig, "args", None) else None
        # 1366: a utf8mb3/latin1 column of a PHP-made table refused emoji (or Korean, for latin1).
        hint = ("the column's character set cannot hold this text; `tinytalk db adopt --plan --charset` "
                "converts the table to utf8mb4") if code == 1366 else None
        raise DatabaseError(f"database error: {redact(str(exc).splitlines()[0])}", hint=hint) from None
