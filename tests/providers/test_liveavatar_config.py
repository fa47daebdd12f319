"""LiveAvatar's profile keys: the key is a secret (masked, refused on the command line, vendor env var), the
mode / avatar / voice / context reach the client, and the bundle carries LiveAvatar beside HeyGen v1."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app
from tinytalk_sdk import ValidationError
from tinytalk_sdk.config import SECRET_KEYS, load_config, write_setting
from tinytalk_sdk.providers.factory import build_providers, make_liveavatar
from tinytalk_sdk.providers.liveavatar import LiveAvatarClient
from tinytalk_sdk.testing.fakes.liveavatar import LoopbackRoom

KEY = "5b1c0d2e-3f4a-4b5c-8d6e-7f8091a2b3c4"


def test_the_key_is_a_secret_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "liveavatar_api_key" in SECRET_KEYS
    runner = CliRunner()
    assert runner.invoke(app, ["config", "set", "liveavatar_api_key", KEY]).exit_code != 0  # not on argv
    assert runner.invoke(app, ["config", "set", "liveavatar_api_key"], input=KEY + "\n").exit_code == 0
    for args in (["config", "show"], ["config", "show", "--json"], ["config", "get", "liveavatar_api_key"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and KEY not in result.stdout
    shown = json.loads(runner.invoke(app, ["config", "show", "--json"]).stdout)["settings"]["liveavatar_api_key"]
    assert shown["source"] == "file" and shown["value"].endswith(KEY[-4:])
    monkeypatch.setenv("LIVEAVATAR_API_KEY", "f" * 8 + KEY[8:])
    assert load_config().get("liveavatar_api_key") == "f" * 8 + KEY[8:]  # the vendor's own variable wins


def test_profile_settings_reach_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config()
    for key, value in [("liveavatar_api_key", KEY), ("liveavatar_mode", "lite"),
                       ("liveavatar_avatar_id", "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"),
                       ("liveavatar_voice_id", "9c2b1f0e-6a3d-4e8f-9b7a-2c1d0e5f6a7b"),
                       ("liveavatar_context_id", "06d11e63-ff70-4c2b-b0a3-aad3f1134013"),
                       ("liveavatar_base_url", "http://127.0.0.1:9/liveavatar")]:
        write_setting(config, key, value)
    client = make_liveavatar(load_config())
    assert (client.mode, client.base_url, client.voice_id, client.context_id) == (
        "LITE", "http://127.0.0.1:9/liveavatar", "9c2b1f0e-6a3d-4e8f-9b7a-2c1d0e5f6a7b",
        "06d11e63-ff70-4c2b-b0a3-aad3f1134013")
    assert client.token_config(mode="FULL").body()["avatar_persona"]["context_id"].startswith("06d11e63")
    assert client._room_factory is None  # the real LiveKit room by default
    monkeypatch.setenv("TINYTALK_LIVEAVATAR_ROOM", "loopback")
    assert make_liveavatar(load_config())._room_factory is LoopbackRoom
    monkeypatch.setenv("TINYTALK_LIVEAVATAR_ROOM", "webrtc")
    with pytest.raises(ValidationError, match="liveavatar_room 'webrtc'"):
        make_liveavatar(load_config())
    monkeypatch.setenv("TINYTALK_LIVEAVATAR_ROOM", "livekit")
    monkeypatch.setenv("TINYTALK_LIVEAVATAR_MODE", "VIDEO")
    with pytest.raises(ValidationError, match="use FULL or LITE"):
        make_liveavatar(load_config())


def test_the_bundle_carries_liveavatar_beside_heygen(monkeypatch: pytest.MonkeyPatch) -> None:
    assert build_providers(load_config()).videos == {}
    monkeypatch.setenv("TINYTALK_LIVEAVATAR_API_KEY", KEY)
    bundle = build_providers(load_config())
    assert isinstance(bundle.videos["liveavatar"], LiveAvatarClient)
    assert bundle.video("liveavatar") is bundle.videos["liveavatar"]
    assert bundle.video("heygen") is bundle.avatar and bundle.video(None) is bundle.avatar
    assert bundle.videos["liveavatar"].recorder is bundle.avatar.recorder  # type: ignore[attr-defined]
