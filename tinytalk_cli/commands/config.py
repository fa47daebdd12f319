"""`tinytalk config`: profiles and settings. Secrets are shown masked, never in full."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .._context import get_ctx, output_format
from .._options import CsvOpt, JsonOpt

app = typer.Typer(
    help="Profiles and settings (API URL and token, database URL, provider keys, CDN target).\n\n"
    "Example: tinytalk --profile prod config set database_url 'mysql+pymysql://…'",
    no_args_is_help=True,
)


KeyArg = Annotated[str, typer.Argument(help="Setting name, e.g. database_url.")]


@app.command("show")
def show(ctx: typer.Context, json_: JsonOpt = False, csv_: CsvOpt = False) -> None:
    """Every setting of the profile, where it comes from, secrets masked.

    Example: tinytalk config show --json | jq .settings.database_url
    """
    from .._output import print_rows

    cfg = get_ctx(ctx).config
    shown = cfg.shown()
    rows = [{"key": k, "value": v["value"], "source": v["source"]} for k, v in shown.items()]
    print_rows(
        rows,
        ["key", "value", "source"],
        fmt=output_format(json_, csv_),
        title=f"profile {cfg.profile}",
        json_payload={"profile": cfg.profile, "path": str(cfg.path), "settings": shown, "warnings": cfg.warnings},
    )


@app.command("get")
def get(
    ctx: typer.Context,
    key: KeyArg,
    json_: JsonOpt = False,
) -> None:
    """Print one setting of the profile; secrets are always masked (`sk-…abcd`).

    Example: tinytalk config get api_url
    """
    from tinytalk_sdk import NotFoundError
    from tinytalk_sdk.config import SETTINGS

    from .._output import print_json

    cfg = get_ctx(ctx).config
    value = cfg.shown()[key]["value"] if key in SETTINGS else cfg.get(key)
    if value is None:
        raise NotFoundError(f"setting '{key}' is not set in profile '{cfg.profile}'")
    if json_:
        print_json({"profile": cfg.profile, "key": key, "value": value, "source": cfg.source(key)})
    else:
        sys.stdout.write(f"{value}\n")


@app.command("set")
def set_(
    ctx: typer.Context,
    key: KeyArg,
    value: Annotated[
        str | None, typer.Argument(help="Value; for secrets omit it and type it at the prompt or pipe it.")
    ] = None,
    keyring: Annotated[bool, typer.Option("--keyring", help="Store a secret in the OS keyring.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Set a setting in the profile's TOML file (or a secret in the keyring).

    Example: echo "$KEY" | tinytalk config set openai_api_key
    """
    from tinytalk_sdk import ValidationError
    from tinytalk_sdk.config import SETTINGS, write_setting

    from .._output import info, print_json

    cfg = get_ctx(ctx).config
    setting = SETTINGS.get(key)
    if setting is None:
        raise ValidationError(f"unknown setting '{key}'", hint="`tinytalk config show` lists the settings")
    if value is not None and setting.secret:
        # argv lands in shell history and `ps`: a secret is only taken from a hidden prompt or stdin.
        raise ValidationError(
            f"'{key}' is a secret: not taken from the command line (nothing written)",
            hint=f"run `tinytalk config set {key}` and type it, or pipe it: `… | tinytalk config set {key}`",
        )
    if value is None:
        if sys.stdin.isatty():
            value = typer.prompt(key, hide_input=setting.secret, err=True)
        else:
            value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise ValidationError(f"empty value for '{key}'")
    where = write_setting(cfg, key, value, use_keyring=keyring)
    if json_:
        print_json({"profile": cfg.profile, "key": key, "stored_in": where})
    else:
        info(f"set {key} in profile '{cfg.profile}' ({where})")


@app.command("unset")
def unset(
    ctx: typer.Context,
    key: KeyArg,
    keyring: Annotated[bool, typer.Option("--keyring", help="Remove the secret from the OS keyring.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Remove a setting from the profile.

    Example: tinytalk config unset api_token
    """
    from tinytalk_sdk.config import write_setting

    from .._output import info, print_json

    cfg = get_ctx(ctx).config
    where = write_setting(cfg, key, None, use_keyring=keyring)
    if json_:
        print_json({"profile": cfg.profile, "key": key, "removed_from": where})
    else:
        info(f"unset {key} in profile '{cfg.profile}'")


@app.command("profiles")
def profiles_(ctx: typer.Context, json_: JsonOpt = False, csv_: CsvOpt = False) -> None:
    """List the profiles in the config file.

    Example: tinytalk config profiles --json
    """
    from tinytalk_sdk.config import config_path, profiles

    from .._output import print_rows

    current = get_ctx(ctx).profile or "default"
    rows = [{"profile": p, "current": p == current} for p in profiles(config_path())]
    print_rows(rows, ["profile", "current"], fmt=output_format(json_, csv_))


@app.command("path")
def path(json_: JsonOpt = False) -> None:
    """Print the config file's path.

    Example: $EDITOR "$(tinytalk config path)"
    """
    from tinytalk_sdk.config import config_path, data_dir

    from .._output import print_json

    if json_:
        print_json({"config": str(config_path()), "data_dir": str(data_dir())})
    else:
        sys.stdout.write(f"{config_path()}\n")
