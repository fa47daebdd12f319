"""The LiveAvatar-only commands of `tinytalk heygen`: contexts, credits, and a speak test.

They take ``--vendor liveavatar`` like the shared ones (and refuse ``heygen``, which has none of them), so a
script can keep one vendor variable for every `heygen` command.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from .._context import output_format
from .._options import CsvOpt, JsonOpt, VendorOpt


def _require_liveavatar(vendor: str, command: str) -> None:
    from tinytalk_sdk import ValidationError

    if vendor.strip().lower() != "liveavatar":
        raise ValidationError(f"`heygen {command}` is LiveAvatar's: pass --vendor liveavatar")


def register(app: typer.Typer) -> None:
    from .heygen import la_client

    @app.command("contexts")
    def contexts(ctx: typer.Context, vendor: VendorOpt = "liveavatar", json_: JsonOpt = False,
                 csv_: CsvOpt = False) -> None:
        """List the LiveAvatar contexts (what a FULL-mode avatar knows and how it behaves).

        Example: tinytalk heygen contexts --vendor liveavatar --json
        """
        from .._output import print_rows

        _require_liveavatar(vendor, "contexts")
        found = [c.model_dump() for c in la_client(ctx).list_contexts()]
        columns = ["id", "name", "created_at", "updated_at"]
        print_rows([{c: x.get(c) for c in columns} for x in found], columns, fmt=output_format(json_, csv_),
                   json_payload=found if json_ else None)

    @app.command("credits")
    def credits(ctx: typer.Context, vendor: VendorOpt = "liveavatar", json_: JsonOpt = False) -> None:
        """LiveAvatar credits: left on the account, used by sessions this month, and what that cost.

        Example: tinytalk heygen credits --vendor liveavatar --json
        """
        import datetime as dt

        from tinytalk_sdk.providers.factory import price_table_for

        from .._context import get_ctx
        from .._output import info, print_json

        _require_liveavatar(vendor, "credits")
        client = la_client(ctx)
        left = client.credits().credits_left
        used = client.credits_used()
        rates = price_table_for(get_ctx(ctx).config).lookup("liveavatar", None)
        per_credit = float(rates.usd_per_credit) if rates and rates.usd_per_credit is not None else None
        data = {"month": dt.datetime.now(dt.UTC).strftime("%Y-%m"), "credits_left": float(left),
                "credits_used_this_month": used,
                "cost_this_month_usd": round(used * per_credit, 4) if per_credit is not None else None,
                "usd_per_credit": per_credit}
        if json_:
            print_json(data)
            return
        info(f"{data['credits_left']:g} credits left; {used:g} used in {data['month']}"
             + (f" (≈ ${data['cost_this_month_usd']:.2f} at ${per_credit:g}/credit)" if per_credit else ""))

    @app.command("speak")
    def speak(
        ctx: typer.Context,
        text: Annotated[str, typer.Argument(help="What the avatar says.")],
        vendor: VendorOpt = "liveavatar",
        mode: Annotated[str | None, typer.Option("--mode", help="FULL or LITE (default: liveavatar_mode).")] = None,
        respond: Annotated[bool, typer.Option("--respond", help="avatar.speak_response: the avatar's LLM "
                                                                "answers the text instead.")] = False,
        hold: Annotated[float, typer.Option("--hold", min=0, max=600, help="Seconds to keep the session open "
                                                                         "after speaking.")] = 0.0,
        sandbox: Annotated[bool, typer.Option("--sandbox", help="A free sandbox session (the vendor allows the "
                                                                "Wayne avatar only, ~1 minute).")] = False,
        json_: JsonOpt = False,
    ) -> None:
        """Speak test: open a session, join its LiveKit room, send one event, stop the session (always).

        Example: tinytalk heygen speak "Hello, I am your tutor." --vendor liveavatar --json
        """
        from .._output import info, print_json

        _require_liveavatar(vendor, "speak")
        client = la_client(ctx)
        client.is_sandbox = sandbox
        with client.session(mode=mode, connect=True) as sess:
            event = client.speak_response(sess, text) if respond else client.speak_text(sess, text)
            if hold:
                time.sleep(hold)
        stop = next((e for e in reversed(client.recorder.entries) if e.operation == "liveavatar_stop"), None)
        data = {"session_id": sess.session_id, "mode": sess.mode, "event_id": event["event_id"],
                "event_type": event["event_type"], "stopped": sess.stopped, "sandbox": sandbox,
                "session_minutes": stop.session_minutes if stop else None,
                "cost_usd": float(stop.cost_usd) if stop and stop.cost_usd is not None else None}
        if json_:
            print_json(data)
        else:
            info(f"{event['event_type']} sent in session {sess.session_id}; stopped"
                 + (f" (≈ ${data['cost_usd']:.4f})" if data["cost_usd"] is not None else ""))
