"""The hand-written docs point at things that exist: relative links (and their #anchors), the index of
docs/README.md, and every `tinytalk_sdk.X` / `live2d_tools.X` / `from … import X` name they mention.

A failure names the page and line and what is missing.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from ._extract import ROOT, doc_pages, iter_code

ALL_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
INDEX = ROOT / "docs" / "README.md"

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|^\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_DOTTED = re.compile(r"(?<![\w./-])((?:tinytalk_sdk|live2d_tools)(?:\.[A-Za-z_]\w*)+)")
_FROM_IMPORT = re.compile(r"from\s+((?:tinytalk_sdk|live2d_tools)(?:\.\w+)*)\s+import\s+\(?([\w\s,]+)\)?")
# "`tinytalk_sdk.admin.members`: `list_members`, `iter_members`" — the names after the colon live in it.
_MODULE_LIST = re.compile(r"`((?:tinytalk_sdk|live2d_tools)(?:\.\w+)*)`:\s*((?:`\w+`(?:,\s*|\s+and\s+)?)+)")


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """Lines outside fenced code blocks (a link in a code block is an example, not a link)."""
    out, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            out.append((number, line))
    return out


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces → hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for _, line in _prose_lines(page.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if match:
            slug = _slug(match.group(2))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _links() -> list[tuple[str, int, str]]:
    links = []
    for page in ALL_PAGES:
        for number, line in _prose_lines(page.read_text(encoding="utf-8")):
            # Code spans are not links: `[a](b)` inside backticks is text.
            line = re.sub(r"`[^`]*`", "", line)
            for match in _LINK.finditer(line):
                links.append((page.relative_to(ROOT).as_posix(), number, match.group(1) or match.group(2)))
    return links


def _link_problem(page: str, target: str) -> str | None:
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, file: — not ours to check offline
        return None
    path_part, _, anchor = target.partition("#")
    base = (ROOT / page).parent
    resolved = (base / path_part).resolve() if path_part else (ROOT / page).resolve()
    if not resolved.exists():
        return f"{target!r}: no such file {resolved}"
    if anchor and resolved.suffix == ".md":
        anchors = _anchors(resolved)
        if anchor not in anchors:
            return f"{target!r}: {resolved.name} has no heading #{anchor} (it has: {', '.join(sorted(anchors))})"
    return None


LINKS = _links()


@pytest.mark.parametrize(("page", "line", "target"), LINKS, ids=[f"{p}:{n} {t}" for p, n, t in LINKS])
def test_relative_link_resolves(page: str, line: int, target: str) -> None:
    problem = _link_problem(page, target)
    assert problem is None, f"{page}:{line}: {problem}"


def test_link_checker_can_fail() -> None:
    assert _link_problem("docs/README.md", "cli.md") is None
    assert _link_problem("docs/README.md", "nope.md") is not None
    assert _link_problem("docs/api.md", "retries.md#no-such-heading") is not None
    assert _slug("The `db check` drift (and why)") == "the-db-check-drift-and-why"


def test_every_docs_page_is_in_the_index() -> None:
    linked = {target.partition("#")[0] for page, _, target in LINKS if page == "docs/README.md"}
    pages = {p.name for p in (ROOT / "docs").glob("*.md")} - {"README.md"}
    missing = sorted(pages - linked)
    assert not missing, f"docs/README.md does not list: {', '.join(missing)} (add a row to its table)"


# --- file paths in code spans (`bench/startup.py`, `tests/cli/test_bad_input.py`) -------------------------

_REPO_PATH = re.compile(
    r"^(?:tinytalk_sdk|tinytalk_cli|live2d_tools|tests|scripts|bench|examples|schemas|docs|\.ci)/[\w./*-]*$"
)
# Paths a doc names on purpose that are not in the source tree: path → why.
NOT_IN_TREE: dict[str, str] = {
    "tinytalk_sdk/_schemas/assignment_row.json": "where the wheel ships schemas/ (pyproject force-include)",
}


def _repo_paths() -> list[tuple[str, int, str]]:
    found = []
    for page in ALL_PAGES:
        rel = page.relative_to(ROOT).as_posix()
        for number, code, is_block in iter_code(page.read_text(encoding="utf-8")):
            if is_block:
                continue
            for word in code.split():
                word = word.strip("(),;:`'\"")
                if _REPO_PATH.match(word) and word not in NOT_IN_TREE:
                    found.append((rel, number, word))
    return found


REPO_PATHS = _repo_paths()


@pytest.mark.parametrize(("page", "line", "path"), REPO_PATHS, ids=[f"{p}:{n} {t}" for p, n, t in REPO_PATHS])
def test_repo_path_exists(page: str, line: int, path: str) -> None:
    assert list(ROOT.glob(path.rstrip("/"))), f"{page}:{line}: `{path}` does not exist in the repository"


def test_repo_paths_are_found() -> None:
    assert ("docs/cli.md", "bench/startup.py") in {(p, t) for p, _, t in REPO_PATHS}
    for path, why in NOT_IN_TREE.items():
        assert not (ROOT / path).exists(), f"{path} is in the tree now; drop it from NOT_IN_TREE ({why})"


# --- SDK names ---------------------------------------------------------------------------------------------


def _resolve(dotted: str) -> str | None:
    """None when `dotted` imports (a module, or attributes of the longest importable module prefix)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj: object = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and not module_name.startswith(exc.name) and exc.name != module_name:
                return f"importing {module_name} needs {exc.name}"
            continue
        for i, attr in enumerate(parts[cut:], start=cut):
            if not hasattr(obj, attr):
                return f"{'.'.join(parts[:i])} has no attribute {attr!r}"
            obj = getattr(obj, attr)
        return None
    return f"no module {parts[0]}"


def _sdk_names() -> list[tuple[str, int, str]]:
    names: dict[tuple[str, str], int] = {}
    for page in doc_pages():
        rel = page.relative_to(ROOT).as_posix()
        text = page.read_text(encoding="utf-8")
        lines = text.splitlines()
        for number, line in enumerate(lines, start=1):
            for match in _DOTTED.finditer(line):
                names.setdefault((rel, match.group(1)), number)
            for match in _MODULE_LIST.finditer(line):
                for name in re.findall(r"`(\w+)`", match.group(2)):
                    names.setdefault((rel, f"{match.group(1)}.{name}"), number)
        for number, code, _ in iter_code(text):
            for match in _FROM_IMPORT.finditer(code):
                for name in match.group(2).replace("\n", " ").split(","):
                    name = name.strip().split(" as ")[0].strip()
                    if name:
                        names.setdefault((rel, f"{match.group(1)}.{name}"), number)
    return [(page, line, name) for (page, name), line in names.items()]


SDK_NAMES = _sdk_names()


@pytest.mark.parametrize(("page", "line", "name"), SDK_NAMES, ids=[f"{p}:{n} {m}" for p, n, m in SDK_NAMES])
def test_sdk_name_imports(page: str, line: int, name: str) -> None:
    problem = _resolve(name)
    assert problem is None, f"{page}:{line}: `{name}` does not import: {problem}"


def test_sdk_names_are_found() -> None:
    found = {name for _, _, name in SDK_NAMES}
    # One of each spelling: dotted, `from … import …`, and a "`module`: `name`, …" list.
    assert "tinytalk_sdk.admin.dashboard.dashboard" in found
    assert "tinytalk_sdk.TinyTalk" in found
    assert "tinytalk_sdk.admin.members.list_members" in found
    assert _resolve("tinytalk_sdk.admin.members.no_such_function") is not None
    assert _resolve("live2d_tools.no_such_module") is not None
