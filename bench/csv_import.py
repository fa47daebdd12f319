"""Time `assignments import` of 100,000 CSV rows against a naive per-row ORM loop, in the same run.

    .venv/bin/python bench/csv_import.py [--rows 100000] [--naive-rows N] [--no-mariadb]

Both paths read and validate the same CP949 file the same way (decode, header aliases, JSON Schema per
row); they differ only in how they talk to the database:

- bulk (tinytalk_sdk.admin.assignments): a few chunked SELECTs to load users and existing assignments, one
  executemany INSERT, one executemany UPDATE, one transaction;
- naive: per row, an ORM query for the user, one for the assignment, ``session.add`` and ``session.flush()``.

Runs on SQLite, and on MariaDB when ``TINYTALK_BENCH_MARIADB_URL`` names a database or a local ``mariadbd``
can be started (tests/_mariadb.py). ``--naive-rows`` times the naive loop on fewer rows and scales the time
linearly (it is linear: one round trip per row), to keep the MariaDB run short.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def seed(url: str, n: int) -> None:
    """Migrate, then n users in 100 classes and two characters (bulk: seeding is not what we time)."""
    import datetime as dt

    from sqlalchemy import insert

    from tinytalk_sdk.db import make_engine
    from tinytalk_sdk.db.migrate import upgrade
    from tinytalk_sdk.db.models import AiCharacter, User

    engine = make_engine(url)
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(insert(AiCharacter), [{"code": c, "name": c, "is_active": True, "is_default": False,
                                            "created_at": now} for c in ("haru", "mina")])
        for start in range(0, n, 10_000):
            conn.execute(insert(User), [
                {"email": f"s{i}@bench.kr", "pin_hash": "x", "name": f"학생{i}", "student_no": str(20240000 + i),
                 "school": "한빛초", "class_name": f"{i % 100}반", "locale": "ko", "is_active": True,
                 "created_at": now}
                for i in range(start, min(n, start + 10_000))
            ])
    engine.dispose()


def write_csv(path: Path, n: int, character: str = "haru") -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["이메일", "이름", "학번", "학교", "반", "캐릭터"])
    for i in range(n):
        writer.writerow([f"s{i}@bench.kr", f"학생{i}", str(20240000 + i), "한빛초", f"{i % 100}반", character])
    path.write_bytes(buf.getvalue().encode("cp949"))


def naive_import(engine: Any, path: Path, limit: int | None = None) -> int:
    """The per-row ORM loop a first version would write (same parsing and validation as the real import)."""
    from sqlalchemy import select

    from tinytalk_sdk.admin.assignments import _map_header, _parse_rows
    from tinytalk_sdk.admin.csvfile import read_table
    from tinytalk_sdk.db.models import AiCharacter, StudentCharacterAssignment, User
    from tinytalk_sdk.db.session import transaction

    table = read_table(path)
    index, shown = _map_header(table)
    rows = _parse_rows(table, index, shown)[:limit]
    done = 0
    with transaction(engine) as session:
        for row in rows:
            user = session.scalars(select(User).where(User.email == row.values["email"])).first()
            char = session.scalars(select(AiCharacter).where(AiCharacter.code == row.values["character"])).first()
            if user is None or char is None:
                continue
            existing = session.scalars(
                select(StudentCharacterAssignment).where(StudentCharacterAssignment.user_id == user.id)
            ).first()
            if existing is None:
                session.add(StudentCharacterAssignment(user_id=user.id, character_id=char.id,
                                                       school=row.values.get("school"),
                                                       class_name=row.values.get("class"), source="naive"))
            elif existing.character_id != char.id:
                existing.character_id = char.id
            session.flush()
            done += 1
    return done


def clear(engine: Any) -> None:
    from sqlalchemy import delete

    from tinytalk_sdk.db.models import StudentCharacterAssignment

    with engine.begin() as conn:
        conn.execute(delete(StudentCharacterAssignment))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def run(label: str, url: str, n: int, naive_rows: int, folder: Path) -> None:
    from tinytalk_sdk.admin.assignments import import_assignments
    from tinytalk_sdk.db import make_engine

    seed(url, n)
    path = folder / f"assign-{n}.csv"
    write_csv(path, n)
    changed = folder / f"assign-{n}-mina.csv"
    write_csv(changed, n, "mina")
    engine = make_engine(url)
    try:
        t_bulk, result = timed(lambda: import_assignments(engine, path))
        assert len(result.added) == n, result.counts
        t_noop, again = timed(lambda: import_assignments(engine, path))
        assert len(again.unchanged) == n
        t_update, upd = timed(lambda: import_assignments(engine, changed))
        assert len(upd.changed) == n
        clear(engine)
        t_naive, done = timed(lambda: naive_import(engine, path, naive_rows))
        assert done == naive_rows
        scaled = t_naive * n / naive_rows
        print(f"{label:8} {n:,} rows: bulk insert {t_bulk:6.2f} s ({n / t_bulk:,.0f} rows/s), "
              f"re-import no-op {t_noop:5.2f} s, bulk update {t_update:5.2f} s")
        note = "" if naive_rows == n else f" (timed on {naive_rows:,} rows, scaled)"
        print(f"{label:8} naive per-row ORM loop {scaled:7.2f} s{note}  →  bulk is {scaled / t_bulk:.1f}× faster")
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--naive-rows", type=int, default=None, help="rows for the naive loop (default: all)")
    parser.add_argument("--no-mariadb", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run("sqlite", f"sqlite:///{folder / 'bench.db'}", args.rows, args.naive_rows or args.rows, folder)
        if args.no_mariadb:
            return
        url = os.environ.get("TINYTALK_BENCH_MARIADB_URL")
        server = None
        if not url:
            sys.path.insert(0, str(ROOT))
            from tests._mariadb import start_mariadb

            try:
                server = start_mariadb()
            except (FileNotFoundError, RuntimeError) as exc:
                print(f"mariadb  skipped: {exc}")
                return
            url = server.create_database()
        try:
            run("mariadb", url, args.rows, args.naive_rows or min(args.rows, 20_000), folder)
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
