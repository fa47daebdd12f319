"""One api_usage_logs row per provider call the server makes, offline providers included."""

from __future__ import annotations

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
