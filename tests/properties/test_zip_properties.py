"""The zip extractor on generated archives: problems, never exceptions, and never a write outside the target."""

from __future__ import annotations

import stat
import tempfile
import warnings
import zipfile
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from live2d_tools.rules import RULES
from live2d_tools.ziputil import ZipLimits, safe_extract

PART = st.one_of(
    st.sampled_from(["..", ".", "", "a", "A", "model", "Model", "é", "e\u0301", "__MACOSX", ".DS_Store", "C:",
                     "x.model3.json", "tex.png", "~", "$HOME", "a" * 300]),
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), min_size=1, max_size=12),
)
NAME = st.builds(lambda lead, parts, sep: lead + sep.join(parts),
                 st.sampled_from(["", "/", "\\", "//", "../"]), st.lists(PART, min_size=1, max_size=4),
                 st.sampled_from(["/", "\\"]))
ENTRY = st.tuples(NAME, st.binary(max_size=64), st.sampled_from(["file", "dir", "symlink", "fifo"]))
LIMITS = ZipLimits(max_entries=20, max_total_bytes=4096, max_entry_bytes=1024, max_ratio=200.0)


def make_zip(path: Path, entries: list[tuple[str, bytes, str]]) -> None:
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as zf:
        warnings.simplefilter("ignore")  # duplicate names are part of the hostile input
        for name, data, kind in entries:
            info = zipfile.ZipInfo(name)
            if kind != "file":
                info.create_system = 3
                mode = {"dir": stat.S_IFDIR | 0o755, "symlink": stat.S_IFLNK | 0o777, "fifo": stat.S_IFIFO | 0o644}
                info.external_attr = mode[kind] << 16
            zf.writestr(info, data)


def snapshot(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@given(st.lists(ENTRY, max_size=8))
# What the deep profile found (each crashed safe_extract before the fix): a name too long for the file
# system, an empty name ("/" loses its slash in zipfile), a file where a folder must go.
@example([("a" * 300, b"", "file")])
@example([("/", b"", "file")])
@example([("a", b"x", "file"), ("a/b", b"y", "file")])
def test_generated_archives(entries: list[tuple[str, bytes, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "outside.txt").write_text("do not touch")
        archive = root / "model.zip"
        make_zip(archive, entries)
        dest = root / "work" / "dest"
        dest.mkdir(parents=True)
        before = snapshot(root)
        problems = safe_extract(archive, dest, LIMITS)
        after = snapshot(root)
        new_outside = {p for p in after - before if not p.startswith("work/dest/")}
        assert new_outside == set()
        assert (root / "outside.txt").read_text() == "do not touch"
        for path in dest.rglob("*"):
            assert path.resolve().is_relative_to(dest.resolve()) and not path.is_symlink()
        names = {e[0] for e in entries} | {archive.name}
        for problem in problems:
            assert problem.rule_id in RULES and problem.file in names and problem.message
        if any(p.rule_id != "ZIP-007" for p in problems if p.rule_id not in ("ZIP-001", "ZIP-006")):
            assert not any(dest.iterdir())  # a rejected archive extracts nothing


@given(st.binary(max_size=512))
def test_garbage_is_not_a_zip(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "x.zip"
        archive.write_bytes(b"PK\x03\x04" + data)
        dest = Path(tmp) / "dest"
        dest.mkdir()
        problems = safe_extract(archive, dest, LIMITS)
        assert all(p.rule_id in RULES for p in problems)
