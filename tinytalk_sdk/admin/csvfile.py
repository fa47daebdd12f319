"""Reading the CSV files schools send from Excel, and writing ones Excel opens safely.

Korean schools send UTF-8, UTF-8 with a BOM, CP949/EUC-KR (Excel's default there) and UTF-16 "Unicode text"
(tab-separated). :func:`detect_encoding` checks byte-order marks first, then strict UTF-8, then asks
charset-normalizer, preferring CP949 over an exotic guess when the bytes decode as Korean text.

Row numbers are what the user sees in Excel: the header is row 1, the first data row is row 2, a quoted cell
with a line break still counts as one row.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .._exceptions import ValidationError

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

# Cells starting with these run as formulas in Excel/LibreOffice (CSV injection, OWASP); a leading
# apostrophe makes them text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_DELIMITERS = (",", "\t", ";")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


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
    """``(codec, how)`` for raw file bytes; ``how`` is ``BOM`` or ``detected``."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "BOM"  # Python's utf-16 codec reads the BOM and drops it
    try:
        data.decode("utf-8")
        return "utf-8", "detected"
    except UnicodeDecodeError:
        pass
    # CP949 is what Excel writes in Korea; charset-normalizer drifts to UTF-16 or a Cyrillic/Greek code page on
    # short CP949 files, so take CP949 first when the bytes decode cleanly as Korean text. Text without any
    # NUL byte cannot be UTF-16 (every newline would be 0A 00).
    if b"\x00" not in data:
        try:
            text = data.decode("cp949")
        except UnicodeDecodeError:
            text = ""
        if text and _HANGUL.search(text):
            return "cp949", "detected"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    guess = best.encoding if best is not None else None
    if guess is None:
        raise ValidationError(
            "cannot tell the file's encoding", hint="pass --encoding (e.g. cp949, utf-8, utf-16)"
        )
    return codecs.lookup(guess).name, "detected"


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
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise ValidationError(f"{name}: unknown encoding '{encoding}'") from None
        how = "given"
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
    else:
        codec, how = detect_encoding(data)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{name}: not valid {codec} at byte {exc.start}", hint="try another --encoding (cp949, utf-8, utf-16)"
        ) from None
    text = text.lstrip("\ufeff")
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


def neutralize_cell(value: str) -> str:
    """Make a cell inert in a spreadsheet: a leading ``'`` before ``=``, ``+``, ``-``, ``@``, tab or CR."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


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
    writer = csv.writer(buf, lineterminator="\r\n")
    bom = codec in ("utf-8-sig", "utf-16")

    def emit(cells: Sequence[object], row_no: int) -> None:
        writer.writerow(["" if c is None else neutralize_cell(str(c)) for c in cells])
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
