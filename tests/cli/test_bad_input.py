"""Bad input, as a user types it: real `tinytalk` processes on a throw-away profile, stdin not a terminal.

Each row: argv → the documented exit code (docs/cli.md) and a piece of the one `Error:` line, which must
name the thing at fault. Every row also checks: no traceback, nothing on stdout, no file left behind.
Rows marked "bug" failed before the CLI refinement round (they crashed with "unexpected …", wrote part of
the output, or answered a typo with an empty list).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = Path(sys.executable).with_name("tinytalk")


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TINYTALK_", "OPENAI_", "ELEVENLABS_",
                                                                     "HEYGEN_"))}
    env.update(TINYTALK_CONFIG_DIR=str(home / "config"), TINYTALK_DATA_DIR=str(home / "data"),
               TINYTALK_NO_KEYRING="1", NO_COLOR="1", COLUMNS="200")
    env.update(extra)
    return env


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # stdin is a pipe (not a TTY), as in cron: destructive commands must refuse without --yes
    return subprocess.run([str(EXE), *argv], capture_output=True, text=True, input="", env=env, timeout=60)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A profile with the example data (personas tutor_kim/buddy_max, members 1-3), plus files to point at."""
    root = tmp_path_factory.mktemp("bad-input")
    init = _run(["db", "init", "--example-data"], _env(root))
    assert init.returncode == 0, init.stderr
    (root / "files").mkdir()
    (root / "files" / "text.txt").write_text("hello\n", encoding="utf-8")
    (root / "files" / "folder").mkdir()
    (root / "yaml").mkdir()
    (root / "yaml" / "tiny.yaml").write_text("name: tiny\nsystem_prompt: [unclosed\n", encoding="utf-8")
    (root / "model").mkdir()
    (root / "model" / "m.model3.json").write_text('{"Version": 3, "FileReferences": {"Moc": "m.moc3"}}',
                                                  encoding="utf-8")
    # a profile whose database is a MariaDB URL on a port nobody listens on, and one with a bad URL
    (root / "closed" / "config").mkdir(parents=True)
    (root / "closed" / "config" / "config.toml").write_text(
        '[profiles.default]\ndatabase_url = "mysql+pymysql://tt:s3cret-pw@127.0.0.1:1/tinytalk"\n'
        '[profiles.badurl]\ndatabase_url = "notaurl"\n', encoding="utf-8")
    (root / "closed" / "config" / "config.toml").chmod(0o600)  # it holds a password (issue 12, finding 5)
    return root


NO = "/nonexistent-dir-tinytalk"
# (argv, exit code, substring of stderr); {files} is a folder with text.txt and folder/, {home} the profile
CASES: list[tuple[list[str], int, str]] = [
    # db: unknown revision (bug: "unexpected CommandError", exit 1)
    (["db", "upgrade", "-r", "nosuchrev"], 5, "revision 'nosuchrev' not found"),
    (["db", "stamp", "nosuchrev", "--yes"], 5, "revision 'nosuchrev' not found"),
    (["db", "stamp", "nosuchrev", "--dry-run"], 5, "revision 'nosuchrev' not found"),  # bug: "would record"
    (["db", "upgrade", "-r", ""], 5, "revision '' not found"),  # bug: "unexpected AssertionError"
    (["db", "upgrade", "-r", "+5"], 5, "revision '+5'"),  # bug: "unexpected CommandError"
    (["db", "stamp", "head"], 13, "refusing without --yes"),
    # settings / config
    (["settings", "set", "avatar_provider", "bogus"], 4, "invalid value 'bogus' for setting 'avatar_provider'"),
    (["settings", "get", "nosuch"], 5, "setting 'nosuch' not found"),
    (["config", "get", "nosuch"], 4, "unknown setting 'nosuch'"),
    (["--profile", "ghost", "config", "show"], 3, "unknown profile 'ghost'"),
    # personas
    (["personas", "show", "nosuch"], 5, "persona 'nosuch' not found"),
    (["personas", "create", "newp", "--prompt-file", "{files}/folder"], 4, "folder: is a folder"),  # bug
    (["personas", "create", "newp", "--prompt-file", "{files}/missing.txt"], 4, "missing.txt: no such file"),
    (["personas", "create", "newp", "--prompt-file", "{files}/text.txt", "--temperature", "9"], 4,
     "field 'temperature'"),
    (["personas", "export", "{files}/text.txt"], 4, "text.txt: not a folder"),  # bug: FileExistsError
    (["personas", "diff", "tutor_kim", "v1", "--context", "-5"], 2, "--context"),  # bug: accepted
    (["personas", "diff", "tutor_kim", "v99"], 5, "has no version 99"),
    (["personas", "archive", "buddy_max"], 13, "refusing without --yes"),
    (["personas", "apply", "{home}/yaml"], 4, "tiny.yaml: not valid YAML: line 3, column 1"),  # bug: no line
    # members
    (["members", "show", "nosuch@example.com"], 5, "member 'nosuch@example.com' not found"),
    (["members", "list", "--created-from", "yesterdayy"], 4, "created-from: 'yesterdayy'"),
    (["members", "list", "--limit", "-1"], 2, "--limit"),  # bug: accepted
    (["members", "search", " "], 4, "search text is empty"),  # bug: listed every member
    (["members", "export", "--created-from", "2025-13-45"], 4, "created-from"),  # bug: CSV header on stdout
    (["members", "export", "-o", f"{NO}/out.csv"], 1, "out.csv: cannot write"),  # bug: FileNotFoundError
    (["members", "export", "-o", "{files}/folder"], 2, "is a directory"),
    (["members", "deactivate", "1"], 13, "refusing without --yes"),
    # conversations
    (["conversations", "list", "--user", "nosuch@example.com"], 5, "--user: member 'nosuch@example.com'"),  # bug
    (["conversations", "list", "--from", "yesterdayy"], 4, "'yesterdayy' is not a date"),
    (["conversations", "list", "--limit", "-3"], 2, "--limit"),  # bug: accepted
    (["conversations", "show", "99999"], 5, "conversation 99999 not found"),
    (["conversations", "export", "--json", "--from", "2025-13-01"], 4, "'2025-13-01' is not a date"),  # bug: "["
    (["conversations", "export", "-o", f"{NO}/x.jsonl"], 1, "x.jsonl: cannot write"),  # bug
    # storage
    (["storage", "report", "--uploads-dir", "{files}/text.txt"], 4, "text.txt: not a folder"),  # bug: exit 0
    (["storage", "clean", "--older-than", "yesterdayy"], 4, "--older-than: 'yesterdayy'"),
    # characters
    (["characters", "create", "newc", "--name", "X", "--persona-id", "9999"], 5, "persona id 9999 not found"),
    (["characters", "update", "nosuch", "--remove-motion", "bogus"], 4, "--remove-motion 'bogus'"),  # bug
    (["characters", "show", "nosuch"], 5, "character 'nosuch' not found"),
    # assignments
    (["assignments", "export", "--encoding", "bogus"], 4, "unknown encoding 'bogus'"),  # bug: LookupError
    (["assignments", "export", "-o", f"{NO}/x.csv"], 1, "x.csv: cannot write"),  # bug: FileNotFoundError
    (["assignments", "import", "{files}/missing.csv"], 2, "does not exist"),
    # usage
    (["usage", "report", "--from", "2026-12-01", "--to", "2026-11-01"], 4,  # bug: exit 0, empty report
     "empty date range: 2026-12-01 is not before 2026-11-01"),
    (["usage", "report", "--chart", "{files}/cost.txt"], 4, "use a .png or .svg"),  # bug: report on stdout first
    (["usage", "report", "--to", "2026-02-30"], 4, "'2026-02-30' is not a date"),
    (["usage", "export", "-o", f"{NO}/x.csv"], 1, "x.csv: cannot write"),  # bug
    # live2d
    (["live2d", "validate", "{files}/missing"], 5, "missing: no such file or folder"),
    (["live2d", "lipsync", "{files}/missing.wav", "--model", "{home}/model"], 4,  # bug: "System error."
     "missing.wav: no such audio file"),
    (["live2d", "lipsync", "{files}/text.txt", "--model", "{home}/model"], 4, "text.txt: cannot read audio"),
    (["live2d", "publish", "{files}/folder", "--to", "bogus://x"], 3, "unsupported CDN URL 'bogus://x'"),
    # api / heygen without a server or a key
    (["api", "me"], 3, "missing setting 'api_token'"),
    (["heygen", "avatars"], 3, "missing setting 'heygen_api_key'"),
]


@pytest.mark.parametrize(("argv", "code", "message"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input(home: Path, argv: list[str], code: int, message: str) -> None:
    args = [a.replace("{files}", str(home / "files")).replace("{home}", str(home)) for a in argv]
    before = sorted(p.name for p in (home / "files").iterdir())
    proc = _run(args, _env(home))
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and "unexpected" not in proc.stderr
    assert proc.stdout == "", "a failing command writes nothing to stdout"
    if code != 2:  # Click's own usage errors print the usage line too (see the report)
        lines = proc.stderr.splitlines()
        assert lines[0].startswith("Error: ") and len(lines) <= 2, proc.stderr
        assert all(line.startswith(("Error: ", "hint: ")) for line in lines), proc.stderr
    assert sorted(p.name for p in (home / "files").iterdir()) == before, "nothing written"


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["db", "status"], 7, "cannot connect to mysql+pymysql://tt:***@127.0.0.1:1/tinytalk"),
        (["members", "list"], 7, "127.0.0.1:1/tinytalk"),
        (["dashboard"], 7, "127.0.0.1:1/tinytalk"),  # bug: hinted "`tinytalk db upgrade` creates missing tables"
        (["usage", "report"], 7, "127.0.0.1:1/tinytalk"),
        (["--profile", "badurl", "members", "list"], 3, "bad database URL 'notaurl'"),
    ],
)
def test_unreachable_or_bad_database(home: Path, argv: list[str], code: int, message: str) -> None:
    proc = _run(argv, _env(home, TINYTALK_CONFIG_DIR=str(home / "closed" / "config")))
    assert (proc.returncode, proc.stdout) == (code, "")
    assert message in proc.stderr and "s3cret-pw" not in proc.stderr
    assert proc.stderr.startswith("Error: ") and "Traceback" not in proc.stderr
    assert "db upgrade" not in proc.stderr, "a server that does not answer is not a missing table"


def test_config_folder_that_cannot_be_written(home: Path) -> None:
    """Bug: `config set` with an unwritable config folder crashed with "unexpected OSError" (exit 1)."""
    blocker = home / "files" / "text.txt"  # a file where the config folder should be
    proc = _run(["config", "set", "api_url", "http://x"], _env(home, TINYTALK_CONFIG_DIR=str(blocker)))
    assert proc.returncode == 3, proc.stderr
    assert "cannot write the config file" in proc.stderr and str(blocker) in proc.stderr
    assert "unexpected" not in proc.stderr
    assert blocker.read_text(encoding="utf-8") == "hello\n"


def test_export_to_a_file_is_atomic(home: Path) -> None:
    """-o FILE appears only when the export succeeded, and no FILE.part is left behind either way."""
    out = home / "files" / "members.csv"
    bad = _run(["members", "export", "--created-from", "2025-13-45", "-o", str(out)], _env(home))
    assert bad.returncode == 4 and not out.exists() and not out.with_name("members.csv.part").exists()
    good = _run(["members", "export", "-o", str(out)], _env(home))
    assert good.returncode == 0, good.stderr
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("id,email")
    assert not out.with_name("members.csv.part").exists()
    out.unlink()
