"""Helpers of the admin tests: insert rows the way the PHP backend would, and dump a whole database.

Import the helpers (``from tests.admin.conftest import add_user, db_dump``) or use the fixtures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sqlalchemy import Engine

_seq = itertools.count(1)
# A $2y$ hash of "1234" at cost 4: inserting members needs no bcrypt work per row.
PIN_1234 = "$2y$04$IYRqsBZNCR8Z/Wbcfzpeeedgr6BJAMGoQY3qnoPKJyJ04UIDRC.2y"
UTC = dt.UTC


def now() -> dt.datetime:
    return dt.datetime.now(UTC).replace(microsecond=0)


def _insert(engine: Engine, table: str, **values: Any) -> int:
    from sqlalchemy import insert

    from tinytalk_sdk.db.base import Base
    from tinytalk_sdk.db.models import User  # noqa: F401  (registers the tables)

    with engine.begin() as conn:
        result = conn.execute(insert(Base.metadata.tables[table]).values(**values))
        pk = result.inserted_primary_key
        return int(pk[0]) if pk and pk[0] is not None else 0


def add_user(engine: Engine, email: str | None = None, **values: Any) -> int:
    n = next(_seq)
    values.setdefault("name", f"Student {n}")
    values.setdefault("pin_hash", PIN_1234)
    values.setdefault("locale", "ko")
    values.setdefault("is_active", True)
    values.setdefault("created_at", now())
    return _insert(engine, "users", email=email or f"student{n}@example.com", **values)


def add_token(engine: Engine, user_id: int, *, revoked: bool = False, expires_in_days: int = 30) -> int:
    n = next(_seq)
    return _insert(
        engine, "user_auth_tokens", user_id=user_id,
        token_hash=hashlib.sha256(f"token-{n}".encode()).hexdigest(), created_at=now(),
        expires_at=now() + dt.timedelta(days=expires_in_days), revoked_at=now() if revoked else None,
    )


def add_persona(engine: Engine, name: str, prompt: str = "You are a tutor.", **values: Any) -> int:
    values.setdefault("display_name", name.title())
    values.setdefault("version", 1)
    values.setdefault("model", "gpt-4o")
    values.setdefault("temperature", 0.7)
    values.setdefault("is_default", False)
    values.setdefault("status", "active")
    values.setdefault("created_at", now())
    return _insert(engine, "ai_personas", name=name, system_prompt=prompt, **values)


def add_session(engine: Engine, user_id: int, *, persona_id: int | None = None,
                created_at: dt.datetime | None = None, **values: Any) -> int:
    created = created_at or now()
    values.setdefault("status", "active")
    values.setdefault("response_mode", "audio")
    values.setdefault("message_count", 0)
    return _insert(engine, "chat_sessions", user_id=user_id, persona_id=persona_id,
                   session_date=created.date(), created_at=created, **values)


def add_message(engine: Engine, session_id: int, role: str, content: str, *,
                created_at: dt.datetime | None = None, **values: Any) -> int:
    return _insert(engine, "chat_messages", session_id=session_id, role=role, content=content,
                   created_at=created_at or now(), **values)


def add_messages_bulk(engine: Engine, session_id: int, count: int, *, chunk: int = 5000) -> None:
    """``count`` messages through executemany, for the streaming tests."""
    from sqlalchemy import insert

    from tinytalk_sdk.db.models import ChatMessage

    base = now() - dt.timedelta(days=1)
    with engine.begin() as conn:
        for start in range(0, count, chunk):
            conn.execute(insert(ChatMessage), [
                {"session_id": session_id, "role": "user" if i % 2 == 0 else "assistant",
                 "content": f"message {i} 안녕하세요 hello there, how are you today?",
                 "audio_url": f"https://cdn.example.com/uploads/{i}.webm" if i % 2 == 0 else None,
                 "created_at": base + dt.timedelta(seconds=i)}
                for i in range(start, min(count, start + chunk))
            ])


def db_dump(engine: Engine) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of every table in primary-key order: equal dumps = byte-for-byte the same data."""
    from sqlalchemy import select

    from tinytalk_sdk.db.base import Base
    from tinytalk_sdk.db.models import User  # noqa: F401

    out = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
            out.append((table.name, rows))
    return out


def sqlite_iterdump(engine: Engine) -> list[str]:
    """The SQLite file's own dump (schema and data), for the strictest before/after comparisons."""
    import sqlite3

    path = engine.url.database
    assert path
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


@pytest.fixture
def dump(engine: Engine) -> Any:
    return lambda: db_dump(engine)


@pytest.fixture
def uploads(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "uploads"
    folder.mkdir()
    yield folder
