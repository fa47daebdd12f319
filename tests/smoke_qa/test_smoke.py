"""`tinytalk smoke`: both targets, both avatars, failing stages, row tagging and clean-up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app
from tinytalk_sdk import CheckFailedError
from tinytalk_sdk.config import load_config
from tinytalk_sdk.smoke import run_smoke
from tinytalk_sdk.testing.speech import speak_wav, word_error_rate

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors

STAGES_API = ["register", "session", "stt", "gpt_stream", "tts_stream", "avatar", "save", "check_rows", "cleanup"]
STAGES_PROVIDERS = ["stt", "gpt_stream", "tts_stream", "avatar", "check_rows", "cleanup"]


def _rows(engine: Engine) -> list[tuple[str, str, str | None, str]]:
    from sqlalchemy import text

    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT service, operation, tag, status FROM api_usage_logs ORDER BY id"))]


@pytest.mark.parametrize(("word", "expected"), [
    ("I like to play soccer", 0.0), ("I like play soccer", 0.2), ("you like to play soccer games", 0.4), ("", 1.0),
])
def test_word_error_rate(word: str, expected: float) -> None:
    assert word_error_rate("I like to play soccer", word) == expected


def test_providers_target_with_fakes_started_by_the_run(sqlite_engine: Engine) -> None:
    notes: list[str] = []
    report = run_smoke(load_config(), target="providers", avatar="replika", engine=sqlite_engine,
                       on_note=notes.append)
    assert report.passed and [s.name for s in report.stages] == STAGES_PROVIDERS
    assert any("vendor fakes" in n for n in notes)
    assert report.providers == {"stt": "openai", "chat": "openai", "tts": "elevenlabs", "avatar": "heygen"}
    assert report.wer == 0.0  # the fake Whisper knows the espeak-ng clip
    assert all(report.metrics[k] is not None for k in ("stt_latency", "ttft", "gpt_total", "tts_ttfb", "tts_total",
                                                        "avatar_ready", "speech_to_avatar"))
    assert _rows(sqlite_engine) == [("openai", "stt", "smoke", "ok"), ("openai", "chat_stream", "smoke", "ok"),
                                    ("elevenlabs", "tts", "smoke", "ok")]


def test_providers_target_heygen_cli_json(fake_vendor_env: RunningFakeVendors) -> None:
    result = CliRunner().invoke(app, ["smoke", "--target", "providers", "--avatar", "heygen", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["passed"] and report["avatar"] == "heygen" and report["notes"] == []  # the session's fakes
    assert [s["status"] for s in report["stages"]] == ["pass"] * len(STAGES_PROVIDERS)
    assert fake_vendor_env.state.active_heygen() == []  # the session was stopped
    assert len(fake_vendor_env.state.calls("heygen", "streaming.stop")) == 1


def test_a_failing_stage_exits_12_keeps_the_report_and_skips_what_depends_on_it(
    fake_vendor_env: RunningFakeVendors,
) -> None:
    fake_vendor_env.state.push("elevenlabs", "server_error", times=3)
    result = CliRunner().invoke(app, ["smoke", "--target", "providers", "--json"])
    assert result.exit_code == 12
    report = json.loads(result.stdout)
    status = {s["name"]: s["status"] for s in report["stages"]}
    assert status == {"stt": "pass", "gpt_stream": "pass", "tts_stream": "fail", "avatar": "skip",
                      "check_rows": "skip", "cleanup": "pass"}
    failed = next(s for s in report["stages"] if s["status"] == "fail")
    assert "system_busy" in failed["detail"] and not report["passed"]


def test_stream_cut_fails_the_gpt_stage(fake_vendor_env: RunningFakeVendors) -> None:
    fake_vendor_env.state.push("openai", "cut_stream", after=2)
    with pytest.raises(CheckFailedError, match="gpt_stream"):
        run_smoke(load_config(), target="providers")


def test_own_audio_file_has_no_wer(fake_vendor_env: RunningFakeVendors, tmp_path: Path) -> None:
    clip = tmp_path / "mine.wav"
    clip.write_bytes(speak_wav("Good morning teacher."))
    report = run_smoke(load_config(), target="providers", audio=clip)
    assert report.passed and report.wer is None


def test_api_target_starts_the_local_server_and_cleans_up(isolated_env: Path) -> None:
    """`tinytalk smoke` on the default profile with no server running: a fresh machine passes."""
    result = CliRunner().invoke(app, ["smoke", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [s["name"] for s in report["stages"]] == STAGES_API and report["passed"]
    assert report["api_url"].startswith("http://127.0.0.1:")
    assert report["transcript"]  # pocketsphinx: rough, but it heard something
    assert 0.0 <= report["wer"] <= 1.0
    cleanup = next(s for s in report["stages"] if s["name"] == "cleanup")
    # the server tagged the rows from the X-TinyTalk-Tag header; the DB-side fallback found nothing to do
    assert "tagged 'smoke' by the server" in cleanup["detail"] and "tagged here" not in cleanup["detail"]
    from tinytalk_sdk.db import make_engine

    engine = make_engine(load_config().database_url)
    try:
        from sqlalchemy import text

        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM users")).scalar() == 0  # test user deleted
            assert conn.execute(text("SELECT COUNT(*) FROM chat_messages")).scalar() == 0
        rows = _rows(engine)
        assert len(rows) >= 3 and {r[2] for r in rows} == {"smoke"} and {r[3] for r in rows} == {"ok"}
    finally:
        engine.dispose()


def test_api_target_refuses_to_start_a_server_for_another_profile(isolated_env: Path) -> None:
    config_dir = isolated_env / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text('[profiles.prod]\nadmin_user = "ops"\n')
    refused = CliRunner().invoke(app, ["--profile", "prod", "smoke", "--api-url", "http://127.0.0.1:9/api"])
    assert refused.exit_code == 12 and "register" in refused.output  # unreachable API: the first stage fails
    if not _port_open(8787):
        no_server = CliRunner().invoke(app, ["--profile", "prod", "smoke"])
        assert no_server.exit_code == 12
        assert "no TinyTalk API at http://127.0.0.1:8787/api" in no_server.output
        assert not (isolated_env / "data" / "prod.db").exists()  # no server was started on prod's database


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_api_server_running_on_the_real_adapters(fake_vendor_env: RunningFakeVendors, tmp_path: Path) -> None:
    """`tinytalk serve` with keys: the server calls the OpenAI/ElevenLabs/HeyGen adapters (here: the fakes)."""
    from tinytalk_sdk.providers.base import UsageRecorder
    from tinytalk_sdk.providers.factory import build_providers
    from tinytalk_sdk.server.background import start_background_server

    config = load_config()
    providers = build_providers(config, UsageRecorder())
    assert providers.names() == {"stt": "openai", "chat": "openai", "tts": "elevenlabs", "avatar": "heygen"}
    with start_background_server(f"sqlite:///{tmp_path / 'api.db'}", providers=providers) as server:
        report = run_smoke(config, target="api", avatar="heygen", api_url=server.base_url,
                           engine=None, raise_on_failure=False)
    assert report.passed, report.stages
    assert report.wer == 0.0  # the (fake) Whisper, not pocketsphinx
    paths = [c["path"] for c in fake_vendor_env.state.log]
    assert paths == ["/v1/audio/transcriptions", "/v1/chat/completions",
                     "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream", "/v1/streaming.new", "/v1/streaming.start",
                     "/v1/streaming.task", "/v1/streaming.stop"]
    assert fake_vendor_env.state.active_heygen() == []


def test_cleanup_tags_only_what_the_server_left_untagged(sqlite_engine: Engine, tmp_path: Path) -> None:
    """The DB-side tagging is a fallback for a server that ignores X-TinyTalk-Tag: rows the server tagged
    are counted, untagged rows of the run are tagged, rows of other users are left alone."""
    import datetime as dt

    from sqlalchemy import select

    from tinytalk_sdk import TinyTalk
    from tinytalk_sdk.db import transaction
    from tinytalk_sdk.db.models import ApiUsageLog
    from tinytalk_sdk.smoke import ApiPipeline, _cleanup

    started = dt.datetime.now(dt.UTC)
    with transaction(sqlite_engine) as s:
        s.add_all([ApiUsageLog(service="offline", operation="stt", user_id=41, tag="smoke"),
                   ApiUsageLog(service="offline", operation="chat_stream", user_id=41, tag=None),
                   ApiUsageLog(service="offline", operation="tts", user_id=42, tag=None)])
    with TinyTalk(base_url="http://127.0.0.1:9/api") as client:
        pipe = ApiPipeline(client, work_dir=tmp_path)
        pipe.user_id = 41
        detail = _cleanup(pipe, sqlite_engine, started_at=started)
    assert detail == "test user 41 deleted, 1 usage row(s) tagged 'smoke' by the server, 1 untagged row(s) tagged here"
    with transaction(sqlite_engine) as s:
        tags = {(r.user_id, r.operation): r.tag for r in s.scalars(select(ApiUsageLog))}
    assert tags == {(41, "stt"): "smoke", (41, "chat_stream"): "smoke", (42, "tts"): None}


def test_providers_target_liveavatar_cli_json(fake_vendor_env: RunningFakeVendors) -> None:
    from tinytalk_sdk.testing.fakes.liveavatar import LiveAvatarMemory

    result = CliRunner().invoke(app, ["smoke", "--target", "providers", "--avatar", "liveavatar", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["passed"] and report["avatar"] == "liveavatar"
    memory = fake_vendor_env.state.vendor("liveavatar", LiveAvatarMemory)
    assert [s["end_reason"] for s in memory.sessions.values()] == ["USER_CLOSED"]  # opened, spoke, stopped
    assert [e["event_type"] for e in memory.events] == ["avatar.speak_text"]
    refused = CliRunner().invoke(app, ["smoke", "--target", "api", "--avatar", "liveavatar"])
    assert refused.exit_code == 2 and "providers" in refused.output
