"""`tinytalk heygen`: HeyGen streaming sessions (find and stop leaked ones), avatars and voices.

HeyGen bills session minutes and caps concurrent sessions; a session leaked by a crash keeps both until
HeyGen's idle timeout. `sessions stop-all` ends them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._context import confirm, get_ctx, output_format
from .._options import CsvOpt, DryRunOpt, JsonOpt, YesOpt

if TYPE_CHECKING:
    from tinytalk_sdk.providers.heygen import HeyGenClient

app = typer.Typer(
    help="HeyGen streaming avatar: sessions, avatars, voices.\n\nExample: tinytalk heygen sessions stop-all --yes",
    no_args_is_help=True,
)
sessions_app = typer.Typer(
    help="Active HeyGen streaming sessions (billed per minute).\n\nExample: tinytalk heygen sessions list --json",
    no_args_is_help=True,
)
app.add_typer(sessions_app, name="sessions")

SESSION_COLUMNS = ["session_id", "status", "created_at"]


def _client(ctx: typer.Context) -> HeyGenClient:
    from tinytalk_sdk.providers.factory import make_heygen, recorder_for

    app_ctx = get_ctx(ctx)
    return make_heygen(app_ctx.config, recorder_for(app_ctx.config))


def _iso(value: Any) -> Any:
    if isinstance(value, (int, float)) and value > 0:
        import datetime as dt

        return dt.datetime.fromtimestamp(value, dt.UTC)
    return value


def _session_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"session_id": s.get("session_id"), "status": s.get("status"),
             "created_at": _iso(s.get("created_at"))} for s in items]


@sessions_app.command("list")
def sessions_list(ctx: typer.Context, json_: JsonOpt = False, csv_: CsvOpt = False) -> None:
    """List the key's active streaming sessions.

    Example: tinytalk heygen sessions list --json
    """
    from .._output import print_rows

    rows = _session_rows(_client(ctx).list_sessions())
    print_rows(rows, SESSION_COLUMNS, fmt=output_format(json_, csv_))


@sessions_app.command("stop")
def sessions_stop(
    ctx: typer.Context,
    session_id: Annotated[str, typer.Argument(help="The session to stop.")],
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Stop one streaming session.

    Example: tinytalk heygen sessions stop 3c2f6e1a-… --yes
    """
    from .._output import info, print_json

    if dry_run:
        if json_:
            print_json({"dry_run": True, "stopped": [], "would_stop": [session_id]})
        else:
            info(f"would stop {session_id}")
        return
    confirm(f"Stop HeyGen session {session_id}?", yes=yes)
    _client(ctx).stop(session_id)
    if json_:
        print_json({"dry_run": False, "stopped": [session_id]})
    else:
        info(f"stopped {session_id}")


@sessions_app.command("stop-all")
def sessions_stop_all(
    ctx: typer.Context, dry_run: DryRunOpt = False, yes: YesOpt = False, json_: JsonOpt = False,
) -> None:
    """Stop every active streaming session of the key (sessions leaked by crashes).

    Example: tinytalk heygen sessions stop-all --dry-run
    """
    from .._output import info, print_json

    client = _client(ctx)
    active = client.list_sessions()
    ids = [str(s.get("session_id")) for s in active if s.get("session_id")]
    if dry_run or not ids:
        if json_:
            print_json({"dry_run": dry_run, "stopped": [], "would_stop": ids})
        else:
            info(f"would stop {len(ids)} session(s)" if dry_run else "no active sessions")
            for sid in ids:
                info(f"  {sid}")
        return
    confirm(f"Stop {len(ids)} HeyGen session(s)?", yes=yes)
    stopped = [str(s.get("session_id")) for s in client.stop_all()]
    if json_:
        print_json({"dry_run": False, "stopped": stopped})
    else:
        info(f"stopped {len(stopped)} session(s)")
        for sid in stopped:
            info(f"  {sid}")


@app.command("avatars")
def avatars(ctx: typer.Context, json_: JsonOpt = False, csv_: CsvOpt = False) -> None:
    """List the streaming avatars the key can use.

    Example: tinytalk heygen avatars --csv
    """
    from .._output import print_rows

    items = _client(ctx).list_avatars()
    rows = [{"avatar_id": a.get("avatar_id"), "status": a.get("status"), "is_public": a.get("is_public"),
             "created_at": _iso(a.get("created_at"))} for a in items]
    print_rows(rows, ["avatar_id", "status", "is_public", "created_at"], fmt=output_format(json_, csv_),
               json_payload=items if json_ else None)


@app.command("voices")
def voices(ctx: typer.Context, json_: JsonOpt = False, csv_: CsvOpt = False) -> None:
    """List HeyGen voices.

    Example: tinytalk heygen voices --json
    """
    from .._output import print_rows

    items = _client(ctx).list_voices()
    columns = ["voice_id", "name", "language", "gender"]
    print_rows([{c: v.get(c) for c in columns} for v in items], columns, fmt=output_format(json_, csv_),
               json_payload=items if json_ else None)
