"""The demo's assignments + usage part: runs on a fresh database, and a second run changes nothing."""

from __future__ import annotations

from sqlalchemy import Engine

from tinytalk_cli._context import AppContext
from tinytalk_cli.demo_steps import DemoEnv
from tinytalk_cli.demo_steps.admin import _assignments_and_usage

from .conftest import db_dump


def test_demo_assignments_and_usage(sqlite_engine: Engine) -> None:
    env = DemoEnv(app=AppContext(_engine=sqlite_engine), quiet=True)
    try:
        _assignments_and_usage(env)
        assert env.facts["assignments"]["added"] == 3
        assert env.facts["usage"]["calls"] == 9 and env.facts["usage"]["price_table"] == "2026-11"
        before = db_dump(sqlite_engine)
        _assignments_and_usage(env)
        assert env.facts["assignments"] == {"added": 0, "changed": 0, "unchanged": 3, "removed": 0, "errors": 0,
                                            "skipped": 0}
        assert db_dump(sqlite_engine) == before
    finally:
        env.close()
