"""`tinytalk characters`: placeholder until its issue lands."""

from __future__ import annotations

import typer

app = typer.Typer(help="characters commands.", no_args_is_help=True)
