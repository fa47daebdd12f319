"""Check a documented argv against the real Typer app, without running anything.

Each level's tokens go to that command's own option parser (``cmd.make_parser(ctx).parse_args``, the
step of ``make_context`` that reads argv): it decides which options exist, which take a value and how many
arguments fit, and for a group it stops at the subcommand name, which we resolve in ``cmd.commands``.
``make_context(..., resilient_parsing=True)`` would not do: resilient parsing swallows the very
"no such option" errors this check is for.
"""

from __future__ import annotations

import enum
import typing
from functools import cache
from typing import Any

from typer.main import get_command

__all__ = ["check_argv", "group_commands", "root_command"]


@cache
def root_command() -> Any:
    from tinytalk_cli.main import app

    return get_command(app)


def group_commands() -> frozenset[str]:
    """ "group sub" for every group's direct subcommand: the bare `db check` spelling in prose."""
    root = root_command()
    return frozenset(
        f"{name} {sub}" for name, group in root.commands.items() for sub in (getattr(group, "commands", None) or {})
    )


def _options(cmd: Any, ctx: Any) -> dict[str, Any]:
    return {
        opt: param
        for param in cmd.get_params(ctx)
        if param.param_type_name == "option"
        for opt in [*param.opts, *param.secondary_opts]
    }


def _takes_value(param: Any) -> bool:
    return not (param.is_flag or getattr(param, "count", False))


def _enum_choices(param: Any) -> list[str] | None:
    """The allowed values of an Enum/Literal option (a doc may show a value that no longer exists)."""
    annotation = param.type_descriptor.annotation
    if typing.get_origin(annotation) is list:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(member.value) for member in annotation]
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    return None


def _check_values(cmd: Any, ctx: Any, argv: list[str]) -> str | None:
    options = _options(cmd, ctx)
    for i, token in enumerate(argv):
        name, _, inline = token.partition("=")
        param = options.get(name)
        if param is None or not _takes_value(param):
            continue
        value = inline or (argv[i + 1] if i + 1 < len(argv) else "")
        # Upper-case words are placeholders (NAME, FILE, S): only literal values are checked.
        if not value or value.isupper():
            continue
        choices = _enum_choices(param)
        if choices and value not in choices:
            return f"{name} {value!r} is not one of {choices}"
        number = param.type_descriptor.annotation
        if number in (int, float):
            try:
                number(value)
            except ValueError:
                return f"{name} {value!r} is not a valid {number.__name__}"
    return None


def check_argv(argv: list[str], mention: bool = False) -> str | None:
    """None when `tinytalk <argv>` names a real command and only options it has; else why not.

    ``mention``: an inline span may name an option without its value (`tinytalk serve --faults`).
    """
    cmd = root_command()
    path = "tinytalk"
    parent = None
    rest = list(argv)
    while True:
        ctx = cmd.context_class(cmd, info_name=path.rsplit(" ", 1)[-1], parent=parent)
        try:
            # The command's own parser: it knows which options exist and which take a value. Unlike
            # make_context it runs no callbacks (`--help`, `--version`) and checks no required argument.
            _opts, largs, _ = cmd.make_parser(ctx).parse_args(args=list(rest))
        except Exception as exc:  # the vendored click's UsageError: no public name to catch
            message = _message(exc)
            if mention and "requires an argument" in message and rest and rest[-1].startswith("-"):
                return None
            return f"`{path}`: {message}"
        subcommands = getattr(cmd, "commands", None)
        if not subcommands:
            if largs:
                return f"`{path}`: unexpected extra argument(s) {largs}"
            return _check_values(cmd, ctx, rest)
        if not largs:
            return None  # a group on its own (`tinytalk config`, `tinytalk personas --help`)
        name, rest = largs[0], largs[1:]
        sub = subcommands.get(name)
        if sub is None:
            return f"`{path}` has no command {name!r} (it has: {', '.join(sorted(subcommands))})"
        cmd, parent, path = sub, ctx, f"{path} {name}"


def _message(exc: Exception) -> str:
    format_message = getattr(exc, "format_message", None)
    return str(format_message()) if callable(format_message) else f"{type(exc).__name__}: {exc}"
