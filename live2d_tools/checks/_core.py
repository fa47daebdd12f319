"""The checker core: the state of one validation run and the findings collector every file-kind module uses.

A :class:`Checker` holds the model folder's file index, resolves references the way the Cubism runtime does
(REF-*), parses JSON once per file (JSON-001..004), collects findings (capped per rule and file) and carries
what one kind's check leaves for another (the parsed moc3, parameter and part uses, cdi3 parts). The kind
modules next to it (``model3``, ``moc3``, ``motion3``, ...) import only this module, never each other
(import-linter contracts in pyproject.toml); ``live2d_tools.validate`` walks the tree and calls them in order.
"""

from __future__ import annotations

import collections
import json
import math
import re
import unicodedata
from pathlib import Path, PurePosixPath
from typing import Any

from ..moc3 import Moc3Info
from ..report import Finding, ModelInfo
from ..rules import RULES

# Findings of one rule in one file beyond this are counted, not listed (see Checker.flush).
MAX_FINDINGS_PER_RULE_AND_FILE = 50

# The allowed keys of a JSON file kind, from the CubismSpecs schemas (``additionalProperties: false``) plus the
# keys real exports and the Framework use although the schema omits them (each kind module says which).
# A shape is {"keys": allowed keys, "props": key -> shape of its value, "items": shape of each list item}.
Shape = dict[str, Any]


def num(v: Any) -> bool:
    """A JSON number (bool is not a number here, though Python's True is an int)."""
    if not isinstance(v, int | float) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an integer literal with hundreds of digits does not fit a float (nor a runtime)
        return False


def esc(key: str | int) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def ptr(*keys: str | int) -> str:
    """A JSON pointer (RFC 6901) from its keys."""
    return "".join("/" + esc(k) for k in keys)


class Checker:
    """State of one validation run: the folder, its file index, parsed files and the findings."""

    def __init__(self, root: Path, max_moc_version: int | None, max_texture_size: int) -> None:
        self.root = root
        self.findings: list[Finding] = []
        self.info = ModelInfo()
        self.max_moc_version = max_moc_version
        self.max_texture_size = max_texture_size
        self.files: dict[str, Path] = {}
        for p in sorted(root.rglob("*")):
            if p.is_file() and not p.is_symlink():
                self.files[p.relative_to(root).as_posix()] = p
        self.lower: dict[str, list[str]] = {}
        self.nfc: dict[str, str] = {}
        for rel in self.files:
            self.lower.setdefault(rel.lower(), []).append(rel)
            self.nfc.setdefault(unicodedata.normalize("NFC", rel), rel)
        self.referenced: set[str] = set()
        self.per_file: dict[tuple[str, str], int] = {}
        self.base = ""  # folder of the entry model3.json inside root ("" = root); references are relative to it
        self.moc: Moc3Info | None = None
        self.cdi_parts: set[str] = set()
        self.param_uses: list[tuple[str, str, str, float | None]] = []  # (file, pointer, id, value)
        self.part_uses: list[tuple[str, str, str]] = []

    # -- findings ---------------------------------------------------------------------------------
    def add(self, rule_id: str, file: str, pointer: str, message: str, hint: str) -> None:
        key = (rule_id, file)
        self.per_file[key] = self.per_file.get(key, 0) + 1
        if self.per_file[key] > MAX_FINDINGS_PER_RULE_AND_FILE:
            return  # summarised by flush(): a 50 000-entry file must not give 50 000 lines
        self.findings.append(Finding(rule_id, RULES[rule_id].severity, file, pointer, message, hint))

    def flush(self) -> None:
        """One closing finding per (rule, file) whose findings were capped."""
        for (rule_id, file), n in self.per_file.items():
            if n > MAX_FINDINGS_PER_RULE_AND_FILE:
                self.findings.append(
                    Finding(
                        rule_id,
                        RULES[rule_id].severity,
                        file,
                        "",
                        f"... and {n - MAX_FINDINGS_PER_RULE_AND_FILE} more {rule_id} findings in this file "
                        f"(only the first {MAX_FINDINGS_PER_RULE_AND_FILE} are listed)",
                        "Fix the ones above and validate again; they usually share one cause.",
                    )
                )

    # -- references -------------------------------------------------------------------------------
    def resolve(self, owner: str, pointer: str, ref: Any, base: str | None = None) -> str | None:
        """Resolve a path written in ``owner`` at ``pointer``; returns the on-disk relative path or None."""
        if not isinstance(ref, str) or not ref.strip():
            self.add(
                "REF-001", owner, pointer, "the file path is empty", "Write the file name relative to the model3.json."
            )
            return None
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", ref) or ref.startswith(("/", "\\")) or re.match(r"^[a-zA-Z]:", ref):
            self.add(
                "REF-001",
                owner,
                pointer,
                f"path '{ref}' is absolute or a URL",
                "Use a path relative to the model3.json folder, e.g. 'motions/idle.motion3.json'.",
            )
            return None
        if "\\" in ref:
            self.add("REF-006", owner, pointer, f"path '{ref}' uses backslashes", "Use forward slashes '/'.")
        if any(c in ref for c in "#?%"):
            self.add(
                "REF-007",
                owner,
                pointer,
                f"path '{ref}' contains '#', '?' or '%', which break URL loading",
                "Rename the file without those characters and update the reference.",
            )
        if " " in ref or not ref.isascii():
            self.add(
                "REF-008",
                owner,
                pointer,
                f"path '{ref}' contains spaces or non-ASCII characters",
                "Rename the file with ASCII letters, digits, '-', '_' and '.' only.",
            )
        base = self.base if base is None else base
        depth = len(PurePosixPath(base).parts) if base else 0
        parts: list[str] = list(PurePosixPath(base).parts) if base else []
        for part in PurePosixPath(ref.replace("\\", "/")).parts:
            if part in ("", "."):
                continue
            if part == "..":
                if len(parts) <= depth:
                    self.add(
                        "REF-002",
                        owner,
                        pointer,
                        f"path '{ref}' points outside the model folder",
                        "Keep every file inside the model folder and reference it without '..'.",
                    )
                    return None
                parts.pop()
            else:
                parts.append(part)
        rel = "/".join(parts)
        if rel in self.files:
            found = rel
        elif rel.lower() in self.lower:
            found = self.lower[rel.lower()][0]
            self.add(
                "REF-004",
                owner,
                pointer,
                f"'{ref}' is written with different letter case than the file on disk '{found}'",
                f"Change the reference to '{found}' (or rename the file): the CDN is case-sensitive.",
            )
        elif unicodedata.normalize("NFC", rel) in self.nfc:
            found = self.nfc[unicodedata.normalize("NFC", rel)]
            self.add(
                "REF-005",
                owner,
                pointer,
                f"'{ref}' matches '{found}' only after Unicode normalisation (NFC/NFD)",
                "Rename the file with plain ASCII characters and update the reference.",
            )
        else:
            self.add(
                "REF-003",
                owner,
                pointer,
                f"file '{ref}' does not exist",
                "Add the file to the model folder or fix the path (relative to the model3.json).",
            )
            return None
        self.referenced.add(found)
        if self.files[found].stat().st_size == 0:
            self.add("PKG-003", found, "", "the file is empty (0 bytes)", "Re-export the file from Cubism Editor.")
            return None
        return found

    def load_json(self, rel: str) -> dict[str, Any] | None:
        raw = self.files[rel].read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            self.add(
                "JSON-002",
                rel,
                "",
                "the file starts with a UTF-8 byte order mark (BOM)",
                "Save the file as UTF-8 without BOM.",
            )
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            # Windows Notepad's "Unicode" is UTF-16 with a BOM: name it, artists recognise that setting
            utf16 = " (it is UTF-16, e.g. Notepad's 'Unicode')" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else ""
            self.add("JSON-001", rel, "", f"the file is not valid UTF-8 (byte {exc.start}){utf16}", "Save it as UTF-8.")
            return None

        def bad_constant(name: str) -> Any:
            raise _BadConstant(name)

        try:
            obj = json.loads(text, parse_constant=bad_constant)
        except _BadConstant as exc:
            self.add(
                "JSON-003",
                rel,
                "",
                f"the file contains the non-standard literal {exc.args[0]}",
                "Replace NaN/Infinity with real numbers.",
            )
            return None
        except ValueError as exc:
            self.add("JSON-001", rel, "", f"the file is not valid JSON ({exc})", "Fix the syntax or re-export it.")
            return None
        except RecursionError:  # json's C scanner recurses per nesting level; Cubism files are a few levels deep
            self.add(
                "JSON-001",
                rel,
                "",
                "the JSON is nested too deeply to parse",
                "Re-export the file from Cubism Editor; no Cubism file nests more than a few levels.",
            )
            return None
        if not isinstance(obj, dict):
            self.add("JSON-001", rel, "", "the JSON root is not an object", "Re-export the file from Cubism Editor.")
            return None
        if "\\u" in text and re.search(r"\\u[dD][89a-fA-F]", text):
            # a \uD800-style escape can leave a lone surrogate: not Unicode, cannot be written as UTF-8
            try:
                json.dumps(obj, ensure_ascii=False).encode("utf-8")
            except (UnicodeEncodeError, RecursionError):
                self.add(
                    "JSON-001",
                    rel,
                    "",
                    "the file contains an invalid \\u escape (a lone UTF-16 surrogate)",
                    "Re-export the file; the text contains a broken character.",
                )
                return None
        return obj

    def unknown_keys(self, rel: str, pointer: str, obj: dict[str, Any], allowed: set[str]) -> None:
        for key in obj:
            if key not in allowed:
                self.add(
                    "JSON-004",
                    rel,
                    ptr_join(pointer, key),
                    f"unknown key '{key}' (the official schema does not define it; other runtimes ignore it)",
                    f"Remove it, or check its spelling against: {', '.join(sorted(allowed))}.",
                )

    def schema_keys(self, rel: str, kind: str, obj: Any, shape: Shape) -> None:
        """JSON-004 for a whole ``kind`` file against its ``shape``: one finding per distinct unknown key (with a
        count), so a tool that adds a key to each of 5000 curves yields one warning, not 5000."""
        found: dict[str, tuple[int, str]] = {}
        # iterative, breadth first (so "first" is the lowest index): hostile nesting must not recurse
        stack: collections.deque[tuple[str, Any, Shape]] = collections.deque([("", obj, shape)])
        while stack:
            pointer, o, here = stack.popleft()
            if isinstance(o, dict) and "keys" in here:
                props = here.get("props", {})
                for key, value in o.items():
                    if key not in here["keys"]:
                        n, first = found.get(key, (0, ptr_join(pointer, key)))
                        found[key] = (n + 1, first)
                    elif key in props:
                        stack.append((ptr_join(pointer, key), value, props[key]))
            elif isinstance(o, list) and "items" in here:
                stack.extend((ptr_join(pointer, i), it, here["items"]) for i, it in enumerate(o))
        for key, (n, first) in sorted(found.items(), key=lambda kv: kv[1][1]):
            where = f" ({n} places; first shown)" if n > 1 else ""
            allowed = _allowed_at(shape, first)
            self.add(
                "JSON-004",
                rel,
                first,
                f"unknown key '{key}'{where} (the official {kind}.json schema does not define it; runtimes ignore it)",
                f"Remove it, or check its spelling against: {', '.join(sorted(allowed))}.",
            )


def _allowed_at(shape: Shape, pointer: str) -> set[str]:
    """The allowed keys of the object holding ``pointer`` (for the hint)."""
    for part in pointer.split("/")[1:-1]:
        if part.isdigit() and "items" in shape:
            shape = shape["items"]
        else:
            shape = shape.get("props", {}).get(part.replace("~1", "/").replace("~0", "~"), shape)
    return set(shape.get("keys", ()))


class _BadConstant(ValueError):
    pass


def parent(rel: str) -> str:
    """The folder of ``rel`` ("" for the root)."""
    up = PurePosixPath(rel).parent.as_posix()
    return "" if up == "." else up


def ptr_join(pointer: str, *keys: str | int) -> str:
    return pointer + ptr(*keys)
