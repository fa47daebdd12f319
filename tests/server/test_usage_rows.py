"""One api_usage_logs row per provider call the server makes, offline providers included."""

from __future__ import annotations

from pathlib import Path

from tests.server.conftest import Api, rows
from tinytalk_sdk.providers.offline import EspeakTTS


def test_every_provider_call_writes_one_usage_row(api: Api) -> None:
    session = api.new_session()
    sid = session["id"]
    api.post("/gpt_stream.php", json={"session_id": sid, "message": "I goed home"})
    api.post("/gpt_feedback.php", json={"message": "he go home", "session_id": sid})
    api.post("/session_summarize.php", json={"session_id": sid})
    api.post("/elevenlabs_tts_stream.php", json={"text": "Well done", "session_id": sid})
    audio = b"".join(EspeakTTS().stream("Good job today").chunks)
    api.post("/stt_upload.php", files={"file": ("a.wav", audio, "audio/wav")}, data={"session_id": str(sid)})
    hs = api.post("/heygen_session.php", json={"chat_session_id": sid}).json()["data"]["session_id"]
    api.post("/heygen_start.php", json={"session_id": hs, "sdp": {"type": "offer", "sdp": "v=0"}})
    api.post("/heygen_ice.php", json={"session_id": hs, "candidate": {"candidate": "c"}})
    api.post("/heygen_task.php", json={"session_id": hs, "text": "Hi"})
    api.post("/heygen_stop.php", json={"session_id": hs})
    # Calls that never reach a provider write nothing.
    api.get("/get_sessions.php")
    api.post("/session_summarize.php", json={"session_id": 10**9})
    api.post("/gpt_feedback.php", json={"message": ""})

    logged = rows(api.server.engine_url, "SELECT service, operation, session_id, status, input_tokens, "
                  "output_tokens, characters, audio_seconds, session_minutes, latency_ms FROM api_usage_logs "
                  "WHERE user_id = :u ORDER BY id", u=api.user["id"])
    assert [r["operation"] for r in logged] == ["chat_stream", "feedback", "summary", "tts", "stt", "heygen_new",
                                                "heygen_start", "heygen_ice", "heygen_task", "heygen_stop"]
    assert {r["service"] for r in logged} == {"offline"} and {r["status"] for r in logged} == {"ok"}
    assert all(r["session_id"] == sid for r in logged)
    assert all(r["latency_ms"] is not None for r in logged)
    by_op = {r["operation"]: r for r in logged}
    for op in ("chat_stream", "feedback", "summary"):
        assert by_op[op]["input_tokens"] > 0 and by_op[op]["output_tokens"] > 0
    assert by_op["tts"]["characters"] == len("Well done") and by_op["tts"]["audio_seconds"] > 0
    assert by_op["stt"]["audio_seconds"] > 0.5
    assert by_op["heygen_stop"]["session_minutes"] is not None


def test_tag_and_request_id_header_reach_every_usage_row_of_the_request(api: Api) -> None:
    sid = api.new_session()["id"]
    headers = {**api.auth, "X-TinyTalk-Tag": "smoke", "X-Request-Id": "trace-tag-1"}
    api.post("/gpt_stream.php", json={"session_id": sid, "message": "Hello"}, headers=headers)
    api.post("/elevenlabs_tts_stream.php", json={"text": "Hi", "session_id": sid},
             headers={**api.auth, "X-TinyTalk-Tag": "cron_check-2"})
    api.post("/gpt_feedback.php", json={"message": "he go home", "session_id": sid})  # untagged

    logged = rows(api.server.engine_url, "SELECT operation, tag, request_id FROM api_usage_logs "
                  "WHERE user_id = :u ORDER BY id", u=api.user["id"])
    assert [(r["operation"], r["tag"]) for r in logged] == [
        ("chat_stream", "smoke"), ("tts", "cron_check-2"), ("feedback", None)]
    assert logged[0]["request_id"] == "trace-tag-1"
    # without an X-Request-Id the server makes one up and the row carries it
    assert all(r["request_id"] for r in logged)


def test_a_bad_tag_is_refused_before_any_provider_call(api: Api) -> None:
    sid = api.new_session()["id"]
    for bad in ("x" * 33, "no spaces", "smoke;drop", ""):
        r = api.post("/gpt_feedback.php", json={"message": "hi", "session_id": sid},
                     headers={**api.auth, "X-TinyTalk-Tag": bad})
        assert r.status_code == 400, bad
        assert r.json()["error"]["code"] == "invalid_tag"
        assert "32" in r.json()["error"]["message"]
    assert rows(api.server.engine_url, "SELECT id FROM api_usage_logs WHERE user_id = :u",
                u=api.user["id"]) == []


def test_the_sdk_sends_default_headers_so_its_calls_are_tagged(sqlite_api: Api) -> None:
    from tinytalk_sdk import TinyTalk

    with TinyTalk(base_url=sqlite_api.server.base_url, token=sqlite_api.token,
                  default_headers={"X-TinyTalk-Tag": "sdk-test"}) as client:
        session = client.sessions.create(title="tagged").session
        answer = client.pipeline.feedback(message="I goed to school", session_id=session.id)
    assert answer.corrections and answer.corrections[0].corrected == "went"  # a model is always truthy
    logged = rows(sqlite_api.server.engine_url, "SELECT operation, tag FROM api_usage_logs WHERE user_id = :u",
                  u=sqlite_api.user["id"])
    assert [(r["operation"], r["tag"]) for r in logged] == [("feedback", "sdk-test")]


def test_a_server_built_from_a_profile_prices_rows_on_its_price_table(isolated_env: Path, tmp_path: Path) -> None:
    """What `tinytalk serve` and the smoke run's own server do: the recorder uses the profile's table."""
    import httpx

    from tinytalk_sdk.config import load_config
    from tinytalk_sdk.providers.factory import cost_for
    from tinytalk_sdk.server import start_background_server

    table = tmp_path / "prices.toml"
    table.write_text('version = "profile-x"\ncurrency = "USD"\n\n[offline."*"]\ninput_per_1m_tokens = "1000000"\n'
                     'output_per_1m_tokens = "0"\n')
    (isolated_env / "config").mkdir(parents=True, exist_ok=True)
    (isolated_env / "config" / "config.toml").write_text(f'[profiles.prod]\nprice_table = "{table}"\n')
    url = f"sqlite:///{tmp_path / 'api.db'}"
    with start_background_server(url, uploads_dir=tmp_path / "up", cost=cost_for(load_config("prod"))) as server, \
            httpx.Client(base_url=server.base_url, timeout=30) as http:
        token = http.post("/auth_register.php", json={"email": "p@example.com", "pin": "1234", "name": "P"}
                          ).json()["data"]["token"]
        r = http.post("/gpt_feedback.php", json={"message": "he go home"}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
    (row,) = rows(url, "SELECT input_tokens, cost_usd, price_table FROM api_usage_logs")
    assert row["price_table"] == "profile-x"
    assert float(row["cost_usd"]) == float(row["input_tokens"])  # 1 USD per input token on this table
