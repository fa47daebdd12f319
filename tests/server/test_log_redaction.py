"""Finding 4 of issue 12: `tinytalk --debug serve` logged ``?token=<bearer>``, the cleanup token and the
pupil's message text. Every line, access log included, goes through redaction now. Finding 9 rides
along: ``serve --port 0 --json`` prints the port it bound."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tinytalk_sdk._logs import RedactingFormatter, install_redaction, mask_query

TINYTALK = str(Path(sys.executable).parent / "tinytalk")
CLEANUP = "cleanup-Zq8wX3vT5kLm"
MESSAGE = "My secret is that I love Minji-7731"


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([TINYTALK, *args, "serve", "--port", "0", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _first_json(proc: subprocess.Popen[str]) -> dict[str, object]:
    """The JSON object `serve --json` prints (indented over several lines) before serving."""
    assert proc.stdout is not None
    text = ""
    while True:
        line = proc.stdout.readline()
        assert line, "serve exited before printing its JSON"
        text += line
        if line.startswith("}"):
            data: dict[str, object] = json.loads(text)
            return data


def test_serve_port_0_prints_the_bound_port(isolated_env: Path) -> None:
    proc = _serve()
    try:
        info = _first_json(proc)  # printed before serving: the port is already bound
        assert isinstance(info["port"], int) and info["port"] > 0 and info["url"] == f"http://127.0.0.1:{info['port']}/api"
        r = httpx.get(f"{info['url']}/health.php", timeout=10)
        assert r.json()["data"]["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)


def test_debug_serve_logs_no_token_no_cleanup_token_no_message(isolated_env: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINYTALK_CLEANUP_TOKEN", CLEANUP)
    proc = _serve("--debug")
    try:
        url = str(_first_json(proc)["url"])
        with httpx.Client(base_url=url, timeout=30) as http:
            reg = http.post("/auth_register.php", json={"email": "log@example.com", "pin": "4821", "name": "L"})
            token = reg.json()["data"]["token"]
            auth = {"Authorization": f"Bearer {token}"}
            sid = http.post("/create_session.php", json={}, headers=auth).json()["data"]["session"]["id"]
            http.post("/gpt_stream.php", json={"session_id": sid, "message": MESSAGE}, headers=auth).read()
            # EventSource sends the token in the query: the access log must not keep it.
            http.get("/gpt_stream.php", params={"session_id": sid, "message": MESSAGE, "token": token}).read()
            http.post("/gpt_feedback.php", json={"session_id": sid, "message": MESSAGE}, headers=auth)
            assert http.get("/cleanup_uploads.php", params={"token": CLEANUP, "dry_run": "true"}).status_code == 200
            http.get("/cleanup_uploads.php", params={"token": CLEANUP + "x"})  # a wrong one, masked too
            http.post("/auth_login.php", json={"email": "log@example.com", "pin": "4821"})
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    assert "gpt_stream.php?" in err and "token=***" in err  # the access log is on, and masked
    for secret in (token, CLEANUP, MESSAGE, "Minji-7731", "4821"):
        assert secret not in err, f"{secret[:12]}… leaked into the --debug log"


def test_the_formatter_masks_arguments_and_tracebacks() -> None:
    masked = mask_query("GET /api/x.php?a=1&token=abc&key=sk-1 HTTP/1.1")
    assert masked == "GET /api/x.php?a=1&token=***&key=*** HTTP/1.1"
    fmt = RedactingFormatter("%(message)s")
    try:
        raise ValueError("Authorization: Bearer 0123456789abcdef0123")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "url %s", ("/a?token=s3cr3t",), sys.exc_info())
    text = fmt.format(record)
    assert "s3cr3t" not in text and "0123456789abcdef0123" not in text and "token=***" in text
    logger = logging.getLogger("tinytalk.test-redaction")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        install_redaction(logger)
        assert isinstance(handler.formatter, RedactingFormatter)
        assert logging.getLogger("sqlalchemy.engine").level >= logging.WARNING  # statements carry message text
    finally:
        logger.removeHandler(handler)
