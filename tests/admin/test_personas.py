"""Personas and prompt history on SQLite and MariaDB: CRUD, history, diff, rollback, locking, as code."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from tests.admin.conftest import add_persona, db_dump, sqlite_iterdump
from tinytalk_sdk import ConflictError, NotFoundError, ValidationError
from tinytalk_sdk.admin import personas as P

if TYPE_CHECKING:
    from sqlalchemy import Engine

KOREAN_PROMPT = """너는 어린이를 위한 친절한 영어 선생님 "Tiny"야.
You are Tiny, a friendly English tutor for children aged 7–12.

규칙 / Rules:
- 짧고 쉬운 문장으로 말해요. Speak in short, simple sentences.
- 학생이 틀리면 부드럽게 고쳐 줘요: "Good try! We say 'I went', not 'I goed'."
- 이모지는 가끔만 😊

# Safety
Never ask for personal information (이름, 주소, 학교).
"""


def _edit(prompt: str, line: str) -> str:
    return prompt + line + "\n"


def test_create_list_show_history(engine: Engine) -> None:
    p = P.create_persona(engine, name="tiny", system_prompt=KOREAN_PROMPT, actor="alice",
                         display_name="Tiny 선생님", reason="first draft")
    assert (p.version, p.status, p.display_name) == (1, "active", "Tiny 선생님")
    assert P.get_persona(engine, "tiny").system_prompt == KOREAN_PROMPT  # Korean + emoji round trip
    assert [x.name for x in P.list_personas(engine)] == ["tiny"]
    history = P.persona_history(engine, "tiny")
    assert [(h.version, h.old_prompt, h.changed_by, h.reason) for h in history] == [
        (1, None, "alice", "first draft")
    ]
    with pytest.raises(ConflictError):
        P.create_persona(engine, name="tiny", system_prompt="x", actor="alice")
    with pytest.raises(NotFoundError):
        P.get_persona(engine, "nobody")


def test_edit_writes_history_and_diff(engine: Engine) -> None:
    P.create_persona(engine, name="tiny", system_prompt=KOREAN_PROMPT, actor="alice")
    v2 = _edit(KOREAN_PROMPT, "- 칭찬을 많이 해 줘요. Praise often.")
    p = P.update_persona(engine, "tiny", actor="bob", system_prompt=v2, reason="more praise",
                         expect_version=1)
    assert p.version == 2
    p = P.update_persona(engine, "tiny", actor="carol", display_name="Tiny!")  # metadata only
    assert (p.version, p.display_name) == (2, "Tiny!")
    v3 = v2.replace("short, simple", "short")
    P.update_persona(engine, "tiny", actor="carol", system_prompt=v3, reason="shorter")
    history = P.persona_history(engine, "tiny")
    assert [(h.version, h.changed_by, h.reason) for h in history] == [
        (1, "alice", "created"), (2, "bob", "more praise"), (3, "carol", "shorter")
    ]
    assert history[2].old_prompt == v2 and history[2].new_prompt == v3
    diff = P.diff_versions(engine, "tiny", "v1", "v3")
    assert diff.startswith("--- tiny@v1\n+++ tiny@v3\n")
    assert "+- 칭찬을 많이 해 줘요. Praise often.\n" in diff
    assert "-- 짧고 쉬운 문장으로 말해요. Speak in short, simple sentences.\n" in diff
    assert P.diff_versions(engine, "tiny", 2, 2) == ""
    with pytest.raises(NotFoundError, match="no version 9"):
        P.diff_versions(engine, "tiny", "v1", "v9")


def test_same_prompt_is_no_new_version(engine: Engine) -> None:
    P.create_persona(engine, name="tiny", system_prompt=KOREAN_PROMPT, actor="a")
    before = db_dump(engine)
    assert P.update_persona(engine, "tiny", actor="a", system_prompt=KOREAN_PROMPT).version == 1
    assert db_dump(engine) == before


def test_rollback_appends_a_version(engine: Engine) -> None:
    P.create_persona(engine, name="tiny", system_prompt="v1 prompt\n", actor="a")
    P.update_persona(engine, "tiny", actor="a", system_prompt="v2 prompt\n")
    P.update_persona(engine, "tiny", actor="a", system_prompt="v3 prompt\n")
    p = P.rollback_persona(engine, "tiny", "v1", actor="dave")
    assert (p.version, p.system_prompt) == (4, "v1 prompt\n")
    history = P.persona_history(engine, "tiny")
    assert [h.new_prompt for h in history] == ["v1 prompt\n", "v2 prompt\n", "v3 prompt\n", "v1 prompt\n"]
    assert history[3].reason == "rollback to v1" and history[3].old_prompt == "v3 prompt\n"
    with pytest.raises(ValidationError, match="already has the prompt"):
        P.rollback_persona(engine, "tiny", "v1", actor="dave")


def test_stale_edit_conflicts_and_writes_nothing(engine: Engine) -> None:
    P.create_persona(engine, name="tiny", system_prompt="one\n", actor="a")
    P.update_persona(engine, "tiny", actor="a", system_prompt="two\n", expect_version=1)
    before = db_dump(engine)
    with pytest.raises(ConflictError, match="you started from v1, the database now has v2"):
        P.update_persona(engine, "tiny", actor="b", system_prompt="three\n", expect_version=1)
    with pytest.raises(ConflictError):
        P.update_persona(engine, "tiny", actor="b", display_name="X", expect_version=1)
    assert db_dump(engine) == before


def test_two_concurrent_admins_one_wins(engine: Engine, db_url: str) -> None:
    """Two engines (two connection pools, as two admins' terminals) edit v1 at the same moment."""
    from tinytalk_sdk.db import make_engine

    P.create_persona(engine, name="tiny", system_prompt="base\n", actor="a")
    engines = [make_engine(db_url), make_engine(db_url)]
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def admin(who: str, eng: Engine) -> None:
        barrier.wait()
        try:
            outcome[who] = P.update_persona(eng, "tiny", actor=who, system_prompt=f"by {who}\n",
                                            expect_version=1).version
        except ConflictError as exc:
            outcome[who] = exc

    threads = [threading.Thread(target=admin, args=(w, e)) for w, e in zip(("ann", "ben"), engines, strict=True)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for e in engines:
            e.dispose()
    winners = [w for w, r in outcome.items() if r == 2]
    losers = [w for w, r in outcome.items() if isinstance(r, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1, outcome
    p = P.get_persona(engine, "tiny")
    assert (p.version, p.system_prompt) == (2, f"by {winners[0]}\n")
    assert [(h.version, h.changed_by) for h in P.persona_history(engine, "tiny")] == [(1, "a"), (2, winners[0])]


def test_archive_and_restore(engine: Engine) -> None:
    P.create_persona(engine, name="tiny", system_prompt="p\n", actor="a")
    p = P.archive_persona(engine, "tiny", actor="a")
    assert p.status == "archived" and p.archived_at is not None and p.version == 1
    assert P.list_personas(engine) == []
    assert [x.name for x in P.list_personas(engine, include_archived=True)] == ["tiny"]
    assert P.archive_persona(engine, "tiny", actor="a", restore=True).status == "active"


def test_bad_input_changes_nothing(engine: Engine) -> None:
    P.create_persona(engine, name="tiny", system_prompt="p\n", actor="a")
    before = db_dump(engine)
    file_before = sqlite_iterdump(engine) if engine.dialect.name == "sqlite" else None
    for call in (
        lambda: P.create_persona(engine, name="Bad Name", system_prompt="p", actor="a"),
        lambda: P.create_persona(engine, name="ok", system_prompt="   ", actor="a"),
        lambda: P.update_persona(engine, "tiny", actor="a", temperature=5),
        lambda: P.update_persona(engine, "tiny", actor="a", colour="red"),
        lambda: P.rollback_persona(engine, "tiny", "vX", actor="a"),
    ):
        with pytest.raises(ValidationError):
            call()
    assert db_dump(engine) == before
    if file_before is not None:
        assert sqlite_iterdump(engine) == file_before


def test_export_apply_round_trip(engine: Engine, tmp_path: Path) -> None:
    P.create_persona(engine, name="tiny", system_prompt=KOREAN_PROMPT, actor="a", display_name="타이니")
    P.create_persona(engine, name="coach", system_prompt="Coach prompt\nline 2\n", actor="a", temperature=0.3)
    add_persona(engine, "legacy", "Made by PHP, no history.")  # a row the PHP panel wrote
    files = P.export_personas(engine, tmp_path / "personas")
    assert sorted(f.name for f in files) == ["coach.yaml", "legacy.yaml", "tiny.yaml"]
    text = (tmp_path / "personas" / "tiny.yaml").read_text(encoding="utf-8")
    assert "system_prompt: |\n  너는 어린이를 위한" in text  # a block scalar, Korean unescaped
    assert yaml.safe_load(text)["system_prompt"] == KOREAN_PROMPT

    before = db_dump(engine)
    plan = P.plan_apply(engine, tmp_path / "personas")
    assert plan.is_noop and plan.counts()["unchanged"] == 3
    result = P.apply_personas(engine, tmp_path / "personas", actor="ci")
    assert not result.applied
    assert db_dump(engine) == before  # re-applying an export is a no-op

    doc = yaml.safe_load(text)
    doc["system_prompt"] = KOREAN_PROMPT + "- New rule 새 규칙\n"
    doc["temperature"] = 0.5
    (tmp_path / "personas" / "tiny.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    (tmp_path / "personas" / "newbie.yaml").write_text(
        "name: newbie\ndisplay_name: Newbie\nsystem_prompt: |\n  Hello\n  안녕\n", encoding="utf-8")
    (tmp_path / "personas" / "legacy.yaml").unlink()
    plan = P.plan_apply(engine, tmp_path / "personas", prune=True)
    assert plan.counts() == {"create": 1, "update": 1, "archive": 1, "unchanged": 1}
    tiny = next(c for c in plan.changes if c.name == "tiny")
    assert "+- New rule 새 규칙\n" in tiny.prompt_diff and tiny.fields["temperature"] == (0.7, 0.5)
    assert db_dump(engine) == before  # planning writes nothing

    result = P.apply_personas(engine, tmp_path / "personas", actor="ci", prune=True, plan=plan)
    assert result.applied
    assert P.get_persona(engine, "tiny").version == 2
    assert P.get_persona(engine, "newbie").system_prompt == "Hello\n안녕\n"
    assert P.get_persona(engine, "legacy").status == "archived"
    assert P.persona_history(engine, "tiny")[-1].changed_by == "ci"
    again = P.plan_apply(engine, tmp_path / "personas", prune=True)
    assert again.is_noop


def test_apply_is_all_or_nothing(engine: Engine, tmp_path: Path) -> None:
    P.create_persona(engine, name="tiny", system_prompt="p\n", actor="a")
    folder = tmp_path / "p"
    P.export_personas(engine, folder)
    plan = P.plan_apply(engine, folder)
    (folder / "tiny.yaml").write_text("name: tiny\nsystem_prompt: changed\n", encoding="utf-8")
    (folder / "zed.yaml").write_text("name: zed\nsystem_prompt: new\n", encoding="utf-8")
    plan = P.plan_apply(engine, folder)
    P.update_persona(engine, "tiny", actor="someone", system_prompt="meanwhile\n")  # after the plan
    before = db_dump(engine)
    with pytest.raises(ConflictError, match="changed since the plan"):
        P.apply_personas(engine, folder, actor="ci", plan=plan)
    assert db_dump(engine) == before  # zed was not created either

    (folder / "bad.yaml").write_text("name: Bad Name\nsystem_prompt: ''\ncolour: red\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        P.apply_personas(engine, folder, actor="ci")
    assert len(info.value.errors) == 2 and all("bad.yaml" in e for e in info.value.errors)
    assert db_dump(engine) == before
