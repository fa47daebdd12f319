"""Write docs/live2d-rules.md from the rule table (live2d_tools/rules.py). Run after changing a rule.

Usage: python scripts/gen_live2d_rules.py [--check]   (--check: exit 1 if the page is stale)
"""

from __future__ import annotations

import sys
from pathlib import Path

from live2d_tools.rules import rules_markdown

sys.path.insert(0, str(Path(__file__).resolve().parent))  # scripts/_generated.py, also when loaded by path
from _generated import write_or_check

DOC = Path(__file__).resolve().parents[1] / "docs" / "live2d-rules.md"


def main(argv: list[str]) -> int:
    return write_or_check(DOC, rules_markdown(), argv, "gen_live2d_rules.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
