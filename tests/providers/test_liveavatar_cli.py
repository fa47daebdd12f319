"""`tinytalk heygen … --vendor liveavatar` against the fake: a leaked session found and stopped, lists, credits,
and the speak test, all with --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app
from tinytalk_sdk.testing.fakes.liveavatar import LiveAvatarMemory

from .test_liveavatar import HOLDER, LA_KEY, WAYNE

if TYPE_CHECKING:
    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors

LA = ["--vendor", "liveavatar"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def memory(fake: RunningFakeVendors) -> LiveAvatarMemory:
    return fake.state.vendor("liveavatar", LiveAvatarMemory)


def test_a_session_leaked_by_a_crash_is_found_and_stopped(fake_vendor_env: RunningFakeVendors) -> None:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, fake_vendor_env.liveavatar_url, LA_KEY, WAYNE],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    sid = proc.stdout.readline().strip()
    proc.kill()  # SIGKILL: no finally runs, the session leaks
    proc.wait(timeout=20)

    code, out, _ = run("heygen", "sessions", "list", *LA, "--json")
    assert code == 0 and [(s["session_id"], s["status"], s["mode"]) for s in json.loads(out)] == [
        (sid, "active", "FULL")]
    code, out, _ = run("heygen", "sessions", "stop-all", *LA, "--dry-run", "--json")
    assert json.loads(out) == {"dry_run": True, "stopped": [], "would_stop": [sid]}
    assert run("heygen", "sessions", "stop-all", *LA)[0] == 13  # no TTY, no --yes
    code, out, _ = run("heygen", "sessions", "stop-all", *LA, "--yes", "--json")
    assert code == 0 and json.loads(out) == {"dry_run": False, "stopped": [sid]}
    assert memory(fake_vendor_env).sessions[sid]["end_reason"] == "ZOMBIE_SESSION_REAP"

    code, out, _ = run("heygen", "sessions", "list", *LA, "--history", "--json")
    ended = json.loads(out)
    assert code == 0 and [(e["session_id"], e["end_reason"]) for e in ended] == [(sid, "ZOMBIE_SESSION_REAP")]
    assert ended[0]["credits_consumed"] >= 2
    code, out, _ = run("heygen", "sessions", "list", *LA, "--csv")
    assert out.splitlines() == ["session_id,status,mode,created_at,duration,credits_consumed,end_reason"]


def test_stop_one_session_and_stop_it_again(fake_vendor_env: RunningFakeVendors) -> None:
    from tinytalk_sdk.providers.liveavatar import LiveAvatarClient

    client = LiveAvatarClient(api_key=LA_KEY, base_url=fake_vendor_env.liveavatar_url, avatar_id=WAYNE,
                              keep_alive_seconds=None)
    sid = client.open_session().session_id
    client._open.clear()
    code, out, _ = run("heygen", "sessions", "stop", sid, *LA, "--yes", "--json")
    assert code == 0 and json.loads(out)["stopped"] == [sid]
    code, _, err = run("heygen", "sessions", "stop", sid, *LA, "--yes")
    assert code == 10 and "liveavatar: HTTP 400 400: Session is already closed" in err


def test_lists_with_json(fake_vendor_env: RunningFakeVendors) -> None:
    code, out, _ = run("heygen", "avatars", *LA, "--public", "--json")
    assert code == 0 and json.loads(out)[0]["id"] == WAYNE
    code, out, _ = run("heygen", "voices", *LA, "--json")
    assert code == 0 and [v["name"] for v in json.loads(out)] == ["Wayne", "June"]
    code, out, _ = run("heygen", "contexts", *LA, "--json")
    assert code == 0 and json.loads(out)[0]["name"] == "TinyTalk tutor"
    code, out, _ = run("heygen", "avatars", *LA, "--csv")
    assert out.splitlines()[0] == "id,name,status,type,created_at"


def test_speak_test_and_credits(fake_vendor_env: RunningFakeVendors) -> None:
    code, out, err = run("heygen", "speak", "Hello, I am your tutor.", *LA, "--json")
    assert code == 0, err
    spoke = json.loads(out)
    assert spoke["event_type"] == "avatar.speak_text" and spoke["stopped"] is True
    assert spoke["cost_usd"] == pytest.approx(0.20)  # the escrowed minute, FULL: 2 credits × $0.10
    events = memory(fake_vendor_env).events
    assert [(e["event_id"], e["text"]) for e in events] == [(spoke["event_id"], "Hello, I am your tutor.")]
    assert memory(fake_vendor_env).sessions[spoke["session_id"]]["status"] == "closed"

    code, out, _ = run("heygen", "credits", *LA, "--json")
    credits = json.loads(out)
    assert code == 0 and credits["credits_left"] == 998 and credits["credits_used_this_month"] == 2
    assert credits["cost_this_month_usd"] == pytest.approx(0.20) and credits["usd_per_credit"] == 0.10


def test_lite_speak_is_refused_and_stopped(fake_vendor_env: RunningFakeVendors) -> None:
    code, out, err = run("heygen", "speak", "hi", *LA, "--mode", "LITE", "--json")
    assert code == 4 and "LITE sessions take audio" in err and out == ""
    assert [s["status"] for s in memory(fake_vendor_env).sessions.values()] == ["closed"]


@pytest.mark.parametrize(("args", "code", "text"), [
    (["heygen", "voices", "--vendor", "d-id"], 4, "use heygen or liveavatar"),
    (["heygen", "contexts", "--vendor", "heygen"], 4, "pass --vendor liveavatar"),
    (["heygen", "sessions", "list", "--history"], 4, "HeyGen v1 lists active sessions only"),
])
def test_bad_input_is_one_line(fake_vendor_env: RunningFakeVendors, args: list[str], code: int, text: str) -> None:
    exit_code, _, err = run(*args)
    assert exit_code == code and text in err and "Traceback" not in err


def test_missing_key_is_exit_3(fake_vendors: RunningFakeVendors) -> None:
    exit_code, _, err = run("heygen", "credits", *LA)
    assert exit_code == 3 and "liveavatar_api_key" in err
