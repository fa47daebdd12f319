"""`tinytalk db`: placeholder until the data-layer work lands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Database: init, upgrade, status, check.", no_args_is_help=True)
