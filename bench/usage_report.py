"""Time `usage report` over 1,000,000 api_usage_logs rows on SQLite, and its peak Python memory.

    .venv/bin/python bench/usage_report.py [--rows 1000000] [--db /tmp/usage-bench.db] [--keep]

Rows are generated inside SQLite in one statement (see ``GENERATE``): 5 services/models, 2,000 users in 20
schools, 2 % errors, 90 days, every cost left to the report to price in SQL (its slowest path).
Peak memory is measured with tracemalloc (Python allocations) and
ru_maxrss (the whole process, including SQLite's page cache).
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

# One row in five per model; every figure is a function of the row number i, so totals can be checked by hand:
# per 5 rows gpt-4o 1000/100 tokens ($0.0035) + gpt-4o-mini 1000/100 ($0.00021) + whisper-1 30 s ($0.003)
# + eleven_flash_v2_5 200 chars ($0.01) + heygen 2 min ($0.396) = $0.41271, latency (i % 1000) + 1 ms,
# one error in 50, spread over 90 days. Costs are left NULL so the report prices every row in SQL (the worst case).
GENERATE = """
WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < :n)
INSERT INTO api_usage_logs (service, operation, model, user_id, input_tokens, output_tokens, characters,
  audio_seconds, session_minutes, latency_ms, status, created_at)
SELECT
  CASE i % 5 WHEN 3 THEN 'elevenlabs' WHEN 4 THEN 'heygen' ELSE 'openai' END,
  CASE i % 5 WHEN 2 THEN 'stt' WHEN 3 THEN 'tts' WHEN 4 THEN 'heygen_session' ELSE 'chat' END,
  CASE i % 5 WHEN 0 THEN 'gpt-4o' WHEN 1 THEN 'gpt-4o-mini' WHEN 2 THEN 'whisper-1'
             WHEN 3 THEN 'eleven_flash_v2_5' END,
  i % :users + 1,
  CASE WHEN i % 5 < 2 THEN 1000 END,
  CASE WHEN i % 5 < 2 THEN 100 END,
  CASE WHEN i % 5 = 3 THEN 200 END,
  CASE WHEN i % 5 = 2 THEN 30.0 END,
  CASE WHEN i % 5 = 4 THEN 2.0 END,
  i % 1000 + 1,
  CASE WHEN i % 50 = 0 THEN 'error' ELSE 'ok' END,
  strftime('%Y-%m-%d %H:%M:%f', '2026-09-01', '+' || (i % 90) || ' days', '+' || (i % 86400) || ' seconds')
FROM seq
"""
COST_PER_5_ROWS = Decimal("0.41271")


def build(db_path: Path, n: int, *, users: int = 2000) -> float:
    """Migrate an empty SQLite database and fill it with ``n`` usage rows and ``users`` users. Returns seconds.

    The rows are generated inside SQLite (a recursive CTE), with the table's indexes dropped during the insert
    and rebuilt after: sorting once is far cheaper than a million B-tree inserts.
    """
    from tinytalk_sdk.db import make_engine
    from tinytalk_sdk.db.migrate import upgrade

    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    engine.dispose()
    started = time.perf_counter()
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA synchronous=OFF")
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'api_usage_logs' "
        "AND sql IS NOT NULL"
    ).fetchall()
    with con:
        con.executemany(
            "INSERT INTO users (id, email, pin_hash, name, school, class_name, locale, is_active, created_at) "
            "VALUES (?, ?, 'x', ?, ?, ?, 'ko', 1, '2026-01-01 00:00:00.000000')",
            ((u, f"u{u}@bench.kr", f"학생{u}", f"학교{u % 20}", f"{u % 6 + 1}-{u % 4 + 1}")
             for u in range(1, users + 1)),
        )
        for name, _sql in indexes:
            con.execute(f'DROP INDEX "{name}"')
        con.execute(GENERATE, {"n": n, "users": users})
        for _name, sql in indexes:
            con.execute(sql)
    con.close()
    return time.perf_counter() - started


def timed_report(db_path: Path, by: str) -> tuple[float, int, int]:
    """(seconds, rows in the report, tracemalloc peak bytes) of one report."""
    from tinytalk_sdk.admin.usage import usage_report
    from tinytalk_sdk.db import make_engine

    engine = make_engine(f"sqlite:///{db_path}")
    tracemalloc.start()
    started = time.perf_counter()
    report = usage_report(engine, by=by, exclude_tags=["smoke"])
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    engine.dispose()
    return elapsed, len(report.rows), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    db_path = args.db or Path(folder.name) / "usage-bench.db"
    if db_path.exists():
        db_path.unlink()
    built = build(db_path, args.rows)
    print(f"built {args.rows:,} rows in {built:.1f} s ({args.rows / built:,.0f} rows/s)")
    for by in ("service", "day", "school", "user", "model"):
        elapsed, groups, peak = timed_report(db_path, by)
        print(f"report --by {by:<8} {elapsed:6.2f} s  {groups:5d} groups  tracemalloc peak {peak / 1e6:6.2f} MB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss:.0f} MB")
    if not args.keep:
        folder.cleanup()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
