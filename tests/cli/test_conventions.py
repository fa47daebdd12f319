"""CLI conventions (docs/cli.md) that every command must keep: checked over the whole command tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.main import get_command

from tinytalk_cli.main import app

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "openai", "elevenlabs", "PIL", "boto3", "paramiko", "uvicorn", "starlette",
         "pocketsphinx", "numpy", "httpx", "jsonschema", "live2d", "livekit", "jwt", "locust", "gevent", "zmq",
         "matplotlib", "jinja2")
# (pydantic is not listed: Typer itself imports it for its type adapters)


def _walk(cmd: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    sub = getattr(cmd, "commands", None)
    if sub:
        for name, child in sub.items():
            yield from _walk(child, (*path, name))
    else:
        yield path, cmd


def _leaf_commands() -> list[tuple[tuple[str, ...], object]]:
    return [(p, c) for p, c in _walk(get_command(app)) if p]


def tinytalk(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("tinytalk")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, input=stdin,
                          env={**os.environ, **(env or {})}, timeout=60)


def test_every_command_has_help_with_an_example() -> None:
    missing = [" ".join(p) for p, c in _leaf_commands() if "Example" not in (getattr(c, "help", "") or "")]
    assert not missing, f"commands without an 'Example:' in --help: {missing}"


def test_every_command_has_a_json_flag() -> None:
    missing = []
    for path, cmd in _leaf_commands():
        opts = {o for p in getattr(cmd, "params", []) for o in getattr(p, "opts", [])}
        if "--json" not in opts and path not in {("serve",)}:
            missing.append(" ".join(path))
    assert not missing, f"commands without --json: {missing}"


def test_help_imports_nothing_heavy() -> None:
    for args in (["--help"], ["config", "--help"], ["db", "--help"], ["live2d", "--help"], ["qa", "load", "--help"]):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "from tinytalk_cli.main import run; run()", *args],
            capture_output=True, text=True, timeout=60,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
                    if line.startswith("import time:")}
        heavy = sorted(imported & set(HEAVY))
        assert not heavy, f"`tinytalk {' '.join(args)}` imports {heavy}"


def test_subprocess_json_stdout_and_errors_on_stderr() -> None:
    ok = tinytalk("config", "show", "--json")
    assert ok.returncode == 0
    assert json.loads(ok.stdout)["profile"] == "default"
    bad = tinytalk("--profile", "ghost", "config", "show", "--json")
    assert bad.returncode == 3
    assert bad.stdout == ""
    assert bad.stderr.startswith("Error: unknown profile 'ghost'")
    assert "Traceback" not in bad.stderr
    assert "\x1b[" not in bad.stderr  # NO_COLOR is set by the isolated env
    usage = tinytalk("config", "show", "--no-such-flag")
    assert usage.returncode == 2


def test_plain_output_when_piped_is_tab_separated() -> None:
    out = tinytalk("config", "show")
    lines = out.stdout.splitlines()
    assert lines[0] == "key\tvalue\tsource"
    assert all(line.count("\t") == 2 for line in lines)


def test_debug_shows_traceback_only_when_asked() -> None:
    bad = tinytalk("--debug", "--profile", "ghost", "config", "show")
    assert bad.returncode != 0
    assert "Traceback" in bad.stderr


def test_version() -> None:
    from tinytalk_sdk import __version__

    assert tinytalk("--version").stdout.strip() == f"tinytalk {__version__}"


def test_shell_completion_works() -> None:
    # What the bash script installed by --install-completion runs on <TAB>.
    script = tinytalk(env={"_TINYTALK_COMPLETE": "source_bash"})
    assert script.returncode == 0 and "complete " in script.stdout
    proc = tinytalk(env={"_TINYTALK_COMPLETE": "complete_bash", "COMP_WORDS": "tinytalk con", "COMP_CWORD": "1"})
    assert proc.returncode == 0
    assert proc.stdout.split() == ["config", "conversations"]
    proc = tinytalk(env={"_TINYTALK_COMPLETE": "complete_bash", "COMP_WORDS": "tinytalk db ch",
                         "COMP_CWORD": "2"})
    assert proc.stdout.split() == ["check"]


@pytest.mark.parametrize("name", ["typer", "rich"])
def test_sdk_never_imports_cli_libraries(name: str) -> None:
    code = (
        "import sys, tinytalk_sdk, tinytalk_sdk.config, tinytalk_sdk.db, live2d_tools;"
        f"sys.exit(1 if {name!r} in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
