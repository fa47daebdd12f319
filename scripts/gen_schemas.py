#!/usr/bin/env python
"""Write schemas/api/*.json from the pydantic models in tinytalk_sdk.types.

Usage: python scripts/gen_schemas.py           # (re)write the files
       python scripts/gen_schemas.py --check   # exit 1 and list the stale files, write nothing
"""

from __future__ import annotations

import sys
from pathlib import Path

from tinytalk_sdk.types._jsonschema import render_schemas

OUT = Path(__file__).resolve().parent.parent / "schemas" / "api"


def stale(out: Path = OUT) -> list[str]:
    """Names of files that are missing, different, or no longer generated."""
    want = render_schemas()
    have = {p.name for p in out.glob("*.json")} if out.is_dir() else set()
    bad = [n for n, text in want.items() if not (out / n).is_file() or (out / n).read_text("utf-8") != text]
    return sorted(bad + sorted(have - set(want)))


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for name in bad:
            print(f"stale: schemas/api/{name}", file=sys.stderr)
        if bad:
            print("run: python scripts/gen_schemas.py", file=sys.stderr)
        return 1 if bad else 0
    OUT.mkdir(parents=True, exist_ok=True)
    want = render_schemas()
    for old in OUT.glob("*.json"):
        if old.name not in want:
            old.unlink()
    for name, text in want.items():
        (OUT / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(want)} schemas to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
