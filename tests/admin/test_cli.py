"""The admin commands through CliRunner on SQLite and MariaDB: exit codes, --json, stdout vs stderr,
non-TTY refusal without --yes, $EDITOR, hidden PINs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from tests.admin.conftest import add_message, add_persona, add_session, add_token, add_user, db_dump, now
from tinytalk_cli.main import app
from tinytalk_sdk.admin import personas as P
from tinytalk_sdk.passwords import verify_password

if TYPE_CHECKING:
    from click.testing import Result
    from sqlalchemy import Engine


@pytest.fixture
def cli(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run `tinytalk …` on the test database; the actor is pinned through the admin_user setting."""
    monkeypatch.setenv("TINYTALK_DATABASE_URL", db_url)
    monkeypatch.setenv("TINYTALK_ADMIN_USER", "test-admin")
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run


PROMPT = "너는 친절한 영어 선생님이야.\nYou are a kind English tutor.\n"


def test_personas_flow(cli: Any, engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text(PROMPT, encoding="utf-8")
    r = cli("personas", "create", "tiny", "--prompt-file", str(tmp_path / "p.txt"), "--display-name", "타이니",
            "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["version"] == 1
    r = cli("personas", "edit", "tiny", "--prompt-file", "-", "--reason", "more", "--expect-version", "1",
            input=PROMPT + "Ask one question at a time.\n")
    assert r.exit_code == 0 and r.stdout == "" and "v1 → v2" in r.stderr
    r = cli("personas", "history", "tiny", "--json")
    history = json.loads(r.stdout)
    assert [(h["version"], h["changed_by"], h["reason"]) for h in history] == [
        (1, "test-admin", "created"), (2, "test-admin", "more")]
    r = cli("personas", "history", "tiny", "--csv")
    assert list(csv.DictReader(io.StringIO(r.stdout)))[1]["reason"] == "more"
    r = cli("personas", "diff", "tiny", "v1", "v2")
    assert r.exit_code == 0 and "+Ask one question at a time.\n" in r.stdout and "\x1b[" not in r.stdout

    before = db_dump(engine)
    r = cli("personas", "edit", "tiny", "--prompt-file", "-", "--expect-version", "1", input="stale\n")
    assert r.exit_code == 6 and "v1" in r.stderr and "nothing was written" in r.stderr and r.stdout == ""
    r = cli("personas", "rollback", "tiny", "v1")  # stdin is not a TTY and no --yes
    assert r.exit_code == 13 and "refusing without --yes" in r.stderr
    r = cli("personas", "rollback", "tiny", "v1", "--dry-run", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["dry_run"] is True
    assert db_dump(engine) == before
    r = cli("personas", "rollback", "tiny", "v1", "--yes", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["version"] == 3
    assert P.get_persona(engine, "tiny").system_prompt == PROMPT

    r = cli("personas", "show", "nobody")
    assert r.exit_code == 5 and "persona 'nobody' not found" in r.stderr
    r = cli("personas", "list", "--json")
    assert [p["name"] for p in json.loads(r.stdout)] == ["tiny"]
    r = cli("personas", "archive", "tiny")
    assert r.exit_code == 13
    r = cli("personas", "archive", "tiny", "--yes")
    assert r.exit_code == 0 and json.loads(cli("personas", "list", "--json").stdout) == []


def test_edit_in_editor(cli: Any, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    P.create_persona(engine, name="tiny", system_prompt=PROMPT, actor="a")
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text(encoding='utf-8') + '칭찬을 많이 해요.\\n', encoding='utf-8')\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    r = cli("personas", "edit", "tiny", "-m", "via editor", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["version"] == 2
    assert P.get_persona(engine, "tiny").system_prompt == PROMPT + "칭찬을 많이 해요.\n"

    # Someone saves while the editor is open: the edit was based on v2, so it must not win.
    racer = tmp_path / "racer.py"
    racer.write_text(
        "import sys, pathlib\n"
        "from tinytalk_sdk.db import make_engine\n"
        "from tinytalk_sdk.admin import personas\n"
        f"personas.update_persona(make_engine({os.environ['TINYTALK_DATABASE_URL']!r}), 'tiny', actor='other',"
        " system_prompt='other admin\\n')\n"
        "pathlib.Path(sys.argv[1]).write_text('mine\\n', encoding='utf-8')\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {racer}")
    r = cli("personas", "edit", "tiny")
    assert r.exit_code == 6, r.stderr
    persona = P.get_persona(engine, "tiny")
    assert (persona.version, persona.system_prompt) == (3, "other admin\n")

    monkeypatch.setenv("EDITOR", "false")
    before = db_dump(engine)
    r = cli("personas", "edit", "tiny")
    assert r.exit_code == 13 and "editor exited" in r.stderr
    assert db_dump(engine) == before


def test_diff_colour_only_on_a_tty(cli: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    import tinytalk_cli._output as output

    P.create_persona(engine, name="tiny", system_prompt="a\n", actor="x")
    P.update_persona(engine, "tiny", actor="x", system_prompt="b\n")
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr(output, "stdout_is_tty", lambda: True)
    monkeypatch.setattr(output, "out_console", lambda: Console(file=sys.stdout, force_terminal=True))
    r = cli("personas", "diff", "tiny", "v1", "v2")
    assert "\x1b[" in r.stdout and "+b" in r.stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in cli("personas", "diff", "tiny", "v1", "v2").stdout


def test_export_apply_cli(cli: Any, engine: Engine, tmp_path: Path) -> None:
    P.create_persona(engine, name="tiny", system_prompt=PROMPT, actor="a")
    P.create_persona(engine, name="old", system_prompt="old\n", actor="a")
    folder = tmp_path / "prompts"
    r = cli("personas", "export", str(folder), "--json")
    assert sorted(Path(f).name for f in json.loads(r.stdout)["files"]) == ["old.yaml", "tiny.yaml"]
    before = db_dump(engine)
    r = cli("personas", "apply", str(folder), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["counts"]["unchanged"] == 2
    assert db_dump(engine) == before

    text = (folder / "tiny.yaml").read_text(encoding="utf-8").replace("kind", "patient")
    (folder / "tiny.yaml").write_text(text, encoding="utf-8")
    (folder / "old.yaml").unlink()
    r = cli("personas", "apply", str(folder), "--prune", "--dry-run")
    assert r.exit_code == 0 and "+You are a patient English tutor." in r.stdout
    assert "1 update, 1 archive" in r.stderr
    assert db_dump(engine) == before
    r = cli("personas", "apply", str(folder), "--prune")
    assert r.exit_code == 13 and db_dump(engine) == before
    r = cli("personas", "apply", str(folder), "--prune", "--yes", "-m", "PR #12")
    assert r.exit_code == 0
    assert P.get_persona(engine, "old").status == "archived"
    assert P.persona_history(engine, "tiny")[-1].reason == "PR #12"

    (folder / "broken.yaml").write_text("name: [oops\n", encoding="utf-8")
    after = db_dump(engine)
    r = cli("personas", "apply", str(folder), "--yes")
    assert r.exit_code == 4 and "broken.yaml" in r.stderr
    assert db_dump(engine) == after


def test_members_cli(cli: Any, engine: Engine) -> None:
    from sqlalchemy import select

    from tinytalk_sdk.db import transaction
    from tinytalk_sdk.db.models import User, UserAuthToken

    r = cli("members", "create", "kim@a.kr", "--name", "김민준", "--school", "서울초", "--class", "3-1",
            "--json", input="2468\n")
    assert r.exit_code == 0, r.stderr
    member = json.loads(r.stdout)
    assert "2468" not in r.stdout + r.stderr and "pin" not in json.dumps(member).lower()
    with transaction(engine) as s:
        stored = s.scalar(select(User.pin_hash).where(User.id == member["id"]))
    assert stored is not None and stored.startswith("$2y$") and verify_password("2468", stored)

    before = db_dump(engine)
    r = cli("members", "create", "bad", "--name", "x", input="12\n")
    assert r.exit_code == 4 and r.stdout == ""
    r = cli("members", "create", "lee@a.kr", "--name", "x", input="")
    assert r.exit_code == 4 and "no PIN" in r.stderr
    r = cli("members", "create", "kim@a.kr", "--name", "dup", input="1234\n")
    assert r.exit_code == 6
    assert db_dump(engine) == before

    add_user(engine, "lee@a.kr", name="이서연", school="서울초", class_name="3-2",
             created_at=now() - dt.timedelta(days=60), last_login_at=now() - dt.timedelta(days=2))
    r = cli("members", "list", "--school", "서울초", "--class", "3-1", "--json")
    assert [m["email"] for m in json.loads(r.stdout)] == ["kim@a.kr"]
    r = cli("members", "list", "--created-to", "30d", "--csv")
    assert [row["email"] for row in csv.DictReader(io.StringIO(r.stdout))] == ["lee@a.kr"]
    r = cli("members", "list", "--login-from", "7d")
    assert r.stdout.splitlines()[0].startswith("id\temail") and "lee@a.kr" in r.stdout  # TSV off a TTY
    r = cli("members", "search", "서연", "--json")
    assert [m["email"] for m in json.loads(r.stdout)] == ["lee@a.kr"]
    r = cli("members", "list", "--created-from", "soon")
    assert r.exit_code == 4 and "created-from" in r.stderr

    kim = member["id"]
    add_token(engine, kim)
    add_token(engine, kim)
    r = cli("members", "show", "kim@a.kr", "--json")
    assert json.loads(r.stdout)["active_tokens"] == 2
    r = cli("members", "reset-pin", "kim@a.kr", "--json", input="97531\n")
    assert r.exit_code == 0 and json.loads(r.stdout)["tokens_revoked"] == 2
    add_token(engine, kim)
    before = db_dump(engine)
    r = cli("members", "deactivate", "kim@a.kr")
    assert r.exit_code == 13 and "refusing without --yes" in r.stderr
    r = cli("members", "deactivate", "kim@a.kr", "--dry-run", "--json")
    assert json.loads(r.stdout)["tokens_revoked"] == 1
    assert db_dump(engine) == before
    r = cli("members", "deactivate", "kim@a.kr", "--yes", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["member"]["is_active"] is False
    with transaction(engine) as s:
        assert s.scalars(select(UserAuthToken.id).where(UserAuthToken.revoked_at.is_(None))).all() == []
    add_token(engine, kim)
    r = cli("members", "revoke-tokens", str(kim), "--yes", "--json")
    assert json.loads(r.stdout)["tokens_revoked"] == 1


def test_pin_prompt_on_a_terminal_is_hidden(cli: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import select

    import tinytalk_cli.commands.members as members_cli
    from tinytalk_sdk.db import transaction
    from tinytalk_sdk.db.models import User

    monkeypatch.setattr(members_cli, "_stdin_is_tty", lambda: True)
    r = cli("members", "create", "tty@a.kr", "--name", "TTY", input="8642\n8642\n")
    assert r.exit_code == 0, r.stderr
    assert "PIN" in r.stderr and "8642" not in r.stdout + r.stderr  # asked, not echoed
    with transaction(engine) as s:
        assert verify_password("8642", s.scalar(select(User.pin_hash).where(User.email == "tty@a.kr")))
    r = cli("members", "reset-pin", "tty@a.kr", input="1111\n2222\n1357\n1357\n")
    assert r.exit_code == 0 and "do not match" in r.stderr.lower()


def test_members_export_has_no_hashes(cli: Any, engine: Engine, tmp_path: Path) -> None:
    for i in range(5):
        add_user(engine, f"s{i}@a.kr", name=f"학생 {i}", school="서울초")
    r = cli("members", "export")
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 5 and rows[0]["name"] == "학생 0"
    r2 = cli("members", "export", "--json", "--school", "서울초")
    assert len(json.loads(r2.stdout)) == 5
    cli("members", "export", "-o", str(tmp_path / "m.csv"))
    everything = r.stdout + r2.stdout + (tmp_path / "m.csv").read_text(encoding="utf-8")
    everything += cli("members", "list", "--json").stdout + cli("members", "show", "1", "--json").stdout
    assert "$2y$" not in everything and "pin_hash" not in everything


def test_conversations_cli(cli: Any, engine: Engine, tmp_path: Path) -> None:
    kim = add_user(engine, "kim@a.kr", name="김민준")
    tiny = add_persona(engine, "tiny")
    session = add_session(engine, kim, persona_id=tiny, created_at=now() - dt.timedelta(hours=1))
    add_message(engine, session, "user", "I like 고양이.", audio_url="https://x/uploads/a.webm",
                audio_seconds=2.0)
    add_message(engine, session, "assistant", "Cats!\nMeow.", emotion="praise")
    r = cli("conversations", "list", "--user", "kim@a.kr", "--json")
    assert [(s["id"], s["messages"], s["persona"]) for s in json.loads(r.stdout)] == [(session, 2, "tiny")]
    r = cli("conversations", "list", "--persona", "other", "--json")
    assert json.loads(r.stdout) == []  # no results is success
    r = cli("conversations", "show", str(session))
    assert r.exit_code == 0
    assert "김민준:\n    I like 고양이.\n    audio 2.0s: https://x/uploads/a.webm" in r.stdout
    assert "tiny (praise):\n    Cats!\n    Meow." in r.stdout
    r = cli("conversations", "show", "999")
    assert r.exit_code == 5
    r = cli("conversations", "export", "--jsonl")
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["role"] for x in lines] == ["user", "assistant"] and "exported 2" in r.stderr
    r = cli("conversations", "export", "--json", "--persona", "tiny")
    assert [m["content"] for m in json.loads(r.stdout)] == ["I like 고양이.", "Cats!\nMeow."]
    r = cli("conversations", "export", "--from", "2000-01-01", "--to", "2000-01-02", "-o", str(tmp_path / "x"))
    assert (tmp_path / "x").read_text() == "" and r.exit_code == 0


def test_storage_cli(cli: Any, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uploads = tmp_path / "voice"
    monkeypatch.setenv("TINYTALK_UPLOADS_DIR", str(uploads))
    session = add_session(engine, add_user(engine))
    add_message(engine, session, "user", "a", audio_url="https://h/uploads/old.webm", audio_bytes=10,
                created_at=now() - dt.timedelta(days=40))
    uploads.mkdir()
    for name, age in (("old.webm", 40), ("new.webm", 1)):
        (uploads / name).write_bytes(b"x" * 10)
        stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(days=age)).timestamp()
        os.utime(uploads / name, (stamp, stamp))
    r = cli("storage", "report", "--json")
    report = json.loads(r.stdout)
    assert report["totals"]["files"] == 2 and report["orphan_files"]["examples"] == ["new.webm"]
    r = cli("storage", "report", "--csv")
    assert next(csv.DictReader(io.StringIO(r.stdout)))["age"] == "<1d"
    before = db_dump(engine)
    r = cli("storage", "clean", "--older-than", "30d")
    assert r.exit_code == 13 and (uploads / "old.webm").exists()
    r = cli("storage", "clean", "--older-than", "30d", "--dry-run", "--json")
    assert json.loads(r.stdout)["files"] == ["old.webm"] and (uploads / "old.webm").exists()
    r = cli("storage", "clean", "--older-than", "thirty")
    assert r.exit_code == 4 and "--older-than" in r.stderr
    assert db_dump(engine) == before
    r = cli("storage", "clean", "--older-than", "30d", "--yes", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["urls_cleared"] == 1
    assert not (uploads / "old.webm").exists() and (uploads / "new.webm").exists()


def test_help_has_examples() -> None:
    runner = CliRunner()
    for group in ("personas", "members", "conversations", "storage"):
        r = runner.invoke(app, [group, "--help"])
        assert r.exit_code == 0 and "Example:" in r.stdout
    for args in (["personas", "edit", "--help"], ["members", "create", "--help"],
                 ["conversations", "export", "--help"], ["storage", "clean", "--help"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 0 and "Example:" in r.stdout, args
