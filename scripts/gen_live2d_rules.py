"""Write docs/live2d-rules.md from the rule table (live2d_tools/rules.py). Run after changing a rule.

Usage: python scripts/gen_live2d_rules.py [--check]   (--check: exit 1 if the page is stale)
"""

from __future__ import annotations

import sys
from pathlib import Path

from live2d_tools.rules import rules_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "live2d-rules.md"


def main(argv: list[str]) -> int:
    text = rules_markdown()
    if "--check" in argv:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            sys.stderr.write(f"{DOC} is stale: run python scripts/gen_live2d_rules.py\n")
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    sys.stderr.write(f"wrote {DOC}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
