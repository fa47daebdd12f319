"""A fresh machine: `make demo` without espeak-ng still runs the demo to the end, saying what it skipped."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app

ROOT = Path(__file__).parents[2]


@pytest.fixture
def no_espeak_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH without espeak-ng: an empty folder (the demo's other parts are Python)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    return folder


def test_demo_goes_on_without_espeak(no_espeak_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    skipped = [line for line in result.stderr.splitlines() if "skipped" in line and "espeak-ng" in line]
    assert len(skipped) == 2, result.stderr  # one line each: the api step's TTS/STT, the smoke turn
    assert "espeak-ng is not installed" in skipped[0]
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("demo done (db, server, api, live2d, admin, smoke); skipped")
    assert "Error" not in result.stderr


def test_demo_json_lists_the_skipped_parts(no_espeak_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--only", "db", "--only", "server", "--only", "api", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [s["step"] for s in report["skipped"]] == ["api"]
    assert report["facts"]["api_messages"] >= 2  # the chat turn itself ran


def test_provisioning_says_what_it_cannot_install(tmp_path: Path) -> None:
    """Not root (a fake `id`), no espeak-ng on PATH: one line naming it, exit 0, so `make demo` goes on."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "id").write_text("#!/bin/sh\necho 1000\n")
    (fake / "id").chmod(0o755)
    env = {**os.environ, "PATH": str(fake)}
    env.pop("TINYTALK_NO_PROVISION", None)
    done = subprocess.run(["/bin/bash", "scripts/provision-demo.sh"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0
    assert done.stderr.strip().splitlines() == [
        "demo: missing espeak-ng and not root on Debian (cannot apt-get); the demo skips what needs them"]
    quiet = subprocess.run(["/bin/bash", "scripts/provision-demo.sh"], cwd=ROOT, capture_output=True, text=True,
                           env={**env, "TINYTALK_NO_PROVISION": "1"}, timeout=30)
    assert quiet.returncode == 0 and quiet.stderr == ""
