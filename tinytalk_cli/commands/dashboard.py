"""`tinytalk dashboard`: one screen of platform health."""

from __future__ import annotations

from typing import Any

import typer

from .._context import get_ctx
from .._options import JsonOpt


def _render(data: dict[str, Any]) -> None:
    from .._output import print_record

    cost = data["cost_this_month"]
    record = {
        "members": f"{data['members']['total']} total, {data['members']['active_7d']} active in 7 days",
        "today": f"{data['today']['sessions']} sessions, {data['today']['messages']} messages",
        "avatar provider": f"{data['avatar_provider']} ({data['avatar_provider_source']})",
        "cost this month": f"${cost['total_usd']:.2f} "
        + "(" + (", ".join(f"{s} ${c:.2f}" for s, c in cost["by_service"].items()) or "no usage") + ")"
        + f" [prices {cost['price_table']}]",
        "errors 24 h": f"{data['errors_24h']['total']}"
        + ("" if not data["errors_24h"]["by_service"] else " ("
           + ", ".join(f"{s} {n}" for s, n in data["errors_24h"]["by_service"].items()) + ")"),
        "incomplete characters": ", ".join(
            f"{c['code']} (missing {', '.join(c['missing'])})" for c in data["incomplete_characters"]
        ) or "none",
    }
    print_record(record)


def register(app: typer.Typer) -> None:
    @app.command("dashboard")
    def dashboard_cmd(ctx: typer.Context, json_: JsonOpt = False) -> None:
        """One screen: members, today's sessions and messages, avatar provider, this month's cost by
        service, errors in the last 24 h, incomplete characters.

        Example: tinytalk --profile prod dashboard --json
        """
        from tinytalk_sdk.admin.dashboard import dashboard

        from .._output import print_json

        data = dashboard(get_ctx(ctx).engine)
        if json_:
            print_json(data)
        else:
            _render(data)
