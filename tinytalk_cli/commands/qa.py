"""`tinytalk qa`: placeholder until its issue lands."""

from __future__ import annotations

import typer

app = typer.Typer(help="qa commands.", no_args_is_help=True)
