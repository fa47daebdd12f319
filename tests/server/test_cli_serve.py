"""`tinytalk serve` as a user runs it, and the demo's `server` step."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests._mariadb import free_port

TINYTALK = str(Path(sys.executable).parent / "tinytalk")


def test_serve_help_has_the_flags_and_an_example() -> None:
    from tinytalk_cli.main import app

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for text in ("--host", "--port", "--faults", "Example: tinytalk serve"):
        assert text in result.output


def test_serve_migrates_and_answers(isolated_env: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([TINYTALK, "serve", "--host", "127.0.0.1", "--port", str(port), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/health.php", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.1)
        assert r.json()["data"]["database"] == "ok"
        reg = httpx.post(f"http://127.0.0.1:{port}/api/auth_register.php",
                         json={"email": "s@example.com", "pin": "1234", "name": "S"})
        assert reg.status_code == 201  # the tables exist: serve migrated the profile's database
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/api" in err and out.startswith("{")
    data = isolated_env / "data"
    assert (data / "default.db").exists() and (data / "cdn").is_dir() and (data / "uploads").is_dir()


def test_serve_rejects_a_bad_fault_plan() -> None:
    from tinytalk_cli.main import app

    result = CliRunner().invoke(app, ["serve", "--faults", "health.php:teapot:1"])
    assert result.exit_code == 4 and "unknown mode" in result.output


def test_demo_server_step(isolated_env: Path) -> None:
    from tinytalk_cli._context import AppContext
    from tinytalk_cli.demo_steps import DemoEnv
    from tinytalk_cli.demo_steps.server import run

    env = DemoEnv(app=AppContext(), quiet=True)
    run(env)
    url = env.facts["api_url"]
    assert url.startswith("http://127.0.0.1:") and url.endswith("/api")
    assert httpx.get(url + "/health.php", timeout=5).json()["data"]["status"] == "ok"
    env.close()
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/health.php", timeout=2)
