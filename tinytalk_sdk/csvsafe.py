"""The one CSV writer of the toolkit: every CSV it emits goes through here, so no cell runs as a formula.

CSV injection (OWASP "CSV Injection"): a spreadsheet evaluates a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula (``=HYPERLINK(…)``, ``+cmd|' /C calc'!A0``). Such a cell gets a
leading apostrophe, which makes Excel and LibreOffice show it as text. The check looks past leading
whitespace too (``"  =1+1"``), because LibreOffice trims it on import.

Two decisions the OWASP page leaves open (docs/security.md):

* A value that *is* a number (an ``int``/``float``/``Decimal``, not text) is written as is: a spreadsheet
  reads ``-3`` as a number, never as a formula, and exports of costs and deltas stay numeric. Text that
  merely looks like a number (a name ``-2``) is neutralised like any other text.
* The quote is added, never something removed: :func:`unneutralize_cell` is the exact inverse, which
  ``assignments import`` uses so a round trip through our own export is lossless.

No module outside this one may call :func:`csv.writer` (a test greps the source tree).
"""

from __future__ import annotations

import codecs
import csv
import decimal
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO

from ._exceptions import ValidationError

__all__ = [
    "FORMULA_PREFIXES",
    "SafeCsvWriter",
    "csv_writer",
    "neutralize_cell",
    "unneutralize_cell",
    "write_rows",
]

# Cells starting with these run as formulas in Excel/LibreOffice (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _is_formula(text: str) -> bool:
    if text.startswith(("\t", "\r")):
        return True
    return text.lstrip().startswith(FORMULA_PREFIXES)


def neutralize_cell(value: object) -> str:
    """The cell as text that a spreadsheet shows and never evaluates (``None`` → ``""``)."""
    if value is None:
        return ""
    if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if _is_formula(text) else text


def unneutralize_cell(value: str) -> str:
    """Undo :func:`neutralize_cell` (only where it added the apostrophe)."""
    if value.startswith("'") and _is_formula(value[1:]):
        return value[1:]
    return value


class SafeCsvWriter:
    """``csv.writer`` with every cell passed through :func:`neutralize_cell`."""

    def __init__(self, out: IO[str], *, delimiter: str = ",", lineterminator: str = "\n") -> None:
        # The row is formatted with CRLF so that csv quotes a cell holding a lone CR too (with "\n" it does
        # not, and a spreadsheet then starts a new row inside the cell: "x\r=cmd" would run), then the
        # requested line end replaces the CRLF.
        self._out = out
        self._end = lineterminator
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, delimiter=delimiter, lineterminator="\r\n")

    def writerow(self, cells: Iterable[object]) -> None:
        self._writer.writerow([neutralize_cell(c) for c in cells])
        line = self._buf.getvalue()
        self._buf.seek(0)
        self._buf.truncate()
        self._out.write(line[:-2] + self._end)

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: IO[str], *, delimiter: str = ",", lineterminator: str = "\n") -> SafeCsvWriter:
    """A :class:`SafeCsvWriter` on a text stream (the CLI's stdout, an export file)."""
    return SafeCsvWriter(out, delimiter=delimiter, lineterminator=lineterminator)


def write_rows(
    out: IO[bytes],
    header: Sequence[str],
    rows: Iterable[Mapping[str, object] | Sequence[object]],
    *,
    encoding: str = "utf-8-sig",
) -> Iterator[int]:
    """Write an Excel-friendly CSV (CRLF, neutralised cells) to a binary stream, row by row.

    Yields the number of rows written after each row, so callers can stream and count. A value the encoding
    cannot represent (a character outside CP949, say) raises :class:`ValidationError` naming the row.
    """
    codec = codecs.lookup(encoding).name
    buf = io.StringIO()
    writer = SafeCsvWriter(buf, lineterminator="\r\n")
    bom = codec in ("utf-8-sig", "utf-16")

    def emit(cells: Sequence[object], row_no: int) -> None:
        writer.writerow(cells)
        chunk = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        try:
            # utf-8-sig / utf-16 put a BOM on every encode(); only the first line gets it.
            encoded = chunk.encode(codec) if row_no == 1 or not bom else chunk.encode(
                "utf-8" if codec == "utf-8-sig" else "utf-16-le" if codec == "utf-16" else codec
            )
        except UnicodeEncodeError as exc:
            raise ValidationError(
                f"row {row_no}: '{chunk[exc.start:exc.end]}' cannot be written in {codec}",
                hint="export with --encoding utf-8-sig",
            ) from None
        out.write(encoded)

    emit(list(header), 1)
    for count, row in enumerate(rows, start=1):
        cells = [row.get(h) for h in header] if isinstance(row, Mapping) else list(row)
        emit(cells, count + 1)
        yield count
