"""`tinytalk db …` and `tinytalk settings …`: exit codes, stdout is data, stderr is people."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from tests._mariadb import free_port
from tests.db._helpers import HEAD, REVISIONS, run_sql
from tinytalk_sdk.db import make_engine
from tinytalk_sdk.db.migrate import current

Cli = Callable[..., Result]
TINYTALK = Path(sys.executable).parent / "tinytalk"


def _one_error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    return lines[0]


def test_db_init_status_check(cli: Cli, db_url: str) -> None:
    init = cli("db", "init", "--example-data", "--json", db=db_url)
    assert init.exit_code == 0, init.stderr
    data = json.loads(init.stdout)
    assert data["applied"] == REVISIONS and data["example_data"]["users"] == 3
    assert data["status"]["up_to_date"] is True

    status = cli("db", "status", "--json", db=db_url)
    assert status.exit_code == 0 and json.loads(status.stdout)["current"] == HEAD

    check = cli("db", "check", "--json", db=db_url)
    assert check.exit_code == 0, check.stderr
    assert json.loads(check.stdout) == {**json.loads(check.stdout), "ok": True, "count": 0, "findings": []}

    plain = cli("db", "check", db=db_url)
    assert plain.exit_code == 0 and plain.stdout == "" and "no drift" in plain.stderr

    again = cli("db", "init", "--example-data", "--json", db=db_url)
    assert json.loads(again.stdout)["applied"] == [] and json.loads(again.stdout)["example_data"]["users"] == 0


def test_db_check_exit_8_on_drift(cli: Cli, engine: object, db_url: str) -> None:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    run_sql(engine, "DROP TABLE prompt_history", "ALTER TABLE users ADD COLUMN legacy_points INTEGER")
    result = cli("db", "check", "--json", db=db_url)
    assert result.exit_code == 8
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["summary"] == {"extra_column": 1, "missing_table": 1}
    assert {f["kind"] for f in report["findings"]} == {"extra_column", "missing_table"}
    assert "2 drift findings" in _one_error_line(result)

    as_csv = cli("db", "check", "--csv", db=db_url)
    assert as_csv.exit_code == 8
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {r["kind"] for r in rows} == {"extra_column", "missing_table"}

    tsv = cli("db", "check", db=db_url)  # not a TTY: tab-separated with a header
    assert tsv.stdout.splitlines()[0].split("\t")[:3] == ["kind", "table", "column"]


def test_db_upgrade_dry_run_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dry.db'}"
    result = cli("db", "upgrade", "--dry-run", "--json", db=url)
    assert result.exit_code == 0 and json.loads(result.stdout)["would_apply"] == REVISIONS
    engine = make_engine(url)
    assert current(engine) is None
    applied = cli("db", "upgrade", "--json", db=url)
    assert json.loads(applied.stdout)["applied"] == REVISIONS and current(engine) == HEAD
    engine.dispose()


def test_db_stamp_adopts_a_php_made_database(cli: Cli, tmp_path: Path) -> None:
    from tinytalk_sdk.db.base import Base

    url = f"sqlite:///{tmp_path / 'php.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    refused = cli("db", "upgrade", db=url)
    assert refused.exit_code == 7 and "no schema revision" in _one_error_line(refused)
    no_yes = cli("db", "stamp", "head", db=url)  # stdin is not a TTY: refuses without --yes
    assert no_yes.exit_code == 13 and current(engine) is None
    stamped = cli("db", "stamp", "head", "--yes", "--json", db=url)
    assert stamped.exit_code == 0 and json.loads(stamped.stdout) == {"stamped": HEAD, "previous": None}
    assert current(engine) == HEAD
    engine.dispose()


def test_settings_commands(cli: Cli, db_url: str) -> None:
    assert cli("db", "init", db=db_url).exit_code == 0

    listed = cli("settings", "list", "--json", db=db_url)
    assert listed.exit_code == 0
    by_key = {s["key"]: s for s in json.loads(listed.stdout)}
    assert by_key["avatar_provider"]["value"] == "replika" and by_key["maintenance_mode"]["value"] is False

    bad = cli("settings", "set", "avatar_provider", "vimeo", db=db_url, TINYTALK_ADMIN_USER="alice")
    assert bad.exit_code == 4 and bad.stdout == ""
    line = _one_error_line(bad)
    assert "avatar_provider" in line and "heygen, replika" in line
    assert cli("settings", "history", "avatar_provider", "--json", db=db_url).stdout.count('"by"') == 0

    good = cli("settings", "set", "avatar_provider", "heygen", "--json", db=db_url, TINYTALK_ADMIN_USER="alice")
    assert good.exit_code == 0, good.stderr
    assert json.loads(good.stdout) == {**json.loads(good.stdout), "old": None, "new": "heygen", "by": "alice"}

    got = cli("settings", "get", "avatar_provider", db=db_url)
    assert got.stdout == "heygen\n"
    history = json.loads(cli("settings", "history", "avatar_provider", "--json", db=db_url).stdout)
    assert [(h["by"], h["new"]) for h in history["history"]] == [("alice", "heygen")]
    as_csv = cli("settings", "history", "avatar_provider", "--csv", db=db_url).stdout
    assert as_csv.splitlines()[0] == "at,by,old,new"

    unknown = cli("settings", "set", "php_banner", "hi", db=db_url)
    assert unknown.exit_code == 4 and "--force" in unknown.stderr
    forced = cli("settings", "set", "php_banner", "hi", "--force", db=db_url)
    assert forced.exit_code == 0, forced.stderr
    assert cli("settings", "get", "php_banner", db=db_url).stdout == "hi\n"  # --force really stored it
    missing = cli("settings", "get", "nope", db=db_url)
    assert missing.exit_code == 5 and "'nope'" in _one_error_line(missing)


@pytest.mark.parametrize(
    "command",
    [["db", "init"], ["db", "upgrade"], ["db", "status"], ["db", "check"], ["db", "stamp"],
     ["settings", "list"], ["settings", "get"], ["settings", "set"], ["settings", "history"]],
)
def test_help_shows_an_example(cli: Cli, command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0 and "Example: tinytalk" in result.stdout


# Real processes of the installed console script: what a user's shell sees.


def _run(*args: str, env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TINYTALK), *args], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture
def proc_env(isolated_env: Path) -> dict[str, str]:
    # COLUMNS=200 (set by the root conftest): Rich wraps stderr at 80 columns off a TTY, which splits
    # a long error over lines; the fix belongs in tinytalk_cli.main._fail (soft_wrap), not here.
    return dict(os.environ) | {"NO_COLOR": "1", "COLUMNS": "200"}


def test_subprocess_bad_database_url_exit_3(proc_env: dict[str, str]) -> None:
    result = _run("db", "status", env=proc_env | {"TINYTALK_DATABASE_URL": "not a url"})
    assert result.returncode == 3
    assert result.stderr.startswith("Error: bad database URL 'not a url'")
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_subprocess_unreachable_mariadb_exit_7_without_password(proc_env: dict[str, str]) -> None:
    url = f"mysql+pymysql://u:secretpw@127.0.0.1:{free_port()}/x"
    started = time.monotonic()
    result = _run("db", "check", "--json", env=proc_env | {"TINYTALK_DATABASE_URL": url})
    assert time.monotonic() - started < 5
    assert result.returncode == 7
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: cannot connect to mysql+pymysql")
    assert "secretpw" not in result.stderr + result.stdout and "\x1b[" not in result.stderr


def test_subprocess_invalid_setting_exit_4_nothing_written(proc_env: dict[str, str], tmp_path: Path) -> None:
    env = proc_env | {"TINYTALK_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    assert _run("db", "init", env=env).returncode == 0
    result = _run("settings", "set", "avatar_provider", "vimeo", env=env)
    assert result.returncode == 4 and result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        "Error: invalid value 'vimeo' for setting 'avatar_provider'; allowed: heygen, replika")
    assert _run("settings", "get", "avatar_provider", env=env).stdout == "replika\n"


def test_subprocess_demo_db_step(proc_env: dict[str, str]) -> None:
    result = _run("demo", "--only", "db", "--json", env=proc_env, timeout=120)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)["facts"]["db"]
    assert facts["revision"] == HEAD and facts["avatar_provider"] == "replika"
    assert facts["example_data_added"]["users"] == 3 and facts["avatar_provider_history"] == 3
