"""One place that renders data: JSON, CSV, TSV or a Rich table. stdout is data, stderr is people.

Conventions (docs/cli.md):
- ``--json``: stable keys, ISO-8601 UTC times, written without wrapping.
- ``--csv``: RFC 4180 with a header row.
- stdout a TTY → a Rich table; otherwise tab-separated lines with a header row.
- ``NO_COLOR`` turns colour off; messages, progress and hints go to stderr.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "OutputFormat",
    "cell_text",
    "err_console",
    "human_size",
    "info",
    "json_default",
    "out_console",
    "print_json",
    "print_json_stream",
    "print_record",
    "print_rows",
    "stdout_is_tty",
    "warn",
]


class OutputFormat(StrEnum):
    auto = "auto"
    json = "json"
    csv = "csv"
    tsv = "tsv"
    table = "table"


def stdout_is_tty() -> bool:
    return sys.stdout.isatty() and os.environ.get("TINYTALK_FORCE_PLAIN") is None


def _no_color() -> bool:
    return bool(os.environ.get("NO_COLOR"))


_err: Console | None = None


def err_console() -> Console:
    global _err
    if _err is None:
        from rich.console import Console

        _err = Console(stderr=True, no_color=_no_color(), highlight=False)
    return _err


def out_console() -> Console:
    from rich.console import Console

    return Console(no_color=_no_color(), highlight=False)


def info(message: str) -> None:
    err_console().print(message, markup=False, soft_wrap=True)


def warn(message: str) -> None:
    console = err_console()
    console.print("Warning:", style="yellow", end=" ")
    console.print(message, markup=False, soft_wrap=True)


def json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=json_default, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def print_json_stream(items: Iterable[Any], out: Any = None) -> int:
    """Write a JSON array one element at a time (constant memory). Returns the number of elements."""
    out = out or sys.stdout
    count = 0
    out.write("[")
    for item in items:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps(item, default=json_default, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    out.flush()
    return count


def human_size(n: int, *, binary: bool = False) -> str:
    """``1536`` → ``1.5 KB`` (``1.5 KiB`` with ``binary``); bytes stay whole, the largest unit is GB."""
    units = ("B", "KiB", "MiB", "GiB") if binary else ("B", "KB", "MB", "GB")
    value = float(n)
    for unit in units:
        if value < 1024 or unit == units[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover - the loop always returns


def cell_text(value: Any) -> str:
    """One value as CSV/TSV/table text: '' for None, true/false, ISO-8601 UTC times, JSON for lists."""
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime, decimal.Decimal)):
        return str(json_default(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=json_default, ensure_ascii=False)
    return str(value)


def _csv_value(value: Any) -> Any:
    # Real numbers stay numbers (never a formula); everything else is text the CSV writer neutralises.
    if isinstance(value, decimal.Decimal):
        return decimal.Decimal(cell_text(value))  # the same digits as --json and TSV, still a number
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return cell_text(value)


def print_rows(
    rows: Sequence[Mapping[str, Any]] | Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    fmt: OutputFormat | str = OutputFormat.auto,
    title: str | None = None,
    json_payload: Any = None,
) -> None:
    """Render a list. ``json_payload`` replaces the plain list of rows for ``--json`` when given."""
    fmt = OutputFormat(fmt)
    rows = list(rows)
    if fmt is OutputFormat.json:
        print_json(json_payload if json_payload is not None else rows)
        return
    if fmt is OutputFormat.csv:
        from tinytalk_sdk.csvsafe import csv_writer

        writer = csv_writer(sys.stdout)  # the toolkit's one CSV writer: formula cells neutralised
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(row.get(c)) for c in columns])
        return
    if fmt is OutputFormat.tsv or (fmt is OutputFormat.auto and not stdout_is_tty()):
        from tinytalk_sdk.csvsafe import neutralize_cell

        # TSV lands in spreadsheets too (`tinytalk members list > m.tsv`): the same formula rule as CSV.
        sys.stdout.write("\t".join(columns) + "\n")
        for row in rows:
            sys.stdout.write("\t".join(
                neutralize_cell(_csv_value(row.get(c))).replace("\t", " ").replace("\r", " ").replace("\n", " ")
                for c in columns
            ) + "\n")
        return
    from rich.table import Table

    table = Table(title=title, header_style="bold")
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(cell_text(row.get(c)) for c in columns))
    out_console().print(table)
    if not rows:
        info("(no rows)")


def print_record(record: Mapping[str, Any], *, fmt: OutputFormat | str = OutputFormat.auto) -> None:
    """Render one object: JSON, or key/value lines (a two-column table on a TTY)."""
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.json:
        print_json(record)
        return
    if fmt is OutputFormat.csv:
        print_rows([record], list(record), fmt=fmt)
        return
    if fmt is OutputFormat.table or (fmt is OutputFormat.auto and stdout_is_tty()):
        from rich.table import Table

        table = Table(show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        for key, value in record.items():
            table.add_row(key, cell_text(value))
        out_console().print(table)
        return
    for key, value in record.items():
        sys.stdout.write(f"{key}\t{cell_text(value)}\n")
