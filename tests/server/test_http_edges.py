"""CORS as a PHP app sends it, request ids, static files, the catch-all 500, and the pinned clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.plugins.api_server import ApiServer
from tests.server.conftest import Api
from tinytalk_sdk.server import create_app


def test_preflight_is_204_with_cors_headers(api_server: ApiServer) -> None:
    r = httpx.options(api_server.base_url + "/gpt_stream.php", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert r.status_code == 204 and r.content == b""
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "Authorization" in r.headers["access-control-allow-headers"]
    assert "Idempotency-Key" in r.headers["access-control-allow-headers"]
    assert r.headers["access-control-max-age"] == "86400"


def test_every_answer_has_cors_and_a_request_id(sqlite_api: Api) -> None:
    ok = sqlite_api.get("/auth_me.php", headers={**sqlite_api.auth, "X-Request-Id": "trace-42"})
    assert ok.headers["x-request-id"] == "trace-42"
    denied = sqlite_api.http.get("/auth_me.php", headers={"X-Request-Id": "bad id with spaces"})
    assert denied.status_code == 401 and len(denied.headers["x-request-id"]) == 32
    for r in (ok, denied):
        assert r.headers["access-control-allow-origin"] == "*"
        assert "X-Request-Id" in r.headers["access-control-expose-headers"]


def test_static_cdn_and_uploads(api_server: ApiServer) -> None:
    model = api_server.cdn_dir / "hiyori" / "hiyori.model3.json"
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_text('{"Version": 3}')
    base = api_server.origin
    r = httpx.get(base + "/assets/live2d/hiyori/hiyori.model3.json")
    assert r.status_code == 200 and r.json() == {"Version": 3}
    assert r.headers["access-control-allow-origin"] == "*"  # the app loads models cross-origin
    listing = httpx.get(base + "/assets/live2d/hiyori/")
    assert listing.status_code == 404 and listing.json()["success"] is False  # no directory listing
    write = httpx.post(base + "/assets/live2d/hiyori/hiyori.model3.json", content=b"{}")
    assert write.status_code == 405 and model.read_text() == '{"Version": 3}'
    escape = httpx.get(base + "/assets/live2d/../../etc/passwd")
    assert escape.status_code == 404
    (api_server.uploads_dir / "x.wav").write_bytes(b"RIFF")
    assert httpx.get(base + "/uploads/x.wav").content == b"RIFF"


class _Broken:
    name = "broken"

    def complete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals /etc/shadow")

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")


def test_unexpected_errors_are_a_bare_500_json(sqlite_engine: Any, tmp_path: Path) -> None:
    from tinytalk_sdk.providers.offline import make_offline_providers

    bundle = make_offline_providers()
    bundle.chat = _Broken()
    app = create_app(sqlite_engine, providers=bundle, uploads_dir=tmp_path, fault="")
    with TestClient(app, base_url="http://t/api", raise_server_exceptions=False) as client:
        token = client.post("/auth_register.php", json={"email": "b@example.com", "pin": "1234", "name": "B"}).json()[
            "data"]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        r = client.post("/gpt_feedback.php", json={"message": "hello"}, headers=auth)
        assert r.status_code == 500 and r.json()["error"]["code"] == "internal_error"
        assert "secret" not in r.text and "Traceback" not in r.text
        assert r.headers["x-request-id"] in r.json()["error"]["message"]
        sid = client.post("/create_session.php", json={}, headers=auth).json()["data"]["session"]["id"]
        stream = client.post("/gpt_stream.php", json={"session_id": sid, "message": "hi"}, headers=auth)
        assert stream.status_code == 200
        assert "event: error" in stream.text and "secret" not in stream.text
        # The usage rows of the broken provider's calls were still written (by the server, as it has no recorder).
        from sqlalchemy import text

        with sqlite_engine.connect() as conn:
            ops = [r[0] for r in conn.execute(text("SELECT operation FROM api_usage_logs ORDER BY id"))]
            statuses = {r[0] for r in conn.execute(text("SELECT status FROM api_usage_logs"))}
        assert ops == ["feedback", "chat_stream"] and statuses == {"error"}


def test_resume_today_follows_the_clock(sqlite_engine: Any, tmp_path: Path) -> None:
    now = [dt.datetime(2026, 3, 2, 23, 50, tzinfo=dt.UTC)]
    app = create_app(sqlite_engine, uploads_dir=tmp_path, fault="", clock=lambda: now[0])
    with TestClient(app, base_url="http://t/api") as client:
        token = client.post("/auth_register.php", json={"email": "c@example.com", "pin": "123456", "name": "C"}
                            ).json()["data"]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        first = client.post("/resume_session.php", json={}, headers=auth).json()["data"]
        assert first["resumed"] is False and first["session"]["session_date"] == "2026-03-02"
        assert client.post("/resume_session.php", headers=auth).json()["data"]["session"]["id"] == \
            first["session"]["id"]
        now[0] += dt.timedelta(minutes=20)  # past midnight: a new day, a new session
        nextday = client.post("/resume_session.php", headers=auth).json()["data"]
        assert nextday["resumed"] is False and nextday["session"]["session_date"] == "2026-03-03"
        now[0] += dt.timedelta(days=31)  # tokens live 30 days
        assert client.get("/auth_me.php", headers=auth).status_code == 401


@pytest.mark.parametrize("email", ["no-at-sign", "a@b", ""])
def test_register_validation_fields(sqlite_api: Api, email: str) -> None:
    r = sqlite_api.http.post("/auth_register.php", json={"email": email, "pin": "12", "name": ""})
    body = r.json()["error"]
    assert r.status_code == 422 and set(body["fields"]) == {"email", "pin", "name"}


def test_admin_settings_shape_the_answers(sqlite_engine: Any, tmp_path: Path) -> None:
    from tinytalk_sdk.db import transaction
    from tinytalk_sdk.db.models import AiCharacter
    from tinytalk_sdk.settings import set_setting

    with transaction(sqlite_engine) as s:
        s.add_all([AiCharacter(code="hiyori", name="Hiyori", is_default=True), AiCharacter(code="mark", name="Mark")])
    for key, value in [("default_character", "mark"), ("feature_flags", '{"missions": true, "beta": "x"}'),
                       ("maintenance_mode", "true"), ("max_upload_mb", "1"), ("heygen_avatar_id", "Anna_public"),
                       ("avatar_provider", "heygen")]:
        set_setting(sqlite_engine, key, value, actor="test")
    app = create_app(sqlite_engine, uploads_dir=tmp_path, fault="")
    with TestClient(app, base_url="http://t/api") as client:
        config = client.get("/get_app_config.php").json()["data"]
        assert config["avatar_provider"] == "heygen"
        assert config["default_character"]["code"] == "mark"
        assert config["flags"] == {"maintenance_mode": True, "missions": True}
        token = client.post("/auth_register.php", json={"email": "d@example.com", "pin": "1234", "name": "D"}
                            ).json()["data"]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get("/get_user_character.php", headers=auth).json()["data"]["character"]["code"] == "mark"
        made = client.post("/heygen_session.php", json={}, headers=auth).json()["data"]
        assert made["avatar_id"] == "Anna_public"
        wav = b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * (1024 * 1024 + 1)
        r = client.post("/stt_upload.php", files={"file": ("big.wav", wav, "audio/wav")}, headers=auth)
        assert r.status_code == 413 and "1 MB" in r.json()["error"]["message"]


def test_today_follows_the_server_time_zone(sqlite_engine: Any, tmp_path: Path) -> None:
    from tinytalk_sdk import ValidationError

    utc_evening = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)  # already 01:00 on 3 March in Seoul
    app = create_app(sqlite_engine, uploads_dir=tmp_path, fault="", clock=lambda: utc_evening,
                     timezone="Asia/Seoul")
    with TestClient(app, base_url="http://t/api") as client:
        token = client.post("/auth_register.php", json={"email": "z@example.com", "pin": "1234", "name": "Z"}
                            ).json()["data"]["token"]
        made = client.post("/create_session.php", json={}, headers={"Authorization": f"Bearer {token}"})
        assert made.json()["data"]["session"]["session_date"] == "2026-03-03"
    with pytest.raises(ValidationError, match="time zone"):
        create_app(sqlite_engine, uploads_dir=tmp_path, timezone="Mars/Olympus")
