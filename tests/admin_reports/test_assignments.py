"""Student-assignment CSV import/export: encodings, header aliases, every error at once, plans, atomicity."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tinytalk_sdk import ValidationError
from tinytalk_sdk._exceptions import EncodingError
from tinytalk_sdk.admin.assignments import export_assignments, import_assignments
from tinytalk_sdk.admin.csvfile import detect_encoding, read_table
from tinytalk_sdk.db.models import StudentCharacterAssignment

from .conftest import add_character, add_user, as_json, db_dump

STUDENTS = [("kim@school.kr", "김민수", "20240001"), ("lee@school.kr", "이서연", "20240002"),
            ("park@school.kr", "박지호", "20240003")]


@pytest.fixture
def school(engine: Engine) -> dict[str, int]:
    ids = {}
    for email, name, number in STUDENTS:
        ids[email] = add_user(engine, email, name=name, student_no=number, school="한빛초", class_name="3-2")
    ids["other@school.kr"] = add_user(engine, "other@school.kr", name="최유진", school="한빛초", class_name="3-1")
    ids["haru"] = add_character(engine, "haru")
    ids["mina"] = add_character(engine, "mina")
    return ids


def write(path: Path, rows: list[list[str]], *, encoding: str, delimiter: str = ",") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


KOREAN_HEADER = ["이메일", "이름", "학번", "학교", "반", "캐릭터"]


def korean_rows(character: str = "haru") -> list[list[str]]:
    return [KOREAN_HEADER] + [[e, n, s, "한빛초", "3-2", character] for e, n, s in STUDENTS]


def assignments(engine: Engine) -> dict[int, tuple[int, str | None, str | None]]:
    A = StudentCharacterAssignment
    with engine.connect() as conn:
        rows = conn.execute(select(A.user_id, A.character_id, A.school, A.class_name)).all()
    return {r.user_id: (r.character_id, r.school, r.class_name) for r in rows}


@pytest.mark.parametrize(
    ("encoding", "delimiter", "reported"),
    [
        ("cp949", ",", "cp949"),
        ("utf-8-sig", ",", "utf-8-sig"),
        ("utf-16", "\t", "utf-16"),  # Excel's "Unicode text": UTF-16 LE with BOM, tab-separated
        ("utf-16-le", "\t", "utf-16-le"),  # the same without a BOM: charset-normalizer's call
        ("utf-8", ";", "utf-8"),
        ("euc-kr", ",", "cp949"),  # EUC-KR bytes are CP949 bytes
    ],
)
def test_encodings_are_detected_and_imported(
    sqlite_engine: Engine, tmp_path: Path, encoding: str, delimiter: str, reported: str
) -> None:
    engine = sqlite_engine
    for email, name, number in STUDENTS:
        add_user(engine, email, name=name, student_no=number, school="한빛초", class_name="3-2")
    add_character(engine, "haru")
    path = write(tmp_path / "students.csv", korean_rows(), encoding=encoding, delimiter=delimiter)
    plan = import_assignments(engine, path, dry_run=True)
    assert plan.encoding == reported
    assert plan.encoding_source == ("BOM" if encoding in ("utf-8-sig", "utf-16") else "detected")
    assert plan.delimiter == {",": "comma", "\t": "tab", ";": "semicolon"}[delimiter]
    assert plan.errors == [] and plan.warnings == []
    assert [a["email"] for a in plan.added] == [s[0] for s in STUDENTS]
    assert assignments(engine) == {}  # a dry run writes nothing
    done = import_assignments(engine, path, actor="tester")
    assert done.applied and len(done.added) == 3
    assert {v for v in assignments(engine).values()} == {(1, "한빛초", "3-2")}


def test_encoding_override_and_wrong_encoding(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", korean_rows(), encoding="cp949")
    assert read_table(path, encoding="euc-kr").encoding == "euc_kr"
    with pytest.raises(ValidationError, match=r"s\.csv: row 1: not valid utf-8 \(byte 0x"):
        read_table(path, encoding="utf-8")


def test_detect_prefers_cp949_for_short_korean_bytes() -> None:
    # Short CP949 samples are where statistical detectors drift to exotic code pages.
    for text in ["이름\n김민수\n", "반,캐릭터\n3-2,하루\n", "학교\n한빛초등학교\n"]:
        assert detect_encoding(text.encode("cp949")) == ("cp949", "detected")
    with pytest.raises(EncodingError, match="row 2: neither UTF-8 nor CP949"):  # strict: no Latin-1 guess
        detect_encoding("name\nJosé\n".encode("latin-1"))


def test_header_aliases(sqlite_engine: Engine, tmp_path: Path) -> None:
    add_user(sqlite_engine, "kim@school.kr", name="김민수", school="한빛초", class_name="3-2")
    add_character(sqlite_engine, "haru")
    path = write(tmp_path / "a.csv", [[" E-mail ", "성명", "Student_ID", "학교", "학급", "Character", "메모"],
                                      ["KIM@School.kr", "김민수", "1", "", "", "haru", "memo"]], encoding="utf-8")
    plan = import_assignments(sqlite_engine, path, dry_run=True)
    assert plan.errors == []
    assert plan.added[0]["email"] == "kim@school.kr"
    assert (plan.added[0]["school"], plan.added[0]["class"]) == ("한빛초", "3-2")  # empty cells: the user's own
    assert plan.warnings == ['ignored columns: "메모"']


def test_missing_required_columns(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "h.csv", [["이름", "학번"], ["김", "1"]], encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        import_assignments(sqlite_engine, path, dry_run=True)
    assert [str(e) for e in info.value.errors] == [
        'row 1, column "email": missing column (one of: email, e-mail, mail, 이메일, 메일, 이메일주소)',
        'row 1, column "character": missing column (one of: character, character_code, 캐릭터, 캐릭터코드)',
    ]


BAD_ROWS = [
    KOREAN_HEADER,
    ["kim@school.kr", "김민수", "20240001", "한빛초", "3-2", "haru"],  # 2: fine
    ["not-an-address", "가", "1", "", "", "haru"],  # 3: email format
    ["", "나", "2", "", "", ""],  # 4: both required cells empty
    ["nobody@school.kr", "다", "3", "", "", "haru"],  # 5: unknown student
    ["lee@school.kr", "이서연", "20240002", "", "", "ghost"],  # 6: unknown character
    ["park@school.kr", "박지호", "3", "", "", "haru"],  # 7: duplicate of 8
    ["PARK@school.kr", "박지호", "3", "", "", "mina"],  # 8: duplicate of 7 (case-insensitive)
    ["other@school.kr", "최유진", "4", "x" * 121, "", "has space"],  # 9: too long + bad code
    ["kim2@school.kr", "라", "5", "", "", "haru", "extra"],  # 10: more cells than the header
]
EXPECTED_ERRORS = [
    'row 3, column "이메일": not an address',
    'row 4, column "이메일": missing',
    'row 4, column "캐릭터": missing',
    'row 5, column "이메일": no student with address nobody@school.kr',
    'row 6, column "캐릭터": no character "ghost"',
    'row 7, column "이메일": duplicate: the same address is in row 8',
    'row 8, column "이메일": duplicate: the same address is in row 7',
    'row 9, column "학교": longer than 120 characters',
    'row 9, column "캐릭터": must not contain spaces',
    "row 10: 7 cells, the header has 6",
    'row 10, column "이메일": no student with address kim2@school.kr',
]


def test_every_bad_row_reported_at_once_and_nothing_written(
    engine: Engine, school: dict[str, int], tmp_path: Path, cli: Any
) -> None:
    import_assignments(engine, write(tmp_path / "ok.csv", korean_rows("mina"), encoding="cp949"))
    before = db_dump(engine)
    path = write(tmp_path / "bad.csv", BAD_ROWS, encoding="cp949")
    with pytest.raises(ValidationError) as info:
        import_assignments(engine, path)
    assert sorted(map(str, info.value.errors), key=EXPECTED_ERRORS.index) == EXPECTED_ERRORS
    assert "11 errors in 8 row(s); nothing imported" in str(info.value)
    assert db_dump(engine) == before

    result = cli("assignments", "import", str(path))
    assert result.exit_code == 4
    for line in EXPECTED_ERRORS:
        assert line in result.stderr
    assert db_dump(engine) == before
    # a dry run shows the same errors next to the plan, and exits 4 too
    dry = cli("assignments", "import", str(path), "--dry-run", "--json")
    assert dry.exit_code == 4
    assert [e["row"] for e in as_json(dry)["error_list"]] == [3, 4, 4, 5, 6, 7, 8, 9, 9, 10, 10]
    assert db_dump(engine) == before


def test_row_numbers_count_records_like_excel(sqlite_engine: Engine, tmp_path: Path) -> None:
    add_character(sqlite_engine, "haru")
    text = 'email,name,character\r\na@x.kr,"two\r\nlines",haru\r\n\r\nbad,x,haru\r\n'
    path = tmp_path / "n.csv"
    path.write_bytes(text.encode())
    plan = import_assignments(sqlite_engine, path, dry_run=True)
    assert [str(e) for e in plan.errors] == [
        'row 2, column "email": no student with address a@x.kr',
        'row 4, column "email": not an address',
    ]


def test_dry_run_plan_apply_and_reimport_is_a_no_op(
    engine: Engine, school: dict[str, int], tmp_path: Path, cli: Any
) -> None:
    path = write(tmp_path / "class.csv", korean_rows(), encoding="cp949")
    dry = cli("assignments", "import", str(path), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    plan = as_json(dry)
    assert (plan["added"], plan["changed"], plan["unchanged"], plan["removed"]) == (3, 0, 0, 0)
    assert plan["encoding"] == "cp949" and plan["applied"] is False
    assert "encoding cp949 (detected)" in dry.stderr
    assert assignments(engine) == {}

    applied = cli("assignments", "import", str(path), "--json")
    assert applied.exit_code == 0, applied.stderr
    assert as_json(applied)["added"] == 3 and as_json(applied)["applied"] is True
    first = db_dump(engine)

    again = as_json(cli("assignments", "import", str(path), "--json"))
    assert (again["added"], again["changed"], again["unchanged"]) == (0, 0, 3)
    assert db_dump(engine) == first  # not even updated_at moved

    # one student moves to another character
    rows = korean_rows()
    rows[2][5] = "mina"
    changed = import_assignments(engine, write(tmp_path / "v2.csv", rows, encoding="utf-8-sig"), dry_run=True)
    assert [(c["email"], c["before"]["character"], c["character"]) for c in changed.changed] == [
        ("lee@school.kr", "haru", "mina")
    ]
    assert len(changed.unchanged) == 2
    import_assignments(engine, write(tmp_path / "v2.csv", rows, encoding="utf-8-sig"))
    assert assignments(engine)[school["lee@school.kr"]][0] == school["mina"]


def test_replace_class_removes_only_that_class(engine: Engine, school: dict[str, int], tmp_path: Path,
                                               cli: Any) -> None:
    import_assignments(engine, write(tmp_path / "all.csv", [
        *korean_rows(), ["other@school.kr", "최유진", "9", "한빛초", "3-1", "haru"]], encoding="cp949"))
    only_two = [KOREAN_HEADER, *korean_rows()[1:3]]
    path = write(tmp_path / "two.csv", only_two, encoding="cp949")
    plain = import_assignments(engine, path, dry_run=True)
    assert plain.removed == []
    plan = import_assignments(engine, path, dry_run=True, replace_class=True)
    assert [(r["email"], r["school"], r["class"]) for r in plan.removed] == [("park@school.kr", "한빛초", "3-2")]
    # without a terminal and without --yes the CLI refuses
    refused = cli("assignments", "import", str(path), "--replace-class")
    assert refused.exit_code == 13
    assert len(assignments(engine)) == 4
    done = cli("assignments", "import", str(path), "--replace-class", "--yes", "--json")
    assert done.exit_code == 0, done.stderr
    assert as_json(done)["removed"] == 1
    left = assignments(engine)
    assert school["park@school.kr"] not in left
    assert school["other@school.kr"] in left  # class 3-1 untouched


def test_skip_invalid_imports_the_rest_and_reports(engine: Engine, school: dict[str, int], tmp_path: Path,
                                                   cli: Any) -> None:
    path = write(tmp_path / "bad.csv", BAD_ROWS, encoding="cp949")
    result = cli("assignments", "import", str(path), "--skip-invalid", "--json")
    assert result.exit_code == 0, result.stderr
    data = as_json(result)
    assert data["skipped_rows"] == [3, 4, 5, 6, 7, 8, 9, 10]
    assert data["added"] == 1
    assert "skipped 8 invalid row(s)" in result.stderr
    assert list(assignments(engine)) == [school["kim@school.kr"]]


def test_export_is_excel_friendly_and_neutralises_formulas(engine: Engine, tmp_path: Path, cli: Any) -> None:
    haru = add_character(engine, "haru")
    evil = ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "정상 이름"]
    for i, name in enumerate(evil):
        add_user(engine, f"s{i}@school.kr", name=name, student_no=f"=1+{i}", school="한빛초", class_name="3-2")
    rows = [["email", "character"]] + [[f"s{i}@school.kr", "haru"] for i in range(len(evil))]
    import_assignments(engine, write(tmp_path / "in.csv", rows, encoding="utf-8"))
    out = tmp_path / "out.csv"
    result = cli("assignments", "export", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) and raw.count(codecs.BOM_UTF8) == 1
    parsed = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert parsed[0] == ["email", "student_id", "name", "school", "class", "character"]
    names = {r[0]: r[2] for r in parsed[1:]}
    for i, name in enumerate(evil):
        cell = names[f"s{i}@school.kr"]
        assert cell == ("'" + name if name[0] in "=+-@\t\r" else name)
    assert all(r[1].startswith("'=1+") for r in parsed[1:])
    # the export imports back as a no-op: the apostrophe guard is taken off again
    before = db_dump(engine)
    again = import_assignments(engine, out)
    assert (len(again.added), len(again.changed), len(again.unchanged)) == (0, 0, len(evil))
    assert again.warnings == []  # names and student numbers match the users table exactly
    assert db_dump(engine) == before
    # CP949 for old Excel, to stdout
    cp = cli("assignments", "export", "--encoding", "cp949")
    assert cp.exit_code == 0
    assert "한빛초" in cp.stdout_bytes.decode("cp949")
    assert haru


def test_export_cp949_names_a_row_it_cannot_encode(engine: Engine) -> None:
    add_character(engine, "haru")
    uid = add_user(engine, "e@x.kr", name="😀 emoji", school="s", class_name="c")
    from .conftest import insert

    insert(engine, "student_character_assignments", user_id=uid, character_id=1, school="s", class_name="c")
    with pytest.raises(ValidationError, match=r"row 2: '😀' cannot be written in cp949"):
        export_assignments(engine, io.BytesIO(), encoding="cp949")
