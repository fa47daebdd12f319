"""Shared by the scripts that write a generated docs page: write it, or with --check report it stale."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(doc: Path, text: str, argv: list[str], script: str) -> int:
    """``--check`` in argv: exit status 1 when ``doc`` differs from ``text``; otherwise write it."""
    if "--check" in argv:
        current = doc.read_text(encoding="utf-8") if doc.exists() else ""
        if current != text:
            sys.stderr.write(f"{doc} is stale: run python scripts/{script}\n")
            return 1
        return 0
    doc.write_text(text, encoding="utf-8")
    sys.stderr.write(f"wrote {doc}\n")
    return 0
