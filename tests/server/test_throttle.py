"""Finding 1 of issue 12: PIN brute force. Logins and registrations are throttled per account and per
client address, counted in the database (so a lock holds across a restart), 429 + Retry-After with the
``too_many_attempts`` code; ``members show`` / ``members unlock``; the SDK raises AuthThrottledError."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from tinytalk_sdk import AuthThrottledError, TinyTalk
from tinytalk_sdk.auth_throttle import AuthLimits, ThrottleRule
from tinytalk_sdk.server import create_app
from tinytalk_sdk.types import ErrorEnvelope

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def _client(engine: Any, tmp_path: Path, clock: Clock, limits: AuthLimits | None = None) -> TestClient:
    app = create_app(engine, uploads_dir=tmp_path, fault="", clock=clock, auth_limits=limits)
    return TestClient(app, base_url="http://t/api")


def _register(c: TestClient, email: str, pin: str = "4321") -> None:
    r = c.post("/auth_register.php", json={"email": email, "pin": pin, "name": "Kim"})
    assert r.status_code == 201, r.text


def _login(c: TestClient, email: str, pin: str) -> Any:
    return c.post("/auth_login.php", json={"email": email, "pin": pin})


def _throttled(r: Any) -> int:
    assert r.status_code == 429, r.text
    body = ErrorEnvelope.model_validate(r.json())
    assert body.error.code == "too_many_attempts"
    return int(r.headers["retry-after"])


def test_wrong_pins_lock_the_account_with_a_growing_delay(sqlite_engine: Any, tmp_path: Path) -> None:
    clock = Clock()
    with _client(sqlite_engine, tmp_path, clock) as c:
        _register(c, "kim@school.kr")
        for pin in ("0000", "0001", "0002", "0003", "0004", "0005"):  # 5 free, the 6th locks
            assert _login(c, "kim@school.kr", pin).status_code == 401
        assert _throttled(_login(c, "kim@school.kr", "4321")) == 30  # even the right PIN waits
        clock.advance(31)
        assert _login(c, "kim@school.kr", "0006").status_code == 401
        assert _throttled(_login(c, "kim@school.kr", "0007")) == 60  # the lock doubles
        clock.advance(61)
        assert _login(c, "kim@school.kr", "4321").status_code == 200  # right PIN: the counter is cleared
        for pin in ("0000", "0001", "0002", "0003", "0004"):
            assert _login(c, "kim@school.kr", pin).status_code == 401
        assert _login(c, "kim@school.kr", "4321").status_code == 200


def test_ten_thousand_pins_do_not_fall_in_ten_minutes(sqlite_engine: Any, tmp_path: Path) -> None:
    clock = Clock()
    tried = 0
    with _client(sqlite_engine, tmp_path, clock) as c:
        _register(c, "lee@school.kr", pin="9999")
        while clock.now < T0 + dt.timedelta(minutes=10):
            r = _login(c, "lee@school.kr", f"{tried:04d}")
            if r.status_code == 429:
                clock.advance(int(r.headers["retry-after"]))  # the attacker waits exactly as told
                continue
            assert r.status_code == 401
            tried += 1
            clock.advance(0.5)
    assert tried < 12  # an unthrottled server answered ~1,200 in ten minutes (0.5 s each)


def test_a_lock_holds_across_a_restart_and_unknown_emails_lock_too(engine: Any, tmp_path: Path) -> None:
    clock = Clock()  # on SQLite and MariaDB (row locks: SELECT … FOR UPDATE)
    with _client(engine, tmp_path, clock) as c:
        for i in range(6):
            assert _login(c, "nobody@school.kr", f"{i:04d}").status_code == 401
    with _client(engine, tmp_path, clock) as again:  # a new process on the same database
        assert _throttled(_login(again, "nobody@school.kr", "1111")) == 30
    with engine.connect() as conn:
        from sqlalchemy import text

        rows = conn.execute(text("SELECT scope, attempts FROM auth_throttles ORDER BY scope")).all()
    assert [tuple(r) for r in rows] == [("login_account", 6), ("login_address", 6)]


def test_pin_spraying_from_one_address_locks_the_address(sqlite_engine: Any, tmp_path: Path) -> None:
    clock = Clock()
    limits = AuthLimits(login_address=ThrottleRule(free=3, base_lock=10, max_lock=60, window=600))
    with _client(sqlite_engine, tmp_path, clock, limits) as c:
        _register(c, "park@school.kr")
        for i in range(4):  # one PIN each over many accounts: no account reaches its limit
            assert _login(c, f"kid{i}@school.kr", "1234").status_code == 401
        assert _throttled(_login(c, "park@school.kr", "4321")) == 10
        clock.advance(11)
        assert _login(c, "park@school.kr", "4321").status_code == 200


def test_registration_floods_are_throttled(sqlite_engine: Any, tmp_path: Path) -> None:
    clock = Clock()
    limits = AuthLimits(register_address=ThrottleRule(free=3, base_lock=60, max_lock=600, window=3600))
    with _client(sqlite_engine, tmp_path, clock, limits) as c:
        for i in range(4):  # 3 free; the 4th goes through and starts the lock
            _register(c, f"new{i}@school.kr")
        flood = {"email": "x@school.kr", "pin": "1234", "name": "N"}
        assert _throttled(c.post("/auth_register.php", json=flood)) == 60
        clock.advance(61)
        _register(c, "new4@school.kr")  # one more per lock, and the lock grows
        assert _throttled(c.post("/auth_register.php", json=flood)) == 120
    assert AuthLimits().register_address.free == 30  # the documented default


def test_members_show_and_unlock(sqlite_engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tinytalk_cli.main import app as cli

    clock = Clock()
    clock.now = dt.datetime.now(dt.UTC)  # members show compares the lock with the wall clock
    with _client(sqlite_engine, tmp_path, clock) as c:
        _register(c, "choi@school.kr")
        for i in range(6):
            _login(c, "choi@school.kr", f"{i:04d}")
        monkeypatch.setenv("TINYTALK_DATABASE_URL", str(sqlite_engine.url))
        runner = CliRunner()
        shown = runner.invoke(cli, ["members", "show", "choi@school.kr", "--json"])
        assert shown.exit_code == 0, shown.output
        data = json.loads(shown.stdout)
        assert data["failed_logins"] == 6 and data["locked"] is True and data["locked_until"]
        unlocked = runner.invoke(cli, ["members", "unlock", "choi@school.kr", "--json"])
        assert unlocked.exit_code == 0 and json.loads(unlocked.stdout)["unlocked"] is True
        assert _login(c, "choi@school.kr", "4321").status_code == 200
        after = json.loads(runner.invoke(cli, ["members", "show", "choi@school.kr", "--json"]).stdout)
        assert after["failed_logins"] == 0 and after["locked"] is False
        missing = runner.invoke(cli, ["members", "unlock", "ghost@school.kr"])
        assert missing.exit_code == 5


def test_the_sdk_raises_a_typed_error_and_does_not_retry(sqlite_engine: Any, tmp_path: Path) -> None:
    clock = Clock()
    with _client(sqlite_engine, tmp_path, clock) as c:
        _register(c, "jung@school.kr")
        for i in range(6):
            _login(c, "jung@school.kr", f"{i:04d}")
        seen: list[str] = []
        c.event_hooks["request"].append(lambda request: seen.append(request.url.path))
        sdk = TinyTalk(base_url="http://t/api", http_client=c)
        with pytest.raises(AuthThrottledError) as caught:
            sdk.auth.login(email="jung@school.kr", pin="4321")
        assert caught.value.status == 429 and caught.value.retry_after == 30
        assert "members unlock" in (caught.value.hint or "")
        assert seen == ["/api/auth_login.php"]  # one attempt: a retry would count as another failure


def test_serve_can_raise_the_per_address_limit() -> None:
    from tinytalk_cli.main import app as cli

    raised = AuthLimits().with_address_limit(200)
    assert raised.login_address.free == raised.register_address.free == 200
    assert raised.login_account == AuthLimits().login_account  # the per-account rule stays
    result = CliRunner().invoke(cli, ["serve", "--address-limit", "0"])
    assert result.exit_code == 2  # at least 1: there is no "off"
