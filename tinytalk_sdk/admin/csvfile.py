"""Reading the CSV files schools send from Excel, and writing ones Excel opens safely.

Korean schools send UTF-8, UTF-8 with a BOM, CP949/EUC-KR (Excel's default there) and UTF-16 "Unicode text"
(tab-separated). Decoding is strict (:mod:`.csvdecode`): the whole file in one of those encodings, or an
:class:`~tinytalk_sdk.EncodingError` naming the first row that does not fit. Writing goes through the one
CSV writer of the toolkit, :mod:`tinytalk_sdk.csvsafe` (formula cells neutralised), re-exported here.

Row numbers are what the user sees in Excel: the header is row 1, the first data row is row 2, a quoted cell
with a line break still counts as one row.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from .._exceptions import ValidationError
from ..csvsafe import FORMULA_PREFIXES, neutralize_cell, write_rows
from .csvdecode import decode_csv_bytes

__all__ = [
    "FORMULA_PREFIXES",
    "CsvTable",
    "detect_encoding",
    "neutralize_cell",
    "normalize_header",
    "read_table",
    "sniff_delimiter",
    "write_rows",
]

_DELIMITERS = (",", "\t", ";")


@dataclass
class CsvTable:
    """A decoded CSV file: its header and its rows (Excel row number, cells)."""

    source: str
    encoding: str
    encoding_source: str  # "given" | "BOM" | "detected"
    delimiter: str
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def delimiter_name(self) -> str:
        return {",": "comma", "\t": "tab", ";": "semicolon"}.get(self.delimiter, repr(self.delimiter))


def detect_encoding(data: bytes) -> tuple[str, str]:
    """``(codec, how)`` for raw file bytes (``how`` is ``BOM`` or ``detected``), by :mod:`.csvdecode`'s rules.

    Raises :class:`~tinytalk_sdk.EncodingError` naming the first row when no single encoding fits.
    """
    decoded = decode_csv_bytes(data)
    return decoded.encoding, decoded.how


def sniff_delimiter(first_line: str) -> str:
    """The delimiter the header uses most (comma, tab or semicolon); comma when there is none."""
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def normalize_header(name: str) -> str:
    """``" E-mail "`` → ``email``: case, spaces, ``_``, ``-`` and ``.`` do not matter in header names."""
    return re.sub(r"[\s_\-.]", "", name.replace("\ufeff", "").strip().lower())


def read_table(path: str | Path | bytes, *, encoding: str | None = None, source: str | None = None) -> CsvTable:
    """Decode and split a CSV/TSV file. Raises :class:`ValidationError` naming the file when it cannot."""
    data = path if isinstance(path, bytes) else Path(path).read_bytes()
    name = source or ("<bytes>" if isinstance(path, bytes) else str(path))
    decoded = decode_csv_bytes(data, encoding=encoding, source=name)
    codec, how, text = decoded.encoding, decoded.how, decoded.text
    first = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError(f"{name}: the file is empty") from None
    except csv.Error as exc:
        raise ValidationError(f"{name}: row 1: {exc}") from None
    table = CsvTable(name, codec, how, delimiter, [h.strip() for h in header])
    row_no = 1
    try:
        for cells in reader:
            row_no += 1
            if not any(c.strip() for c in cells):
                continue  # blank lines Excel leaves at the end
            table.rows.append((row_no, cells))
    except csv.Error as exc:
        raise ValidationError(f"{name}: row {row_no + 1}: {exc}") from None
    return table
