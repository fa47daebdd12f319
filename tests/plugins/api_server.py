"""The local API server running under uvicorn on loopback, for every test that talks HTTP to it.

* ``api_server`` — one server per test session on its own SQLite database (offline providers).
* ``api_server_mariadb`` — the same on a MariaDB database of the session's ``mariadb`` server.
* ``api_server_factory(db_url)`` — a server on a database of your own (e.g. the ``db_url`` fixture, which
  runs a test on SQLite and on MariaDB); stopped when the test ends.

Each yields an :class:`ApiServer`: ``base_url`` (``http://127.0.0.1:PORT/api``), ``engine_url``, the
uploads and CDN folders, the ``cleanup_token``, and ``faults(spec)`` — a context manager that injects
faults (docs/server.md) and clears them afterwards. Light at import: the server loads on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests._mariadb import MariaDB

__all__ = ["ApiServer", "api_server", "api_server_factory", "api_server_mariadb"]

CLEANUP_TOKEN = "test-cleanup-token"


@dataclass(frozen=True)
class ApiServer:
    base_url: str
    engine_url: str
    uploads_dir: Path
    cdn_dir: Path
    cleanup_token: str
    running: Any  # tinytalk_sdk.server.RunningServer

    @property
    def origin(self) -> str:
        return self.base_url.removesuffix("/api")

    @contextmanager
    def faults(self, spec: str) -> Iterator[None]:
        """Inject a fault plan for the duration of the block (replacing any other)."""
        self.running.faults.set(spec)
        try:
            yield
        finally:
            self.running.faults.clear()

    def stop(self) -> None:
        self.running.stop()


def shared_limits() -> Any:
    """The throttles of the session servers: every test registers from 127.0.0.1, so the per-address
    rules are lifted; the per-account login rule stays the default (each test has its own accounts).
    tests/server/test_throttle.py checks the defaults on servers of its own."""
    from tinytalk_sdk.auth_throttle import AuthLimits, ThrottleRule

    lifted = ThrottleRule(free=1_000_000, base_lock=1, max_lock=1, window=3600)
    return AuthLimits(login_address=lifted, register_address=lifted)


def _start(db_url: str, folder: Path, **kwargs: Any) -> ApiServer:
    from tinytalk_sdk.server import start_background_server

    kwargs.setdefault("auth_limits", shared_limits())

    uploads, cdn = folder / "uploads", folder / "cdn"
    cdn.mkdir(parents=True, exist_ok=True)
    running = start_background_server(db_url, uploads_dir=uploads, cdn_dir=cdn, fault="",
                                      cleanup_token=CLEANUP_TOKEN, **kwargs)
    return ApiServer(base_url=running.base_url, engine_url=db_url, uploads_dir=uploads, cdn_dir=cdn,
                     cleanup_token=CLEANUP_TOKEN, running=running)


@pytest.fixture(scope="session")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The API server on a session SQLite database."""
    folder = tmp_path_factory.mktemp("api-server")
    server = _start(f"sqlite:///{folder / 'tinytalk.db'}", folder)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def api_server_mariadb(mariadb: MariaDB, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The API server on a session MariaDB database."""
    folder = tmp_path_factory.mktemp("api-server-mariadb")
    url = mariadb.create_database()
    server = _start(url, folder)
    try:
        yield server
    finally:
        server.stop()
        mariadb.drop_database(url.rsplit("/", 1)[1].split("?")[0])


@pytest.fixture
def api_server_factory(tmp_path: Path) -> Iterator[Callable[..., ApiServer]]:
    """``start(db_url, **start_background_server_kwargs)`` → a running server, stopped after the test."""
    started: list[ApiServer] = []

    def start(db_url: str, **kwargs: Any) -> ApiServer:
        server = _start(db_url, tmp_path / f"api-server-{len(started)}", **kwargs)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
