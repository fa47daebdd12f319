"""`tinytalk dashboard`: the keys scripts rely on, and each figure from seeded rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from tinytalk_sdk.admin.dashboard import dashboard

from .conftest import add_character, add_usage, add_user, as_json, insert, now


def test_dashboard_figures(engine: Engine, cli: Any) -> None:
    t = now()
    a = add_user(engine, "a@x.kr", last_login_at=t - dt.timedelta(days=1))
    add_user(engine, "b@x.kr", last_login_at=t - dt.timedelta(days=30))
    add_user(engine, "gone@x.kr", deleted_at=t)
    sid = insert(engine, "chat_sessions", user_id=a, session_date=t.date(), status="active", response_mode="audio",
                 message_count=2, created_at=t)
    insert(engine, "chat_sessions", user_id=a, session_date=t.date(), status="saved", response_mode="audio",
           message_count=0, created_at=t - dt.timedelta(days=2))
    for role in ("user", "assistant"):
        insert(engine, "chat_messages", session_id=sid, role=role, content="안녕", created_at=t)
    add_usage(engine, service="openai", model="gpt-4o", input_tokens=1000, output_tokens=500, created_at=t)
    add_usage(engine, service="heygen", session_minutes=1.0, status="error", created_at=t)
    add_usage(engine, service="heygen", status="error", created_at=t - dt.timedelta(hours=30))
    add_character(engine, "full")
    add_character(engine, "half", emotions=("idle", "speaking"))

    data = dashboard(engine, now=t)
    assert data["members"] == {"total": 2, "active_7d": 1}
    assert (data["today"]["sessions"], data["today"]["messages"]) == (1, 2)
    assert data["avatar_provider"] == "replika" and data["avatar_provider_source"] == "default"
    assert data["cost_this_month"]["by_service"]["openai"] == Decimal("0.0075")
    assert data["cost_this_month"]["price_table"] == "2026-11"
    assert data["errors_24h"] == {"total": 1, "by_service": {"heygen": 1}}
    assert [c["code"] for c in data["incomplete_characters"]] == ["half"]

    insert(engine, "admin_settings", setting_key="avatar_provider", setting_value="heygen", value_type="string")
    result = cli("dashboard", "--json")
    assert result.exit_code == 0, result.stderr
    out = as_json(result)
    assert set(out) == {"generated_at", "members", "today", "avatar_provider", "avatar_provider_source",
                        "cost_this_month", "errors_24h", "incomplete_characters"}
    assert set(out["cost_this_month"]) == {"from", "by_service", "total_usd", "price_table"}
    assert out["avatar_provider"] == "heygen"
    human = cli("dashboard")
    assert human.exit_code == 0 and "heygen (admin_settings)" in human.stdout and "half (missing" in human.stdout
