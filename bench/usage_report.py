"""A 90-day `usage report` on SQLite four ways, with ratios against the raw SQL query typed by hand.

    .venv/bin/python bench/usage_report.py [--rows 200000] [--days 90] [--db /tmp/usage-bench.db] [--keep]
        [--no-exact] [--mariadb-url URL] [--reuse]

Rows are generated inside SQLite in one statement (see ``GENERATE``): 5 services/models, 2,000 users in 20
schools, 2 % errors, 90 days, every cost left to the report to price in SQL (its slowest path). Then, per
grouping, in one run:

- ``hand``: the baseline — one window-function query typed by hand (sums + nearest-rank p50/p95, no price CASE);
- ``exact``: ``usage report --exact`` (the raw SQL path);
- ``rollups``: ``usage report`` after ``usage rollup``, with 0.1 % fresh rows above the watermark (the open
  edge, read raw) and a range that starts mid-day (partial periods, read raw);
- ``duckdb``: ``usage report --engine duckdb`` over ``usage export --format parquet``.

Ratios are each time / hand. The goal (issue 15): rollups ≤ 0.05× at 1M rows, flat from 1M to 10M
(``--rows 10000000``: ten times the density; ``--rows 10000000 --days 900``: ten times the history behind the
same report). Peak memory: tracemalloc per report (Python allocations) and ru_maxrss (the process,
SQLite page cache and DuckDB included). The default size is modest so it runs in a minute or two.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

# One row in five per model; every figure is a function of the row number i, so totals can be checked by hand:
# per 5 rows gpt-4o 1000/100 tokens ($0.0035) + gpt-4o-mini 1000/100 ($0.00021) + whisper-1 30 s ($0.003)
# + eleven_flash_v2_5 200 chars ($0.01) + heygen 2 min ($0.396) = $0.41271, latency (i % 1000) + 1 ms,
# one error in 50, spread over 90 days so that every hour sees every service and a pupil calls on most days
# (not the same few: 7 and 7919 share no factor with 5, 90, 2000 or 86400). Costs are left NULL so the
# report prices every row in SQL (the worst case).
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
  strftime('%Y-%m-%d %H:%M:%f', '2026-09-01', '+' || ((i / 7) % 90) || ' days',
           '+' || ((i * 7919) % 86400) || ' seconds')
FROM seq
"""
COST_PER_5_ROWS = Decimal("0.41271")

# The same rows on MariaDB, from the SEQUENCE engine's seq_0_to_N table instead of a recursive CTE.
GENERATE_MARIADB = (
    GENERATE.split("INSERT INTO", 1)[1].split("FROM seq")[0]
    .replace("strftime('%Y-%m-%d %H:%M:%f', '2026-09-01', '+' || ((i / 7) % 90) || ' days',\n"
             "           '+' || ((i * 7919) % 86400) || ' seconds')",
             "TIMESTAMP('2026-09-01') + INTERVAL ((i DIV 7) % 90) DAY + INTERVAL ((i * 7919) % 86400) SECOND")
    .replace(":users", "{users}").replace("i % ", "seq % ").replace("i DIV", "seq DIV").replace("(i *", "(seq *")
    .replace("i % :users", "seq % {users}")
)


_SQLITE_TIME = ("strftime('%Y-%m-%d %H:%M:%f', '2026-09-01', '+' || ((i / 7) % 90) || ' days',\n"
                "           '+' || ((i * 7919) % 86400) || ' seconds')")
_MARIADB_TIME = "TIMESTAMP('2026-09-01') + INTERVAL ((seq DIV 7) % 90) DAY + INTERVAL ((seq * 7919) % 86400) SECOND"


def spread(sql: str, days: int, *, ordered: bool = False, n: int = 0) -> str:
    """``sql`` (GENERATE or GENERATE_MARIADB) with the rows spread over ``days`` days ending 2026-11-29, so
    ``--days 900`` grows the history behind the same 90-day report instead of its density. ``ordered``: row
    ``i`` of ``n`` at ``i/n`` of the way through, so ids follow time as in production (an id is taken when the
    call is logged); by default every million ids spans every day, the worst case for reading one day raw."""
    base = (dt.date(2026, 11, 30) - dt.timedelta(days=days)).isoformat()
    if ordered:
        seconds = days * 86400
        sql = (sql.replace(_SQLITE_TIME, f"strftime('%Y-%m-%d %H:%M:%f', '{base}', '+' || ((i * {seconds}) / {n})"
                                         " || ' seconds')")
               .replace(_MARIADB_TIME, f"TIMESTAMP('{base}') + INTERVAL ((seq * {seconds}) DIV {n}) SECOND"))
    return sql.replace("'2026-09-01'", f"'{base}'").replace("% 90)", f"% {days})")


def build(db_path: Path, n: int, *, users: int = 2000, days: int = 90, ordered: bool = False) -> float:
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
        con.execute(spread(GENERATE, days, ordered=ordered, n=n), {"n": n, "users": users})
        for _name, sql in indexes:
            con.execute(sql)
    con.close()
    return time.perf_counter() - started


START = dt.datetime(2026, 9, 1, 7, 30, tzinfo=dt.UTC)  # 90 days, both ends mid-day: partial periods read raw
END = START + dt.timedelta(days=90)
GROUPINGS = ("service", "day", "school", "user", "model")
_KEYS = {"service": "l.service || ''", "day": "date(l.created_at)", "school": "coalesce(u.school, '')",
         "user": "l.user_id + 0", "model": "coalesce(l.model, '')"}


def hand_sql(by: str, dialect: str = "sqlite") -> str:
    """The baseline: what one would type by hand for the report (the same planner-friendly keys)."""
    join = "LEFT JOIN users u ON u.id = l.user_id" if by == "school" else ""
    key = _KEYS[by] if dialect == "sqlite" else _KEYS[by].replace(" || ''", "").replace(" + 0", "")
    return f"""
WITH f AS (SELECT {key} AS k, l.* FROM api_usage_logs l {join}
           WHERE l.created_at >= :s AND l.created_at < :e AND (l.tag IS NULL OR l.tag <> 'smoke')),
agg AS (SELECT k, COUNT(*) AS calls, SUM(status <> 'ok') AS errors, SUM(input_tokens) AS i,
        SUM(output_tokens) AS o, SUM(characters) AS c, SUM(audio_seconds) AS a, SUM(session_minutes) AS m,
        SUM(cost_usd) AS cost FROM f GROUP BY k),
r AS (SELECT k, latency_ms, ROW_NUMBER() OVER (PARTITION BY k ORDER BY latency_ms) AS rn,
      COUNT(*) OVER (PARTITION BY k) AS n FROM f WHERE latency_ms IS NOT NULL)
SELECT agg.*, p.p50, p.p95 FROM agg LEFT JOIN
  (SELECT k, MIN(CASE WHEN rn * 100 >= n * 50 THEN latency_ms END) AS p50,
          MIN(CASE WHEN rn * 100 >= n * 95 THEN latency_ms END) AS p95 FROM r GROUP BY k) p ON p.k = agg.k
"""


def _bound(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def measure(fn: Callable[[], Any], *, memory: bool = False, runs: int = 1) -> tuple[float, int, Any]:
    """(seconds, tracemalloc peak bytes, result) of a call: the best of ``runs`` (the fast paths run twice:
    the first call also pays one-off statement compilation and imports). With ``memory`` once more, traced
    for its peak (tracemalloc slows Python several times, so it is never timed)."""
    elapsed = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        elapsed = min(elapsed, time.perf_counter() - started)
    peak = 0
    if memory:
        tracemalloc.start()
        fn()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return elapsed, peak, result


def build_mariadb(url: str, n: int, *, users: int = 2000, days: int = 90, ordered: bool = False) -> float:
    """Migrate the (empty) MariaDB database at ``url`` and fill it like :func:`build`. Returns seconds."""
    from sqlalchemy import inspect, text

    from tinytalk_sdk.db import make_engine
    from tinytalk_sdk.db.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    # The secondary indexes are dropped during the insert and rebuilt after (one ALTER, sorted once), as
    # build() does on SQLite: maintaining four B-trees row by row made 10M rows take most of an hour.
    indexes = [i for i in inspect(engine).get_indexes("api_usage_logs") if i["name"]]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, email, pin_hash, name, school, class_name, locale, is_active, "
                          "created_at) VALUES (:id, :email, 'x', :name, :school, '1-1', 'ko', 1, '2026-01-01')"),
                     [{"id": u, "email": f"u{u}@bench.kr", "name": f"학생{u}", "school": f"학교{u % 20}"}
                      for u in range(1, users + 1)])
        for index in indexes:
            conn.execute(text(f"DROP INDEX `{index['name']}` ON api_usage_logs"))
    for first in range(0, n, 1_000_000):  # one statement (and commit) per million: bounded undo log
        last = min(first + 1_000_000, n) - 1
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO" + spread(GENERATE_MARIADB, days, ordered=ordered, n=n).format(users=users)
                              + f"FROM seq_{first}_to_{last}"))
    with engine.begin() as conn:
        if indexes:
            conn.execute(text("ALTER TABLE api_usage_logs " + ", ".join(
                f"ADD INDEX `{i['name']}` ({', '.join(f'`{c}`' for c in i['column_names'])})" for i in indexes)))
    engine.dispose()
    return time.perf_counter() - started


def add_open_edge(engine: Any, n: int) -> None:
    """``n`` fresh rows in the last day, inserted after the rollup: the report reads them raw."""
    from sqlalchemy import text

    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text(GENERATE.replace("'2026-09-01', '+' || ((i / 7) % 90) || ' days'", "'2026-11-29'")),
                         {"n": n, "users": 2000})
        else:
            conn.execute(text("INSERT INTO" + GENERATE_MARIADB.format(users=2000).replace(
                "TIMESTAMP('2026-09-01') + INTERVAL ((seq DIV 7) % 90) DAY", "TIMESTAMP('2026-11-29')")
                + f"FROM seq_0_to_{n - 1}"))


def main() -> None:
    from sqlalchemy import text

    from tinytalk_sdk.admin.usage import duckdb_report, export_parquet, rollup, usage_report
    from tinytalk_sdk.db import make_engine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file to build (default: a temp file)")
    parser.add_argument("--mariadb-url", default=None, help="an empty MariaDB database to build in instead")
    parser.add_argument("--days", type=int, default=90, help="spread the rows over this many days ending "
                        "2026-11-29 (the report is still the last 90): more history, the same density")
    parser.add_argument("--time-ordered", action="store_true", help="ids follow time, as in production "
                        "(default: every million ids spans every day, the worst case for the raw edge)")
    parser.add_argument("--keep", action="store_true", help="keep the database file")
    parser.add_argument("--no-exact", action="store_true", help="skip the --exact column (slow at 10M rows)")
    parser.add_argument("--reuse", action="store_true", help="keep the rows already in --mariadb-url/--db "
                        "(rollups rebuilt)")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    built = float("nan")
    if args.mariadb_url:
        url = args.mariadb_url
        if not args.reuse:
            built = build_mariadb(url, args.rows, days=args.days, ordered=args.time_ordered)
    else:
        db_path = args.db or Path(folder.name) / "usage-bench.db"
        url = f"sqlite:///{db_path}"
        if not args.reuse:
            db_path.unlink(missing_ok=True)
            built = build(db_path, args.rows, days=args.days, ordered=args.time_ordered)
    engine = make_engine(url)
    print(f"{engine.dialect.name}: built {args.rows:,} rows over {args.days} days"
          f"{' in time order' if args.time_ordered else ''} in {built:.1f} s "
          f"({args.rows / built:,.0f} rows/s)")
    # One batch unless --time-ordered: the default ids are not in time order (every million spans every day),
    # so id batches would each recompute every period; production ids follow time and batch cheaply.
    took, peak, done = measure(lambda: rollup(engine, settle_seconds=0, rebuild=args.reuse,
                                              batch_size=1_000_000 if args.time_ordered else args.rows * 2))
    print(f"usage rollup (first, all rows): {took:6.1f} s, {done.buckets:,} buckets")
    edge = max(args.rows // 1000, 1)
    add_open_edge(engine, edge)
    took, _peak, exported = measure(lambda: export_parquet(engine, Path(folder.name) / "parquet"))
    # memory: a traced export of one month (tracemalloc slows Python several times; the peak is per batch)
    tracemalloc.start()
    export_parquet(engine, Path(folder.name) / "traced", start=START, end=START + dt.timedelta(days=30))
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"usage export --format parquet: {took:6.1f} s, {exported.rows:,} rows, {len(exported.files)} months; "
          f"tracemalloc peak of a 30-day export {peak / 1e6:.0f} MB")
    print(f"{edge:,} fresh rows above the watermark (open edge); report range {START:%Y-%m-%d %H:%M} + 90 days")
    print(f"{'--by':<8} {'hand s':>8} {'exact s':>8} {'rollups s':>10} {'duckdb s':>9} {'exact':>7} "
          f"{'rollups':>8} {'duckdb':>7}  {'groups':>6} {'peak MB':>8}")
    worst = 0.0
    with engine.connect() as con:
        bounds = {"s": _bound(START), "e": _bound(END)}
        for by in GROUPINGS:
            sql = text(hand_sql(by, engine.dialect.name))
            hand, _p, _r = measure(lambda sql=sql: con.execute(sql, bounds).fetchall())
            exact = float("nan")
            if not args.no_exact:
                exact, _p, _r = measure(lambda by=by: usage_report(engine, by=by, start=START, end=END,
                                                                   exclude_tags=["smoke"], exact=True))
            fast, peak, report = measure(lambda by=by: usage_report(engine, by=by, start=START, end=END,
                                                                    exclude_tags=["smoke"]), memory=True, runs=2)
            assert report.source == "rollups", report.source_note
            if not args.no_exact:
                assert report.totals == _r.totals, "rollups disagree with --exact"
            duck, _p, _r = measure(lambda by=by: duckdb_report(Path(folder.name) / "parquet", by=by, start=START,
                                                               end=END, exclude_tags=["smoke"]), runs=2)
            worst = max(worst, fast / hand)
            print(f"{by:<8} {hand:8.2f} {exact:8.2f} {fast:10.3f} {duck:9.3f} {exact / hand:6.2f}x "
                  f"{fast / hand:7.3f}x {duck / hand:6.3f}x  {len(report.rows):6d} {peak / 1e6:8.2f}")
    took, _peak, again = measure(lambda: rollup(engine, settle_seconds=0))
    print(f"usage rollup (incremental, the {again.rows:,} fresh rows): {took:.2f} s")
    print(f"worst rollups ratio {worst:.3f}x (goal <= 0.05x)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss:.0f} MB")
    engine.dispose()
    if not args.keep:
        folder.cleanup()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
