"""Helpers of the admin-reports tests (characters, assignments, usage, dashboard).

Rows are inserted with plain Core statements, the way the PHP backend writes them, so the tests do not lean
on the code under test to build their fixtures.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from typer.testing import CliRunner

_seq = itertools.count(1)
UTC = dt.UTC
EMOTIONS = ("idle", "listening", "thinking", "speaking", "praise", "review", "error")


def now() -> dt.datetime:
    return dt.datetime.now(UTC).replace(microsecond=0)


def insert(engine: Engine, table: str, **values: Any) -> int:
    from sqlalchemy import insert as sa_insert

    from tinytalk_sdk.db.base import Base
    from tinytalk_sdk.db.models import User  # noqa: F401  (registers the tables)

    with engine.begin() as conn:
        result = conn.execute(sa_insert(Base.metadata.tables[table]).values(**values))
        pk = result.inserted_primary_key
        return pk[0] if pk and isinstance(pk[0], int) else 0


def add_user(engine: Engine, email: str | None = None, **values: Any) -> int:
    n = next(_seq)
    values.setdefault("name", f"Student {n}")
    values.setdefault("pin_hash", "$2y$04$x")
    values.setdefault("locale", "ko")
    values.setdefault("is_active", True)
    values.setdefault("created_at", now())
    return insert(engine, "users", email=email or f"student{n}@example.com", **values)


def add_character(engine: Engine, code: str, *, emotions: tuple[str, ...] = EMOTIONS, **values: Any) -> int:
    values.setdefault("name", code.title())
    values.setdefault("is_active", True)
    values.setdefault("is_default", False)
    values.setdefault("created_at", now())
    cid = insert(engine, "ai_characters", code=code, **values)
    for i, emotion in enumerate(emotions):
        insert(engine, "character_emotions", character_id=cid, emotion=emotion, motion_group=emotion.title(),
               motion_index=i, loop=False, created_at=now())
    return cid


def add_usage(engine: Engine, **values: Any) -> int:
    values.setdefault("operation", "chat")
    values.setdefault("status", "ok")
    values.setdefault("created_at", now())
    return insert(engine, "api_usage_logs", **values)


def db_dump(engine: Engine) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of every table, ordered: equal dumps mean nothing was written."""
    from sqlalchemy import select

    from tinytalk_sdk.db.base import Base
    from tinytalk_sdk.db.models import User  # noqa: F401

    out = []
    with engine.connect() as conn:
        for name, table in sorted(Base.metadata.tables.items()):
            order = list(table.primary_key.columns) or list(table.columns)
            rows = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
            out.append((name, rows))
    return out


@pytest.fixture
def runner() -> CliRunner:
    from typer.testing import CliRunner

    return CliRunner()


@pytest.fixture
def cli(runner: CliRunner, db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``cli("usage", "report", "--json")`` runs tinytalk on the test database; returns the Click result."""
    from tinytalk_cli.main import app

    monkeypatch.setenv("TINYTALK_DATABASE_URL", db_url)

    def run(*args: str, input: str | None = None) -> Any:
        return runner.invoke(app, list(args), input=input)

    yield run


def as_json(result: Any) -> Any:
    assert result.stdout.strip(), f"no stdout; stderr: {result.stderr}"
    return json.loads(result.stdout)
