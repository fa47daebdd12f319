"""`tinytalk members`: placeholder until its issue lands."""

from __future__ import annotations

import typer

app = typer.Typer(help="members commands.", no_args_is_help=True)
