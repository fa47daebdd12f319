"""The values of assignment imports: columns and header aliases, the row schema, row errors and results."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..csvfile import normalize_header

__all__ = ["COLUMNS", "HEADER_ALIASES", "REQUIRED", "ImportResult", "RowError", "row_schema"]

COLUMNS = ("email", "student_id", "name", "school", "class", "character")
REQUIRED = ("email", "character")
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "mail", "이메일", "메일", "이메일주소"),
    "student_id": ("student_id", "student_no", "student number", "학번", "학생번호"),
    "name": ("name", "student_name", "이름", "성명", "학생이름"),
    "school": ("school", "학교", "학교명"),
    "class": ("class", "class_name", "반", "학급"),
    "character": ("character", "character_code", "캐릭터", "캐릭터코드"),
}
_ALIAS_TO_COLUMN = {normalize_header(a): col for col, aliases in HEADER_ALIASES.items() for a in aliases}


@dataclass(frozen=True)
class RowError:
    """One problem in one cell. ``row`` is the Excel row number (header = 1); ``column`` as in the header."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f', column "{self.column}"' if self.column else "")
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    """What an import found and did (or, with ``dry_run``, would do)."""

    source: str
    encoding: str
    encoding_source: str
    delimiter: str
    rows: int = 0
    dry_run: bool = False
    applied: bool = False
    added: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped_rows: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
            "errors": len(self.errors),
            "skipped": len(self.skipped_rows),
        }

    def to_dict(self, *, details: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "encoding": self.encoding,
            "encoding_source": self.encoding_source,
            "delimiter": self.delimiter,
            "rows": self.rows,
            "dry_run": self.dry_run,
            "applied": self.applied,
            **self.counts,
            "error_list": [e.to_dict() for e in self.errors],
            "skipped_rows": self.skipped_rows,
            "warnings": self.warnings,
        }
        if details:
            out["plan"] = {
                "added": self.added,
                "changed": self.changed,
                "unchanged": self.unchanged,
                "removed": self.removed,
            }
        return out


@cache
def row_schema() -> dict[str, Any]:
    """The JSON Schema of one row (``schemas/assignment_row.json``; shipped as ``tinytalk_sdk/_schemas``)."""
    shipped = resources.files("tinytalk_sdk").joinpath("_schemas", "assignment_row.json")
    path = Path(str(shipped))
    if not path.exists():  # a source checkout: the repository's schemas/ folder
        path = Path(__file__).resolve().parents[3] / "schemas" / "assignment_row.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
