"""Options shared by every command, declared once so their names and help never drift."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = [
    "ClassOpt",
    "CsvOpt",
    "DryRunOpt",
    "JsonOpt",
    "OutputOpt",
    "SchoolOpt",
    "VendorOpt",
    "YesOpt",
    "given",
]

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine output: JSON on stdout.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Machine output: CSV with a header row.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]

# exports: the file is written atomically (tinytalk_cli/_files.py), stdout when absent
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).", dir_okay=False)
]
# member and assignment filters
SchoolOpt = Annotated[str | None, typer.Option("--school", help="Only this school.")]
ClassOpt = Annotated[str | None, typer.Option("--class", help="Only this class (e.g. 3-1).")]

# the video-avatar vendor of the `heygen` commands
VendorOpt = Annotated[str, typer.Option("--vendor", help="heygen (v1 streaming) or liveavatar.",
                                        envvar="TINYTALK_VIDEO_VENDOR")]


def given(**values: Any) -> dict[str, Any]:
    """The options the user actually gave (not None): the fields an update should touch."""
    return {k: v for k, v in values.items() if v is not None}
