"""`tinytalk characters`: records, the seven emotions, and `check` (exit code 4 when incomplete)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from tinytalk_sdk.admin.characters import check_characters, get_character, parse_motion

from .conftest import EMOTIONS, add_character, as_json


def test_create_update_and_check(cli: Any, engine: Engine) -> None:
    result = cli("characters", "create", "haru", "--name", "하루", "-m", "idle=Idle:0", "-m", "speaking=Talk:2",
                 "--json")
    assert result.exit_code == 0, result.stderr
    record = as_json(result)
    assert record["complete"] is False
    assert record["missing"] == ["listening", "thinking", "praise", "review", "error"]
    speaking = next(e for e in record["emotions"] if e["emotion"] == "speaking")
    assert (speaking["motion_group"], speaking["motion_index"]) == ("Talk", 2)

    check = cli("characters", "check", "--json")
    assert check.exit_code == 4
    assert as_json(check)["incomplete"] == [
        {"id": record["id"], "code": "haru", "name": "하루", "missing": record["missing"]}
    ]

    motions = [f"{e}=https://cdn.example/haru/{e}.motion3.json" for e in record["missing"]]
    args = [a for m in motions for a in ("-m", m)]
    updated = cli("characters", "update", "haru", *args, "--inactive", "--json")
    assert updated.exit_code == 0, updated.stderr
    assert as_json(updated)["complete"] is True and as_json(updated)["is_active"] is False
    ok = cli("characters", "check", "--json")
    assert ok.exit_code == 0
    assert as_json(ok) == {"ok": True, "checked": 1, "incomplete": []}

    # removing one emotion makes it incomplete again
    assert cli("characters", "update", "haru", "--remove-motion", "praise").exit_code == 0
    assert get_character(engine, "haru")["missing"] == ["praise"]


def test_list_csv_and_show(cli: Any, engine: Engine) -> None:
    add_character(engine, "mina")
    add_character(engine, "tom", emotions=("idle", "speaking"))
    listed = cli("characters", "list", "--csv")
    assert listed.exit_code == 0
    lines = listed.stdout.strip().splitlines()
    assert lines[0].startswith("id,code,name")
    assert len(lines) == 3
    incomplete = as_json(cli("characters", "list", "--incomplete", "--json"))
    assert [c["code"] for c in incomplete] == ["tom"]
    shown = as_json(cli("characters", "show", "mina", "--json"))
    assert [e["emotion"] for e in shown["emotions"]] == list(EMOTIONS)
    assert all(e["has_motion"] for e in shown["emotions"])
    human = cli("characters", "check")
    assert human.exit_code == 4 and "tom" in human.stdout and "1 incomplete" in human.stderr


def test_errors_name_the_problem(cli: Any, engine: Engine) -> None:
    add_character(engine, "mina")
    dup = cli("characters", "create", "mina", "--name", "Mina")
    assert dup.exit_code == 6 and "already exists" in dup.stderr
    missing = cli("characters", "show", "nobody")
    assert missing.exit_code == 5 and "nobody" in missing.stderr
    bad = cli("characters", "update", "mina", "-m", "happy=Idle:0")
    assert bad.exit_code == 4 and "unknown emotion 'happy'" in bad.stderr
    assert check_characters(engine)["ok"] is True


def test_parse_motion() -> None:
    assert parse_motion("idle=Idle")[1].motion_group == "Idle"
    assert parse_motion("error=https://x/e.json")[1].motion_url == "https://x/e.json"
    assert parse_motion("praise=Happy:3")[1].motion_index == 3


def test_only_one_default(cli: Any, engine: Engine) -> None:
    assert cli("characters", "create", "a", "--name", "A", "--default").exit_code == 0
    assert cli("characters", "create", "b", "--name", "B").exit_code == 0
    assert cli("characters", "update", "b", "--default").exit_code == 0
    listed = {c["code"]: c["is_default"] for c in as_json(cli("characters", "list", "--json"))}
    assert listed == {"a": False, "b": True}
