"""Strict decoding of the CSV files schools send: one encoding for the whole file, or a refusal naming the row.

Korean schools send UTF-8 (with or without a BOM), CP949/EUC-KR (Excel's default in Korea) and UTF-16
"Unicode text". A file decodes completely in exactly one of these, or it is refused:

1. ``encoding=`` given (``--encoding``): that codec, strictly; the first row it cannot decode is named.
2. A byte-order mark: UTF-8-SIG or UTF-16, strictly.
3. NUL bytes and no BOM: UTF-16 LE/BE when the bytes decode strictly and the newlines sit where UTF-16 puts
   them; anything else with NULs is refused (a binary file, UTF-32...).
4. Valid UTF-8 everywhere: UTF-8 (random non-UTF-8 text passes strict UTF-8 only for a few bytes), except
   when a row without Hangul reads as Latin in UTF-8 but as a Korean word in CP949: a CP949 row can be valid
   UTF-8 by accident (``--encoding utf-8`` accepts such a file as it is).
5. Otherwise CP949, only when every line decodes in it, **no** line is valid multi-byte UTF-8 (that is a file
   mixing encodings, the finding of issue 12: it is refused naming the first row in the minority encoding),
   the file has Hangul, and no row gets a script (Han, Latin, Greek, Cyrillic, kana...) that no other row uses:
   a mis-decoded row shows up as a lone run of Hanja.

charset-normalizer is never asked to *choose*: when a file is refused it only *explains*, suggesting the
encoding it would guess in the hint, so the user can confirm it with ``--encoding``.

Rows are Excel's: the header is row 1 and a quoted cell with a line break still counts as one row, so a
message says ``row 7 (line 8)`` when they differ.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from .._exceptions import EncodingError

__all__ = ["DecodedText", "decode_csv_bytes", "scripts_of"]

_HINT = "pass --encoding (cp949, utf-8, utf-16) if you know it, or save the file again as UTF-8"
_DELIMITERS = (",", "\t", ";")
_KOREAN_WORD = re.compile(r"[\uac00-\ud7a3]{2,}")
_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
_PLAIN = re.compile(r"[\x00-\x7f\uac00-\ud7a3]+")
_ESCAPED = re.compile(r"[\udc80-\udcff]")  # bytes surrogateescape could not decode
_LATIN_2BYTE = re.compile(r"[\u00a1-\u023f]")  # what C2-C8 lead + A1-BF trail bytes decode to in UTF-8


@dataclass(frozen=True)
class DecodedText:
    text: str  # without the BOM
    encoding: str  # Python codec name: utf-8, utf-8-sig, utf-16, utf-16-le, cp949, ...
    how: str  # "given" | "BOM" | "detected"


def _script(ch: str) -> str | None:
    """A coarse script name for one character; None for ASCII, digits, punctuation, symbols and spaces."""
    o = ord(ch)
    if o < 0x80:
        return None
    if 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F or 0xA960 <= o <= 0xA97F \
            or 0xD7B0 <= o <= 0xD7FF:
        return "Hangul"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3FFFF:
        return "Han"
    if 0x3040 <= o <= 0x30FF:
        return "kana"
    category = unicodedata.category(ch)
    if category[0] in "PSNZ":
        return None
    if category[0] == "C":
        return "control/private"
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0].title() if name else "unknown"


def scripts_of(text: str) -> set[str]:
    """The scripts ``text`` uses, by :func:`_script` (ASCII, punctuation and symbols do not count)."""
    # Fast path: school files are ASCII and Hangul syllables; only the rest goes through unicodedata.
    found = {"Hangul"} if _SYLLABLE.search(text) else set()
    rest = _PLAIN.sub("", text)
    if rest:
        found |= {s for s in map(_script, rest) if s is not None}
    return found


def _row_starts(structure: str, delimiter: str) -> list[int]:
    """Line number (1-based) where each CSV record starts; quoted line breaks stay inside a record."""
    starts: list[int] = []
    reader = csv.reader(io.StringIO(structure, newline=""), delimiter=delimiter)
    last = 0
    try:
        for _ in reader:
            starts.append(last + 1)
            last = reader.line_num
    except csv.Error:
        pass
    return starts


class _Where:
    """Maps a 0-based physical line index to "row R (line L)" as the user sees it in Excel."""

    def __init__(self, structure: str) -> None:
        first = structure.split("\n", 1)[0]
        counts = {d: first.count(d) for d in _DELIMITERS}
        delimiter = max(_DELIMITERS, key=lambda d: counts[d])
        self._starts = _row_starts(structure, delimiter if counts[delimiter] else ",")

    def row(self, index: int) -> int:
        line = index + 1
        return sum(1 for s in self._starts if s <= line) or line

    def __call__(self, index: int) -> str:
        line, row = index + 1, self.row(index)
        return f"row {row}" if row == line else f"row {row} (line {line})"


class _LazyWhere:
    """A :class:`_Where` built on first use: parsing the whole file for row numbers only when refusing."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._where: _Where | None = None

    def _get(self) -> _Where:
        if self._where is None:
            self._where = _Where(self._data.decode("latin-1"))
        return self._where

    def row(self, index: int) -> int:
        return self._get().row(index)

    def __call__(self, index: int) -> str:
        return self._get()(index)


def _explain(data: bytes) -> str:
    """charset-normalizer's guess, as a hint only (never used to decode)."""
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[: 1 << 16]).best()
    except Exception:  # an explainer must never turn a clear refusal into a crash
        return _HINT
    if best is None:
        return _HINT
    name = codecs.lookup(best.encoding).name
    return f"charset-normalizer guesses {name}: if that is right, pass --encoding {name}; otherwise {_HINT}"


def _strict_whole(data: bytes, codec: str, how: str, source: str) -> DecodedText:
    """Decode all of ``data`` in ``codec`` or raise naming the row of the first undecodable byte."""
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode(codec, errors="replace")
        line = prefix.count("\n")
        column = len(prefix) - (prefix.rfind("\n") + 1) + 1
        where = _Where(prefix)(line)
        raise EncodingError(
            f"{source}: {where}: not valid {codec} (byte 0x{data[exc.start]:02x} at character {column})",
            encoding=codec, row=_Where(prefix).row(line), line=line + 1,
            hint="try another --encoding (cp949, utf-8, utf-16)" if how == "given" else _HINT,
        ) from None
    return DecodedText(text.lstrip("\ufeff"), codec, how)


def _lone_script(lines: list[str], where: _Where | _LazyWhere, source: str, codec: str) -> None:
    """Refuse a guessed decoding that gives one row a script no other row uses."""
    if not _PLAIN.sub("", "\n".join(lines)):
        return  # ASCII and Hangul syllables only: one script, nothing can be lone
    per_line = [scripts_of(s) for s in lines]
    used: dict[str, list[int]] = {}
    for i, found in enumerate(per_line):
        for s in found:
            used.setdefault(s, []).append(i)
    for i, found in enumerate(per_line):
        lone = sorted(s for s in found - {"Hangul"} if used[s] == [i])
        if lone:
            sample = "".join(ch for ch in lines[i] if _script(ch) in lone)[:8]
            raise EncodingError(
                f"{source}: {where(i)}: decoding as {codec} gives {lone[0]} characters ('{sample}') that no "
                "other row uses; the file probably mixes encodings",
                encoding=codec, row=where.row(i), line=i + 1,
                hint=f"if the file really is {codec}, pass --encoding {codec}; otherwise save it again as UTF-8",
            )


def _utf16_without_bom(data: bytes, source: str) -> DecodedText:
    # Without a BOM, the byte order shows in where the NULs of ASCII characters fall: LE puts them second.
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    codec = "utf-16-le" if odd_nuls > even_nuls else "utf-16-be"
    newline = b"\n\x00" if codec == "utf-16-le" else b"\x00\n"
    try:
        text = data.decode(codec) if len(data) % 2 == 0 else None
    except UnicodeDecodeError:
        text = None
    aligned = text is not None and any(data.startswith(newline, i) for i in range(0, len(data), 2))
    if text is None or not aligned or "\x00" in text:
        raise EncodingError(
            f"{source}: NUL bytes and no byte-order mark: not a text file in a known encoding",
            encoding=None, row=None, line=None, hint=_explain(data),
        )
    lines = text.split("\n")
    _lone_script(lines, _LazyWhere(text.encode("utf-8")), source, codec)
    return DecodedText(text, codec, "detected")


def decode_csv_bytes(data: bytes, *, encoding: str | None = None, source: str = "<bytes>") -> DecodedText:
    """Decode a whole CSV file by the rules in the module doc; :class:`EncodingError` names the row if not."""
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise EncodingError(f"{source}: unknown encoding '{encoding}'", encoding=encoding, row=None,
                                line=None, hint="use cp949, euc-kr, utf-8, utf-8-sig or utf-16") from None
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        return _strict_whole(data, codec, "given", source)
    if data.startswith(codecs.BOM_UTF8):
        return _strict_whole(data, "utf-8-sig", "BOM", source)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict_whole(data, "utf-16", "BOM", source)  # the codec reads the BOM and drops it
    if b"\x00" in data:
        return _utf16_without_bom(data, source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _guess_cp949(data, source)
    _cp949_in_utf8(data, source)
    return DecodedText(text, "utf-8", "detected")


def _cp949_in_utf8(data: bytes, source: str) -> None:
    """Refuse a valid-UTF-8 file with a row that reads as Latin in UTF-8 but as a Korean word in CP949.

    A CP949 syllable whose lead byte is C2-C8 and trail byte A1-BF is also one valid two-byte UTF-8
    character (U+00A1-U+023F), so a CP949 row can pass strict UTF-8 as "ÇÀ¡"-like Latin. The tell: read as
    CP949 the row holds a Korean word (two or more syllables in a row: names and schools do), and no Hangul
    in UTF-8. A lone syllable is not enough ("José" reads as "Jos챕" in CP949).
    """
    if not _LATIN_2BYTE.search(data.decode("utf-8")):
        return  # no character a CP949 syllable could have become: nothing to check, row by row
    raw_lines = data.split(b"\n")
    for i, raw in enumerate(raw_lines):
        if raw.isascii():
            continue
        found = scripts_of(raw.decode("utf-8"))
        if "Hangul" in found or "Latin" not in found:
            continue
        try:
            as_cp949 = raw.decode("cp949")
        except UnicodeDecodeError:
            continue
        word = _KOREAN_WORD.search(as_cp949)
        if word and scripts_of(as_cp949) == {"Hangul"}:
            where = _Where(data.decode("latin-1"))
            sample = "".join(ch for ch in raw.decode("utf-8") if _script(ch) == "Latin")[:8]
            raise EncodingError(
                f"{source}: {where(i)}: reads as Latin ('{sample}') in UTF-8 but as Korean in CP949 "
                f"('{word.group(0)}'): the file probably mixes encodings",
                encoding="utf-8", row=where.row(i), line=i + 1,
                hint="if the file really is UTF-8, pass --encoding utf-8; if it is CP949, --encoding cp949",
            )


def _utf8_split(data: bytes) -> tuple[list[int], list[int]]:
    """Indexes of the lines that are valid multi-byte UTF-8, and of those that are not UTF-8 at all.

    ``surrogateescape`` turns each undecodable byte into U+DC80-U+DCFF without raising (an exception per line
    costs more than the decode), and a newline byte never sits inside a UTF-8 sequence.
    """
    lines = data.split(b"\n")
    candidates = [i for i, raw in enumerate(lines) if not raw.isascii()]
    invalid = [i for i in candidates if _ESCAPED.search(lines[i].decode("utf-8", errors="surrogateescape"))]
    if len(invalid) == len(candidates):
        return [], invalid
    bad = set(invalid)
    return [i for i in candidates if i not in bad], invalid


def _guess_cp949(data: bytes, source: str) -> DecodedText:
    raw_lines = data.split(b"\n")
    # CSV structure bytes (quotes, delimiters, newlines) are ASCII and never a trail byte in UTF-8 or CP949,
    # so Latin-1 text has the same records as the real text: it maps lines to Excel rows.
    where = _LazyWhere(data)
    utf8_rows, bad_rows = _utf8_split(data)  # multi-byte UTF-8 lines are proof of UTF-8
    if utf8_rows:
        if len(utf8_rows) >= len(bad_rows):
            i = bad_rows[0]
            try:
                raw_lines[i].decode("utf-8")
                byte, column = 0, 0  # pragma: no cover - _utf8_split said it does not decode
            except UnicodeDecodeError as exc:
                byte = raw_lines[i][exc.start]
                column = len(raw_lines[i][: exc.start].decode("utf-8", errors="replace")) + 1
            looks = " (it looks like CP949)" if _decodes(raw_lines[i], "cp949") else ""
            others = ", ".join(str(where.row(r)) for r in utf8_rows[:3])
            raise EncodingError(
                f"{source}: {where(i)}: not valid UTF-8 (byte 0x{byte:02x} at character {column}) although "
                f"row {others}{' ...' if len(utf8_rows) > 3 else ''} are UTF-8: the file mixes encodings{looks}",
                encoding="utf-8", row=where.row(i), line=i + 1,
                hint="save the whole file again as UTF-8 (or re-type the row), or pass --encoding to force one",
            )
        i = utf8_rows[0]
        raise EncodingError(
            f"{source}: {where(i)}: UTF-8 text in a file that is otherwise not UTF-8 (CP949?): the file mixes "
            "encodings",
            encoding="cp949", row=where.row(i), line=i + 1,
            hint="save the whole file again in one encoding, or pass --encoding to force one",
        )
    try:
        text = data.decode("cp949")  # CP949 is stateless and "\n" is never a trail byte: lines decode alike
    except UnicodeDecodeError as exc:
        i = data.count(b"\n", 0, exc.start)
        raise EncodingError(
            f"{source}: {where(i)}: neither UTF-8 nor CP949 (byte 0x{data[exc.start]:02x})",
            encoding=None, row=where.row(i), line=i + 1, hint=_explain(data),
        ) from None
    if not _SYLLABLE.search(text) and "Hangul" not in scripts_of(text):
        raise EncodingError(
            f"{source}: not UTF-8, and as CP949 it has no Korean text: cannot tell the encoding",
            encoding=None, row=None, line=None, hint=_explain(data),
        )
    _lone_script(text.split("\n"), where, source, "cp949")
    return DecodedText(text, "cp949", "detected")


def _decodes(raw: bytes, codec: str) -> bool:
    try:
        return bool(scripts_of(raw.decode(codec)) & {"Hangul"})
    except UnicodeDecodeError:
        return False
