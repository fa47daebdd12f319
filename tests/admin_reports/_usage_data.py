"""Generated usage rows (seeded) and the comparison every rollup/warehouse test makes against ``--exact``."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tinytalk_sdk.admin.usage import UsageReport

START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
PCT = ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms")
MODELS = {"openai": ["gpt-4o", "gpt-4o-mini", "gpt-4o-2024-08-06", "whisper-1", None, "mystery"],
          "elevenlabs": ["eleven_multilingual_v2", "eleven_flash_v2_5"], "heygen": [None]}


def add_users(engine: Engine, n: int = 12) -> list[int]:
    from sqlalchemy import insert

    from tinytalk_sdk.db.models import User

    rows = [{"email": f"gen{i}@x.kr", "pin_hash": "x", "name": f"학생{i}", "school": f"학교{i % 3}" if i % 4 else None,
             "locale": "ko", "is_active": True, "created_at": START} for i in range(n)]
    with engine.begin() as conn:
        conn.execute(insert(User.__table__), rows)
        from sqlalchemy import select

        return [int(i) for (i,) in conn.execute(select(User.__table__.c.id).order_by(User.__table__.c.id))]


def usage_rows(n: int, *, seed: int, users: list[int], start: dt.datetime = START,
               days: int = 6) -> list[dict[str, Any]]:
    """``n`` plausible rows: every column that matters to the report, NULLs, tags, stored and missing costs."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        service = rng.choice(["openai", "openai", "elevenlabs", "heygen"])
        rows.append({
            "service": service, "operation": rng.choice(["chat", "stt", "tts"]),
            "model": rng.choice(MODELS[service]), "user_id": rng.choice([None, *users]),
            "input_tokens": rng.choice([None, rng.randint(0, 4000)]), "output_tokens": rng.choice([None, 7, 333]),
            "characters": rng.choice([None, rng.randint(1, 2000)]),
            "audio_seconds": rng.choice([None, 1.5, 30.0, 61.25]), "session_minutes": rng.choice([None, 0.25, 2.0]),
            "latency_ms": rng.choice([None, 0, rng.randint(1, 60), int(rng.lognormvariate(6, 1.2))]),
            "status": rng.choice(["ok"] * 8 + ["error", "timeout"]),
            "cost_usd": rng.choice([None, None, Decimal(rng.randint(0, 250_000)) / 1_000_000]),
            "price_table": rng.choice([None, "2026-10"]), "tag": rng.choice([None, None, None, "smoke", "qa"]),
            "created_at": start + dt.timedelta(seconds=rng.randint(0, 86400 * days - 1),
                                               microseconds=rng.randint(0, 999_999)),
        })
    return rows


def insert_usage(engine: Engine, rows: list[dict[str, Any]]) -> None:
    from sqlalchemy import insert

    from tinytalk_sdk.db.models import ApiUsageLog

    with engine.begin() as conn:
        conn.execute(insert(ApiUsageLog.__table__), rows)


def assert_same(got: UsageReport, exact: UsageReport, *, exact_percentiles: bool = False) -> None:
    """Every figure equal, percentiles within the documented 2 % (or equal)."""
    by = exact.by
    want = {r[by]: r for r in exact.rows}
    have = {r[by]: r for r in got.rows}
    assert set(have) == set(want)
    for key, row in want.items():
        other = have[key]
        for name, value in row.items():
            if name in PCT and not exact_percentiles:
                if value is None:
                    assert other[name] is None, (key, name)
                else:
                    assert abs(other[name] - value) <= 0.02 * value, (key, name, other[name], value)
            else:
                assert other[name] == value, (key, name, other[name], value)
    assert got.totals == exact.totals
    assert got.stored_price_tables == exact.stored_price_tables
