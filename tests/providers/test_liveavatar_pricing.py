"""LiveAvatar in the price table: credits per minute × USD per credit, the one-minute minimum, and the SQL
twin of the estimate (usage reports re-price rows in the database) agreeing with the Python one."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from tinytalk_sdk.pricing import estimate_cost, load_price_table
from tinytalk_sdk.providers.base import UsageEntry

if TYPE_CHECKING:
    from sqlalchemy import Engine

CASES = [
    ("FULL", 3.0, "0.600000"),  # 3 min × 2 credits × $0.10
    ("LITE", 3.0, "0.300000"),  # 3 min × 1 credit × $0.10
    ("FULL", 0.2, "0.200000"),  # a 12 s session bills the escrowed minute
    ("LITE", 0.000001, "0.100000"),
    (None, 2.5, "0.500000"),  # no mode on the row: priced as FULL (the dearer)
    ("FULL", None, "0.000000"),  # token / list / speak rows carry no minutes
]


@pytest.mark.parametrize(("mode", "minutes", "expected"), CASES)
def test_cost_by_hand(mode: str | None, minutes: float | None, expected: str) -> None:
    cost, version = estimate_cost(UsageEntry("liveavatar", "liveavatar_stop", model=mode, session_minutes=minutes))
    assert (cost, version) == (Decimal(expected), "2026-11")


def test_credits_of_a_session() -> None:
    table = load_price_table()
    full, lite = table.lookup("liveavatar", "FULL"), table.lookup("liveavatar", "LITE")
    assert full is not None and lite is not None
    assert full.credits(3) == Decimal(6) and lite.credits(3) == Decimal(3)
    assert full.credits(0.1) == Decimal(2)  # the minimum
    assert full.session_minute_price == Decimal("0.20") and lite.session_minute_price == Decimal("0.10")
    heygen = table.lookup("heygen", None)
    assert heygen is not None and heygen.credits(3) is None  # HeyGen v1 is priced in USD directly


def test_the_sql_estimate_agrees(sqlite_engine: Engine) -> None:
    from sqlalchemy import insert, select

    from tinytalk_sdk.admin.usage._sql import price_sql
    from tinytalk_sdk.db.base import Base
    from tinytalk_sdk.db.models import ApiUsageLog  # noqa: F401  (registers the table)

    log = Base.metadata.tables["api_usage_logs"]
    with sqlite_engine.begin() as conn:
        for mode, minutes, _ in CASES:
            conn.execute(insert(log).values(service="liveavatar", operation="liveavatar_stop", model=mode,
                                            session_minutes=minutes, status="ok"))
        got = [row[0] for row in conn.execute(select(price_sql(log, load_price_table())).order_by(log.c.id))]
    assert [Decimal(str(v)).quantize(Decimal("0.000001")) for v in got] == [Decimal(e) for *_, e in CASES]
