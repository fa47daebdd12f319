"""`tinytalk api …` through CliRunner against the real local server (SQLite)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app
from tinytalk_sdk._client import TinyTalk
from tinytalk_sdk.config import load_config

runner = CliRunner()


@pytest.fixture
def account(api_server: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.setenv("TINYTALK_API_URL", api_server.base_url)
    email, pin = f"cli-{uuid.uuid4().hex[:8]}@example.com", "5678"
    with TinyTalk(base_url=api_server.base_url) as c:
        c.auth.register(email=email, pin=pin, name="Cli Kid")
    return email, pin


def invoke(*args: str, input: str | None = None) -> Any:
    result = runner.invoke(app, list(args), input=input)
    return result


def login(email: str, pin: str) -> str:
    result = invoke("api", "login", "--email", email, "--json", input=pin + "\n")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["email"] == email and "token" not in data
    token = load_config().get("api_token")
    assert token and len(token) == 64 and token not in result.output
    return token


def test_login_me_sessions_chat(account: tuple[str, str]) -> None:
    login(*account)
    me = json.loads(invoke("api", "me", "--json").stdout)
    assert me["email"] == account[0]

    created = invoke("api", "sessions", "create", "--title", "CLI day", "--mode", "text", "--json")
    assert created.exit_code == 0, created.output
    sid = json.loads(created.stdout)["id"]

    chat = invoke("api", "chat", "I goed to school", "--session", str(sid))
    assert chat.exit_code == 0, chat.output
    assert "went" in chat.stdout and "first token" in chat.stderr

    lines = invoke("api", "chat", "Hello teacher", "--session", str(sid), "--json").stdout.splitlines()
    events = [json.loads(line) for line in lines]
    assert events[0]["type"] == "delta" and events[-1]["type"] == "done"
    assert events[-1]["text"] == "".join(e["text"] for e in events[:-1])

    listed = invoke("api", "sessions", "list", "--csv")
    assert listed.exit_code == 0 and listed.stdout.splitlines()[0].startswith("id,session_date,status")
    history = json.loads(invoke("api", "sessions", "history", str(sid), "--json").stdout)
    assert len(history["messages"]) == 4
    assert json.loads(invoke("api", "sessions", "save", str(sid), "--json").stdout)["status"] == "saved"
    assert json.loads(invoke("api", "sessions", "summarize", str(sid), "--json").stdout)["summary"]
    # The only session is saved now, so resume opens a new one; resuming again finds that one.
    fresh = json.loads(invoke("api", "sessions", "resume", "--json").stdout)
    assert fresh["resumed"] is False and fresh["id"] != sid and fresh["status"] == "active"
    again = json.loads(invoke("api", "sessions", "resume", "--json").stdout)
    assert again["resumed"] is True and again["id"] == fresh["id"]


def test_speak_transcribe_config_health(account: tuple[str, str], tmp_path: Path, api_server: Any) -> None:
    token = login(*account)
    out = tmp_path / "hi.wav"
    spoken = invoke("api", "speak", "hello there, how are you", "-o", str(out), "--json")
    assert spoken.exit_code == 0, spoken.output
    assert json.loads(spoken.stdout)["bytes"] == out.stat().st_size > 0
    # -o x.mp3 gets MP3 bytes even though the offline provider answers WAV (converted, and said so)
    mp3 = tmp_path / "hi.mp3"
    as_mp3 = invoke("api", "speak", "hello there", "-o", str(mp3), "--json")
    assert as_mp3.exit_code == 0, as_mp3.output
    record = json.loads(as_mp3.stdout)
    assert record["content_type"] == "audio/mpeg" and record["path"] == str(mp3)
    assert record["converted_from"] == record["received_content_type"] != "audio/mpeg"
    import soundfile

    assert soundfile.info(str(mp3)).format == "MP3" and record["bytes"] == mp3.stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("hi", ".hi"))) == ["hi.mp3", "hi.wav"]
    heard = invoke("api", "transcribe", str(out), "--json")
    assert heard.exit_code == 0, heard.output
    assert json.loads(heard.stdout)["duration_seconds"] > 0
    from .test_endpoints import _assign, _seed_character

    _seed_character(api_server.engine_url)  # idempotent: the shared server may have it already
    with TinyTalk(base_url=api_server.base_url, token=token) as sdk:
        _assign(api_server.engine_url, sdk.auth.me().user.id, "sdk-hana")
        app_config = sdk.config.app()
    # The CLI renders what the API answers (the shared server's setting varies with test order).
    assert json.loads(invoke("api", "config", "--json").stdout)["avatar_provider"] == app_config.avatar_provider
    assert json.loads(invoke("api", "health", "--json").stdout)["status"] == "ok"
    char = invoke("api", "character", "--mine", "--json")
    assert char.exit_code == 0, char.output
    shown = json.loads(char.stdout)
    assert shown["code"] == "sdk-hana" and len(shown["emotions"]) == 7


def test_cli_errors(account: tuple[str, str], tmp_path: Path) -> None:
    no_token = invoke("api", "me")
    assert no_token.exit_code == 3 and "api_token" in no_token.stderr
    bad = invoke("api", "login", "--email", account[0], input="0000\n")
    assert bad.exit_code == 9 and "401" in bad.stderr
    token = login(*account)
    missing = invoke("api", "transcribe", str(tmp_path / "nope.wav"))
    assert missing.exit_code == 4 and "no such file" in missing.stderr
    nf = invoke("api", "sessions", "history", "99999999")
    assert nf.exit_code == 9 and "404" in nf.stderr
    out = invoke("api", "logout", "--json")
    assert out.exit_code == 0 and load_config().get("api_token") is None
    assert token not in out.output


def test_help_has_examples() -> None:
    for cmd in (["api"], ["api", "chat"], ["api", "sessions", "list"], ["api", "transcribe"], ["api", "speak"]):
        result = invoke(*cmd, "--help")
        assert result.exit_code == 0 and "Example:" in result.stdout, cmd
