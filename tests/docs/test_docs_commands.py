"""Every `tinytalk …` command the hand-written docs show exists, with only options it has (STYLE.md 17).

A failure names the page and line, the command as written, and what the CLI says about it; fix the doc
(or the command, if the doc describes what it should do).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ._cli import check_argv, group_commands, root_command
from ._extract import (
    ROOT,
    DocCommand,
    commands_in_code,
    doc_pages,
    expand,
    extract_commands,
    split_shell,
    strip_comment,
)

# Code spans that start with `tinytalk` but are output, not a command line: (page, span text) → why.
NOT_COMMANDS: dict[tuple[str, str], str] = {
    ("docs/cli.md", "tinytalk X.Y.Z"): "what `--version` prints",
}


def _all_commands() -> list[DocCommand]:
    groups = group_commands()
    seen: set[tuple[str, int, tuple[str, ...]]] = set()
    commands = []
    for page in doc_pages():
        for command in extract_commands(page, groups=groups):
            key = (command.file, command.line, command.argv)
            if key in seen or (command.file, command.text) in NOT_COMMANDS:
                continue
            seen.add(key)
            commands.append(command)
    return commands


COMMANDS = _all_commands()


@pytest.mark.parametrize("command", COMMANDS, ids=[f"{c.where} {' '.join(c.argv)}" for c in COMMANDS])
def test_documented_command_exists(command: DocCommand) -> None:
    problem = check_argv(list(command.argv), mention=command.inline)
    assert problem is None, f"{command.where}: `{command.text}` → {problem}"


def _help_examples() -> list[DocCommand]:
    """The `Example:` lines of every command's --help (docs/commands.md is generated from them)."""
    found: list[DocCommand] = []

    def walk(cmd: Any, path: str) -> None:
        for number, line in enumerate((cmd.help or "").splitlines(), start=1):
            if "Example" in line and ":" in line:
                found.extend(commands_in_code(f"`{path} --help`", number, line.split(":", 1)[1].strip(), True))
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, f"{path} {name}")

    walk(root_command(), "tinytalk")
    return found


HELP_EXAMPLES = _help_examples()


@pytest.mark.parametrize("command", HELP_EXAMPLES, ids=[f"{c.file} {' '.join(c.argv)}" for c in HELP_EXAMPLES])
def test_help_example_is_a_real_command(command: DocCommand) -> None:
    problem = check_argv(list(command.argv))
    assert problem is None, f"{command.file} (tinytalk_cli/commands): `{command.text}` → {problem}"


def _help_option_mentions() -> list[tuple[str, str, str]]:
    """(command path, `--option`, help line) for every option a command's own help text names."""
    root = root_command()
    global_options = {o for p in root.params if p.param_type_name == "option" for o in [*p.opts, *p.secondary_opts]}
    found: list[tuple[str, str, str]] = []

    def walk(cmd: Any, path: str) -> None:
        own = {o for p in cmd.params if p.param_type_name == "option" for o in [*p.opts, *p.secondary_opts]}
        texts = [cmd.help or "", *(getattr(p, "help", None) or "" for p in cmd.params)]
        for line in "\n".join(texts).splitlines():
            if "tinytalk " in line:
                continue  # a command line (an example): checked by test_help_example_is_a_real_command
            for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", line):
                if option not in own | global_options | {"--help"}:
                    found.append((path, option, line.strip()))
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, f"{path} {name}")

    walk(root, "tinytalk")
    return found


def test_help_text_names_only_real_options() -> None:
    """A command's --help (and docs/commands.md, generated from it) names only options the command has."""
    wrong = [
        f"`{path} --help` names {option}, which it does not have: {line!r}"
        for path, option, line in _help_option_mentions()
    ]
    assert not wrong, "\n".join(wrong)


def test_every_page_with_commands_is_read() -> None:
    """Guards the extractor: a page that shows `tinytalk <group>` yields at least one command from it."""
    pages_with_commands = {
        page.relative_to(ROOT).as_posix()
        for page in doc_pages()
        if any(f"tinytalk {group}" in page.read_text(encoding="utf-8") for group in ("db", "settings", "live2d"))
    }
    read = {c.file for c in COMMANDS}
    assert pages_with_commands <= read
    assert len(COMMANDS) > 150  # 220 when written; a big drop means the extractor broke
    assert len(HELP_EXAMPLES) > 80  # one per command and group, 97 when written


def test_not_commands_entries_still_exist() -> None:
    for (page, text), why in NOT_COMMANDS.items():
        assert f"`{text}`" in (ROOT / page).read_text(encoding="utf-8"), f"stale NOT_COMMANDS entry {page}: {why}"


# --- the extractor and the checker themselves ---------------------------------------------------------------


def test_shell_glue_is_split() -> None:
    assert split_shell("tinytalk --profile prod db check --json | jq '.findings[]'") == [
        "tinytalk --profile prod db check --json",
        "jq '.findings[]'",
    ]
    assert split_shell("tinytalk db init && tinytalk smoke") == ["tinytalk db init", "tinytalk smoke"]
    assert split_shell("tinytalk serve --port 8787 &") == ["tinytalk serve --port 8787"]
    assert split_shell("tinytalk db check --json | jq '.a[] | .b'") == ["tinytalk db check --json", "jq '.a[] | .b'"]
    assert split_shell('tinytalk qa compare --fail-if "x > 1.5" > out') == ['tinytalk qa compare --fail-if "x > 1.5"']
    assert split_shell('$EDITOR "$(tinytalk config path)"') == ["tinytalk config path", '$EDITOR "X"']
    assert split_shell("tinytalk live2d validate m.zip --format sarif > out.sarif") == [
        "tinytalk live2d validate m.zip --format sarif"
    ]
    assert strip_comment("tinytalk serve &   # the server") == "tinytalk serve &"
    assert strip_comment("tinytalk settings set x '#1'") == "tinytalk settings set x '#1'"


def test_notation_is_expanded() -> None:
    assert expand(["members", "list|show", "[--json|--csv]"]) == [
        (["members", "list", "--json"], False),
        (["members", "list", "--csv"], False),
        (["members", "show", "--json"], False),
        (["members", "show", "--csv"], False),
    ]
    assert expand(["members", "create", "…", "--bogus"]) == [(["members", "create"], True)]


def test_extract_reads_blocks_prompts_env_and_inline(tmp_path: Path) -> None:
    page = tmp_path / "probe.md"
    text = (
        "Run `tinytalk db status` or `db check`, then\n\n"
        "```sh\n"
        "$ TINYTALK_PROFILE=prod tinytalk usage report \\\n"
        "    --by day   # a comment\n"
        "printf '%s\\n' \"$PIN\" | tinytalk members create kim@example.com …\n"
        "```\n"
    )
    page.write_text(text, encoding="utf-8")
    commands = extract_commands(page, root=tmp_path, groups=group_commands())
    found = {(c.line, c.argv, c.truncated, c.inline) for c in commands}
    assert found == {
        (1, ("db", "status"), False, True),
        (1, ("db", "check"), False, True),
        (4, ("usage", "report", "--by", "day"), False, False),
        (6, ("members", "create", "kim@example.com"), True, False),
    }


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["db", "init", "--example-data"], None),
        (["--profile", "prod", "db", "check", "--json"], None),
        (["personas", "--help"], None),
        (["conversations", "list", "--jsonl"], "No such option: --jsonl"),
        (["--bogus", "db"], "No such option: --bogus"),
        (["db", "nuke"], "has no command 'nuke'"),
        (["db", "init", "extra"], "unexpected extra argument"),
        (["live2d", "validate", "m.zip", "--format", "html"], "is not one of"),
        (["qa", "compare", "--runs", "three"], "is not a valid int"),
        (["doctor", "--timeout"], "requires an argument"),
    ],
)
def test_checker_verdicts(argv: list[str], expected: str | None) -> None:
    problem = check_argv(argv)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem
