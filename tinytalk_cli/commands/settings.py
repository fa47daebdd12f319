"""`tinytalk settings`: placeholder."""

from __future__ import annotations

import typer

app = typer.Typer(help="admin_settings: list, get, set.", no_args_is_help=True)
