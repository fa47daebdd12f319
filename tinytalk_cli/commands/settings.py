"""`tinytalk settings`: the platform's global settings in ``admin_settings`` (list, get, set, history).

Thin over :mod:`tinytalk_sdk.settings`, which validates values and keeps the audit trail.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .._context import get_ctx, output_format
from .._options import CsvOpt, DryRunOpt, JsonOpt

app = typer.Typer(
    help="Global platform settings (admin_settings): list, get, set, history.\n\n"
    "Example: tinytalk settings set avatar_provider heygen",
    no_args_is_help=True,
)

KeyArg = Annotated[str, typer.Argument(help="Setting key, e.g. avatar_provider.")]
_LIST_COLUMNS = ["key", "value", "type", "is_default", "updated_by", "updated_at", "allowed"]
_HISTORY_COLUMNS = ["at", "by", "old", "new"]


@app.command("list")
def list_(ctx: typer.Context, json_: JsonOpt = False, csv_: CsvOpt = False) -> None:
    """Every setting: known ones (with defaults when unset) and any other key in the table.

    Example: tinytalk settings list --csv > settings.csv
    """
    from tinytalk_sdk.settings import list_settings

    from .._output import print_rows, warn

    views = list_settings(get_ctx(ctx).engine)
    rows = [v.to_dict() for v in views]
    for row in rows:
        if not json_:
            row["value"] = row["raw"]
    print_rows(rows, _LIST_COLUMNS, fmt=output_format(json_, csv_), title="admin_settings")
    for v in views:
        if not v.valid:
            warn(f"{v.problem} (stored by someone else; `tinytalk settings set {v.key} …` fixes it)")


@app.command("get")
def get(
    ctx: typer.Context,
    key: KeyArg,
    json_: JsonOpt = False,
) -> None:
    """Print one setting's value (its default when unset).

    Example: tinytalk settings get avatar_provider
    """
    from tinytalk_sdk.settings import get_setting

    from .._output import print_json

    view = get_setting(get_ctx(ctx).engine, key)
    if json_:
        print_json(view.to_dict(with_history=True))
    else:
        sys.stdout.write(f"{view.raw if view.raw is not None else ''}\n")


@app.command("set")
def set_(
    ctx: typer.Context,
    key: KeyArg,
    value: Annotated[str, typer.Argument(help="New value; '' clears an optional setting.")],
    force: Annotated[
        bool, typer.Option("--force", help="Allow a key the toolkit does not know (stored as text, unchecked).")
    ] = False,
    dry_run: DryRunOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Validate and change one setting; records who, when and old → new in the row's history.

    An invalid value exits with code 4 and writes nothing.

    Example: tinytalk settings set avatar_provider heygen
    """
    from tinytalk_sdk.settings import set_setting

    from .._output import info, print_json

    app_ctx = get_ctx(ctx)
    change = set_setting(app_ctx.engine, key, value, actor=app_ctx.actor, force=force, dry_run=dry_run)
    if json_:
        print_json(change.to_dict())
        return
    if not change.changed:
        info(f"{key} is already {change.new!r}; nothing changed")
    elif dry_run:
        info(f"would set {key}: {change.old!r} → {change.new!r}; nothing changed (dry run)")
    else:
        info(f"set {key}: {change.old!r} → {change.new!r} (by {change.by})")


@app.command("history")
def history(
    ctx: typer.Context,
    key: KeyArg,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """Who changed a setting, when, and from what to what (oldest first, last 50 kept).

    Example: tinytalk settings history avatar_provider --json
    """
    from tinytalk_sdk.settings import setting_history

    from .._output import print_rows

    entries = setting_history(get_ctx(ctx).engine, key)
    print_rows(entries, _HISTORY_COLUMNS, fmt=output_format(json_, csv_), title=f"history of {key}",
               json_payload={"key": key, "history": entries})
