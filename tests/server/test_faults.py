"""Fault injection: the plan syntax, and each mode over a real socket (429, 503, drop, stall, /__faults)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from tests.plugins.api_server import ApiServer
from tests.server.conftest import Api, rows
from tinytalk_sdk import ValidationError
from tinytalk_sdk.server import FaultPlan, create_app, parse_faults


def test_parse_plan() -> None:
    faults = parse_faults("create_session.php:drop_after_commit:1, get_sessions.php:429:2,health:503=4:*,"
                          "gpt_stream.php:stall=2.5:1")
    assert [(f.endpoint, f.mode, f.remaining, f.arg) for f in faults] == [
        ("create_session.php", "drop", 1, 0.0),
        ("get_sessions.php", "429", 2, 1.0),
        ("health.php", "503", None, 4.0),
        ("gpt_stream.php", "stall", 1, 2.5),
    ]
    for bad in ("health.php", "health.php:418:1", "health.php:429:0", "health.php:429:x", "a/b.php:503:1",
                "health.php:stall=-1:1"):
        with pytest.raises(ValidationError):
            parse_faults(bad)


def test_plan_counts_down_per_endpoint() -> None:
    plan = FaultPlan("get_sessions.php:429:2,*:503:1")
    assert plan.take("health.php") and plan.take("health.php") is None  # the wildcard once
    assert [plan.take("get_sessions.php") is not None for _ in range(3)] == [True, True, False]
    assert plan.spec() == ""
    plan.set("health.php:500:*")
    assert all(plan.take("health.php") for _ in range(5)) and plan.spec() == "health.php:500:*"


@pytest.fixture
def user(api_server: ApiServer) -> Iterator[Api]:
    with httpx.Client(base_url=api_server.base_url, timeout=10) as http:
        client = Api(http=http, server=api_server)
        client.register()
        yield client


def test_429_with_retry_after_then_recovers(user: Api) -> None:
    with user.server.faults("get_sessions.php:429:2"):
        first, second, third = (user.get("/get_sessions.php") for _ in range(3))
    assert first.status_code == second.status_code == 429
    assert first.headers["retry-after"] == "1" and first.json()["error"]["code"] == "rate_limited"
    assert first.headers["x-request-id"] and first.headers["access-control-allow-origin"] == "*"
    assert third.status_code == 200


def test_503(user: Api) -> None:
    with user.server.faults("health.php:503=2:1"):
        r = user.http.get("/health.php")
        assert r.status_code == 503 and r.headers["retry-after"] == "2"
        assert r.json()["error"]["code"] == "unavailable"
        assert user.http.get("/health.php").status_code == 200


def _sessions(user: Api) -> int:
    return len(rows(user.server.engine_url, "SELECT id FROM chat_sessions WHERE user_id = :u", u=user.user["id"]))


def test_drop_after_commit_leaves_the_row(user: Api) -> None:
    with user.server.faults("create_session.php:drop_after_commit:1"), pytest.raises(httpx.TransportError):
        user.post("/create_session.php", json={"title": "lost answer"})
    assert _sessions(user) == 1  # the client saw a broken connection, the row exists


def test_drop_then_retry_with_the_same_key_is_one_row(user: Api) -> None:
    headers = {**user.auth, "Idempotency-Key": "retry-me-1"}
    with user.server.faults("create_session.php:drop:1"), pytest.raises(httpx.TransportError):
        user.http.post("/create_session.php", json={"title": "once"}, headers=headers)
    again = user.http.post("/create_session.php", json={"title": "once"}, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert _sessions(user) == 1


def test_drop_cuts_a_stream_after_headers(user: Api) -> None:
    session = user.new_session()
    with user.server.faults("gpt_stream.php:drop:1"), user.http.stream(
        "POST", "/gpt_stream.php", headers=user.auth, json={"session_id": session["id"], "message": "Hi there"}
    ) as r:
        assert r.status_code == 200
        with pytest.raises(httpx.TransportError):
            r.read()
    saved = rows(user.server.engine_url, "SELECT role FROM chat_messages WHERE session_id = :s", s=session["id"])
    assert [m["role"] for m in saved] == ["user", "assistant"]  # the work was done


def test_stall_outlasts_the_client_timeout(user: Api) -> None:
    with user.server.faults("health.php:stall=1.5:1"):
        with pytest.raises(httpx.ReadTimeout):
            user.http.get("/health.php", timeout=0.3)
        assert user.http.get("/health.php", timeout=5).status_code == 200


def test_admin_route_sets_and_clears_faults(user: Api) -> None:
    admin = user.server.origin + "/__faults"
    r = httpx.post(admin, json={"faults": "health.php:503:1"})
    assert r.json()["data"]["faults"] == "health.php:503:1"
    assert httpx.get(admin).json()["data"]["faults"] == "health.php:503:1"
    assert user.http.get("/health.php").status_code == 503
    httpx.post(admin, json={"faults": "auth_me.php:429:*"})
    assert httpx.post(admin, json={"faults": "health.php:500:1", "replace": False}).json()["data"]["faults"] == (
        "auth_me.php:429:*,health.php:500:1")
    assert httpx.delete(admin).json()["data"]["faults"] == ""
    bad = httpx.post(admin, json={"faults": "health.php:teapot:1"})
    assert bad.status_code == 422 and "unknown mode" in bad.json()["error"]["message"]
    assert httpx.post(admin, content=b"{").status_code == 400


def test_admin_route_refuses_non_loopback(sqlite_engine: object, tmp_path: Path) -> None:
    app = create_app(sqlite_engine, uploads_dir=tmp_path, fault="")  # type: ignore[arg-type]
    with TestClient(app, client=("203.0.113.9", 4444)) as remote:
        r = remote.post("/__faults", json={"faults": "health.php:503:1"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        assert remote.get("/api/health.php").status_code == 200


def test_faults_from_the_environment(sqlite_engine: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINYTALK_FAULTS", "health.php:429=7:1")
    app = create_app(sqlite_engine, uploads_dir=tmp_path)  # type: ignore[arg-type]
    with TestClient(app) as client:
        r = client.get("/api/health.php")
        assert r.status_code == 429 and r.headers["retry-after"] == "7"
        assert client.get("/api/health.php").status_code == 200
