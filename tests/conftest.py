"""Fixtures every test shares: an isolated user dir, and the databases (SQLite and a real MariaDB).

Area-specific fixtures live in ``tests/<area>/conftest.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests._mariadb import MariaDB, start_mariadb

# Shared fixtures of an area (api server, sshd, S3, provider fakes) live in tests/plugins/<name>.py.
pytest_plugins = sorted(
    f"tests.plugins.{p.stem}"
    for p in (Path(__file__).parent / "plugins").glob("*.py")
    if not p.stem.startswith("_")
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

_ISOLATED_PREFIXES = ("TINYTALK_", "OPENAI_", "ELEVENLABS_", "HEYGEN_", "LIVEAVATAR_")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point config and data folders at tmp_path and clear every variable that could reach a real service."""
    for key in list(os.environ):
        if key.startswith(_ISOLATED_PREFIXES):
            monkeypatch.delenv(key, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("TINYTALK_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("TINYTALK_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("TINYTALK_NO_KEYRING", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    return home


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDB]:
    """One MariaDB server per test session (per xdist worker)."""
    try:
        server = start_mariadb()
    except FileNotFoundError as exc:
        if os.environ.get("TINYTALK_REQUIRE_MARIADB") == "1":
            pytest.fail(f"MariaDB required but unavailable: {exc}")
        pytest.skip(f"MariaDB tests skipped: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, once on SQLite and once on a fresh MariaDB database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tinytalk.db'}"
        return
    server: MariaDB = request.getfixturevalue("mariadb")
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url.rsplit("/", 1)[1].split("?")[0])


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head (through Alembic, as users do)."""
    from tinytalk_sdk.db import make_engine
    from tinytalk_sdk.db.migrate import upgrade

    eng = make_engine(db_url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite engine, for tests that do not need to run on both databases."""
    from tinytalk_sdk.db import make_engine
    from tinytalk_sdk.db.migrate import upgrade

    eng = make_engine(f"sqlite:///{tmp_path / 'tinytalk.db'}")
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()
