"""``tinytalk usage rollup``: keep ``api_usage_rollups`` equal to the raw rows up to an id watermark.

Invariant (what the report relies on): the rollup rows are exactly the aggregate of every raw row with
``id <= api_usage_rollup_state.last_id``. One run works in batches; each batch is one transaction that

1. locks the state row (``SELECT … FOR UPDATE`` on MariaDB, ``BEGIN IMMEDIATE`` on SQLite), so a second run
   (cron overlap, the server's background thread) waits and then sees the new watermark: never double work;
2. picks the next ids ``(last_id, M]`` and the hours/days they fall in — a late row (``created_at`` in an
   already rolled-up period) simply makes that period "affected";
3. deletes and recomputes those periods from every raw row with ``id <= M`` in them;
4. rebuilds the per-user blocks above ``uday`` (2, 4, … 256 days) holding those days, each level from the
   one below it, so a block always equals the sum of its days;
5. moves the watermark to ``M`` and commits.

So a run is idempotent, incremental, and a ``kill -9`` loses at most the batch in flight (the database rolls
it back). Rows newer than ``settle_seconds`` are left to the next run: on MariaDB an id is taken at INSERT
but visible at COMMIT, and stopping at the first young row keeps an in-flight lower id from being skipped.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...pricing import PriceTable, load_price_table
from ._agg import GRAINS, STEP, USER_LEVELS, agg_select, block_start, floor_to, fold, parse_period, period_sql
from ._sql import _tables, hex_concat, lift_concat_limit, price_fingerprint, rollup_tables

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, Table

DEFAULT_BATCH = 1_000_000
DEFAULT_SETTLE_SECONDS = 60.0
# Periods recomputed per query: results stream, so this bounds the delete size, not memory.
_SPAN = {"hour": 168, "day": 7, "uday": 7}
_INSERT_CHUNK = 1000


@dataclass
class RollupResult:
    """What one :func:`rollup` run did."""

    batches: int = 0
    rows: int = 0
    buckets: int = 0
    watermark: int = 0
    rebuilt: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"batches": self.batches, "rows": self.rows, "buckets": self.buckets, "watermark": self.watermark,
                "rebuilt": self.rebuilt, "seconds": round(self.seconds, 3)}


def _begin_locked(conn: Connection, state: Table) -> Any:
    """Start the batch's transaction holding the state row's lock; create the row if a PHP-made or
    hand-built database lacks it."""
    from sqlalchemy import insert, select
    from sqlalchemy.exc import IntegrityError

    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # the database write lock, taken now rather than at 1st write
    stmt = select(state).where(state.c.id == 1).with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        try:
            conn.execute(insert(state).values(id=1, last_id=0, rows_rolled=0))
        except IntegrityError:  # another run made it first; its lock is ours once it commits
            conn.rollback()
            return _begin_locked(conn, state)
        row = conn.execute(stmt).first()
    return row


def _runs(periods: list[dt.datetime], grain: str) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Runs of periods as ``[lo, hi)``, each at most ``_SPAN[grain]`` periods long. Gaps of up to a quarter span
    are bridged: recomputing an untouched period rewrites what it already held, and one query over a few
    extra periods is far cheaper than many small ones."""
    step, span = STEP[grain], _SPAN[grain]
    bridge = step * (span // 4)
    i = 0
    while i < len(periods):
        lo = periods[i]
        j = i
        while (j + 1 < len(periods) and periods[j + 1] - periods[j] <= bridge + step
               and periods[j + 1] < lo + step * span):
            j += 1
        yield lo, periods[j] + step
        i = j + 1


def _statements(dialect: str, grain: str, table: PriceTable) -> tuple[Any, Any, int]:
    """The delete and the aggregate of one grain, over ``:lo``/``:hi``/``:upto`` (built once per batch; the
    price ``CASE`` is big, and one statement shape is compiled once)."""
    from sqlalchemy import bindparam, delete, func

    log, _users = _tables()
    rollups, _state = rollup_tables()
    lo, hi = bindparam("lo", type_=rollups.c.period_start.type), bindparam("hi", type_=rollups.c.period_start.type)
    drop = delete(rollups).where(rollups.c.grain == grain, rollups.c.period_start >= lo, rollups.c.period_start < hi)
    period = period_sql(grain, log.c.created_at, dialect)
    groups = [period, log.c.service, log.c.operation, func.coalesce(log.c.model, ""), log.c.status,
              func.coalesce(log.c.tag, ""), func.coalesce(log.c.price_table, "")]
    if grain == "uday":  # other buckets have no user (0): not grouped by at all, rather than by a constant
        groups.append(func.coalesce(log.c.user_id, 0))
    # One second of slack each side: PHP-made SQLite rows are text without microseconds, which sort before
    # the bound; the period each row falls in is decided by ``period`` alone (filtered in _recompute).
    where = [log.c.id <= bindparam("upto"), log.c.created_at >= bindparam("lo_slack", type_=log.c.created_at.type),
             log.c.created_at < bindparam("hi_slack", type_=log.c.created_at.type)]
    return drop, agg_select(log, table, groups, where), len(groups)


def _recompute(conn: Connection, grain: str, lo: dt.datetime, hi: dt.datetime, upto: int,
               statements: tuple[Any, Any, int]) -> int:
    """Replace the ``grain`` rollups of ``[lo, hi)`` by the aggregate of raw rows ``id <= upto`` there."""
    from sqlalchemy import insert

    from .histogram import encode_values

    rollups, _state = rollup_tables()
    drop, agg, n_keys = statements
    conn.execute(drop, {"lo": lo, "hi": hi})
    second = dt.timedelta(seconds=1)
    # The result streams (a server-side cursor on MariaDB), so nothing else may run on this connection until
    # it is read to the end: buckets are collected (their count is bounded by _SPAN periods), then inserted.
    result = conn.execution_options(yield_per=5000).execute(
        agg, {"upto": upto, "lo_slack": lo - second, "hi_slack": hi + second})
    batch: list[dict[str, Any]] = []
    for key, group in fold(result, n_keys):
        start = parse_period(key[0])
        if not lo <= start < hi:
            continue
        s = group.as_dict()
        count, total = group.latency_totals()
        batch.append({
            "grain": grain, "period_start": start, "service": key[1], "operation": key[2], "model": key[3],
            "status": key[4], "tag": key[5], "price_table": key[6], "user_id": int(key[7]) if grain == "uday" else 0,
            "calls": int(s["calls"]), "input_tokens": int(s["input_tokens"]),
            "output_tokens": int(s["output_tokens"]), "characters": int(s["characters"]),
            "audio_seconds": float(s["audio_seconds"]), "session_minutes": float(s["session_minutes"]),
            "cost_micros": int(s["cost_micros"]), "costed_calls": int(s["costed"]),
            "stored_calls": int(s["stored"]), "latency_count": count, "latency_sum_ms": total,
            "latency_hist": encode_values(group.latencies, group.counts),
        })
    result.close()
    for i in range(0, len(batch), _INSERT_CHUNK):
        conn.execute(insert(rollups), batch[i : i + _INSERT_CHUNK])
    return len(batch)


_BLOCK_SUMS = ("calls", "input_tokens", "output_tokens", "characters", "audio_seconds", "session_minutes",
               "cost_micros", "costed_calls", "stored_calls", "latency_count", "latency_sum_ms")
_BLOCK_KEYS = ("service", "operation", "model", "status", "tag", "price_table", "user_id")


def _merge_block(conn: Connection, level: int, lo: dt.datetime) -> int:
    """Replace the level-``level`` block starting at ``lo`` by the sum of its two halves one level down."""
    from sqlalchemy import delete, func, insert, select

    from .histogram import merge_each

    rollups, _state = rollup_tables()
    grain, child = USER_LEVELS[level], USER_LEVELS[level - 1]
    hi = lo + dt.timedelta(days=1 << level)
    conn.execute(delete(rollups).where(rollups.c.grain == grain, rollups.c.period_start == lo))
    keys = [rollups.c[k] for k in _BLOCK_KEYS]
    stmt = (select(*keys, *(func.sum(rollups.c[k]) for k in _BLOCK_SUMS),
                   hex_concat(rollups.c.latency_hist, conn.dialect.name))
            .where(rollups.c.grain == child, rollups.c.period_start >= lo, rollups.c.period_start < hi)
            .group_by(*keys))
    rows = conn.execute(stmt).all()
    if not rows:
        return 0
    n_keys, n_sums = len(_BLOCK_KEYS), len(_BLOCK_SUMS)
    hists = merge_each([bytes.fromhex(row[-1] or "") for row in rows])
    batch = []
    for row, hist in zip(rows, hists, strict=True):
        values: dict[str, Any] = {"grain": grain, "period_start": lo, "latency_hist": hist}
        values.update(zip(_BLOCK_KEYS, row[:n_keys], strict=True))
        for name, v in zip(_BLOCK_SUMS, row[n_keys : n_keys + n_sums], strict=True):
            values[name] = float(v) if name in ("audio_seconds", "session_minutes") else int(v)
        batch.append(values)
    for i in range(0, len(batch), _INSERT_CHUNK):
        conn.execute(insert(rollups), batch[i : i + _INSERT_CHUNK])
    return len(batch)


def _merge_levels(conn: Connection, days: list[dt.datetime]) -> int:
    """Rebuild every per-user block holding one of ``days`` (whose ``uday`` rows were just recomputed),
    level by level upwards: each level reads the one just rebuilt below it."""
    buckets = 0
    for level in range(1, len(USER_LEVELS)):
        for lo in sorted({block_start(level, day) for day in days}):
            buckets += _merge_block(conn, level, lo)
    return buckets


def _batch(conn: Connection, table: PriceTable, fingerprint: str, *, batch_size: int, settle: float,
           rebuild: bool, now: dt.datetime) -> tuple[int, int, int, bool] | None:
    """One locked batch. ``(rows, buckets, watermark, rebuilt)``, or None when there is nothing to do."""
    from sqlalchemy import delete, func, select, update

    log, _users = _tables()
    rollups, state = rollup_tables()
    row = _begin_locked(conn, state)
    last_id = int(row.last_id)
    rebuilt = False
    if rebuild or (row.price_fingerprint is not None and row.price_fingerprint != fingerprint):
        # Other prices: every bucket's estimated cost is stale. Start over (in this same transaction).
        conn.execute(delete(rollups))
        last_id, rebuilt = 0, True
    top = conn.execute(select(func.max(log.c.id))).scalar()
    upto = min(int(top or 0), last_id + batch_size)
    if settle > 0 and upto > last_id:
        young = conn.execute(select(func.min(log.c.id)).where(
            log.c.id > last_id, log.c.id <= upto, log.c.created_at > now - dt.timedelta(seconds=settle),
            log.c.created_at <= now + dt.timedelta(seconds=settle))).scalar()
        if young is not None:
            upto = int(young) - 1
    values: dict[str, Any] = {"price_table": table.version, "price_fingerprint": fingerprint, "updated_at": now}
    if upto <= last_id:
        if rebuilt:
            conn.execute(update(state).where(state.c.id == 1).values(last_id=0, rows_rolled=0, **values))
        conn.commit()
        return (0, 0, last_id, True) if rebuilt else None
    hour = period_sql("hour", log.c.created_at, conn.dialect.name)
    touched = conn.execute(select(hour, func.count()).where(log.c.id > last_id, log.c.id <= upto)
                           .group_by(hour)).all()
    rows = sum(int(n) for _h, n in touched)
    hours = sorted({parse_period(h) for h, _n in touched})
    buckets = 0
    for grain in GRAINS:
        periods = hours if grain == "hour" else sorted({floor_to("day", h) for h in hours})
        statements = _statements(conn.dialect.name, grain, table)
        for lo, hi in _runs(periods, grain):
            buckets += _recompute(conn, grain, lo, hi, upto, statements)
    buckets += _merge_levels(conn, sorted({floor_to("day", h) for h in hours}))
    rolled = rows if rebuilt else int(row.rows_rolled or 0) + rows
    conn.execute(update(state).where(state.c.id == 1).values(last_id=upto, rows_rolled=rolled, **values))
    conn.commit()
    return rows, buckets, upto, rebuilt


def rollup(
    engine: Engine,
    *,
    price_table: PriceTable | None = None,
    batch_size: int = DEFAULT_BATCH,
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
    rebuild: bool = False,
    max_batches: int | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> RollupResult:
    """Bring the rollups up to date (see the module docstring). Safe to run from cron and concurrently."""
    from sqlalchemy.exc import SQLAlchemyError

    from ...db.migrate import db_errors

    if batch_size < 1:
        from ..._exceptions import ValidationError

        raise ValidationError(f"--batch-size {batch_size}: must be at least 1")
    table = price_table or load_price_table()
    fingerprint = price_fingerprint(table)
    now_fn = clock or (lambda: dt.datetime.now(dt.UTC))
    result = RollupResult()
    started = time.perf_counter()
    with db_errors(engine, "usage rollup"), engine.connect() as base:
        conn = base.execution_options(isolation_level="READ COMMITTED") if base.dialect.name != "sqlite" else base
        lift_concat_limit(conn)
        while max_batches is None or result.batches < max_batches:
            try:
                done = _batch(conn, table, fingerprint, batch_size=batch_size, settle=settle_seconds,
                              rebuild=rebuild and not result.rebuilt, now=now_fn())
            except SQLAlchemyError:
                conn.rollback()
                raise
            if done is None:
                break
            rows, buckets, watermark, rebuilt = done
            result.batches += 1
            result.rows += rows
            result.buckets += buckets
            result.watermark = watermark
            result.rebuilt = result.rebuilt or rebuilt
            if rows == 0:
                break
        if result.batches == 0:
            result.watermark = watermark_of(conn)
    result.seconds = time.perf_counter() - started
    return result


def watermark_of(conn: Connection) -> int:
    from sqlalchemy import select

    _rollups, state = rollup_tables()
    value = conn.execute(select(state.c.last_id).where(state.c.id == 1)).scalar()
    return int(value or 0)
