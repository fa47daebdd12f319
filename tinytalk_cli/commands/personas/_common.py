"""What the persona commands share: the name, reason and expected-version options, and printing a diff."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

NameArg = Annotated[str, typer.Argument(help="Persona name (e.g. tiny).")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", "-m", help="Why: stored in prompt_history.")]
ExpectOpt = Annotated[
    int | None,
    typer.Option("--expect-version", help="Fail with a conflict unless the stored version is still N."),
]


def print_diff(diff: str) -> None:
    """A unified diff on stdout; coloured only on a TTY without NO_COLOR."""
    from ..._output import out_console, stdout_is_tty

    if not diff:
        return
    if stdout_is_tty() and not os.environ.get("NO_COLOR"):
        from rich.text import Text

        console = out_console()
        styles = {"+": "green", "-": "red", "@": "cyan"}
        for line in diff.splitlines():
            style = "bold" if line.startswith(("+++", "---")) else styles.get(line[:1])
            console.print(Text(line, style=style or ""), soft_wrap=True)
        return
    sys.stdout.write(diff if diff.endswith("\n") else diff + "\n")
    sys.stdout.flush()

