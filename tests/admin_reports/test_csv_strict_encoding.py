"""Issue 12, finding 3: a CSV decodes completely in one encoding or is refused naming the first bad row."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from tinytalk_sdk._exceptions import EncodingError
from tinytalk_sdk.admin.assignments import import_assignments
from tinytalk_sdk.admin.csvdecode import decode_csv_bytes

from .conftest import add_character, add_user

HEADER = "email,name,school,class,character\r\n"
ROWS = [
    ("kim@school.kr", "김민수", "서울초등학교", "3-2", "haru"),
    ("lee@school.kr", "이서연", "서울초등학교", "3-2", "haru"),
    ("park@school.kr", "박지훈", "서울초등학교", "3-2", "haru"),
    ("choi@school.kr", "최유나", "서울초등학교", "3-2", "haru"),
]


def line(row: tuple[str, ...]) -> str:
    return ",".join(row) + "\r\n"


def mixed_bytes() -> bytes:
    """Rows 2, 3 and 5 in UTF-8; row 4 pasted in from a CP949 file (the issue's reproduction)."""
    return (HEADER + line(ROWS[0]) + line(ROWS[1])).encode() + line(ROWS[2]).encode("cp949") + line(
        ROWS[3]
    ).encode()


@pytest.fixture
def school(sqlite_engine: Engine) -> Engine:
    for email, name, school_name, class_name, _ in ROWS:
        add_user(sqlite_engine, email, name=name, school=school_name, class_name=class_name)
    add_character(sqlite_engine, "haru")
    return sqlite_engine


def test_mostly_utf8_with_a_cp949_row_is_refused_naming_the_row(school: Engine, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(mixed_bytes())
    with pytest.raises(EncodingError) as info:
        import_assignments(school, path, dry_run=True)
    err = info.value
    assert err.row == 4 and err.exit_code == 4
    assert "mixed.csv: row 4: not valid UTF-8" in str(err) and "mixes encodings" in str(err)
    assert "CP949" in str(err)
    assert err.hint and "--encoding" in err.hint


def test_the_cli_refuses_it_with_the_validation_exit_code(
    school: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinytalk_cli.main import app

    path = tmp_path / "mixed.csv"
    path.write_bytes(mixed_bytes())
    monkeypatch.setenv("TINYTALK_DATABASE_URL", school.url.render_as_string(hide_password=False))
    result = CliRunner().invoke(app, ["assignments", "import", str(path), "--yes"])
    assert result.exit_code == 4, result.output
    assert "row 4" in result.stderr and "--encoding" in result.stderr
    assert "靹" not in result.output


def test_mostly_cp949_with_a_utf8_row_is_refused_naming_the_utf8_row() -> None:
    data = (HEADER + line(ROWS[0]) + line(ROWS[1])).encode("cp949") + line(ROWS[2]).encode() + line(
        ROWS[3]
    ).encode("cp949")
    with pytest.raises(EncodingError, match=r"^x\.csv: row 4: UTF-8 text in a file") as info:
        decode_csv_bytes(data, source="x.csv")
    assert info.value.row == 4


@pytest.mark.parametrize("codec", ["cp949", "euc-kr", "utf-16", "utf-8-sig", "utf-8"])
def test_single_encoding_files_import_right(school: Engine, tmp_path: Path, codec: str) -> None:
    text = HEADER + "".join(line(r) for r in ROWS)
    if codec == "utf-16":
        text = text.replace(",", "\t")  # Excel's "Unicode text"
    path = tmp_path / "one.csv"
    path.write_bytes(text.encode(codec))
    done = import_assignments(school, path)
    assert done.applied and len(done.added) == 4
    assert {a["school"] for a in done.added} == {"서울초등학교"}


def test_a_lone_hanja_row_is_refused_as_a_guess_but_encoding_forces_it(school: Engine, tmp_path: Path) -> None:
    # One row whose school is written in Hanja: as a guess, a script no other row uses is a decoding
    # accident until the user says otherwise.
    rows = [*ROWS[:3], ("choi@school.kr", "최유나", "漢城初等學校", "3-2", "haru")]
    path = tmp_path / "hanja.csv"
    path.write_bytes((HEADER + "".join(line(r) for r in rows)).encode("cp949"))
    with pytest.raises(EncodingError, match=r"row 5: decoding as cp949 gives Han characters") as info:
        import_assignments(school, path, dry_run=True)
    assert info.value.hint and "--encoding cp949" in info.value.hint
    done = import_assignments(school, path, encoding="cp949")
    assert done.encoding_source == "given"
    assert [a["school"] for a in done.added if a["email"] == "choi@school.kr"] == ["漢城初等學校"]


def test_forced_encoding_names_the_row_it_cannot_decode(tmp_path: Path) -> None:
    with pytest.raises(EncodingError, match=r"^m\.csv: row 4: not valid cp949 \(byte 0x") as info:
        decode_csv_bytes(_utf8_not_cp949(), encoding="cp949", source="m.csv")
    assert info.value.row == 4


def _utf8_not_cp949() -> bytes:
    # "쀍" is in UTF-8 but not in CP949's table, so forcing cp949 on this row fails.
    return (HEADER + line(ROWS[0]) + line(ROWS[1])).encode("cp949") + "x@y.kr,쀍\r\n".encode()


def test_quoted_line_breaks_count_as_one_row() -> None:
    data = (HEADER + '"a@b.kr","여러\r\n줄",s,c,haru\r\n').encode() + line(ROWS[0]).encode("cp949")
    with pytest.raises(EncodingError, match=r"row 3 \(line 4\)"):
        decode_csv_bytes(data)


def test_utf16_without_bom_and_refusals_with_nul_bytes() -> None:
    text = HEADER + "".join(line(r) for r in ROWS)
    assert decode_csv_bytes(text.encode("utf-16-le")).encoding == "utf-16-le"
    assert decode_csv_bytes(text.encode("utf-16-be")).encoding == "utf-16-be"
    with pytest.raises(EncodingError, match="NUL bytes"):
        decode_csv_bytes(b"\x00\x01\x02binary\x00")
    assert decode_csv_bytes(codecs.BOM_UTF8 + text.encode()).how == "BOM"


def test_charset_normalizer_only_explains() -> None:
    data = ("name,city\r\n" + "José,São Paulo\r\n" * 20).encode("latin-1")
    with pytest.raises(EncodingError) as info:
        decode_csv_bytes(data)
    assert info.value.row == 2 and info.value.hint and "--encoding" in info.value.hint


def test_a_cp949_row_that_happens_to_be_valid_utf8_is_refused() -> None:
    # "창채" in CP949 is C3 A2 C3 A4: valid UTF-8 too ("Ã¢Ã¤"-like Latin). Strict UTF-8 alone would take it.
    odd = "x@y.kr,창채,s,3-2,haru\r\n".encode("cp949")
    assert odd.decode("utf-8")  # the trap: it is valid UTF-8
    data = (HEADER + line(ROWS[0])).encode() + odd + line(ROWS[1]).encode()
    with pytest.raises(EncodingError, match=r"row 3: reads as Latin .* but as Korean in CP949 \('창채'\)") as info:
        decode_csv_bytes(data)
    assert info.value.hint and "--encoding utf-8" in info.value.hint
    assert decode_csv_bytes(data, encoding="utf-8").encoding == "utf-8"  # the user's word decides
    assert decode_csv_bytes("name\r\nJosé\r\n".encode()).encoding == "utf-8"  # one accented letter is Latin
