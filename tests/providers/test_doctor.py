"""`tinytalk doctor`: a ✓/✗ row per check with its reason; exit 12 only for failures that matter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app

if TYPE_CHECKING:
    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors


def _doctor(*args: str) -> tuple[int, dict[str, dict[str, object]]]:
    result = CliRunner().invoke(app, ["doctor", "--json", "--timeout", "2", *args])
    data = json.loads(result.stdout)
    return result.exit_code, {c["name"]: c for c in data["checks"]}


@pytest.fixture
def db_ready(isolated_env: Path) -> None:
    assert CliRunner().invoke(app, ["db", "init", "--json"]).exit_code == 0


def test_fresh_machine_needs_db_init(isolated_env: Path) -> None:
    code, checks = _doctor()
    assert code == 12
    assert checks["database"]["status"] == "fail" and "tinytalk db init" in str(checks["database"]["detail"])
    assert checks["openai"]["status"] == "skip" and checks["openai"]["matters"] is False
    assert checks["api"]["status"] == "skip"


def test_everything_configured_against_the_fakes(db_ready: None, fake_vendor_env: RunningFakeVendors,
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINYTALK_CDN_URL", (tmp_path / "cdn").as_uri())
    code, checks = _doctor()
    assert code == 0, checks
    for name in ("config", "database", "openai", "elevenlabs", "heygen", "liveavatar", "cdn"):
        assert checks[name]["status"] == "ok", (name, checks[name])
    assert "characters left" in str(checks["elevenlabs"]["detail"])
    assert "1000 credits left" in str(checks["liveavatar"]["detail"])


def test_revoked_key_and_unreachable_api_fail_with_their_reason(
    db_ready: None, fake_vendor_env: RunningFakeVendors, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_vendor_env.state.revoked.add("sk-fake-0123456789abcdef")
    monkeypatch.setenv("TINYTALK_API_URL", "http://127.0.0.1:9/api")
    code, checks = _doctor()
    assert code == 12
    assert checks["openai"]["status"] == "fail" and "invalid_api_key" in str(checks["openai"]["detail"])
    assert "sk-fake-0123456789abcdef" not in json.dumps(checks)
    assert checks["api"]["status"] == "fail" and checks["api"]["matters"] is True
    assert checks["heygen"]["status"] == "ok"


def test_table_output(isolated_env: Path) -> None:
    result = CliRunner().invoke(app, ["doctor"])
    lines = result.stdout.splitlines()
    assert lines[0] == "check\tstatus\tdetail"
    assert any(line.startswith("database\t✗\t") for line in lines)
    assert "Error: doctor: failed checks: database" in result.output
