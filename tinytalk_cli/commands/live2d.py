"""`tinytalk live2d`: placeholder until its issue lands."""

from __future__ import annotations

import typer

app = typer.Typer(help="live2d commands.", no_args_is_help=True)
