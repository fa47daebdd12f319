"""The `tinytalk` command: global options, the command groups, and errors → exit codes (one place).

Each group lives in ``tinytalk_cli/commands/<name>.py`` and imports nothing heavy at module level, so
``tinytalk --help`` stays as fast as a bare Typer app (bench/startup.py measures it).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from tinytalk_sdk._exceptions import TinyTalkError
from tinytalk_sdk._redact import redact

from ._context import AppContext

__all__ = ["app", "run"]

# name → module in tinytalk_cli.commands that defines `app` (a group)
GROUPS: dict[str, str] = {
    "config": "config",
    "db": "db",
    "settings": "settings",
    "api": "api",
    "live2d": "live2d",
    "personas": "personas",
    "members": "members",
    "conversations": "conversations",
    "storage": "storage",
    "characters": "characters",
    "assignments": "assignments",
    "usage": "usage",
    "heygen": "heygen",
    "qa": "qa",
}
# modules in tinytalk_cli.commands that define `register(app)` for top-level commands
COMMANDS: list[str] = ["demo", "serve", "dashboard", "doctor", "smoke"]

EXIT_USAGE = 2
# Typer vendors Click; its UsageError is BadParameter's base class (no public name for it in typer 0.29).
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]
EXIT_INTERRUPTED = 130


def _fail(message: str, hint: str | None = None) -> None:
    from ._output import err_console

    console = err_console()
    console.print("Error:", style="bold red", end=" ")
    console.print(redact(message), markup=False, highlight=False, soft_wrap=True)
    if hint:
        console.print(f"hint: {redact(hint)}", style="dim", markup=False, highlight=False, soft_wrap=True)


class TinyTalkGroup(TyperGroup):
    """Turns the toolkit's errors into one stderr line and the documented exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except TinyTalkError as exc:
            if _debug(ctx):
                raise
            _fail(exc.message, exc.hint)
            raise typer.Exit(exc.exit_code) from None
        except _UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                raise
            sub = getattr(exc, "ctx", None)
            _fail(
                exc.format_message(),  # type: ignore[attr-defined]
                f"`{sub.command_path} --help` lists the options" if sub is not None else None,
            )
            raise typer.Exit(EXIT_USAGE) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if exc.__class__.__module__.startswith(("click", "typer")):
                raise
            if _debug(ctx):
                raise
            _fail(
                f"unexpected {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                "run again with --debug for the traceback, and report it",
            )
            raise typer.Exit(1) from None


def _debug(ctx: Any) -> bool:
    obj = ctx.find_root().obj
    return bool(getattr(obj, "debug", False)) or bool(os.environ.get("TINYTALK_DEBUG"))


app = typer.Typer(
    name="tinytalk",
    cls=TinyTalkGroup,
    help="Run the TinyTalk Study platform from a terminal: database, API, Live2D, admin, QA.\n\n"
    "Example: tinytalk --profile prod settings list --json",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from tinytalk_sdk import __version__

        sys.stdout.write(f"tinytalk {__version__}\n")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option("--profile", "-p", envvar="TINYTALK_PROFILE", help="Config profile (default: default)."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    ctx.obj = AppContext(profile=profile, debug=debug)
    if debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
        from tinytalk_sdk._logs import install_redaction

        install_redaction()  # every --debug line masked; SQL parameters and vendor payloads kept out


def _load() -> None:
    for name, module in GROUPS.items():
        mod = importlib.import_module(f"tinytalk_cli.commands.{module}")
        app.add_typer(mod.app, name=name)
    for module in COMMANDS:
        importlib.import_module(f"tinytalk_cli.commands.{module}").register(app)


_load()


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        _fail("interrupted")
        sys.exit(EXIT_INTERRUPTED)
