"""Config profiles and secrets: resolution order, redaction, bad input."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app
from tinytalk_sdk import ConfigError, MissingCredentialError, mask, redact
from tinytalk_sdk.config import config_path, load_config, write_setting

SECRET = "sk-live-ABCDEFGHIJKLMNOPQRSTUVWX1234"
runner = CliRunner()


def test_env_overrides_file_and_vendor_env(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config()
    write_setting(cfg, "api_url", "https://file.example/api")
    assert load_config().get("api_url") == "https://file.example/api"
    monkeypatch.setenv("TINYTALK_API_URL", "https://env.example/api")
    cfg = load_config()
    assert cfg.get("api_url") == "https://env.example/api"
    assert cfg.source("api_url") == "env"
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    assert load_config().get("openai_api_key") == SECRET


def test_profiles_are_separate() -> None:
    write_setting(load_config("default"), "api_url", "http://a/api")
    path = config_path()
    path.write_text(path.read_text() + '\n[profiles.staging]\napi_url = "http://b/api"\n')
    assert load_config("staging").get("api_url") == "http://b/api"
    assert load_config("default").get("api_url") == "http://a/api"


def test_unknown_profile_is_an_error() -> None:
    with pytest.raises(ConfigError, match="unknown profile 'prdo'"):
        load_config("prdo")


def test_malformed_toml_names_the_file() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text("[profiles.default\napi_url = 1")
    with pytest.raises(ConfigError, match=r"config\.toml: malformed TOML"):
        load_config()


def test_config_file_is_private() -> None:
    write_setting(load_config(), "openai_api_key", SECRET)
    mode = stat.S_IMODE(os.stat(config_path()).st_mode)
    assert mode == 0o600


def test_missing_credential_names_the_setting() -> None:
    with pytest.raises(MissingCredentialError) as info:
        load_config().require("heygen_api_key")
    assert "heygen_api_key" in str(info.value)
    assert "TINYTALK_HEYGEN_API_KEY" in (info.value.hint or "")


def test_mask_and_redact() -> None:
    assert mask(SECRET) == "sk-…1234"
    text = f"failed with key {SECRET} and Authorization: Bearer abcdefghijkl123 at mysql://u:pw123@h/db"
    out = redact(text)
    assert SECRET not in out and "abcdefghijkl123" not in out and "pw123" not in out


def test_show_redacts_secrets_in_every_format() -> None:
    write_setting(load_config(), "openai_api_key", SECRET)
    write_setting(load_config(), "database_url", "mysql+pymysql://tt:hunter2pw@db.example/tinytalk")
    for args in (["config", "show"], ["config", "show", "--json"], ["config", "show", "--csv"],
                 ["config", "get", "openai_api_key"], ["config", "get", "database_url", "--json"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert SECRET not in result.stdout and "hunter2pw" not in result.stdout
    data = json.loads(runner.invoke(app, ["config", "show", "--json"]).stdout)
    assert data["settings"]["openai_api_key"] == {"value": "sk-…1234", "source": "file"}


def test_set_secret_from_stdin_and_unset() -> None:
    result = runner.invoke(app, ["config", "set", "openai_api_key"], input=SECRET + "\n")
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert load_config().get("openai_api_key") == SECRET
    assert runner.invoke(app, ["config", "unset", "openai_api_key"]).exit_code == 0
    assert load_config().get("openai_api_key") is None


def test_cli_errors_are_one_line_with_exit_codes(isolated_env: Path) -> None:
    result = runner.invoke(app, ["--profile", "nope", "config", "show"])
    assert result.exit_code == 3
    assert result.stderr.strip().count("\n") == 0
    assert "unknown profile 'nope'" in result.stderr
    assert result.stdout == ""
    result = runner.invoke(app, ["config", "set", "no_such_key", "x"])
    assert result.exit_code == 4
    assert "unknown setting 'no_such_key'" in result.stderr
    result = runner.invoke(app, ["config", "get", "api_url"])
    assert result.exit_code == 5


def test_profiles_and_path() -> None:
    write_setting(load_config(), "api_url", "http://x/api")
    result = runner.invoke(app, ["config", "profiles", "--json"])
    assert json.loads(result.stdout) == [{"profile": "default", "current": True}]
    result = runner.invoke(app, ["config", "path"])
    assert result.stdout.strip() == str(config_path())


def test_a_table_outside_profiles_is_reported_not_ignored() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text('[default]\napi_url = "http://x/api"\n')
    with pytest.raises(ConfigError, match=r"'default' is outside the \[profiles.<name>\] tables") as info:
        load_config()
    assert info.value.hint == "move it under [profiles.default]"


def test_unwritable_config_folder_is_one_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("TINYTALK_CONFIG_DIR", str(blocker / "config"))
    with pytest.raises(ConfigError, match="cannot write the config file"):
        write_setting(load_config(), "api_url", "http://x/api")


def test_a_secret_on_the_command_line_is_refused() -> None:
    result = runner.invoke(app, ["config", "set", "openai_api_key", SECRET])
    assert result.exit_code == 4
    assert "is a secret: not taken from the command line" in result.stderr
    assert SECRET not in result.output
    assert load_config().get("openai_api_key") is None
    assert not config_path().exists()
