"""Finding 8 of issue 12: idempotency keys lived in memory for every endpoint but create_session, so a
retry after a restart registered twice (409 email_taken) or ran gpt_feedback twice. Every key is now a
row of ``idempotency_keys`` with its answer sealed; the answer is replayed after a restart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import text
from starlette.testclient import TestClient

from tinytalk_sdk.server import create_app
from tinytalk_sdk.types import ENDPOINTS

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _app(engine: Any, tmp_path: Path, now: list[dt.datetime]) -> TestClient:
    return TestClient(create_app(engine, uploads_dir=tmp_path, fault="", clock=lambda: now[0]),
                      base_url="http://t/api")


def _count(engine: Any, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_register_and_feedback_replay_after_a_restart(sqlite_engine: Any, tmp_path: Path) -> None:
    now = [T0]
    body = {"email": "retry@school.kr", "pin": "2468", "name": "Retry"}
    with _app(sqlite_engine, tmp_path, now) as one:
        first = one.post("/auth_register.php", json=body, headers={"Idempotency-Key": "reg-1"})
        token = first.json()["data"]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        sid = one.post("/create_session.php", json={}, headers=auth).json()["data"]["session"]["id"]
        fb = {"session_id": sid, "message": "I goed to school"}
        feedback = one.post("/gpt_feedback.php", json=fb, headers={**auth, "Idempotency-Key": "fb-1"})
    with _app(sqlite_engine, tmp_path, now) as two:  # a restarted server: nothing in memory
        again = two.post("/auth_register.php", json=body, headers={"Idempotency-Key": "reg-1"})
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()  # the same token, not 409 email_taken
        replay = two.post("/gpt_feedback.php", json=fb, headers={**auth, "Idempotency-Key": "fb-1"})
        assert replay.headers["idempotent-replayed"] == "true" and replay.json() == feedback.json()
        other = two.post("/gpt_feedback.php", json={**fb, "message": "other"},
                         headers={**auth, "Idempotency-Key": "fb-1"})
        assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert _count(sqlite_engine, "SELECT COUNT(*) FROM users") == 1
    assert _count(sqlite_engine, f"SELECT COUNT(*) FROM chat_messages WHERE session_id = {sid}") == 2  # once


def test_stored_answers_are_sealed(sqlite_engine: Any, tmp_path: Path) -> None:
    now = [T0]
    with _app(sqlite_engine, tmp_path, now) as c:
        r = c.post("/auth_register.php", json={"email": "s@school.kr", "pin": "1357", "name": "S"},
                   headers={"Idempotency-Key": "seal-1"})
        token = r.json()["data"]["token"]
    with sqlite_engine.connect() as conn:
        body, fingerprint = conn.execute(text("SELECT body, fingerprint FROM idempotency_keys")).one()
    assert token.encode() not in body and b"s@school.kr" not in body  # a database dump cannot log in
    assert len(fingerprint) == 64


def test_keys_expire_and_are_purged(sqlite_engine: Any, tmp_path: Path) -> None:
    now = [T0]
    body = {"email": "e@school.kr", "pin": "1111", "name": "E"}
    with _app(sqlite_engine, tmp_path, now) as c:
        c.post("/auth_register.php", json=body, headers={"Idempotency-Key": "exp-1"})
        now[0] = T0 + dt.timedelta(hours=25)
        late = c.post("/auth_register.php", json=body, headers={"Idempotency-Key": "exp-1"})
        assert late.status_code == 409 and late.json()["error"]["code"] == "email_taken"  # no replay after 24 h
        c.post("/auth_login.php", json={"email": "e@school.kr", "pin": "1111"}, headers={"Idempotency-Key": "l"})
        now[0] = T0 + dt.timedelta(hours=60)
        c.get("/health.php")
        c.post("/auth_login.php", json={"email": "e@school.kr", "pin": "1111"}, headers={"Idempotency-Key": "m"})
    assert _count(sqlite_engine, "SELECT COUNT(*) FROM idempotency_keys") == 1  # only the newest one is left


def test_a_request_that_failed_leaves_no_key_and_a_dead_pending_one_is_taken_over(sqlite_engine: Any,
                                                                                   tmp_path: Path) -> None:
    now = [T0]
    with _app(sqlite_engine, tmp_path, now) as c:
        bad = c.post("/auth_login.php", json={"email": "none@school.kr", "pin": "1111"},
                     headers={"Idempotency-Key": "fail-1"})
        assert bad.status_code == 401
        assert _count(sqlite_engine, "SELECT COUNT(*) FROM idempotency_keys") == 0
        with sqlite_engine.begin() as conn:  # a server that died mid-request left this behind
            conn.execute(text("INSERT INTO idempotency_keys (principal, endpoint, idem_key, fingerprint, "
                              "created_at, expires_at) VALUES ('anonymous', 'auth_register', 'dead-1', 'x', "
                              ":t, :e)"), {"t": T0.replace(tzinfo=None), "e": (T0 + dt.timedelta(days=1)).replace(
                                  tzinfo=None)})
        body = {"email": "d@school.kr", "pin": "1111", "name": "D"}
        busy = c.post("/auth_register.php", json=body, headers={"Idempotency-Key": "dead-1"})
        assert busy.status_code == 409  # another body, still fresh: refused
        now[0] = T0 + dt.timedelta(minutes=10)
        taken = c.post("/auth_register.php", json=body, headers={"Idempotency-Key": "dead-1"})
        assert taken.status_code == 201


def test_every_keyed_endpoint_uses_the_store() -> None:
    keyed = sorted(e.name for e in ENDPOINTS if e.retry == "key")
    assert keyed == ["auth_login", "auth_register", "create_session", "gpt_feedback", "heygen_session_create",
                     "heygen_start", "heygen_task", "session_summarize", "stt_upload"]
