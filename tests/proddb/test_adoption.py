"""The PHP-made database, end to end on real MariaDB: suggest → map → adopt (killed, resumed) → administer.

The fixture is backend/sql/001…011 as PHP wrote them (tests/fixtures/php_schema): its own column names,
INT UNSIGNED ids, TIMESTAMP defaults, ENUMs, clear tokens, a MyISAM latin1 table, utf8mb3 tables, a stray
legacy table, Korean rows and emoji.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from tests.proddb.conftest import PhpDatabase

pytestmark = pytest.mark.mariadb

PHP_TOKEN = "8f14e45fceea167a5a36dedd4bea2543a1b2c3d4e5f60718293a4b5c6d7e8f90"

def _ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def _columns_now(db: PhpDatabase) -> dict[str, list[str]]:
    """Every table's columns as they are: before adoption, all of them are PHP's."""
    out: dict[str, list[str]] = {}
    for table, column in db.rows("SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
                                 "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION"):
        out.setdefault(table, []).append(column)
    return out


def _php_column_defs(db: PhpDatabase, columns: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table, cols in columns.items():
        listed = ", ".join(f"'{c}'" for c in cols)
        out[table] = [" ".join(r) for r in db.rows(
            "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, IFNULL(COLUMN_DEFAULT, '-'), "
            "IFNULL(CHARACTER_SET_NAME, '-'), IFNULL(COLLATION_NAME, '-'), EXTRA, COLUMN_COMMENT "
            "FROM information_schema.COLUMNS "
            f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' "
            f"AND COLUMN_NAME IN ({listed}) ORDER BY ORDINAL_POSITION")]
    return out


def _php_rows(db: PhpDatabase, columns: dict[str, list[str]]) -> dict[str, str]:
    """A dump of PHP's columns, every row, table by table (ordered by the first column)."""
    return {t: db.sql(f"SELECT {', '.join(f'`{c}`' for c in cols)} FROM `{t}` ORDER BY 1")
            for t, cols in columns.items()}


def test_suggest_reasons_from_the_live_database(prod: Any) -> None:
    found = json.loads(_ok(prod("db", "map", "suggest", "--json")).stdout)
    schema = found["schema"]
    assert schema["users"] == {"pin_hash": "pin", "school": "school_name", "last_login_at": "last_login"}
    assert schema["user_auth_tokens"] == {"token_hash": {"from": "token", "transform": "sha256"},
                                          "device": "device_name"}
    assert schema["admin_settings"] == {"setting_key": "setting_name"}
    assert schema["student_character_assignments"] == {"assigned_by": "tt_assigned_by"}
    assert schema["chat_messages"] == {"role": "sender", "content": "message"}
    tables = {t["table"]: t for t in found["tables"]}
    pin = next(g for g in tables["users"]["map"] if g["column"] == "pin_hash")
    assert "known PHP name" in pin["reason"] and "$2y$ bcrypt" in pin["reason"]
    assert {a["column"] for a in tables["users"]["to_add"]} == {"student_no", "locale", "deleted_at"}
    assert tables["users"]["php_only"] == ["profile_image"]
    assert found["extra_tables"] == ["old_user_points"]
    toml_out = _ok(prod("db", "map", "suggest")).stdout
    pasted = tomllib.loads(toml_out)["profiles"]["prod"]["schema"]
    assert pasted == schema  # the TOML to paste is the same map
    assert "# to add: locale VARCHAR(10)" in toml_out


def test_plan_is_additive_and_opt_in_steps_show_their_cost(prod: Any) -> None:
    _ok(prod("db", "map", "suggest", "--write"))
    plan = json.loads(_ok(prod("db", "adopt", "--plan", "--json")).stdout)
    sql = [s for step in plan["steps"] for s in step["sql"]]
    for statement in sql:
        upper = statement.upper()
        assert not any(w in upper for w in ("DROP ", "RENAME ", "CHANGE COLUMN", "TRUNCATE")), statement
        if "MODIFY COLUMN" in upper:  # only relax_null, keeping PHP's exact type
            assert statement.endswith(" NULL") and "`token` varchar(64) CHARACTER SET utf8mb4" in statement
    adds = [s for s in sql if "ADD COLUMN" in s]
    assert adds and all(" NULL" in s and "NOT NULL" not in s for s in adds)
    kinds = {s["kind"] for s in plan["steps"]}
    assert "engine" not in kinds and "charset" not in kinds
    assert plan["steps"][-1]["kind"] == "stamp"
    data = next(s for s in plan["steps"] if s["kind"] == "data")
    assert data["batched"] and "SHA2(`token`, 256)" in data["sql"][0] and "LIMIT 1000" in data["sql"][0]
    full = json.loads(_ok(prod("db", "adopt", "--plan", "--engine", "--charset", "--json")).stdout)
    opt = {s["id"]: s for s in full["steps"] if s["opt_in"]}
    assert set(opt) == {"engine:api_usage_logs", "charset:api_usage_logs", "charset:ai_personas",
                        "charset:admin_settings"}
    assert "rows" in opt["engine:api_usage_logs"]["cost"] and "MiB" in opt["engine:api_usage_logs"]["cost"]
    assert "MyISAM" in opt["engine:api_usage_logs"]["cost"]


def test_adopt_refuses_without_a_map(prod: Any) -> None:
    result = prod("db", "adopt", "--plan")
    assert result.exit_code == 3 and "no [schema] map" in result.stderr


def test_a_typo_in_the_map_is_refused(prod: Any, isolated_env: Path) -> None:
    config = isolated_env / "config" / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + '[profiles.prod.schema.users]\npin_hash = "pinn"\n',
                      encoding="utf-8")
    result = prod("db", "adopt", "--plan")
    assert result.exit_code == 4
    assert 'pin_hash = "pinn": users has no column \'pinn\'' in result.stderr


def _journal_done(db: PhpDatabase) -> int:
    try:
        rows = db.rows("SELECT COUNT(*) FROM tinytalk_adoption_steps WHERE status = 'done'")
    except AssertionError:  # the journal does not exist yet
        return 0
    return int(rows[0][0])


def test_killed_apply_resumes_then_everything_works(prod: Any, php_db: PhpDatabase, isolated_env: Path) -> None:
    _ok(prod("db", "map", "suggest", "--write"))
    php_columns = _columns_now(php_db)
    assert len(php_columns) == 13 and "pin" in php_columns["users"]
    defs_before, rows_before = _php_column_defs(php_db, php_columns), _php_rows(php_db, php_columns)
    assert prod("db", "check").exit_code == 8

    # A real process, killed with SIGKILL between two steps (a pause after each lets us aim).
    tinytalk = str(Path(sys.executable).with_name("tinytalk"))
    env = {**os.environ, "TINYTALK_ADOPT_STEP_PAUSE": "0.15"}
    proc = subprocess.Popen([tinytalk, "--profile", "prod", "db", "adopt", "--apply", "--yes"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _journal_done(php_db) < 8 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    done_before = _journal_done(php_db)
    done_ids = {r[0] for r in php_db.rows("SELECT step_id FROM tinytalk_adoption_steps WHERE status = 'done'")}
    assert 8 <= done_before < 40, done_before
    backup_line = php_db.rows("SELECT detail FROM tinytalk_adoption_steps WHERE step_id = 'backup'")[0][0]
    backup = Path(backup_line.split("\\t")[0])
    assert backup.exists() and backup.parent == isolated_env / "data" / "backups"
    assert "김민준" in backup.read_text(encoding="utf-8")

    resumed = json.loads(_ok(prod("db", "adopt", "--apply", "--yes", "--json")).stdout)
    assert resumed["resumed"] and resumed["backup"] == str(backup) and not resumed["transactional_ddl"]
    # The plan is made again from the live database, so steps done before the kill are not in it (or are
    # found done in the journal): none runs twice.
    assert not set(resumed["ran"]) & done_ids and resumed["ran"][-1] == "stamp"
    assert resumed["rows"]["data:user_auth_tokens.token_hash"] in (0, 2)  # 0 when it ran before the kill

    check = json.loads(_ok(prod("db", "check", "--json")).stdout)
    assert check["ok"] and check["mapped"] and len(check["accepted"]) > 20
    assert all(a["accepted"] for a in check["accepted"])
    assert json.loads(_ok(prod("db", "status", "--json")).stdout)["up_to_date"]
    assert json.loads(_ok(prod("db", "upgrade", "--json")).stdout)["applied"] == []  # works from then on

    # PHP's columns and rows: unchanged, but for the one step that says so (token may now be NULL).
    defs_after = _php_column_defs(php_db, php_columns)
    assert {t: d for t, d in defs_after.items() if t != "user_auth_tokens"} == \
        {t: d for t, d in defs_before.items() if t != "user_auth_tokens"}
    changed = set(defs_after["user_auth_tokens"]) ^ set(defs_before["user_auth_tokens"])
    assert {c.split()[0] for c in changed} == {"token"}
    assert _php_rows(php_db, php_columns) == rows_before
    token_hash = php_db.rows(f"SELECT token_hash FROM user_auth_tokens WHERE token = '{PHP_TOKEN}'")[0][0]
    assert token_hash == hashlib.sha256(PHP_TOKEN.encode()).hexdigest()

    # Suggesting again on the adopted database proposes the same map (the derived token_hash included).
    again_map = json.loads(_ok(prod("db", "map", "suggest", "--json")).stdout)["schema"]
    assert {t: m for t, m in again_map.items() if m} == json.loads(
        _ok(prod("db", "map", "show", "--json")).stdout)["map"]

    # A second run changes nothing.
    again = json.loads(_ok(prod("db", "adopt", "--apply", "--yes", "--json")).stdout)
    assert again["ran"] == ["data:user_auth_tokens.token_hash"] and _php_rows(php_db, php_columns) == rows_before
    assert again["rows"] == {"data:user_auth_tokens.token_hash": 0}
    assert backup.stat().st_mode & 0o077 == 0  # PIN hashes and clear tokens: private

    _administer(prod, php_db)


def _administer(prod: Any, db: PhpDatabase) -> None:
    members = json.loads(_ok(prod("members", "list", "--json")).stdout)
    by_email = {m["email"]: m for m in members}
    assert by_email["minjun@example.kr"]["school"] == "서울초등학교" and by_email["minjun@example.kr"]["is_active"]
    shown = json.loads(_ok(prod("members", "show", "minjun@example.kr", "--json")).stdout)
    assert shown["nickname"] == "민준🦊" and shown["last_login_at"].startswith("2025-06-01T08:30:00")

    _ok(prod("members", "reset-pin", "minjun@example.kr", input="5678\n"))
    pin = db.rows("SELECT pin FROM users WHERE email = 'minjun@example.kr'")[0][0]
    # PHP's password_verify reads its own column: a $2y$ bcrypt hash of the new PIN.
    assert pin.startswith("$2y$10$") and bcrypt.checkpw(b"5678", ("$2b$" + pin[4:]).encode())
    _ok(prod("members", "create", "haneul@example.kr", "--name", "최하늘", "--school", "서울초등학교",
             "--class", "3-1", input="2468\n"))
    assert db.rows("SELECT name, school_name, is_active, LEFT(pin, 4) FROM users "
                   "WHERE email = 'haneul@example.kr'") == [["최하늘", "서울초등학교", "1", "$2y$"]]

    _ok(prod("settings", "set", "avatar_provider", "heygen"))
    # get_app_config.php's own query still finds the switch.
    assert db.rows("SELECT setting_value FROM admin_settings WHERE setting_name = 'avatar_provider'") == [["heygen"]]
    dashboard = _ok(prod("dashboard", "--json")).stdout
    assert '"heygen"' in dashboard or "heygen" in dashboard
    usage = json.loads(_ok(prod("usage", "report", "--from", "2025-06-01", "--to", "2025-06-30",
                                "--json")).stdout)
    assert sum(r["calls"] for r in usage["rows"]) == 3

    prompt = Path(os.environ["TINYTALK_DATA_DIR"]) / "prompt.txt"
    prompt.parent.mkdir(parents=True, exist_ok=True)
    prompt.write_text("You are a patient English tutor. 천천히 말해요.\n", encoding="utf-8")
    _ok(prod("personas", "edit", "tutor", "-f", str(prompt), "-m", "더 친절하게"))
    # PHP's admin panel lists prompt_history by persona: the new row is there, in PHP's columns.
    assert db.rows("SELECT version, changed_by, LEFT(new_prompt, 16) FROM prompt_history WHERE persona_id = 1 "
                   "ORDER BY version") == [["1", "owner", "You are a friend"], ["2", "kim-admin", "You are a patien"]]
    assert db.rows("SELECT version, LEFT(prompt, 16) FROM ai_personas WHERE name = 'tutor'") == [
        ["2", "You are a patien"]]

    csv = Path(os.environ["TINYTALK_DATA_DIR"]) / "3-2반.csv"
    csv.write_text("email,character,school,class\nseoyeon@example.kr,mina,서울초등학교,3-2\n"
                   "minjun@example.kr,mina,서울초등학교,3-1\n", encoding="utf-8")
    _ok(prod("assignments", "import", str(csv), "--yes"))
    assert db.rows("SELECT user_id, assigned_by, tt_assigned_by, school FROM student_character_assignments "
                   "ORDER BY user_id") == [["1", "1", "kim-admin", "서울초등학교"],
                                           ["2", "NULL", "kim-admin", "서울초등학교"]]

    # The PHP app keeps working with its own names: register, log in, log a call.
    db.sql("INSERT INTO users (email, pin, name) VALUES ('php@example.kr', 'x', '정우');"
           "INSERT INTO user_auth_tokens (user_id, token, expires_at) "
           "SELECT id, 'fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210', '2030-01-01' "
           "FROM users WHERE email = 'php@example.kr';"
           "INSERT INTO api_usage_logs (service, endpoint, created_at) VALUES ('openai', 'gpt_stream', NOW());")
    assert db.rows("SELECT u.name, t.device_name FROM users u JOIN user_auth_tokens t ON t.user_id = u.id "
                   "WHERE t.token = 'fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210'") == [
        ["정우", "NULL"]]
    found = json.loads(_ok(prod("members", "show", "php@example.kr", "--json")).stdout)
    assert found["locale"] == "ko" and found["is_active"]
    # Running adoption again hashes the token PHP issued since (its data step runs every time).
    again = json.loads(_ok(prod("db", "adopt", "--apply", "--yes", "--json")).stdout)
    assert again["rows"] == {"data:user_auth_tokens.token_hash": 1}


def test_serve_on_the_adopted_database(prod: Any, php_db: PhpDatabase, isolated_env: Path,
                                       api_server_factory: Any) -> None:
    import httpx

    _ok(prod("db", "map", "suggest", "--write"))
    _ok(prod("db", "adopt", "--apply", "--yes"))
    schema = tomllib.loads((isolated_env / "config" / "config.toml").read_text(encoding="utf-8"))
    server = api_server_factory(php_db.url, schema_map=schema["profiles"]["prod"]["schema"])
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        # A token PHP issued (clear in its column) works: the data step filled token_hash from it.
        me = http.get("/auth_me.php", headers={"Authorization": f"Bearer {PHP_TOKEN}"})
        assert me.status_code == 200, me.text
        assert me.json()["data"]["user"]["email"] == "minjun@example.kr"
        login = http.post("/auth_login.php", json={"email": "seoyeon@example.kr", "pin": "1234"})
        assert login.status_code == 200, login.text
        token = login.json()["data"]["token"]
        assert http.get("/auth_me.php", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert php_db.rows("SELECT token IS NULL, token_hash = SHA2('" + token + "', 256) FROM user_auth_tokens "
                       "WHERE user_id = 2 ORDER BY id DESC LIMIT 1") == [["1", "1"]]
    assert php_db.rows("SELECT last_login IS NOT NULL FROM users WHERE id = 2") == [["1"]]

    # A pupil's turn through the SDK: the rows land in PHP's tables, under PHP's column names.
    from tinytalk_sdk import TinyTalk

    with TinyTalk(base_url=server.base_url) as client:
        client.auth.login(email="jiho@example.kr", pin="1234")
        session = client.sessions.create(title="날씨 ☀️", response_mode="text").session
        client.pipeline.feedback(message="I goed to school.", session_id=session.id)
    assert php_db.rows(f"SELECT title, `mode`, session_date IS NOT NULL FROM chat_sessions WHERE id = {session.id}"
                       ) == [["날씨 ☀️", "text", "1"]]
    assert [r[0] for r in php_db.rows(f"SELECT sender FROM chat_messages WHERE session_id = {session.id} "
                                      "ORDER BY id")] == ["user", "assistant"]
    logged = php_db.rows(f"SELECT service, endpoint, tokens_in > 0 FROM api_usage_logs WHERE user_id = 3 "
                         f"AND session_id = {session.id}")
    assert logged and all(r[2] == "1" for r in logged), logged


OTHER_SHAPE = """
CREATE TABLE users (idx INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, user_email VARCHAR(200) NOT NULL,
  passcode CHAR(60) NOT NULL, user_name VARCHAR(100) NOT NULL, nickName VARCHAR(50) NULL,
  regdate DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, lastLoginAt DATETIME NULL, deleted_at DATETIME NULL,
  UNIQUE KEY (user_email))
  ENGINE=MyISAM DEFAULT CHARSET=utf8;
CREATE TABLE user_auth_tokens (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, user_id INT NOT NULL,
  token_sha256 CHAR(64) NOT NULL, expires DATETIME NOT NULL, KEY (user_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE admin_settings (`key` VARCHAR(64) NOT NULL PRIMARY KEY, `value` TEXT) ENGINE=InnoDB DEFAULT CHARSET=utf8;
INSERT INTO users (user_email, passcode, user_name) VALUES
  ('a@example.kr', '$2y$10$9nr.bizi1BqNr64Qt08Ile3Khmipvo18mzbk2G8DlxkOlwzzcibWO', '한결');
INSERT INTO admin_settings VALUES ('avatar_provider', 'heygen');
"""


def test_a_shape_the_fixture_never_had(prod: Any, php_db: PhpDatabase) -> None:
    php_db.sql("SET FOREIGN_KEY_CHECKS = 0; DROP TABLE " + ", ".join(
        r[0] for r in php_db.rows("SHOW TABLES")) + "; SET FOREIGN_KEY_CHECKS = 1;" + OTHER_SHAPE)
    found = json.loads(_ok(prod("db", "map", "suggest", "--write", "--json")).stdout)
    assert found["schema"]["users"] == {"id": "idx", "email": "user_email", "pin_hash": "passcode",
                                        "name": "user_name", "nickname": "nickName", "created_at": "regdate",
                                        "last_login_at": "lastLoginAt"}
    assert found["schema"]["user_auth_tokens"] == {"token_hash": "token_sha256", "expires_at": "expires"}
    assert found["schema"]["admin_settings"] == {"setting_key": "key", "setting_value": "value"}
    users = next(t for t in found["tables"] if t["table"] == "users")
    is_active = next(a for a in users["to_add"] if a["column"] == "is_active")
    assert "deleted_at" in is_active["reason"]
    missing = {t["table"] for t in found["tables"] if not t["present"]}
    assert "chat_sessions" in missing and "prompt_history" in missing

    _ok(prod("db", "adopt", "--apply", "--yes"))
    check = json.loads(_ok(prod("db", "check", "--json")).stdout)
    assert check["ok"], check["findings"]
    members = json.loads(_ok(prod("members", "list", "--json")).stdout)
    assert [(m["email"], m["name"], m["is_active"]) for m in members] == [("a@example.kr", "한결", True)]
    assert json.loads(_ok(prod("settings", "get", "avatar_provider", "--json")).stdout)["value"] == "heygen"
    _ok(prod("members", "reset-pin", "a@example.kr", input="9999\n"))
    assert php_db.rows("SELECT LEFT(passcode, 4), user_name FROM users") == [["$2y$", "한결"]]


def test_backup_through_the_driver_restores(php_db: PhpDatabase, tmp_path: Path) -> None:
    from tests.proddb._php import run_client
    from tinytalk_sdk.db import make_engine
    from tinytalk_sdk.db.adopt_apply import backup_database

    engine = make_engine(php_db.url)
    path, method = backup_database(engine, tmp_path, client="")
    engine.dispose()
    assert method == "SQL dump through the driver"
    assert path.stat().st_mode & 0o077 == 0
    # A client that fails (TLS demands, an old auth plugin) falls back to the driver and says why.
    failing = tmp_path / "mysqldump"
    failing.write_text("#!/bin/sh\necho 'mysqldump: Got error: 2026: TLS/SSL error' >&2\nexit 2\n")
    failing.chmod(0o755)
    engine = make_engine(php_db.url)
    again, why = backup_database(engine, tmp_path / "second", client=str(failing))
    engine.dispose()
    assert why == "SQL dump through the driver (mysqldump failed: mysqldump: Got error: 2026: TLS/SSL error)"
    assert "CREATE TABLE `users`" in again.read_text(encoding="utf-8")
    dump = path.read_text(encoding="utf-8")
    assert "ENGINE=MyISAM" in dump and "민준🦊" in dump
    copy_url = php_db.server.create_database()
    copy = copy_url.rsplit("/", 1)[1].split("?")[0]
    try:
        run_client(php_db.server, copy, dump)
        restored = PhpDatabase(server=php_db.server, url=copy_url, name=copy)
        columns = _columns_now(php_db)
        assert _columns_now(restored) == columns
        assert _php_rows(restored, columns) == _php_rows(php_db, columns)
        assert _php_column_defs(restored, columns) == _php_column_defs(php_db, columns)
    finally:
        php_db.server.drop_database(copy)
