"""Rollups answer like the raw table: every grouping and range, the open edge, late rows, re-pricing, settling.

On SQLite and MariaDB (the ``engine`` fixture), on generated rows compared with ``--exact``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tinytalk_sdk.admin.usage import GROUPINGS, cost_by_day, rollup, usage_report
from tinytalk_sdk.admin.usage._agg import USER_LEVELS, block_start
from tinytalk_sdk.pricing import load_price_table

from ._usage_data import START, add_users, assert_same, insert_usage, usage_rows

H = dt.timedelta(hours=1)
RANGES = [
    (None, None),
    (START + dt.timedelta(hours=7, minutes=30), START + dt.timedelta(days=4, hours=13, minutes=15, seconds=5)),
    (START + dt.timedelta(days=1), START + dt.timedelta(days=3)),  # aligned: rollups only
    (START + dt.timedelta(days=2, minutes=10), START + dt.timedelta(days=2, minutes=50)),  # inside one hour: raw
]


@pytest.fixture
def users(engine: Engine) -> list[int]:
    return add_users(engine)


def _all_equal(engine: Engine, *, expect_source: str | None = "rollups", ranges: list[tuple[dt.datetime | None,
               dt.datetime | None]] = RANGES, **kw: object) -> None:
    for by in GROUPINGS:
        for start, end in ranges:
            got = usage_report(engine, by=by, start=start, end=end, exclude_tags=["smoke"], **kw)  # type: ignore[arg-type]
            exact = usage_report(engine, by=by, start=start, end=end, exclude_tags=["smoke"], exact=True,
                                 **kw)  # type: ignore[arg-type]
            if expect_source and (start, end) != RANGES[3]:
                assert got.source == expect_source, got.source_note
            assert_same(got, exact)


def _rollup_rows(engine: Engine) -> list[tuple[object, ...]]:
    from tinytalk_sdk.db.models import ApiUsageRollup

    t = ApiUsageRollup.__table__
    with engine.connect() as conn:
        return [tuple(r[1:]) for r in conn.execute(select(t).order_by(*t.c[1:10]))]


def test_reports_from_rollups_equal_the_raw_computation(engine: Engine, users: list[int]) -> None:
    insert_usage(engine, usage_rows(1500, seed=1, users=users))
    first = rollup(engine, settle_seconds=0)
    assert first.rows == 1500 and first.batches == 1 and first.buckets > 0
    _all_equal(engine)
    by_day = cost_by_day(engine, start=RANGES[1][0], end=RANGES[1][1], exclude_tags=["qa"])
    assert by_day == cost_by_day(engine, start=RANGES[1][0], end=RANGES[1][1], exclude_tags=["qa"], exact=True)
    assert usage_report(engine, by="service", services=["heygen"]).rows[0]["service"] == "heygen"
    # a range inside one hour has no whole period: raw, and it says so
    inside = usage_report(engine, start=RANGES[3][0], end=RANGES[3][1])
    assert inside.source == "raw" and "no whole hour" in (inside.source_note or "")


def test_incremental_late_rows_and_idempotence(engine: Engine, users: list[int]) -> None:
    insert_usage(engine, usage_rows(800, seed=2, users=users))
    rollup(engine, settle_seconds=0)
    before = _rollup_rows(engine)
    again = rollup(engine, settle_seconds=0)
    assert (again.rows, again.batches) == (0, 0) and _rollup_rows(engine) == before  # idempotent

    # New rows and late rows (created_at in hours already rolled up): the report sees them at once (open
    # edge above the watermark), and after the next run from the rollups.
    insert_usage(engine, usage_rows(300, seed=3, users=users, start=START + dt.timedelta(days=5), days=2))
    insert_usage(engine, usage_rows(200, seed=4, users=users))  # late: the same 6 days as the first rows
    _all_equal(engine, ranges=RANGES[:2])
    late = rollup(engine, settle_seconds=0)
    assert late.rows == 500
    _all_equal(engine)
    with engine.connect() as conn:
        from tinytalk_sdk.db.models import ApiUsageLog, ApiUsageRollupState

        top = conn.execute(select(func.max(ApiUsageLog.__table__.c.id))).scalar()
        state = conn.execute(select(ApiUsageRollupState.__table__)).one()
    assert state.last_id == top and state.rows_rolled == 1300 and state.price_table == "2026-11"


def test_small_batches_reach_the_same_rollups(engine: Engine, users: list[int]) -> None:
    insert_usage(engine, usage_rows(300, seed=5, users=users))
    many = rollup(engine, settle_seconds=0, batch_size=97)
    assert many.batches == 4 and many.rows == 300
    small = _rollup_rows(engine)
    rebuilt = rollup(engine, settle_seconds=0, rebuild=True)
    assert rebuilt.rebuilt and rebuilt.batches == 1
    assert _rollup_rows(engine) == small


def test_other_prices_fall_back_to_raw_until_rolled_up_again(engine: Engine, users: list[int],
                                                             tmp_path: Path) -> None:
    insert_usage(engine, usage_rows(400, seed=6, users=users))
    rollup(engine, settle_seconds=0)
    prices = tmp_path / "prices.toml"
    prices.write_text('version = "test-2"\n[openai."*"]\ninput_per_1m_tokens = "100"\n', encoding="utf-8")
    other = load_price_table(prices)
    report = usage_report(engine, price_table=other)
    assert report.source == "raw" and "priced with table 2026-11" in (report.source_note or "")
    redo = rollup(engine, settle_seconds=0, price_table=other)
    assert redo.rebuilt and redo.rows == 400
    _all_equal(engine, price_table=other, ranges=RANGES[1:2])
    assert usage_report(engine).source == "raw"  # and now the built-in table is the other one


def test_young_rows_wait_for_the_next_run_and_still_count(engine: Engine, users: list[int]) -> None:
    now = dt.datetime(2026, 11, 6, 12, 0, tzinfo=dt.UTC)
    old = usage_rows(300, seed=7, users=users)
    young = [{**r, "created_at": now - dt.timedelta(seconds=5)} for r in usage_rows(20, seed=8, users=users)]
    insert_usage(engine, old)
    insert_usage(engine, young)
    insert_usage(engine, usage_rows(10, seed=9, users=users))  # older again, but after a young id
    done = rollup(engine, settle_seconds=60, clock=lambda: now)
    assert done.rows == 300  # stops before the first young id
    _all_equal(engine, ranges=RANGES[:2])
    later = rollup(engine, settle_seconds=60, clock=lambda: now + dt.timedelta(minutes=2))
    assert later.rows == 30


def test_no_rollups_yet_and_an_empty_table(engine: Engine) -> None:
    report = usage_report(engine)
    assert report.source == "raw" and "no rollups yet" in (report.source_note or "") and report.rows == []
    assert rollup(engine, settle_seconds=0).to_dict() == {"batches": 0, "rows": 0, "buckets": 0, "watermark": 0,
                                                          "rebuilt": False, "seconds": pytest.approx(0, abs=5)}


def test_cost_is_exact_to_the_micro_dollar(engine: Engine) -> None:
    # Many tiny stored costs whose float sum drifts: the rollup sums integers.
    insert_usage(engine, [{"service": "openai", "operation": "chat", "model": "gpt-4o", "status": "ok",
                           "cost_usd": Decimal("0.000001") * (i % 7 + 1), "latency_ms": 10,
                           "created_at": START + dt.timedelta(minutes=i)} for i in range(3000)])
    rollup(engine, settle_seconds=0)
    want = sum(Decimal("0.000001") * (i % 7 + 1) for i in range(3000))
    assert usage_report(engine).totals["cost_usd"] == want == usage_report(engine, exact=True).totals["cost_usd"]


def test_more_buckets_than_one_insert_chunk(engine: Engine) -> None:
    # 300 pupils × 7 days = 2,100 pupil-day buckets in one recomputed run, from 6,300 aggregate rows: more than
    # one fetch (5,000) of the server-side cursor MariaDB streams them from, which must be read out before
    # any insert on the connection (an insert mid-stream silently cut the rest off).
    users = add_users(engine, 300)
    insert_usage(engine, [{"service": "openai", "operation": "chat", "model": "gpt-4o", "user_id": u,
                           "status": "ok", "latency_ms": 10 + d + k, "input_tokens": 5,
                           "created_at": START + dt.timedelta(days=d, hours=3)}
                          for u in users for d in range(7) for k in range(3)])  # > 5,000 streamed rows
    done = rollup(engine, settle_seconds=0)
    days = [START + dt.timedelta(days=d) for d in range(7)]
    blocks = sum(len({block_start(level, day) for day in days}) for level in range(1, len(USER_LEVELS)))
    assert done.buckets == 2100 + 7 + 7 + 300 * blocks  # pupil-days + days + hours + pupils' longer blocks
    got = usage_report(engine, by="user")
    assert got.source == "rollups" and len(got.rows) == 300
    assert_same(got, usage_report(engine, by="user", exact=True))


def test_user_blocks_tile_any_range_with_at_most_two_per_level() -> None:
    import random

    from tinytalk_sdk.admin.usage._agg import user_blocks

    rng = random.Random(15)
    day = dt.timedelta(days=1)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    for _ in range(400):
        first = START + day * rng.randint(-800, 800)
        last = first + day * rng.choice([1, 2, 3, 7, 30, 90, 91, 365, 1000, rng.randint(1, 2000)])
        blocks = user_blocks(first, last)
        assert blocks[0][1] == first and blocks[-1][2] == last
        assert all(a[2] == b[1] for a, b in itertools.pairwise(blocks))  # contiguous, in order
        for g, lo, hi in blocks:
            size = 1 << USER_LEVELS.index(g)
            assert hi - lo == day * size and (lo - epoch).days % size == 0  # aligned to its level
        per_level = [g for g, _lo, _hi in blocks]
        assert all(per_level.count(g) <= 2 for g in USER_LEVELS[:-1])
    # a 90-day report reads about ten blocks, not ninety days
    assert len(user_blocks(dt.datetime(2026, 9, 2, tzinfo=dt.UTC), dt.datetime(2026, 11, 30, tzinfo=dt.UTC))) <= 12


def test_per_user_blocks_over_a_long_history_with_late_rows(engine: Engine, users: list[int]) -> None:
    # 300 days: blocks of every level up to 256 days; then late rows into old days must reach the blocks above
    # them, and the incremental result must equal a rebuild from scratch.
    long_start = START - dt.timedelta(days=290)
    insert_usage(engine, usage_rows(1200, seed=21, users=users, start=long_start, days=300))
    rollup(engine, settle_seconds=0)
    ranges: list[tuple[dt.datetime | None, dt.datetime | None]] = [
        (None, None), (long_start + dt.timedelta(days=3, hours=5), START + dt.timedelta(days=2, hours=1)),
        (long_start + dt.timedelta(days=17), long_start + dt.timedelta(days=150)),
        (None, long_start + dt.timedelta(days=200, minutes=7)), (long_start + dt.timedelta(days=64), None)]
    for by in ("user", "school"):
        for start, end in ranges:
            got = usage_report(engine, by=by, start=start, end=end, exclude_tags=["smoke"])
            assert got.source == "rollups", got.source_note
            assert_same(got, usage_report(engine, by=by, start=start, end=end, exclude_tags=["smoke"], exact=True))
    insert_usage(engine, usage_rows(150, seed=22, users=users, start=long_start + dt.timedelta(days=40), days=3))
    late = rollup(engine, settle_seconds=0)
    assert late.rows == 150
    incremental = _rollup_rows(engine)
    for start, end in ranges:
        got = usage_report(engine, by="user", start=start, end=end, exclude_tags=["qa"])
        assert_same(got, usage_report(engine, by="user", start=start, end=end, exclude_tags=["qa"], exact=True))
    rollup(engine, settle_seconds=0, rebuild=True)
    assert _rollup_rows(engine) == incremental


def test_rollups_of_an_older_layout_are_not_read(engine: Engine, users: list[int]) -> None:
    from sqlalchemy import update

    from tinytalk_sdk.db.models import ApiUsageRollupState

    insert_usage(engine, usage_rows(200, seed=23, users=users))
    rollup(engine, settle_seconds=0)
    with engine.begin() as conn:  # what a toolkit before the per-user blocks wrote (same prices, old layout)
        conn.execute(update(ApiUsageRollupState.__table__).values(price_fingerprint="0" * 64))
    report = usage_report(engine, by="user")
    assert report.source == "raw" and "older toolkit" in (report.source_note or "")
    again = rollup(engine, settle_seconds=0)
    assert again.rebuilt and usage_report(engine, by="user").source == "rollups"
