"""Assignment CSV decoding and row parsing on generated files: the toolkit's errors only, naming the row."""

from __future__ import annotations

import codecs

from hypothesis import assume, given
from hypothesis import strategies as st

from tinytalk_sdk._exceptions import EncodingError, TinyTalkError, ValidationError
from tinytalk_sdk.admin.assignments import _map_header, _parse_rows
from tinytalk_sdk.admin.csvdecode import decode_csv_bytes
from tinytalk_sdk.admin.csvfile import read_table

HANGUL = st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
# Korean words (names, schools) have two syllables or more; ASCII cells are addresses, codes, classes.
KOREAN_CELL = st.one_of(st.text(HANGUL, min_size=2, max_size=6),
                        st.text(st.sampled_from("abcxyz0123456789 -@."), min_size=1, max_size=12))
ROWS = st.lists(st.lists(KOREAN_CELL, min_size=1, max_size=5), min_size=2, max_size=8)


def csv_text(rows: list[list[str]]) -> str:
    return "".join(",".join(cell.replace(",", " ") for cell in row) + "\r\n" for row in rows)


def lines_of(data: bytes) -> int:
    return data.count(b"\n") + 1


@given(st.binary(max_size=400))
def test_any_bytes_decode_or_are_refused_naming_a_row(data: bytes) -> None:
    try:
        decoded = decode_csv_bytes(data, source="in.csv")
    except EncodingError as exc:
        assert str(exc).startswith("in.csv: ")
        if exc.row is not None:
            assert 1 <= exc.row <= lines_of(data) and f"row {exc.row}" in str(exc)
        assert exc.hint
        return
    assert decoded.encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp949")


@given(ROWS, st.sampled_from(["utf-8", "utf-8-sig", "cp949", "utf-16"]))
def test_a_file_in_one_encoding_decodes_to_its_text(rows: list[list[str]], codec: str) -> None:
    text = csv_text(rows)
    decoded = decode_csv_bytes(text.encode(codec))
    assert decoded.text == text
    if not text.isascii():  # ASCII is UTF-8 and CP949 alike
        assert codecs.lookup(decoded.encoding).name == codecs.lookup(codec).name


@given(ROWS, st.data())
def test_utf8_with_one_cp949_row_is_never_decoded(rows: list[list[str]], data: st.DataObject) -> None:
    hangul_rows = [i for i, row in enumerate(rows) if any("\uac00" <= ch <= "\ud7a3" for ch in "".join(row))]
    assume(len(hangul_rows) >= 2)
    odd = data.draw(st.sampled_from(hangul_rows))
    lines = csv_text(rows).splitlines(keepends=True)
    raw = b"".join(line.encode("cp949" if i == odd else "utf-8") for i, line in enumerate(lines))
    try:
        decoded = decode_csv_bytes(raw)
    except EncodingError as exc:
        assert exc.row == odd + 1  # the UTF-8 rows are the majority: the CP949 row is named
        return
    raise AssertionError(f"a mixed file was decoded as {decoded.encoding}: {decoded.text!r}")


@given(
    st.lists(st.text(max_size=10), min_size=1, max_size=6),
    st.lists(st.lists(st.text(max_size=20), max_size=7), max_size=6),
    st.sampled_from([",", "\t", ";"]),
)
def test_row_parsing_raises_only_validation_errors_naming_rows(
    header: list[str], rows: list[list[str]], delimiter: str
) -> None:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")  # input files, not toolkit output
    writer.writerow(["email", "character", *header])
    writer.writerows(rows)
    try:
        table = read_table(buf.getvalue().encode("utf-8"), source="gen.csv")
        index, shown = _map_header(table)
        parsed = _parse_rows(table, index, shown)
    except ValidationError as exc:
        assert "gen.csv" in str(exc)
        return
    except TinyTalkError as exc:  # pragma: no cover - the property: nothing but validation errors
        raise AssertionError(f"unexpected error class {type(exc).__name__}") from exc
    known_rows = {n for n, _ in table.rows}
    columns = set(table.header) | {"email", "character"}
    for row in parsed:
        for err in row.errors:
            assert err.row in known_rows
            assert err.column is None or err.column in columns
            assert str(err).startswith(f"row {err.row}")
