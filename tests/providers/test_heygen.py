"""HeyGen adapter (httpx) against the fake: lifecycle, always-stop, concurrency, leaked sessions."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app
from tinytalk_sdk import MissingCredentialError, ProviderError
from tinytalk_sdk.providers.heygen import HeyGenClient

from .conftest import HEYGEN_KEY, usage_rows

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Engine

    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors


def test_session_lifecycle_and_usage_rows(heygen: HeyGenClient, fake_vendors: RunningFakeVendors,
                                          sqlite_engine: Engine) -> None:
    token = heygen.create_token()
    assert token and token not in repr(heygen)
    began = time.monotonic()
    with heygen.session(quality="low") as sess:
        assert sess.url and sess.url.startswith("wss://") and sess.session_duration_limit == 600
        task = heygen.task(sess, "Hello! Great to see you.")
        assert task["task_id"] and task["duration_ms"] > 0
        heygen.ice(sess, {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0"})
        assert [s["session_id"] for s in heygen.list_sessions()] == [sess.session_id]
    elapsed = time.monotonic() - began
    assert heygen.list_sessions() == []
    ops = [r["operation"] for r in usage_rows(sqlite_engine)]
    assert ops == ["heygen_token", "heygen_new", "heygen_start", "heygen_task", "heygen_ice", "heygen_list",
                   "heygen_stop", "heygen_list"]
    stop = usage_rows(sqlite_engine)[6]
    # The real (unrounded-up) minutes held: above zero, within this test's own clock.
    assert stop["session_minutes"] is not None and 0 < float(stop["session_minutes"]) <= elapsed / 60 + 1e-4
    # 30-second minimum at $0.198/min (price table 2026-11)
    assert float(stop["cost_usd"]) == pytest.approx(0.099)


def test_session_is_stopped_when_the_block_raises(heygen: HeyGenClient, fake_vendors: RunningFakeVendors) -> None:
    with pytest.raises(RuntimeError), heygen.session() as sess:
        raise RuntimeError("boom")
    assert fake_vendors.state.heygen_sessions[sess.session_id]["status"] == "closed"


def test_session_is_stopped_on_ctrl_c(heygen: HeyGenClient, fake_vendors: RunningFakeVendors) -> None:
    with pytest.raises(KeyboardInterrupt), heygen.session() as sess:
        raise KeyboardInterrupt
    assert fake_vendors.state.active_heygen() == []
    assert sess.stopped


def test_task_on_a_stopped_session_is_the_vendor_400(heygen: HeyGenClient) -> None:
    with heygen.session() as sess:
        pass
    with pytest.raises(ProviderError) as info:
        heygen.task(sess, "too late")
    assert (info.value.status, info.value.code) == (400, "400006")


def test_concurrency_limit(heygen: HeyGenClient, fake_vendors: RunningFakeVendors, sqlite_engine: Engine) -> None:
    fake_vendors.state.heygen_limit = 1
    try:
        with heygen.session():
            with pytest.raises(ProviderError) as info:
                heygen.new_session()
            assert info.value.code == "10004"
        assert len([c for c in fake_vendors.state.calls("heygen", "streaming.new")]) == 2  # `new` not retried
    finally:
        fake_vendors.state.heygen_limit = 3
    errors = [r for r in usage_rows(sqlite_engine) if r["status"] == "error"]
    assert [(r["operation"], r["http_status"]) for r in errors] == [("heygen_new", 400)]


def test_revoked_key(heygen: HeyGenClient, fake_vendors: RunningFakeVendors) -> None:
    fake_vendors.state.revoked.add(HEYGEN_KEY)
    with pytest.raises(ProviderError) as info:
        heygen.list_avatars()
    assert (info.value.status, info.value.code) == (401, "400112")
    assert HEYGEN_KEY not in str(info.value)


def test_429_then_success(heygen: HeyGenClient, fake_vendors: RunningFakeVendors, sqlite_engine: Engine) -> None:
    fake_vendors.state.push("heygen", "rate_limit", retry_after=0.05)
    assert heygen.list_voices()[0]["voice_id"]
    assert [c["status"] for c in fake_vendors.state.calls("heygen")] == [429, 200]
    assert [r["status"] for r in usage_rows(sqlite_engine)] == ["ok"]


def test_missing_key() -> None:
    with pytest.raises(MissingCredentialError, match="heygen_api_key"):
        HeyGenClient(api_key=None)


HOLDER = textwrap.dedent("""
    import sys, time
    from tinytalk_sdk.providers.heygen import HeyGenClient
    client = HeyGenClient(api_key="hg-crash-0123456789", base_url=sys.argv[1])
    with client.session() as sess:
        print(sess.session_id, flush=True)
        time.sleep(60)
""")


def _hold_session(fake: RunningFakeVendors) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, fake.heygen_url], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    sid = proc.stdout.readline().strip()
    assert sid, "the session holder did not start"
    return proc, sid


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_the_session(fake_vendors: RunningFakeVendors, sig: signal.Signals) -> None:
    proc, sid = _hold_session(fake_vendors)
    proc.send_signal(sig)
    proc.wait(timeout=20)
    assert fake_vendors.state.heygen_sessions[sid]["status"] == "closed"


def test_session_leaked_by_a_crash_is_found_and_stopped_by_stop_all(
    fake_vendor_env: RunningFakeVendors, tmp_path: Path
) -> None:
    proc, sid = _hold_session(fake_vendor_env)
    proc.kill()  # SIGKILL: no finally runs, the session leaks
    proc.wait(timeout=20)
    assert [s["session_id"] for s in fake_vendor_env.state.active_heygen()] == [sid]

    runner = CliRunner()
    listed = runner.invoke(app, ["heygen", "sessions", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [s["session_id"] for s in json.loads(listed.stdout)] == [sid]

    dry = runner.invoke(app, ["heygen", "sessions", "stop-all", "--dry-run", "--json"])
    assert json.loads(dry.stdout)["would_stop"] == [sid] and fake_vendor_env.state.active_heygen()

    refused = runner.invoke(app, ["heygen", "sessions", "stop-all"])
    assert refused.exit_code == 13  # no TTY and no --yes

    done = runner.invoke(app, ["heygen", "sessions", "stop-all", "--yes", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["stopped"] == [sid]
    assert fake_vendor_env.state.active_heygen() == []


def test_cli_lists_avatars_and_voices(fake_vendor_env: RunningFakeVendors) -> None:
    runner = CliRunner()
    avatars = runner.invoke(app, ["heygen", "avatars", "--csv"])
    assert avatars.exit_code == 0 and avatars.stdout.splitlines()[0] == "avatar_id,status,is_public,created_at"
    voices = runner.invoke(app, ["heygen", "voices", "--json"])
    assert json.loads(voices.stdout)[0]["voice_id"]


def test_cli_missing_key_is_one_line(fake_vendors: RunningFakeVendors) -> None:
    result = CliRunner().invoke(app, ["heygen", "sessions", "list"])
    assert result.exit_code == 3
    assert "heygen_api_key" in result.output and "Traceback" not in result.output


def test_cli_stops_one_session(fake_vendor_env: RunningFakeVendors, heygen: HeyGenClient) -> None:
    sess = heygen.new_session()
    runner = CliRunner()
    dry = runner.invoke(app, ["heygen", "sessions", "stop", sess.session_id, "--dry-run", "--json"])
    assert json.loads(dry.stdout) == {"dry_run": True, "stopped": [], "would_stop": [sess.session_id]}
    assert dry.exit_code == 0, dry.output
    # a dry run leaves this very session open (a bare truthiness check passes on any other open session)
    assert sess.session_id in [s["session_id"] for s in fake_vendor_env.state.active_heygen()]
    done = runner.invoke(app, ["heygen", "sessions", "stop", sess.session_id, "--yes", "--json"])
    assert done.exit_code == 0 and json.loads(done.stdout)["stopped"] == [sess.session_id]
    assert fake_vendor_env.state.active_heygen() == []
    again = runner.invoke(app, ["heygen", "sessions", "stop", sess.session_id, "--yes"])
    assert again.exit_code == 10 and "heygen: HTTP 400 400006" in again.output  # the vendor's own answer


def test_a_new_session_answer_without_session_id_is_a_provider_error() -> None:
    """Not a KeyError leaking out of the adapter; and one usage row with the error."""
    import httpx

    from tinytalk_sdk.providers.base import UsageRecorder

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"code": 100, "message": "success", "data": {"url": "wss://x"}})

    recorder = UsageRecorder()
    client = HeyGenClient(api_key=HEYGEN_KEY, recorder=recorder, transport=httpx.MockTransport(handler))
    with pytest.raises(ProviderError, match="no session_id") as info:
        client.new_session()
    assert info.value.code == "bad_response" and info.value.provider == "heygen"
    assert [(e.operation, e.status, e.error_code) for e in recorder.entries] == [
        ("heygen_new", "error", "bad_response")]
    client.close()
