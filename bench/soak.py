"""Soak the local API server: mixed traffic from several SDK clients while faults are injected.

Loopback only, bounded in time: a server on a fresh SQLite database (or ``--db URL``), ``--workers``
threads each playing a pupil through the SDK (register, log in, create sessions, chat, feedback, save,
list, read history) with the SDK's retries and idempotency keys, while an injector keeps adding faults
(connections dropped after the work is committed, 429s, stalls) and the server is restarted
``--restarts`` times mid-run on the same port and database.

    python bench/soak.py [--seconds 60] [--workers 6] [--restarts 1] [--db URL] [--json]

Prints requests sent, 5xx answers, duplicate rows and lost writes — all but the first must be 0 — and
exits 1 otherwise. A write the client saw acknowledged must be in the database exactly once; a write whose
outcome the client could not learn (every retry dropped) may be there once or not at all.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tinytalk_sdk import APIError, TinyTalk
from tinytalk_sdk._retry import RetryPolicy

FAULTS = [
    "create_session.php:drop:1", "gpt_feedback.php:drop:1", "auth_register.php:drop:1",
    "auth_login.php:drop:1", "session_save.php:drop:1", "gpt_stream.php:drop:1", "get_sessions.php:429=0:1",
    "get_chat_history.php:drop:1", "create_session.php:429=0:1", "gpt_feedback.php:stall=0.2:1",
]
POLICY = RetryPolicy(max_retries=8, initial_delay=0.05, max_delay=1.5, deadline=20.0)  # rides out a restart


@dataclass
class Tally:
    """What one worker's pupils saw: acknowledged writes, writes of unknown outcome, traffic."""

    users: dict[str, int] = field(default_factory=dict)  # email -> user id (acknowledged)
    sessions: dict[int, set[int]] = field(default_factory=dict)  # user id -> acknowledged session ids
    unknown_sessions: dict[int, int] = field(default_factory=dict)
    messages: dict[int, int] = field(default_factory=dict)  # session id -> acknowledged chat rows
    unknown_messages: dict[int, int] = field(default_factory=dict)
    requests: int = 0
    server_errors: int = 0
    gave_up: dict[str, int] = field(default_factory=dict)  # "ErrorClass endpoint" -> count


class Counter:
    def __init__(self, tally: Tally, lock: threading.Lock) -> None:
        self.tally, self.lock = tally, lock

    def request(self, _request: httpx.Request) -> None:
        with self.lock:
            self.tally.requests += 1

    def response(self, response: httpx.Response) -> None:
        if response.status_code >= 500:
            with self.lock:
                self.tally.server_errors += 1


def _pupil(base_url: str, tally: Tally, lock: threading.Lock, stop: float, seed: int) -> None:
    rng = random.Random(seed)
    counter = Counter(tally, lock)
    http = httpx.Client(timeout=10, event_hooks={"request": [counter.request], "response": [counter.response]})
    sdk = TinyTalk(base_url=base_url, http_client=http, retry_policy=POLICY, max_retries=POLICY.max_retries)
    email = f"soak-{uuid.uuid4().hex[:12]}@example.com"
    try:
        user = _once(lambda: sdk.auth.register(email=email, pin="2580", name="Soak"), tally, lock)
        if user is None:  # unknown outcome: the account may exist; logging in tells (never register twice)
            user = _until_done(lambda: sdk.auth.login(email=email, pin="2580"), tally, lock)
        if user is None:
            return
        uid = user.user.id
        with lock:
            tally.users[email] = uid
            tally.sessions.setdefault(uid, set())
        current: int | None = None
        while time.monotonic() < stop:
            action = rng.choice(["session", "feedback", "feedback", "chat", "save", "list", "history", "login"])
            if action == "session" or current is None:
                made = _once(lambda: sdk.sessions.create(title="soak"), tally, lock)
                with lock:
                    if made is None:
                        tally.unknown_sessions[uid] = tally.unknown_sessions.get(uid, 0) + 1
                    else:
                        current = made.session.id
                        tally.sessions[uid].add(current)
                continue
            _act(sdk, action, current, email, tally, lock)
    finally:
        sdk.close()
        http.close()


def _act(sdk: TinyTalk, action: str, sid: int, email: str, tally: Tally, lock: threading.Lock) -> None:
    """One step of a pupil in session ``sid``."""
    if action == "feedback":
        done = _once(lambda: sdk.pipeline.feedback(message="I goed to school", session_id=sid), tally, lock)
        _count_messages(tally, lock, sid, done is not None)
    elif action == "chat":
        done = _once(lambda: sdk.pipeline.chat_stream(session_id=sid, message="Hello!").until_done(), tally, lock)
        _count_messages(tally, lock, sid, done is not None)
    elif action == "save":
        _once(lambda: sdk.sessions.save(session_id=sid, title="saved"), tally, lock)
    elif action == "list":
        _once(lambda: sdk.sessions.list(limit=5), tally, lock)
    elif action == "history":
        _once(lambda: sdk.sessions.history(session_id=sid), tally, lock)
    else:
        _once(lambda: sdk.auth.login(email=email, pin="2580"), tally, lock)


def _count_messages(tally: Tally, lock: threading.Lock, sid: int, acknowledged: bool) -> None:
    with lock:
        book = tally.messages if acknowledged else tally.unknown_messages
        book[sid] = book.get(sid, 0) + 2  # the pupil's line and the tutor's answer


def _once(call: Any, tally: Tally, lock: threading.Lock) -> Any:
    """The call's result, or None when the SDK gave up (its outcome is then unknown)."""
    try:
        return call()
    except APIError as exc:
        what = f"{type(exc).__name__} {exc.status or ''} {getattr(exc, 'code', '')} {exc.endpoint}".replace("  ", " ")
        with lock:
            tally.gave_up[what] = tally.gave_up.get(what, 0) + 1
        return None


def _until_done(call: Any, tally: Tally, lock: threading.Lock, tries: int = 5) -> Any:
    for _ in range(tries):
        result = _once(call, tally, lock)
        if result is not None:
            return result
    return None


def _injector(server_ref: list[Any], stop: float, rng: random.Random) -> None:
    while time.monotonic() < stop:
        with contextlib.suppress(Exception):  # the server is being restarted: skip this one
            server_ref[0].faults.add(rng.choice(FAULTS))
        time.sleep(rng.uniform(0.1, 0.5))  # about one request in ten meets a fault


def _audit(engine_url: str, tally: Tally) -> dict[str, int]:
    from sqlalchemy import text

    from tinytalk_sdk.db import make_engine

    duplicates = lost = 0
    engine = make_engine(engine_url)
    try:
        with engine.connect() as conn:
            emails = conn.execute(text("SELECT LOWER(email) AS e, COUNT(*) AS n FROM users GROUP BY LOWER(email)"))
            found = {row.e: row.n for row in emails}
            lost += sum(1 for e in tally.users if e.lower() not in found)
            duplicates += sum(n - 1 for n in found.values() if n > 1)
            for uid, acked in tally.sessions.items():
                ids = {r[0] for r in conn.execute(text("SELECT id FROM chat_sessions WHERE user_id = :u"), {"u": uid})}
                lost += len(acked - ids)
                duplicates += max(0, len(ids) - len(acked) - tally.unknown_sessions.get(uid, 0))
            sids = set(tally.messages) | set(tally.unknown_messages)
            for sid in sids:
                have = conn.execute(text("SELECT COUNT(*) FROM chat_messages WHERE session_id = :s"),
                                    {"s": sid}).scalar_one()
                low = tally.messages.get(sid, 0)
                lost += max(0, low - have)
                duplicates += max(0, have - low - tally.unknown_messages.get(sid, 0))
    finally:
        engine.dispose()
    return {"duplicate_rows": duplicates, "lost_writes": lost}


def run_soak(*, seconds: float = 60.0, workers: int = 6, restarts: int = 1, db: str | None = None,
             seed: int = 12) -> dict[str, Any]:
    """Run the soak; the figures printed by ``main``."""
    import logging

    from tinytalk_sdk.auth_throttle import AuthLimits, ThrottleRule
    from tinytalk_sdk.server import start_background_server

    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)  # one line per injected drop otherwise
    folder = Path(tempfile.mkdtemp(prefix="tinytalk-soak-"))
    url = db or f"sqlite:///{folder / 'soak.db'}"
    # Every pupil comes from 127.0.0.1: lift the per-address rules (the per-account one stays).
    lifted = ThrottleRule(free=1_000_000, base_lock=1, max_lock=1, window=3600)
    limits = AuthLimits(login_address=lifted, register_address=lifted)

    def start(port: int = 0) -> Any:
        return start_background_server(url, port=port, uploads_dir=folder / "uploads", fault="",
                                       auth_limits=limits)

    server = [start()]
    base_url, port = server[0].base_url, server[0].port
    started = time.monotonic()
    stop = started + seconds
    tally, lock = Tally(), threading.Lock()
    threads = [threading.Thread(target=_pupil, args=(base_url, tally, lock, stop, seed + i), daemon=True)
               for i in range(workers)]
    threads.append(threading.Thread(target=_injector, args=(server, stop, random.Random(seed)), daemon=True))
    for t in threads:
        t.start()
    for n in range(restarts):  # evenly spaced: the idempotency keys must outlive the process
        time.sleep(max(0.0, started + seconds * (n + 1) / (restarts + 1) - time.monotonic()))
        server[0].stop()
        server[0] = start(port)
    for t in threads:
        t.join(seconds + 60)
    server[0].stop()
    audit = _audit(url, tally)
    return {
        "seconds": round(time.monotonic() - started, 1), "workers": workers, "restarts": restarts,
        "requests": tally.requests, "server_errors_5xx": tally.server_errors, **audit,
        "pupils": len(tally.users), "sessions": sum(len(s) for s in tally.sessions.values()),
        "chat_rows_acknowledged": sum(tally.messages.values()), "calls_given_up": dict(sorted(tally.gave_up.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="traffic duration (max 300)")
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--restarts", type=int, default=1)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run_soak(seconds=min(args.seconds, 300.0), workers=args.workers, restarts=args.restarts, db=args.db)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    bad = result["server_errors_5xx"] + result["duplicate_rows"] + result["lost_writes"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
