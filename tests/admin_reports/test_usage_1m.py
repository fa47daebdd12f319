"""A usage report over 1,000,000 rows on SQLite: right numbers, bounded memory, reasonable time."""

from __future__ import annotations

import importlib.util
import time
import tracemalloc
from pathlib import Path
from types import ModuleType

import pytest

ROWS = 1_000_000


def _bench() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "usage_report.py"
    spec = importlib.util.spec_from_file_location("bench_usage_report", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_report_over_a_million_rows(tmp_path: Path) -> None:
    from tinytalk_sdk.admin.usage import usage_report
    from tinytalk_sdk.db import make_engine

    bench = _bench()
    db = tmp_path / "million.db"
    bench.build(db, ROWS)
    engine = make_engine(f"sqlite:///{db}")
    try:
        tracemalloc.start()
        started = time.perf_counter()
        report = usage_report(engine, by="service")
        elapsed = time.perf_counter() - started
        _now, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        engine.dispose()
    rows = {r["service"]: r for r in report.rows}
    assert report.totals["calls"] == ROWS
    assert report.totals["errors"] == ROWS // 50
    assert report.totals["cost_usd"] == bench.COST_PER_5_ROWS * (ROWS // 5)  # $82,542 by hand
    assert report.totals["uncosted_calls"] == 0 and report.totals["estimated_calls"] == ROWS
    openai = rows["openai"]
    assert openai["calls"] == 3 * ROWS // 5
    # openai latencies are the values v in 1..1000 with (v - 1) % 5 in {0, 1, 2}, each ROWS/1000 times:
    # nearest rank 50 % → the 300th such value = 498; 95 % → the 570th = 948.
    assert (openai["latency_p50_ms"], openai["latency_p95_ms"]) == (498, 948)
    assert rows["heygen"]["session_minutes"] == 2.0 * ROWS / 5
    # the aggregation happened in SQL: Python memory stays tiny whatever the row count
    assert peak < 20_000_000, f"peak {peak / 1e6:.1f} MB"
    assert elapsed < 60, f"report took {elapsed:.1f} s"
