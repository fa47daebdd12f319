"""Every endpoint over real HTTP (uvicorn on loopback), on SQLite and on MariaDB, checked against the rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from typing import Any

import bcrypt
import httpx
import pytest

from tests.server.conftest import Api, rows


def _sse_events(body: str) -> list[tuple[str, dict[str, object]]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_register_stores_php_bcrypt_and_hashed_token(api: Api) -> None:
    user = rows(api.server.engine_url, "SELECT * FROM users WHERE id = :id", id=api.user["id"])[0]
    assert user["pin_hash"].startswith("$2y$10$") and len(user["pin_hash"]) == 60
    # PHP's password_verify accepts it; Python's bcrypt does once the prefix is the $2b$ spelling.
    assert bcrypt.checkpw(b"1234", ("$2b$" + user["pin_hash"][4:]).encode())
    tokens = rows(api.server.engine_url, "SELECT * FROM user_auth_tokens WHERE user_id = :id", id=user["id"])
    assert [t["token_hash"] for t in tokens] == [hashlib.sha256(api.token.encode()).hexdigest()]  # type: ignore[union-attr]
    assert len(api.token or "") == 64
    expires = tokens[0]["expires_at"]
    expires = dt.datetime.fromisoformat(expires) if isinstance(expires, str) else expires
    created = tokens[0]["created_at"]
    created = dt.datetime.fromisoformat(created) if isinstance(created, str) else created
    assert abs((expires - created) - dt.timedelta(days=30)) < dt.timedelta(seconds=5)


def test_auth_login_me_profile_logout(api: Api) -> None:
    email = api.user["email"]
    wrong = api.http.post("/auth_login.php", json={"email": email, "pin": "9999"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    login = api.http.post("/auth_login.php", json={"email": email.upper(), "pin": "1234", "device": "pytest"})
    assert login.status_code == 200, login.text
    token = login.json()["data"]["token"]
    assert token != api.token
    headers = {"Authorization": f"Bearer {token}"}
    me = api.http.get("/auth_me.php", headers=headers)
    assert me.json()["data"]["user"]["email"] == email
    prof = api.http.post("/auth_profile.php", headers=headers, json={"nickname": "Minnie", "birth_year": 2015})
    assert prof.status_code == 200
    assert prof.json()["data"]["user"]["nickname"] == "Minnie"
    row = rows(api.server.engine_url, "SELECT nickname, birth_year FROM users WHERE id = :id", id=api.user["id"])
    assert row == [{"nickname": "Minnie", "birth_year": 2015}]
    out = api.http.post("/auth_logout.php", headers=headers)
    assert out.json()["data"] == {"revoked": True}
    after = api.http.get("/auth_me.php", headers=headers)
    assert after.status_code == 401 and after.headers["www-authenticate"].startswith("Bearer")
    assert after.json()["error"]["code"] == "unauthorized"
    assert api.get("/auth_me.php").status_code == 200  # the other token still works
    taken = api.http.post("/auth_register.php", json={"email": email, "pin": "1234", "name": "X"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "email_taken"


def test_sessions_lifecycle(api: Api) -> None:
    first = api.new_session(title="Day 1", response_mode="text")
    assert first["status"] == "active" and first["response_mode"] == "text"
    assert first["session_date"] == dt.datetime.now(dt.UTC).date().isoformat()
    # The session takes the provider configured right now (the shared server's setting may be either).
    assert first["avatar_provider"] == api.http.get("/get_app_config.php").json()["data"]["avatar_provider"]
    resumed = api.post("/resume_session.php", json={})
    assert resumed.status_code == 200
    assert resumed.json()["data"]["resumed"] is True
    assert resumed.json()["data"]["session"]["id"] == first["id"]
    listed = api.get("/get_sessions.php", params={"limit": 10}).json()["data"]
    assert listed["total"] == 1 and [s["id"] for s in listed["sessions"]] == [first["id"]]
    saved = api.post("/session_save.php", json={"session_id": first["id"], "title": "Park"}).json()["data"]
    assert saved["session"]["status"] == "saved" and saved["session"]["title"] == "Park"
    row = rows(api.server.engine_url, "SELECT status, title, saved_at FROM chat_sessions WHERE id = :id",
               id=first["id"])[0]
    assert row["status"] == "saved" and row["title"] == "Park" and row["saved_at"] is not None
    # The saved session is no longer "today's active one": resume makes a new one.
    again = api.post("/resume_session.php", json={"response_mode": "video"}).json()["data"]
    assert again["resumed"] is False and again["session"]["id"] != first["id"]
    assert again["session"]["response_mode"] == "video"


def test_gpt_stream_saves_both_messages(api: Api) -> None:
    session = api.new_session()
    r = api.post("/gpt_stream.php", json={"session_id": session["id"], "message": "Yesterday I goed to the park"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = _sse_events(r.text)
    kinds = [k for k, _ in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"delta"} and len(kinds) > 3
    done = events[-1][1]
    text = "".join(str(d["text"]) for k, d in events if k == "delta")
    assert done["text"] == text and "went" in text
    assert done["emotion"] == "review"
    usage = done["usage"]
    assert isinstance(usage, dict) and usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    saved = rows(api.server.engine_url, "SELECT id, role, content, emotion FROM chat_messages "
                 "WHERE session_id = :s ORDER BY id", s=session["id"])
    assert [(m["role"], m["content"]) for m in saved] == [("user", "Yesterday I goed to the park"),
                                                         ("assistant", text)]
    assert saved[1]["id"] == done["message_id"] and saved[1]["emotion"] == "review"
    history = api.get("/get_chat_history.php", params={"session_id": session["id"]}).json()["data"]
    assert [m["role"] for m in history["messages"]] == ["user", "assistant"]
    assert history["session"]["message_count"] == 2
    page = api.get("/get_chat_history.php", params={"session_id": session["id"], "after_id": saved[0]["id"]})
    assert [m["id"] for m in page.json()["data"]["messages"]] == [saved[1]["id"]]
    # EventSource clients: GET with the token in the query string.
    got = api.http.get("/gpt_stream.php", params={"session_id": session["id"], "message": "Hello!",
                                                   "token": api.token})
    assert _sse_events(got.text)[-1][1]["emotion"] == "praise"


def test_summarize_and_feedback(api: Api) -> None:
    session = api.new_session()
    empty = api.post("/session_summarize.php", json={"session_id": session["id"]})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_session"
    api.post("/gpt_stream.php", json={"session_id": session["id"], "message": "She have a dog"})
    summary = api.post("/session_summarize.php", json={"session_id": session["id"]}).json()["data"]
    assert "she have" in summary["summary"].lower() and summary["usage"]["output_tokens"] > 0
    stored = rows(api.server.engine_url, "SELECT summary FROM chat_sessions WHERE id = :id", id=session["id"])
    assert stored == [{"summary": summary["summary"]}]
    fb = api.post("/gpt_feedback.php", json={"message": "I eated an apple", "session_id": session["id"]})
    data = fb.json()["data"]
    assert data["corrections"] == [{"original": "eated", "corrected": "ate", "explanation": "irregular past tense"}]
    assert data["emotion"] == "review" and "->" not in data["text"] and data["message_id"]
    plain = api.post("/gpt_feedback.php", json={"message": "I played football with my dad"}).json()["data"]
    assert plain["corrections"] == [] and plain["emotion"] == "praise" and plain["message_id"] is None


def test_tts_then_stt_round_trip(api: Api) -> None:
    session = api.new_session()
    sentence = "I like to play soccer with my friends after school"
    with api.http.stream("POST", "/elevenlabs_tts_stream.php", headers=api.auth,
                         json={"text": sentence, "session_id": session["id"]}) as r:
        assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
        assert r.headers.get("transfer-encoding") == "chunked"
        chunks = list(r.iter_raw())
    audio = b"".join(chunks)
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE" and len(audio) > 50_000
    up = api.post("/stt_upload.php", files={"file": ("speech.wav", audio, "audio/wav")},
                  data={"session_id": str(session["id"]), "language": "en"})
    assert up.status_code == 200, up.text
    data = up.json()["data"]
    assert 2.0 < data["duration_seconds"] < 6.0
    heard = set(data["text"].split())
    assert heard & set(sentence.lower().split()), data["text"]  # rough, but from this audio
    assert data["audio_url"].startswith(api.server.origin + "/uploads/")
    assert api.http.get(data["audio_url"]).content == audio  # the upload is kept and served
    msg = rows(api.server.engine_url, "SELECT role, content, audio_url, audio_bytes FROM chat_messages "
               "WHERE id = :id", id=data["message_id"])[0]
    assert msg["role"] == "user" and msg["content"] == data["text"] and msg["audio_bytes"] == len(audio)
    # gpt_stream with the transcript reuses that message instead of saving the sentence twice.
    api.post("/gpt_stream.php", json={"session_id": session["id"], "message": data["text"]})
    roles = rows(api.server.engine_url, "SELECT role FROM chat_messages WHERE session_id = :s ORDER BY id",
                 s=session["id"])
    assert [r["role"] for r in roles] == ["user", "assistant"]


def test_heygen_flow(api: Api) -> None:
    assert api.get("/heygen_session.php").status_code == 404
    began = time.monotonic()
    made = api.post("/heygen_session.php", json={"quality": "low"}).json()["data"]
    assert made["status"] == "new" and made["session_id"] and made["url"].startswith("wss://")
    sid = made["session_id"]
    assert api.get("/heygen_session.php").json()["data"]["session_id"] == sid
    started = api.post("/heygen_start.php", json={"session_id": sid, "sdp": {"type": "offer", "sdp": "v=0"}})
    assert started.json()["data"]["status"] == "started"
    assert api.post("/heygen_ice.php", json={"session_id": sid, "candidate": {"candidate": "x"}}).json()[
        "data"] == {"accepted": True}
    task = api.post("/heygen_task.php", json={"session_id": sid, "text": "Hello, nice to meet you"})
    assert task.json()["data"]["task_id"] and task.json()["data"]["duration_ms"] > 0
    stop = api.post("/heygen_stop.php", json={"session_id": sid}).json()["data"]
    elapsed = time.monotonic() - began
    # The session's real length: more than nothing (several calls ran), no more than this test's clock.
    assert stop["status"] == "stopped" and 0 < stop["duration_seconds"] <= elapsed + 0.001
    # Stopping twice is harmless and answers the same duration (not a fresh zero or a new measurement).
    assert api.post("/heygen_stop.php", json={"session_id": sid}).json()["data"] == stop
    # Another user cannot drive this session.
    other = Api(http=api.http, server=api.server)
    other.register()
    assert other.post("/heygen_task.php", json={"session_id": sid, "text": "hi"}).status_code == 404


def _seed_characters(engine_url: str, user_id: int) -> tuple[int, int]:
    from tinytalk_sdk.db import make_engine, transaction
    from tinytalk_sdk.db.models import (
        EMOTIONS,
        AdminSetting,
        AiCharacter,
        CharacterEmotion,
        StudentCharacterAssignment,
    )

    engine = make_engine(engine_url)
    try:
        with transaction(engine) as s:
            code = f"c{user_id}"
            default = s.query(AiCharacter).filter_by(is_default=True).first()
            if default is None:
                default = AiCharacter(code=f"default-{code}", name="Hiyori", is_default=True,
                                      model_url="/assets/live2d/hiyori/hiyori.model3.json")
                s.add(default)
            assigned = AiCharacter(code=code, name="Mark", model_url="https://cdn.example/mark.model3.json")
            s.add(assigned)
            s.flush()
            for e in EMOTIONS:
                s.add(CharacterEmotion(character_id=assigned.id, emotion=e, motion_group=e.title(),
                                       motion_url=f"/assets/live2d/mark/motions/{e}.motion3.json"))
            s.add(StudentCharacterAssignment(user_id=user_id, character_id=assigned.id, school="Seoul Elem"))
            if s.get(AdminSetting, "avatar_provider") is None:
                s.add(AdminSetting(setting_key="avatar_provider", setting_value="heygen"))
            if s.get(AdminSetting, "feature_live2d") is None:
                s.add(AdminSetting(setting_key="feature_live2d", setting_value="1", value_type="bool"))
            return default.id, assigned.id
    finally:
        engine.dispose()


def test_config_and_characters(api: Api) -> None:
    before = api.get("/get_user_character.php").json()["data"]
    default_id, assigned_id = _seed_characters(api.server.engine_url, api.user["id"])
    assert before["source"] in (None, "default")
    config = api.http.get("/get_app_config.php").json()["data"]  # no token needed
    setting = rows(api.server.engine_url, "SELECT setting_value FROM admin_settings "
                   "WHERE setting_key = 'avatar_provider'")[0]["setting_value"]
    assert config["avatar_provider"] == setting
    assert api.new_session(title="after the setting")["avatar_provider"] == setting  # new sessions follow it
    assert config["flags"]["feature_live2d"] is True
    assert config["default_character"]["is_default"] is True
    mine = api.get("/get_user_character.php").json()["data"]
    assert mine["source"] == "assignment" and mine["character"]["id"] == assigned_id
    emotions = mine["character"]["emotions"]
    assert [e["emotion"] for e in emotions] == ["idle", "listening", "thinking", "speaking", "praise", "review",
                                                "error"]
    assert emotions[0]["motion_url"] == api.server.origin + "/assets/live2d/mark/motions/idle.motion3.json"
    by_code = api.get("/get_character.php", params={"code": f"c{api.user['id']}"}).json()["data"]["character"]
    assert by_code["id"] == assigned_id and len(by_code["emotions"]) == 7
    assert api.get("/get_character.php", params={"id": default_id}).json()["data"]["character"]["is_default"]
    assert api.get("/get_character.php", params={"id": 999999}).status_code == 404
    other = Api(http=api.http, server=api.server)
    other.register()
    fallback = other.get("/get_user_character.php").json()["data"]
    assert fallback["source"] == "default" and fallback["character"]["is_default"] is True


def test_health_and_cleanup(api: Api) -> None:
    health = api.http.get("/health.php").json()["data"]
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["providers"] == {"stt": "pocketsphinx", "chat": "tutor", "tts": "espeak-ng",
                                   "avatar": "fake-avatar"}
    assert health["version"]
    uploads = api.server.uploads_dir / "cleanup-test"
    uploads.mkdir(parents=True, exist_ok=True)
    old, new = uploads / "old.wav", uploads / "new.wav"
    old.write_bytes(b"x" * 100)
    new.write_bytes(b"y" * 10)
    import os
    import time

    week_ago = time.time() - 8 * 86400
    os.utime(old, (week_ago, week_ago))
    token = api.server.cleanup_token
    assert api.http.get("/cleanup_uploads.php", params={"token": "wrong"}).status_code == 401
    dry = api.http.get("/cleanup_uploads.php", params={"token": token, "older_than_days": 7, "dry_run": "true"})
    assert dry.json()["data"]["deleted_files"] >= 1 and old.exists()
    done = api.http.get("/cleanup_uploads.php", params={"token": token, "older_than_days": 7}).json()["data"]
    assert done["deleted_files"] >= 1 and done["freed_bytes"] >= 100 and not old.exists() and new.exists()


@pytest.mark.parametrize("path", ["/health.php", "/get_app_config.php"])
def test_public_endpoints_need_no_token(api_server: object, path: str) -> None:
    base = api_server.base_url  # type: ignore[attr-defined]
    assert httpx.get(base + path, timeout=10).status_code == 200


def test_factory_server_on_a_fresh_database(db_url: str, api_server_factory: Any) -> None:
    server = api_server_factory(db_url)  # migrates the empty database on start
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        assert http.get("/health.php").json()["data"]["dialect"] == db_url.split(":")[0].split("+")[0]
        email = {"email": "same@example.com", "pin": "1234", "name": "Twin"}
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            codes = sorted(pool.map(lambda _: http.post("/auth_register.php", json=email).status_code, range(4)))
        assert codes == [201, 409, 409, 409]  # concurrent sign-ups of one address: exactly one account
