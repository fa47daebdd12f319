"""Usage reports: numbers and cost checked by hand from the price table, percentiles on both databases."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tinytalk_sdk.admin.usage import cost_by_day, export_usage, usage_report
from tinytalk_sdk.admin.usage_chart import series_by_service, sparkline

from .conftest import add_usage, add_user, as_json

D1 = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
D2 = dt.datetime(2026, 11, 3, 23, 59, 59, tzinfo=dt.UTC)


@pytest.fixture
def usage(engine: Engine) -> dict[str, int]:
    a = add_user(engine, "a@x.kr", school="한빛초")
    b = add_user(engine, "b@x.kr", school="새솔중")
    # Costs by hand from the 2026-11 table:
    add_usage(engine, service="openai", model="gpt-4o", input_tokens=1000, output_tokens=500,
              latency_ms=100, user_id=a, created_at=D1)  # no stored cost: 1000×2.5/1M + 500×10/1M = 0.0075
    add_usage(engine, service="openai", model="gpt-4o", input_tokens=2000, output_tokens=0, latency_ms=300,
              user_id=b, created_at=D1, cost_usd=Decimal("0.010000"), price_table="2026-10")  # stored wins
    add_usage(engine, service="openai", operation="stt", model="whisper-1", audio_seconds=60.0, latency_ms=200,
              status="error", error_code="timeout", created_at=D1)  # 1 min × 0.006
    add_usage(engine, service="elevenlabs", operation="tts", model="eleven_multilingual_v2", characters=1500,
              latency_ms=400, tag="smoke", created_at=D1)  # 1.5k × 0.10 = 0.15
    add_usage(engine, service="heygen", operation="heygen_session", session_minutes=1.0, latency_ms=1000,
              user_id=a, created_at=D2)  # 1 min × 0.198
    add_usage(engine, service="openai", model="mystery-model", input_tokens=10, latency_ms=50,
              created_at=D2)  # unknown: no cost
    add_usage(engine, service="openai", model="gpt-4o", input_tokens=99, created_at=D2 + dt.timedelta(days=30))
    return {"a": a, "b": b}


START, END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 30, tzinfo=dt.UTC)


def test_report_by_service_by_hand(engine: Engine, usage: dict[str, int]) -> None:
    report = usage_report(engine, by="service", start=START, end=END)
    rows = {r["service"]: r for r in report.rows}
    assert list(rows) == ["elevenlabs", "heygen", "openai"]
    openai = rows["openai"]
    assert (openai["calls"], openai["errors"], openai["input_tokens"], openai["output_tokens"]) == (4, 1, 3010, 500)
    assert openai["audio_minutes"] == 1.0
    assert openai["cost_usd"] == Decimal("0.023500")  # 0.0075 + 0.01 + 0.006
    assert (openai["estimated_calls"], openai["uncosted_calls"]) == (2, 1)
    assert rows["elevenlabs"]["characters"] == 1500 and rows["elevenlabs"]["cost_usd"] == Decimal("0.15")
    assert rows["heygen"]["session_minutes"] == 1.0 and rows["heygen"]["cost_usd"] == Decimal("0.198")
    assert report.totals["cost_usd"] == Decimal("0.371500")
    assert report.totals["calls"] == 6
    assert report.price_table == "2026-11" and report.price_table_source == "built-in"
    assert report.stored_price_tables == ["2026-10"]


def test_exclude_tag_range_and_groupings(engine: Engine, usage: dict[str, int]) -> None:
    no_smoke = usage_report(engine, start=START, end=END, exclude_tags=["smoke"])
    assert no_smoke.totals["cost_usd"] == Decimal("0.221500")
    assert "elevenlabs" not in {r["service"] for r in no_smoke.rows}

    by_day = usage_report(engine, by="day", start=START, end=END)
    assert [(r["day"], r["cost_usd"]) for r in by_day.rows] == [
        ("2026-11-02", Decimal("0.173500")), ("2026-11-03", Decimal("0.198000"))]

    by_school = {r["school"]: r["cost_usd"] for r in usage_report(engine, by="school", start=START, end=END).rows}
    assert by_school == {"": Decimal("0.156000"), "새솔중": Decimal("0.010000"), "한빛초": Decimal("0.205500")}

    by_user = usage_report(engine, by="user", start=START, end=END).rows
    assert {r["email"]: r["calls"] for r in by_user} == {None: 3, "a@x.kr": 2, "b@x.kr": 1}

    by_model = {r["model"]: r["cost_usd"] for r in usage_report(engine, by="model", start=START, end=END).rows}
    assert by_model["mystery-model"] == Decimal("0") and by_model["gpt-4o"] == Decimal("0.0175")

    late = usage_report(engine, start=dt.datetime(2026, 11, 3, tzinfo=dt.UTC), end=END)
    assert late.totals["calls"] == 2 and late.totals["cost_usd"] == Decimal("0.198")

    assert cost_by_day(engine, start=START, end=END, exclude_tags=["smoke"]) == [
        {"day": "2026-11-02", "service": "openai", "cost_usd": Decimal("0.0235")},
        {"day": "2026-11-03", "service": "heygen", "cost_usd": Decimal("0.198")},
        {"day": "2026-11-03", "service": "openai", "cost_usd": Decimal("0")},  # only the unpriced call
    ]


def test_percentiles_nearest_rank(engine: Engine) -> None:
    from tinytalk_sdk.db.base import Base
    from tinytalk_sdk.db.models import ApiUsageLog  # noqa: F401

    table = Base.metadata.tables["api_usage_logs"]
    rows = [{"service": "openai", "operation": "chat", "status": "ok", "latency_ms": ms, "created_at": D1}
            for ms in range(100, 0, -1)]  # 1..100 in reverse insertion order
    rows += [{"service": "heygen", "operation": "x", "status": "ok", "latency_ms": ms * 10, "created_at": D1}
             for ms in range(1, 21)]
    rows += [{"service": "heygen", "operation": "x", "status": "ok", "latency_ms": None, "created_at": D1}]
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    report = {r["service"]: r for r in usage_report(engine, start=START, end=END).rows}
    assert (report["openai"]["latency_p50_ms"], report["openai"]["latency_p95_ms"]) == (50, 95)
    # 20 values 10..200: rank ceil(0.5×20)=10 → 100, rank ceil(0.95×20)=19 → 190; NULL latencies ignored
    assert (report["heygen"]["latency_p50_ms"], report["heygen"]["latency_p95_ms"]) == (100, 190)
    assert report["heygen"]["calls"] == 21


def test_cli_report_json_csv_chart_and_export(cli: Any, usage: dict[str, int], tmp_path: Path) -> None:
    result = cli("usage", "report", "--from", "2026-11-01", "--to", "2026-11-30", "--json")
    assert result.exit_code == 0, result.stderr
    data = as_json(result)
    assert data["price_table"]["version"] == "2026-11"
    assert data["totals"]["cost_usd"] == pytest.approx(0.3715)
    assert "price table 2026-11 (built-in)" in result.stderr

    as_csv = cli("usage", "report", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "day", "--csv",
                 "--exclude-tag", "smoke")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["day"], r["cost_usd"]) for r in rows] == [("2026-11-02", "0.0235"), ("2026-11-03", "0.198")]

    for name in ("cost.png", "cost.svg"):
        out = tmp_path / name
        drawn = cli("usage", "report", "--from", "2026-11-01", "--to", "2026-11-30", "--chart", str(out))
        assert drawn.exit_code == 0, drawn.stderr
        assert out.stat().st_size > 500
    from PIL import Image

    with Image.open(tmp_path / "cost.png") as image:
        assert image.size == (900, 420)
    svg = (tmp_path / "cost.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "heygen $0.20" in svg and svg.count("<polyline") == 3

    bad = cli("usage", "report", "--by", "week")
    assert bad.exit_code == 2

    exported = cli("usage", "export", "--csv", "--from", "2026-11-01", "--to", "2026-11-30")
    assert exported.exit_code == 0
    lines = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert len(lines) == 6 and lines[0]["created_at"] == "2026-11-02T09:30:00Z"
    assert "exported 6 usage row(s)" in exported.stderr


def test_custom_price_table_fills_missing_costs(cli: Any, usage: dict[str, int], tmp_path: Path) -> None:
    prices = tmp_path / "p.toml"
    prices.write_text('version = "test-1"\n[openai."mystery-model"]\ninput_per_1m_tokens = "100000"\n',
                      encoding="utf-8")
    data = as_json(cli("usage", "report", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "model", "--json",
                       "--price-table", str(prices)))
    models = {r["model"]: r for r in data["rows"]}
    assert data["price_table"] == {"version": "test-1", "source": str(prices), "stored_versions": ["2026-10"]}
    assert models["mystery-model"]["cost_usd"] == pytest.approx(1.0)  # 10 tokens × $0.1
    assert models["gpt-4o"]["cost_usd"] == pytest.approx(0.01)  # stored kept; the unpriced row stays empty
    assert models["gpt-4o"]["uncosted_calls"] == 1


def test_export_streams_every_row(engine: Engine, usage: dict[str, int]) -> None:
    out = io.StringIO()
    assert export_usage(engine, out) == 7
    assert out.getvalue().count("\n") == 8


def test_sparkline_and_series() -> None:
    assert sparkline([0, 1, 2, 4]) == "▁▃▅█"
    assert sparkline([0, 0]) == "▁▁"
    days, series = series_by_service([
        {"day": "2026-11-01", "service": "openai", "cost_usd": Decimal("1")},
        {"day": "2026-11-03", "service": "heygen", "cost_usd": Decimal("2")},
    ])
    assert days == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert series == {"heygen": [0.0, 0.0, 2.0], "openai": [1.0, 0.0, 0.0]}
