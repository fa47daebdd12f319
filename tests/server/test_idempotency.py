"""Idempotency-Key: create_session dedupes in the database (survives a restart), others in process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.server.conftest import Api, rows
from tinytalk_sdk.server import create_app


def _count(api: Api, table: str) -> int:
    column = "user_id"
    return len(rows(api.server.engine_url, f"SELECT id FROM {table} WHERE {column} = :u", u=api.user["id"]))


def test_create_session_replay_and_reuse(api: Api) -> None:
    headers = {**api.auth, "Idempotency-Key": "abc-123"}
    first = api.http.post("/create_session.php", json={"title": "Day 1"}, headers=headers)
    again = api.http.post("/create_session.php", json={"title": "Day 1"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in first.headers and again.headers["idempotent-replayed"] == "true"
    assert again.json()["data"]["session"]["id"] == first.json()["data"]["session"]["id"]
    stored = rows(api.server.engine_url, "SELECT idempotency_key FROM chat_sessions WHERE user_id = :u",
                  u=api.user["id"])
    assert stored == [{"idempotency_key": "abc-123"}]
    other = api.http.post("/create_session.php", json={"title": "Day 2"}, headers=headers)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    plain = api.post("/create_session.php", json={"title": "Day 1"})  # no key: a new session each time
    assert plain.status_code == 201 and _count(api, "chat_sessions") == 2


def test_keys_are_per_user(api: Api) -> None:
    headers = {"Idempotency-Key": "same-key"}
    mine = api.post("/create_session.php", json={}, headers={**api.auth, **headers})
    other = Api(http=api.http, server=api.server)
    other.register()
    theirs = other.post("/create_session.php", json={}, headers={**other.auth, **headers})
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["data"]["session"]["id"] != theirs.json()["data"]["session"]["id"]


def test_in_process_store_replays_other_keyed_endpoints(api: Api) -> None:
    headers = {**api.auth, "Idempotency-Key": "avatar-1"}
    a = api.http.post("/heygen_session.php", json={"quality": "high"}, headers=headers)
    b = api.http.post("/heygen_session.php", json={"quality": "high"}, headers=headers)
    assert a.json() == b.json() and b.headers["idempotent-replayed"] == "true"
    c = api.http.post("/heygen_session.php", json={"quality": "low"}, headers=headers)
    assert c.status_code == 409
    session = api.new_session()
    api.post("/gpt_stream.php", json={"session_id": session["id"], "message": "I runned fast"})
    key = {**api.auth, "Idempotency-Key": "fb-1"}
    first = api.http.post("/gpt_feedback.php", json={"message": "I runned", "session_id": session["id"]}, headers=key)
    second = api.http.post("/gpt_feedback.php", json={"message": "I runned", "session_id": session["id"]}, headers=key)
    assert first.json() == second.json() and second.headers["idempotent-replayed"] == "true"
    count = rows(api.server.engine_url, "SELECT COUNT(*) AS n FROM chat_messages WHERE session_id = :s",
                 s=session["id"])[0]["n"]
    assert count == 4  # stream: user + assistant; feedback once: user + assistant


def test_upload_key_ignores_the_multipart_boundary(sqlite_api: Api) -> None:
    from tinytalk_sdk.providers.offline import EspeakTTS

    audio = b"".join(EspeakTTS().stream("Good morning").chunks)
    headers = {**sqlite_api.auth, "Idempotency-Key": "upload-1"}
    answers = [sqlite_api.http.post("/stt_upload.php", files={"file": ("a.wav", audio, "audio/wav")},
                                    headers=headers) for _ in range(2)]  # httpx picks a new boundary each time
    assert answers[0].json() == answers[1].json()
    assert answers[1].headers["idempotent-replayed"] == "true"


@pytest.mark.parametrize("key", ["", "x" * 65, "has space"])
def test_bad_keys_are_400(sqlite_api: Api, key: str) -> None:
    r = sqlite_api.post("/create_session.php", json={}, headers={**sqlite_api.auth, "Idempotency-Key": key})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_idempotency_key"


def test_create_session_dedupe_survives_a_restart(sqlite_engine: Any, tmp_path: Path) -> None:
    def client() -> TestClient:
        return TestClient(create_app(sqlite_engine, uploads_dir=tmp_path, fault=""), base_url="http://t/api")

    with client() as one:
        token = one.post("/auth_register.php", json={"email": "r@example.com", "pin": "1234", "name": "R"}).json()[
            "data"]["token"]
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k"}
        first = one.post("/create_session.php", json={"title": "x"}, headers=headers).json()
    with client() as two:  # a new app: the in-process store is empty, the column is not
        again = two.post("/create_session.php", json={"title": "x"}, headers=headers)
        assert again.headers["idempotent-replayed"] == "true" and again.json() == first


def test_login_replay_with_a_key(sqlite_api: Api) -> None:
    body = {"email": sqlite_api.user["email"], "pin": "1234"}
    headers = {"Idempotency-Key": "login-1"}
    a = sqlite_api.http.post("/auth_login.php", json=body, headers=headers)
    b = sqlite_api.http.post("/auth_login.php", json=body, headers=headers)
    assert a.json()["data"]["token"] == b.json()["data"]["token"]  # one token row, not two
    wrong = sqlite_api.http.post("/auth_login.php", json={**body, "pin": "0000"}, headers={"Idempotency-Key": "l2"})
    assert wrong.status_code == 401
