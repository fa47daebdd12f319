"""Options shared by every command, declared once so their names and help never drift."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["CsvOpt", "DryRunOpt", "JsonOpt", "YesOpt"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine output: JSON on stdout.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Machine output: CSV with a header row.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
