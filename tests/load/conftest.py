"""A profile pointing at the session's local API server (loopback, offline providers, its SQLite)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.plugins.api_server import ApiServer


@pytest.fixture
def load_env(api_server: ApiServer, monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> ApiServer:
    monkeypatch.setenv("TINYTALK_API_URL", api_server.base_url)
    monkeypatch.setenv("TINYTALK_DATABASE_URL", api_server.engine_url)
    monkeypatch.setenv("TINYTALK_UPLOADS_DIR", str(api_server.uploads_dir))
    return api_server


def rows_since(server: ApiServer, since: dt.datetime, sql: str) -> list[dict[str, Any]]:
    from sqlalchemy import text

    from tinytalk_sdk.db import make_engine

    engine = make_engine(server.engine_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), {"since": since.replace(tzinfo=None)})]
    finally:
        engine.dispose()
