"""Pull the `tinytalk …` command lines and the links out of the hand-written docs.

Hand-written pages only: README.md and docs/*.md minus the generated ones (their own tests keep those
fresh). The doc notation we understand, because the pages use it:

- fenced code blocks, one command per line, ``\\`` continuations joined, ``$ `` prompts and ``# comments``
  dropped; inline code spans (which may wrap over a line break);
- shell glue: `` | `` pipes, ``&&``, ``||``, ``;``, a trailing ``&``, ``> file`` redirections, and
  ``VAR=value`` prefixes (``printf … | tinytalk members create`` is the second command of a pipe);
- ``[--optional]`` brackets, ``a|b|c`` alternatives without spaces (``\\|`` inside tables), each one
  checked, and ``(a|b)`` groups;
- ``…`` / ``...`` ends what can be checked (the rest is a placeholder).
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "GENERATED",
    "ROOT",
    "DocCommand",
    "commands_in_code",
    "doc_pages",
    "expand",
    "extract_commands",
    "iter_code",
    "split_shell",
    "strip_comment",
]

ROOT = Path(__file__).resolve().parents[2]
# Generated from code and kept fresh by their own tests (tests/cli/test_cli_docs.py, tests/live2d).
GENERATED = frozenset({"docs/commands.md", "docs/live2d-rules.md"})

_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE = re.compile(r"(?<!`)`([^`]+)`(?!`)")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
# Shell operators only count with spaces around them: `service|day` is doc notation for alternatives.
_OPERATOR = re.compile(r"\s+(?:\|\||&&|\||;|&)\s+|\s+&\s*$|\s*;\s*$")
_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")
_REDIRECT = re.compile(r"\s+\d?>>?\s*\S+")
_ELLIPSIS = ("…", "...")
_MAX_VARIANTS = 64


@dataclass(frozen=True)
class DocCommand:
    """One `tinytalk …` invocation shown in a doc: where, the text, and its argv after `tinytalk`."""

    file: str
    line: int
    text: str
    argv: tuple[str, ...]
    truncated: bool  # a `…` placeholder cut it: what follows is not checked
    inline: bool  # an inline code span (a mention) rather than a code-block line

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def doc_pages(root: Path = ROOT) -> list[Path]:
    """README.md and the hand-written docs/*.md."""
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    return [p for p in pages if p.relative_to(root).as_posix() not in GENERATED]


def iter_code(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, code, is_block) for every code-block line and every inline code span."""
    lines = text.splitlines()
    in_block = False
    prose: list[tuple[int, str]] = []
    pending = ""
    pending_line = 0
    for number, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            in_block = not in_block
            continue
        if in_block:
            if pending:
                pending += " " + line.strip()
            else:
                pending, pending_line = line.strip(), number
            if pending.endswith("\\"):
                pending = pending[:-1].rstrip()
                continue
            yield pending_line, pending, True
            pending = ""
        else:
            prose.append((number, line))
    # Inline spans may wrap over one line break; join paragraph lines and map offsets back to line numbers.
    joined = ""
    starts: list[tuple[int, int]] = []
    for number, line in prose:
        starts.append((len(joined), number))
        joined += line + "\n"
    for match in _INLINE.finditer(joined):
        offset = match.start()
        line_no = next(n for start, n in reversed(starts) if start <= offset)
        yield line_no, " ".join(match.group(1).split()), False


def strip_comment(code: str) -> str:
    """Cut a shell `# comment` (a `#` at a word start, outside quotes)."""
    quote = ""
    for i, char in enumerate(code):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or code[i - 1].isspace()):
            return code[:i].rstrip()
    return code


def split_shell(code: str) -> list[str]:
    """The simple commands of a shell line: pipes, `&&`, `||`, `;`, a trailing `&` and `$(…)` split it.

    Operators count outside quotes only (`jq '.a[] | .b'` is one word) and with spaces around them.
    """
    parts: list[str] = []
    for inner in _SUBSTITUTION.findall(code):
        parts.extend(split_shell(inner))
    code = _SUBSTITUTION.sub("X", code)
    pieces: list[str] = []
    current, quote, i = "", "", 0
    while i < len(code):
        char = code[i]
        if not quote:
            operator = _OPERATOR.match(code, i)
            if operator and operator.end() > i:
                pieces.append(current)
                current, i = "", operator.end()
                continue
            redirect = _REDIRECT.match(code, i)
            if redirect:  # `> file` is not part of the command
                i = redirect.end()
                continue
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        current += char
        i += 1
    pieces.append(current)
    parts.extend(piece.strip() for piece in pieces if piece.strip())
    return parts


def _tokens(command: str) -> list[str]:
    lexer = shlex.shlex(command, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    return list(lexer)


def expand(tokens: list[str]) -> list[tuple[list[str], bool]]:
    """Every reading of a notated argv: brackets dropped, `a|b` alternatives multiplied out, cut at `…`."""
    choices: list[list[str]] = []
    truncated = False
    for token in tokens:
        if any(mark in token for mark in _ELLIPSIS):
            truncated = True
            break
        token = token.strip("[]()")
        if not token:
            continue
        if "|" in token:
            alternatives = [alt.strip("[]()") for alt in token.split("|")]
            choices.append([alt for alt in alternatives if alt] or [token])
        else:
            choices.append([token])
    variants = [list(v) for v in itertools.islice(itertools.product(*choices), _MAX_VARIANTS)]
    return [(v, truncated) for v in variants]


def extract_commands(path: Path, root: Path = ROOT, groups: frozenset[str] = frozenset()) -> list[DocCommand]:
    """Every `tinytalk …` command a page shows.

    ``groups`` maps the bare `db check` spelling too: an inline span whose first word is a command group
    and whose second is one of its subcommands (``groups`` holds "db check", "db init", …) is read as
    `tinytalk db check`.
    """
    rel = path.relative_to(root).as_posix()
    found: list[DocCommand] = []
    for line_no, code, is_block in iter_code(path.read_text(encoding="utf-8")):
        found.extend(commands_in_code(rel, line_no, code, is_block, groups))
    return found


def commands_in_code(
    where: str, line_no: int, code: str, is_block: bool, groups: frozenset[str] = frozenset()
) -> list[DocCommand]:
    """The `tinytalk …` commands of one code line (``is_block``) or inline span."""
    found: list[DocCommand] = []
    code = code.replace("\\|", "|")
    if code.startswith("$ "):
        code = code[2:]
    if is_block:
        code = strip_comment(code)
    for simple in split_shell(code):
        try:
            tokens = _tokens(simple)
        except ValueError:  # an unbalanced quote in prose code: not a command line
            continue
        while tokens and _ENV.match(tokens[0]):
            tokens = tokens[1:]
        if not tokens:
            continue
        if tokens[0] == "tinytalk":
            argv = tokens[1:]
        elif not is_block and len(tokens) > 1 and f"{tokens[0]} {tokens[1].split('|')[0]}" in groups:
            argv = tokens
        else:
            continue
        if not argv:
            continue  # the bare word `tinytalk` in prose
        for variant, truncated in expand(argv):
            found.append(DocCommand(where, line_no, simple, tuple(variant), truncated, not is_block))
    return found
