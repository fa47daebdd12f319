"""Each script in examples/ runs in a subprocess against the local server (as CI does)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tinytalk_sdk._client import TinyTalk

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def env(api_server: Any) -> dict[str, str]:
    email, pin = f"ex-{uuid.uuid4().hex[:8]}@example.com", "2468"
    with TinyTalk(base_url=api_server.base_url) as c:
        c.auth.register(email=email, pin=pin, name="Example Kid")
    return {**os.environ, "TINYTALK_API_URL": api_server.base_url, "TINYTALK_EMAIL": email,
            "TINYTALK_PIN": pin}


def run(script: str, *args: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *args], env=env, cwd=cwd,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_examples(env: dict[str, str], tmp_path: Path) -> None:
    out = run("login.py", env=env, cwd=tmp_path)
    assert "logged in" in out and "Example Kid" in out and "avatar provider" in out
    out = run("chat_stream.py", "I goed to the park", env=env, cwd=tmp_path)
    assert "went" in out and "first token after" in out
    out = run("speak.py", "good morning, my friend", "hello.wav", env=env, cwd=tmp_path)
    assert "bytes of audio/" in out and (tmp_path / "hello.wav").stat().st_size > 1000
    out = run("transcribe.py", str(tmp_path / "hello.wav"), env=env, cwd=tmp_path)
    assert "text:" in out and "duration:" in out


BENCH = EXAMPLES.parent / "bench"


@pytest.mark.parametrize(("script", "args"), [("sse.py", ["--events", "300", "--repeat", "1"]),
                                              ("overhead.py", ["--requests", "25"])])
def test_benches_run_and_print_a_ratio(script: str, args: list[str]) -> None:
    """Not timed: only that the bench still runs and reports its ratio against the in-run baseline."""
    result = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "baseline" in result.stdout and "ratio SDK /" in result.stdout
