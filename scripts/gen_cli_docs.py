"""Write docs/commands.md, the `tinytalk` command reference, from the Typer app itself.

Every command: its usage line, short help, arguments and options with their help, and its Example line(s).
Run after changing a command's options or help; the test ``tests/cli/test_cli_docs.py`` fails when stale.

Usage: python scripts/gen_cli_docs.py [--check]   (--check: exit 1 if the page is stale, write nothing)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from typer.main import get_command

sys.path.insert(0, str(Path(__file__).resolve().parent))  # scripts/_generated.py, also when loaded by path
from _generated import write_or_check

DOC = Path(__file__).resolve().parents[1] / "docs" / "commands.md"
PROG = "tinytalk"

__all__ = ["DOC", "main", "render"]

# Typer vendors its own Click; everything here goes through the command objects' own API (context_class,
# collect_usage_pieces, get_help_record: what `--help` prints), so no Click import is needed.


def _walk(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Leaf commands in the order `--help` lists them."""
    sub = getattr(cmd, "commands", None)
    if sub:
        for name, child in sub.items():
            if not getattr(child, "hidden", False):
                yield from _walk(child, (*path, name))
    else:
        yield path, cmd


def _context(root: Any, path: tuple[str, ...]) -> tuple[Any, Any]:
    """(command, context) with a parent chain like `tinytalk a b --help` builds: full usage paths."""
    ctx = root.context_class(root, info_name=PROG)
    node = root
    for name in path:
        node = node.commands[name]
        ctx = node.context_class(node, info_name=name, parent=ctx)
    return node, ctx


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _help_parts(cmd: Any) -> tuple[str, list[str], list[str]]:
    """(short help, further paragraphs, example lines) from the command's help text."""
    text = cmd.help or ""
    examples = [line.strip()[len("Example:"):].strip() for line in text.splitlines()
                if line.strip().startswith("Example:")]
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("Example:"))
    paragraphs = [_one_line(p) for p in body.split("\n\n") if p.strip()]
    short = paragraphs[0] if paragraphs else _one_line(cmd.get_short_help_str())
    return short, paragraphs[1:], examples


def _param_lines(cmd: Any, ctx: Any) -> list[str]:
    """One bullet per argument/option: names and metavar, then the help `--help` shows for it."""
    lines: list[str] = []
    for param in cmd.params:
        if getattr(param, "hidden", False):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        help_text = _one_line(help_text)
        lines.append(f"- `{names}`" + (f": {help_text}" if help_text else ""))
    return lines


def render() -> str:
    """The whole page, deterministic (no terminal width, no environment)."""
    from tinytalk_cli.main import app

    root = get_command(app)
    out = [
        "# Command reference",
        "",
        "Generated from the Typer app by `python scripts/gen_cli_docs.py`; do not edit by hand "
        "(`tests/cli/test_cli_docs.py` fails when it is stale). Conventions every command keeps "
        "(output, exit codes, errors): [cli.md](cli.md).",
        "",
        "Global options (before the command): `--profile NAME`/`-p`, `--debug`, `--version`, `--help`/`-h`.",
        "",
    ]
    leaves = [path for path, _ in _walk(root)]
    out.append("## Contents")
    out.append("")
    for path in leaves:
        name = " ".join((PROG, *path))
        out.append(f"- [`{name}`](#{'-'.join((PROG, *path))})")
    out.append("")
    for path in leaves:
        cmd, ctx = _context(root, path)
        short, more, examples = _help_parts(cmd)
        out.append(f"## `{' '.join((PROG, *path))}`")
        out.append("")
        out.append(short)
        out.append("")
        out.append("```")
        out.append(" ".join([ctx.command_path, *cmd.collect_usage_pieces(ctx)]))
        out.append("```")
        out.append("")
        for paragraph in more:
            out.append(paragraph)
            out.append("")
        params = _param_lines(cmd, ctx)
        if params:
            out.extend(params)
            out.append("")
        for example in examples:
            out.append(f"Example: `{example}`")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    return write_or_check(DOC, render(), argv, "gen_cli_docs.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
