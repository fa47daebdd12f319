"""What the database-backed Idempotency-Key store and the login throttle cost per request.

In-process (Starlette's TestClient, no sockets) on a fresh SQLite file: the same endpoint with and
without an ``Idempotency-Key``, and a replayed key, measured in the same run.

    python bench/idempotency.py [--n 150] [--db URL]

Prints milliseconds per request and the ratio keyed / plain. Not a test.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable


def per_call_ms(fn: Callable[[int], object], n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - started) / n * 1000


def main() -> None:
    from starlette.testclient import TestClient

    from tinytalk_sdk.db import make_engine
    from tinytalk_sdk.db.migrate import upgrade
    from tinytalk_sdk.server import create_app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=150)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="tinytalk-bench-")
    engine = make_engine(args.db or f"sqlite:///{folder}/bench.db")
    upgrade(engine)
    client = TestClient(create_app(engine, uploads_dir=folder, fault=""), base_url="http://bench/api")
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    token = client.post("/auth_register.php", json={"email": email, "pin": "1234", "name": "B"}).json()["data"]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    n, few = args.n, max(5, args.n // 5)

    def create(key: str | None) -> Callable[[int], object]:
        return lambda _i: client.post("/create_session.php", json={}, headers={
            **auth, **({"Idempotency-Key": key or uuid.uuid4().hex} if key != "none" else {})})

    def login(keyed: bool) -> Callable[[int], object]:
        return lambda _i: client.post("/auth_login.php", json={"email": email, "pin": "1234"},
                                      headers={"Idempotency-Key": uuid.uuid4().hex} if keyed else {})

    plain = per_call_ms(create("none"), n)
    keyed = per_call_ms(create(None), n)
    replay = per_call_ms(create("same-key"), n)
    login_plain = per_call_ms(login(False), few)
    login_keyed = per_call_ms(login(True), few)
    print(f"create_session  plain {plain:7.1f} ms   keyed {keyed:7.1f} ms   ratio {keyed / plain:4.2f}"
          f"   replay {replay:6.1f} ms")
    print(f"auth_login      plain {login_plain:7.1f} ms   keyed {login_keyed:7.1f} ms   ratio "
          f"{login_keyed / login_plain:4.2f}   (bcrypt + throttle; keyed adds scrypt sealing)")
    engine.dispose()


if __name__ == "__main__":
    main()
