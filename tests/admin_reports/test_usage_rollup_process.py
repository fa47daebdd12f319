"""`tinytalk usage rollup` as cron runs it: real processes, killed with SIGKILL mid-run, and two at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tinytalk_sdk.admin.usage import rollup, usage_report
from tinytalk_sdk.db.models import ApiUsageLog, ApiUsageRollup, ApiUsageRollupState

from ._usage_data import add_users, assert_same, insert_usage, usage_rows

TINYTALK = Path(sys.executable).parent / "tinytalk"


def _watermark(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(ApiUsageRollupState.__table__.c.last_id)).scalar() or 0)


def _rollup_rows(engine: Engine) -> list[tuple[object, ...]]:
    t = ApiUsageRollup.__table__
    with engine.connect() as conn:
        return [tuple(r[1:]) for r in conn.execute(select(t).order_by(*t.c[1:10]))]


def _spawn(db_url: str, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ) | {"TINYTALK_DATABASE_URL": db_url, "NO_COLOR": "1"}
    return subprocess.Popen([str(TINYTALK), "usage", "rollup", "--settle-seconds", "0", "--json", *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _production_like(n: int, seed: int, users: list[int], days: int) -> list[dict[str, object]]:
    """Rows in time order (ids follow created_at, as in production), one in fifty late by up to two days."""
    import datetime as dt

    rows = sorted(usage_rows(n, seed=seed, users=users, days=days), key=lambda r: r["created_at"])
    for i in range(0, n, 50):
        rows[i]["created_at"] -= dt.timedelta(hours=i % 48)
    return rows


def _reports_equal(engine: Engine) -> None:
    for by in ("service", "user", "day"):
        got = usage_report(engine, by=by)
        assert got.source == "rollups", got.source_note
        assert_same(got, usage_report(engine, by=by, exact=True))


@pytest.mark.slow
def test_kill_9_mid_run_loses_nothing_and_the_next_run_resumes(engine: Engine, db_url: str) -> None:
    users = add_users(engine)
    insert_usage(engine, _production_like(3000, 11, users, 10))
    proc = _spawn(db_url, "--batch-size", "100")
    deadline = time.monotonic() + 60
    while _watermark(engine) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the run finished before the kill: make it longer"
    killed_at = _watermark(engine)
    assert 0 < killed_at < 3000
    _reports_equal(engine)  # the invariant holds at the kill: rollups = rows up to the watermark
    resumed = rollup(engine, settle_seconds=0)
    log = ApiUsageLog.__table__
    with engine.connect() as conn:
        left = conn.execute(select(func.count()).where(log.c.id > killed_at)).scalar()
        assert resumed.rows == left and resumed.watermark == conn.execute(select(func.max(log.c.id))).scalar()
    _reports_equal(engine)
    after = _rollup_rows(engine)
    rollup(engine, settle_seconds=0, rebuild=True)
    assert _rollup_rows(engine) == after  # identical to one uninterrupted run


@pytest.mark.slow
def test_two_runs_at_once_share_the_work_without_double_counting(engine: Engine, db_url: str) -> None:
    users = add_users(engine)
    insert_usage(engine, _production_like(1500, 12, users, 5))
    procs = [_spawn(db_url, "--batch-size", "60") for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    done = [json.loads(out) for out, _err in outputs]
    assert sum(d["rows"] for d in done) == 1500  # each id rolled exactly once, between them
    assert max(d["watermark"] for d in done) == _watermark(engine)
    _reports_equal(engine)
    together = _rollup_rows(engine)
    rollup(engine, settle_seconds=0, rebuild=True)
    assert _rollup_rows(engine) == together
