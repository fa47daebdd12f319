"""Fixtures of the server tests: the running server on both databases, and a small HTTP helper."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.plugins.api_server import ApiServer


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def live(request: pytest.FixtureRequest) -> ApiServer:
    """The session's running server, once on SQLite and once on MariaDB."""
    name = "api_server" if request.param == "sqlite" else "api_server_mariadb"
    server: ApiServer = request.getfixturevalue(name)
    return server


@dataclass
class Api:
    """httpx against the server, plus a registered user's token."""

    http: httpx.Client
    server: ApiServer
    token: str | None = None
    user: dict[str, Any] = field(default_factory=dict)

    @property
    def auth(self) -> dict[str, str]:
        assert self.token
        return {"Authorization": f"Bearer {self.token}"}

    def register(self, pin: str = "1234", name: str = "Minji") -> dict[str, Any]:
        email = f"kid-{uuid.uuid4().hex[:10]}@example.com"
        r = conforms(self.http.post("/auth_register.php", json={"email": email, "pin": pin, "name": name}))
        assert r.status_code == 201, r.text
        data = r.json()["data"]
        self.token, self.user = data["token"], data["user"]
        return data

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.auth)
        return conforms(self.http.get(path, **kwargs))

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.auth)
        return conforms(self.http.post(path, **kwargs))

    def new_session(self, **body: Any) -> dict[str, Any]:
        r = self.post("/create_session.php", json=body)
        assert r.status_code == 201, r.text
        session: dict[str, Any] = r.json()["data"]["session"]
        return session


def conforms(r: httpx.Response) -> httpx.Response:
    """Check a JSON answer against the SDK's models (``tinytalk_sdk.types``): the envelope, and ``data``
    against the endpoint's response model. The models keep unknown fields, so this catches missing or
    mistyped ones."""
    from tinytalk_sdk.types import ENDPOINTS, ErrorEnvelope

    if not r.headers.get("content-type", "").startswith("application/json"):
        return r
    body = r.json()
    if r.status_code >= 400:
        ErrorEnvelope.model_validate(body)
        return r
    path = "/" + r.request.url.path.rsplit("/", 1)[-1]
    for ep in ENDPOINTS:
        if ep.path == path and ep.method == r.request.method and ep.response is not None:
            assert body["success"] is True
            ep.response.model_validate(body["data"])
            assert r.status_code == ep.status, (path, r.status_code)
    return r


@pytest.fixture
def api(live: ApiServer) -> Iterator[Api]:
    """A registered user on the live server (both databases)."""
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        client = Api(http=http, server=live)
        client.register()
        yield client


@pytest.fixture
def sqlite_api(api_server: ApiServer) -> Iterator[Api]:
    """A registered user on the SQLite server only (for checks that do not depend on the database)."""
    with httpx.Client(base_url=api_server.base_url, timeout=30) as http:
        client = Api(http=http, server=api_server)
        client.register()
        yield client


def rows(engine_url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Read rows straight from the server's database (not through the API)."""
    from sqlalchemy import text

    from tinytalk_sdk.db import make_engine

    engine = make_engine(engine_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()
