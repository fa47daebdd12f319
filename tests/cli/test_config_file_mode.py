"""Issue 12, finding 5: a config.toml holding a secret at a mode others can read is warned about, like ssh."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app
from tinytalk_sdk.config import config_path, load_config
from tinytalk_sdk.doctor import check_config

SECRET = "sk-live-ABCDEFGHIJKLMNOPQRSTUVWX1234"
runner = CliRunner()
pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def hand_edited(mode: int, body: str = f'[profiles.default]\nopenai_api_key = "{SECRET}"\n') -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_config_show_warns_and_doctor_fails(mode: int) -> None:
    path = hand_edited(mode)
    result = runner.invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert f"permissions {mode:04o} for '{path}' are too open" in result.stderr
    assert "openai_api_key" in result.stderr and "chmod 600" in result.stderr and "--keyring" in result.stderr
    assert SECRET not in result.output
    assert json.loads(result.stdout)["warnings"] == load_config().warnings != []
    check = check_config(load_config())
    assert check.failed and "too open" in check.detail


def test_any_command_that_loads_the_file_warns() -> None:
    hand_edited(0o644)
    result = runner.invoke(app, ["config", "get", "openai_api_key"])
    assert result.exit_code == 0 and "too open" in result.stderr
    assert SECRET not in result.output


def test_a_database_password_counts_as_a_secret() -> None:
    hand_edited(0o644, '[profiles.prod]\ndatabase_url = "mysql+pymysql://app:hunter2@db/tinytalk"\n')
    warnings = load_config().warnings
    assert warnings and "database_url (its password)" in warnings[0] and "hunter2" not in warnings[0]
    assert "TINYTALK_DATABASE_URL" in warnings[0] and "--keyring" not in warnings[0]


@pytest.mark.parametrize(
    ("mode", "body"),
    [(0o600, f'[profiles.default]\nopenai_api_key = "{SECRET}"\n'),
     (0o400, f'[profiles.default]\nopenai_api_key = "{SECRET}"\n'),
     (0o644, '[profiles.default]\napi_url = "http://127.0.0.1:8000/api"\n')],
)
def test_private_files_and_files_without_secrets_are_quiet(mode: int, body: str) -> None:
    hand_edited(mode, body)
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0 and "too open" not in result.stderr
    assert load_config().warnings == []
    assert not check_config(load_config()).failed
