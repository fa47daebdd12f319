"""One screen of platform health for `tinytalk dashboard`: members, today's activity, costs, errors."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["DEFAULT_AVATAR_PROVIDER", "dashboard"]

# What the app falls back to when admin_settings has no avatar_provider row (PLATFORM.md).
DEFAULT_AVATAR_PROVIDER = "replika"


def dashboard(engine: Engine, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Counts and costs for the dashboard; every figure is one SQL aggregate.

    Keys: ``generated_at``, ``members`` (``total``, ``active_7d``), ``today`` (``sessions``, ``messages``),
    ``avatar_provider``, ``cost_this_month`` (``from``, ``by_service``, ``total_usd``, ``price_table``),
    ``errors_24h`` (``total``, ``by_service``), ``incomplete_characters``.
    """
    from sqlalchemy import func, select

    from ..db.models import AdminSetting, ApiUsageLog, ChatMessage, ChatSession, User
    from .characters import incomplete_characters
    from .usage import _reading, usage_report

    now = now or dt.datetime.now(dt.UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    with _reading(engine) as conn:
        total = conn.scalar(select(func.count()).select_from(User).where(User.deleted_at.is_(None)))
        active = conn.scalar(
            select(func.count()).select_from(User).where(
                User.deleted_at.is_(None), User.last_login_at >= now - dt.timedelta(days=7)
            )
        )
        sessions = conn.scalar(select(func.count()).select_from(ChatSession).where(ChatSession.created_at >= today))
        messages = conn.scalar(select(func.count()).select_from(ChatMessage).where(ChatMessage.created_at >= today))
        provider = conn.scalar(
            select(AdminSetting.setting_value).where(AdminSetting.setting_key == "avatar_provider")
        )
        errors = conn.execute(
            select(ApiUsageLog.service, func.count())
            .where(ApiUsageLog.status != "ok", ApiUsageLog.created_at >= now - dt.timedelta(hours=24))
            .group_by(ApiUsageLog.service)
            .order_by(ApiUsageLog.service)
        ).all()
    costs = usage_report(engine, by="service", start=month, end=now + dt.timedelta(seconds=1))
    return {
        "generated_at": now,
        "members": {"total": int(total or 0), "active_7d": int(active or 0)},
        "today": {"date": today.date().isoformat(), "sessions": int(sessions or 0), "messages": int(messages or 0)},
        "avatar_provider": (provider or "").strip() or DEFAULT_AVATAR_PROVIDER,
        "avatar_provider_source": "admin_settings" if (provider or "").strip() else "default",
        "cost_this_month": {
            "from": month,
            "by_service": {r["service"]: r["cost_usd"] for r in costs.rows},
            "total_usd": costs.totals["cost_usd"],
            "price_table": costs.price_table,
        },
        "errors_24h": {"total": sum(int(n) for _s, n in errors), "by_service": {s: int(n) for s, n in errors}},
        "incomplete_characters": incomplete_characters(engine),
    }
