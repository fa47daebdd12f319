"""`usage rollup` and `usage report --exact` on the command line, and the server's background rollups."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from tinytalk_sdk.admin.usage import RollupThread
from tinytalk_sdk.db import make_engine
from tinytalk_sdk.db.models import ApiUsageLog, ApiUsageRollupState

from ._usage_data import add_users, insert_usage, usage_rows
from .conftest import as_json


def _state(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        top = conn.execute(select(func.max(ApiUsageLog.__table__.c.id))).scalar() or 0
        mark = conn.execute(select(ApiUsageRollupState.__table__.c.last_id)).scalar() or 0
    return int(top), int(mark)


def test_cli_rollup_then_report_from_rollups_or_exact(cli: Any, engine: Engine) -> None:
    insert_usage(engine, usage_rows(300, seed=31, users=add_users(engine)))
    first = cli("usage", "rollup", "--settle-seconds", "0", "--json")
    assert first.exit_code == 0, first.stderr
    assert as_json(first)["rows"] == 300 and "rolled up 300 row(s)" in first.stderr
    again = cli("usage", "rollup", "--settle-seconds", "0", "--json")
    assert as_json(again)["rows"] == 0
    fast = cli("usage", "report", "--from", "2026-11-01", "--to", "2026-11-30", "--json")
    exact = cli("usage", "report", "--from", "2026-11-01", "--to", "2026-11-30", "--json", "--exact")
    f, e = as_json(fast), as_json(exact)
    assert f["source"]["engine"] == "rollups" and f["source"]["percentile_max_relative_error"] == 0.02
    assert e["source"] == {"engine": "raw", "note": "--exact: computed from raw rows", "rollup_watermark": None,
                           "percentile_max_relative_error": 0.0}
    assert f["totals"] == e["totals"]
    text = cli("usage", "report", "--from", "2026-11-01", "--to", "2026-11-30")
    assert "source: rollups; percentiles within 2%" in text.stderr
    assert cli("usage", "rollup", "--batch-size", "0").exit_code == 2
    assert cli("usage", "report", "--engine", "spark").exit_code == 2


def test_background_server_keeps_rollups_fresh(db_url: str, engine: Engine) -> None:
    from tinytalk_sdk.server.background import start_background_server

    users = add_users(engine)
    with start_background_server(db_url, rollup_interval=0.2, rollup_settle_seconds=0) as server:
        assert server.rollups is not None and server.rollups.is_alive()
        for seed in (41, 42):
            insert_usage(engine, usage_rows(50, seed=seed, users=users))
            deadline = time.monotonic() + 30
            while _state(engine)[1] != _state(engine)[0] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _state(engine)[1] == _state(engine)[0] == 50 * (seed - 40)
        thread = server.rollups
    assert not thread.is_alive() and thread.errors == 0 and thread.runs >= 2


def test_background_rollup_survives_a_database_without_its_tables(tmp_path: Path) -> None:
    bare = make_engine(f"sqlite:///{tmp_path / 'bare.db'}")
    thread = RollupThread(bare, interval=0.05, settle_seconds=0)
    thread.start()
    deadline = time.monotonic() + 20
    while thread.runs < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    thread.stop()
    bare.dispose()
    assert thread.runs >= 2 and thread.errors == thread.runs and not thread.is_alive()
