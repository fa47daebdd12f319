"""The local server's heygen_*.php endpoints proxy to the vendor ``video_avatar_vendor`` names, as the PHP
backend does: LiveAvatar (against its fake) with ``liveavatar``, HeyGen v1's slot otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.testclient import TestClient

from tinytalk_sdk.server.app import create_app
from tinytalk_sdk.testing.fakes.liveavatar import LiveAvatarMemory, LoopbackRoom

if TYPE_CHECKING:
    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors

WAYNE = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"


def _app(engine: Any, tmp_path: Path, fake: RunningFakeVendors) -> Any:
    from tinytalk_sdk.providers.liveavatar import LiveAvatarClient
    from tinytalk_sdk.providers.offline import make_offline_providers

    bundle = make_offline_providers()
    bundle.videos["liveavatar"] = LiveAvatarClient(
        api_key="0fa4e000-0000-4000-8000-00000000fa4e", base_url=fake.liveavatar_url, room_factory=LoopbackRoom,
        keep_alive_seconds=None)
    return create_app(engine, providers=bundle, uploads_dir=tmp_path, fault="")


def test_video_sessions_go_to_liveavatar_when_the_platform_says_so(
    sqlite_engine: Any, tmp_path: Path, fake_vendors: RunningFakeVendors
) -> None:
    from sqlalchemy import text

    from tinytalk_sdk.settings import set_setting

    set_setting(sqlite_engine, "avatar_provider", "heygen", actor="test")
    set_setting(sqlite_engine, "video_avatar_vendor", "liveavatar", actor="test")
    set_setting(sqlite_engine, "liveavatar_avatar_id", WAYNE, actor="test")
    memory = fake_vendors.state.vendor("liveavatar", LiveAvatarMemory)
    with TestClient(_app(sqlite_engine, tmp_path, fake_vendors), base_url="http://t/api") as client:
        config = client.get("/get_app_config.php").json()["data"]
        assert (config["avatar_provider"], config["video_avatar_vendor"]) == ("heygen", "liveavatar")
        token = client.post("/auth_register.php", json={"email": "v@example.com", "pin": "1234", "name": "V"}
                            ).json()["data"]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        # the app may send a HeyGen voice name: not a LiveAvatar voice (UUIDs), so it is not forwarded
        made = client.post("/heygen_session.php", json={"voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54x"},
                           headers=auth).json()["data"]
        sid = made["session_id"]
        assert made["url"].startswith("ws://") and made["access_token"] and made["avatar_id"] == WAYNE
        assert memory.sessions[sid]["status"] == "active"
        assert client.post("/heygen_start.php", json={"session_id": sid, "sdp": {"type": "offer", "sdp": "v=0"}},
                           headers=auth).status_code == 200
        assert client.post("/heygen_ice.php", json={"session_id": sid, "candidate": {"candidate": "c"}},
                           headers=auth).json()["data"] == {"accepted": True}
        task = client.post("/heygen_task.php", json={"session_id": sid, "text": "Good morning!"}, headers=auth)
        assert task.status_code == 200 and task.json()["data"]["task_id"] == memory.events[0]["event_id"]
        assert memory.events[0]["event_type"] == "avatar.speak_text"
        # the platform switching back meanwhile does not move an open session
        set_setting(sqlite_engine, "video_avatar_vendor", "heygen", actor="test")
        stop = client.post("/heygen_stop.php", json={"session_id": sid}, headers=auth)
        assert stop.status_code == 200 and memory.sessions[sid]["end_reason"] == "USER_CLOSED"
        other = client.post("/heygen_session.php", json={}, headers=auth).json()["data"]
        assert other["session_id"] not in memory.sessions  # HeyGen v1's slot (offline here)
        client.post("/heygen_stop.php", json={"session_id": other["session_id"]}, headers=auth)
    with sqlite_engine.connect() as conn:
        rows = conn.execute(text("SELECT service, operation, cost_usd FROM api_usage_logs ORDER BY id")).all()
    la = [(r[1], float(r[2])) for r in rows if r[0] == "liveavatar"]
    assert [op for op, _ in la] == ["liveavatar_token", "liveavatar_start", "liveavatar_speak", "liveavatar_stop"]
    assert la[-1][1] == 0.20  # FULL: the escrowed minute, 2 credits × $0.10


def test_liveavatar_chosen_without_a_key_falls_back_to_heygen(sqlite_engine: Any, tmp_path: Path) -> None:
    from tinytalk_sdk.settings import set_setting

    set_setting(sqlite_engine, "video_avatar_vendor", "liveavatar", actor="test")
    with TestClient(create_app(sqlite_engine, uploads_dir=tmp_path, fault=""), base_url="http://t/api") as client:
        token = client.post("/auth_register.php", json={"email": "w@example.com", "pin": "1234", "name": "W"}
                            ).json()["data"]["token"]
        made = client.post("/heygen_session.php", json={}, headers={"Authorization": f"Bearer {token}"})
        assert made.status_code == 200 and made.json()["data"]["session_id"]
