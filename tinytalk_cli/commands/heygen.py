"""`tinytalk heygen`: video-avatar sessions (find and stop leaked ones), avatars and voices, for HeyGen v1
and, with ``--vendor liveavatar``, HeyGen LiveAvatar (also its contexts, credits and a speak test: the
LiveAvatar-only commands live in :mod:`._liveavatar`).

Both bill session minutes and cap concurrent sessions; a session leaked by a crash keeps both until the
vendor's idle timeout. `sessions stop-all` ends them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._context import confirm, get_ctx, output_format
from .._options import CsvOpt, DryRunOpt, JsonOpt, VendorOpt, YesOpt

if TYPE_CHECKING:
    from tinytalk_sdk.providers.heygen import HeyGenClient
    from tinytalk_sdk.providers.liveavatar import LiveAvatarClient

app = typer.Typer(
    help="Video avatars (HeyGen v1, LiveAvatar): sessions, avatars, voices.\n\n"
         "Example: tinytalk heygen sessions stop-all --vendor liveavatar --yes",
    no_args_is_help=True,
)
sessions_app = typer.Typer(
    help="Video-avatar sessions, HeyGen v1 or LiveAvatar (billed per minute).\n\n"
         "Example: tinytalk heygen sessions list --vendor liveavatar --json",
    no_args_is_help=True,
)
app.add_typer(sessions_app, name="sessions")

SESSION_COLUMNS = ["session_id", "status", "created_at"]
LA_SESSION_COLUMNS = ["session_id", "status", "mode", "created_at", "duration", "credits_consumed", "end_reason"]


def _is_liveavatar(vendor: str) -> bool:
    from tinytalk_sdk import ValidationError

    name = vendor.strip().lower()
    if name not in ("heygen", "liveavatar"):
        raise ValidationError(f"--vendor '{vendor}': use heygen or liveavatar")
    return name == "liveavatar"


def _client(ctx: typer.Context) -> HeyGenClient:
    from tinytalk_sdk.providers.factory import make_heygen, recorder_for

    app_ctx = get_ctx(ctx)
    return make_heygen(app_ctx.config, recorder_for(app_ctx.config))


def la_client(ctx: typer.Context) -> LiveAvatarClient:
    from tinytalk_sdk.providers.factory import make_liveavatar, recorder_for

    app_ctx = get_ctx(ctx)
    return make_liveavatar(app_ctx.config, recorder_for(app_ctx.config))


def _la_rows(items: list[Any], status: str) -> list[dict[str, Any]]:
    return [{"session_id": s.id, "status": status, "mode": s.mode, "created_at": s.created_at,
             "duration": s.duration, "credits_consumed": s.credits_consumed, "end_reason": s.end_reason}
            for s in items]


def _iso(value: Any) -> Any:
    if isinstance(value, (int, float)) and value > 0:
        import datetime as dt

        return dt.datetime.fromtimestamp(value, dt.UTC)
    return value


def _session_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"session_id": s.get("session_id"), "status": s.get("status"),
             "created_at": _iso(s.get("created_at"))} for s in items]


@sessions_app.command("list")
def sessions_list(
    ctx: typer.Context, vendor: VendorOpt = "heygen",
    history: Annotated[bool, typer.Option("--history", help="LiveAvatar: ended sessions instead.")] = False,
    json_: JsonOpt = False, csv_: CsvOpt = False,
) -> None:
    """List the key's active streaming sessions (LiveAvatar: also --history).

    Example: tinytalk heygen sessions list --vendor liveavatar --history --json
    """
    from .._output import print_rows

    if _is_liveavatar(vendor):
        items = la_client(ctx).list_sessions(kind="historic" if history else "active")
        print_rows(_la_rows(items, "ended" if history else "active"), LA_SESSION_COLUMNS,
                   fmt=output_format(json_, csv_))
        return
    if history:
        from tinytalk_sdk import ValidationError

        raise ValidationError("--history: HeyGen v1 lists active sessions only; use --vendor liveavatar")
    rows = _session_rows(_client(ctx).list_sessions())
    print_rows(rows, SESSION_COLUMNS, fmt=output_format(json_, csv_))


@sessions_app.command("stop")
def sessions_stop(
    ctx: typer.Context,
    session_id: Annotated[str, typer.Argument(help="The session to stop.")],
    vendor: VendorOpt = "heygen",
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Stop one streaming session.

    Example: tinytalk heygen sessions stop 3c2f6e1a-… --vendor liveavatar --yes
    """
    from .._output import info, print_json

    if dry_run:
        if json_:
            print_json({"dry_run": True, "stopped": [], "would_stop": [session_id]})
        else:
            info(f"would stop {session_id}")
        return
    liveavatar = _is_liveavatar(vendor)
    confirm(f"Stop {'LiveAvatar' if liveavatar else 'HeyGen'} session {session_id}?", yes=yes)
    if liveavatar:
        la_client(ctx).stop(session_id)
    else:
        _client(ctx).stop(session_id)
    if json_:
        print_json({"dry_run": False, "stopped": [session_id]})
    else:
        info(f"stopped {session_id}")


@sessions_app.command("stop-all")
def sessions_stop_all(
    ctx: typer.Context, vendor: VendorOpt = "heygen", dry_run: DryRunOpt = False, yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Stop every active streaming session of the key (sessions leaked by crashes).

    Example: tinytalk heygen sessions stop-all --vendor liveavatar --dry-run
    """
    from .._output import info, print_json

    liveavatar = _is_liveavatar(vendor)
    if liveavatar:
        la = la_client(ctx)
        ids = [s.id for s in la.list_sessions(kind="active")]
    else:
        client = _client(ctx)
        ids = [str(s.get("session_id")) for s in client.list_sessions() if s.get("session_id")]
    if dry_run or not ids:
        if json_:
            print_json({"dry_run": dry_run, "stopped": [], "would_stop": ids})
        else:
            info(f"would stop {len(ids)} session(s)" if dry_run else "no active sessions")
            for sid in ids:
                info(f"  {sid}")
        return
    confirm(f"Stop {len(ids)} {'LiveAvatar' if liveavatar else 'HeyGen'} session(s)?", yes=yes)
    stopped = [s.id for s in la.stop_all()] if liveavatar else \
        [str(s.get("session_id")) for s in client.stop_all()]
    if json_:
        print_json({"dry_run": False, "stopped": stopped})
    else:
        info(f"stopped {len(stopped)} session(s)")
        for sid in stopped:
            info(f"  {sid}")


@app.command("avatars")
def avatars(
    ctx: typer.Context, vendor: VendorOpt = "heygen",
    public: Annotated[bool, typer.Option("--public", help="LiveAvatar: the public avatars, not yours.")] = False,
    json_: JsonOpt = False, csv_: CsvOpt = False,
) -> None:
    """List the streaming avatars the key can use.

    Example: tinytalk heygen avatars --vendor liveavatar --public --csv
    """
    from .._output import print_rows

    if _is_liveavatar(vendor):
        found = [a.model_dump() for a in la_client(ctx).list_avatars(public=public)]
        columns = ["id", "name", "status", "type", "created_at"]
        print_rows([{c: a.get(c) for c in columns} for a in found], columns, fmt=output_format(json_, csv_),
                   json_payload=found if json_ else None)
        return
    items = _client(ctx).list_avatars()
    rows = [{"avatar_id": a.get("avatar_id"), "status": a.get("status"), "is_public": a.get("is_public"),
             "created_at": _iso(a.get("created_at"))} for a in items]
    print_rows(rows, ["avatar_id", "status", "is_public", "created_at"], fmt=output_format(json_, csv_),
               json_payload=items if json_ else None)


@app.command("voices")
def voices(ctx: typer.Context, vendor: VendorOpt = "heygen", json_: JsonOpt = False, csv_: CsvOpt = False) -> None:
    """List the vendor's voices.

    Example: tinytalk heygen voices --vendor liveavatar --json
    """
    from .._output import print_rows

    if _is_liveavatar(vendor):
        found = [v.model_dump() for v in la_client(ctx).list_voices()]
        columns = ["id", "name", "language", "gender"]
        print_rows([{c: v.get(c) for c in columns} for v in found], columns, fmt=output_format(json_, csv_),
                   json_payload=found if json_ else None)
        return
    items = _client(ctx).list_voices()
    columns = ["voice_id", "name", "language", "gender"]
    print_rows([{c: v.get(c) for c in columns} for v in items], columns, fmt=output_format(json_, csv_),
               json_payload=items if json_ else None)


from . import _liveavatar  # noqa: E402  (the LiveAvatar-only commands join `app`)

_liveavatar.register(app)
