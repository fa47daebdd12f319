"""Parsing: the header onto canonical columns, then every row checked against the row schema (no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ..._exceptions import ValidationError
from ...csvsafe import unneutralize_cell
from ..csvfile import CsvTable, normalize_header
from ._model import _ALIAS_TO_COLUMN, HEADER_ALIASES, REQUIRED, RowError, row_schema

__all__: list[str] = []  # private: the package re-exports what callers use


@cache
def _cell_validators() -> dict[str, Any]:
    """One validator per column, from the row schema's ``properties``.

    Validating cell by cell gives the same errors as validating the row object (the row schema is an object of
    independent properties), skips jsonschema's per-row descent, and lets repeated cells (school, class,
    character) be checked once per distinct value.
    """
    from jsonschema import Draft202012Validator

    schema = row_schema()
    return {col: Draft202012Validator(sub) for col, sub in schema["properties"].items()}


def _message(column: str, kind: str, limit: Any) -> str:
    if kind == "pattern":
        return "not an address" if column == "email" else "must not contain spaces"
    if kind == "maxLength":
        return f"longer than {limit} characters"
    if kind == "minLength":
        return "empty"
    if kind == "type":
        return "not text"
    return f"fails the schema's '{kind}' rule"


def _unquote(value: str) -> str:
    # Our own export prefixes formula-like cells with "'"; take it off again so a round trip is exact.
    return unneutralize_cell(value)


@dataclass
class _Row:
    row: int
    values: dict[str, str]
    errors: list[RowError] = field(default_factory=list)


def _map_header(table: CsvTable) -> tuple[dict[str, int], dict[str, str]]:
    """canonical column → cell index, and canonical column → the header text the user wrote."""
    index: dict[str, int] = {}
    shown: dict[str, str] = {}
    errors: list[RowError] = []
    for i, raw in enumerate(table.header):
        column = _ALIAS_TO_COLUMN.get(normalize_header(raw))
        if column is None:
            continue
        if column in index:
            errors.append(RowError(1, raw, f'same column as "{shown[column]}"'))
            continue
        index[column] = i
        shown[column] = raw
    for column in REQUIRED:
        if column not in index:
            expected = ", ".join(HEADER_ALIASES[column])
            errors.append(RowError(1, column, f"missing column (one of: {expected})"))
    if errors:
        raise ValidationError(
            f"{table.source}: bad header ({len(errors)} problem{'s' if len(errors) > 1 else ''})",
            errors=errors,
            hint="the header row needs at least an email and a character column",
        )
    return index, shown


def _parse_rows(table: CsvTable, index: dict[str, int], shown: dict[str, str]) -> list[_Row]:
    validators = _cell_validators()
    required = tuple(row_schema()["required"])
    width = len(table.header)
    seen: dict[tuple[str, str], list[tuple[str, Any]]] = {}
    rows: list[_Row] = []
    for row_no, cells in table.rows:
        values: dict[str, str] = {}
        for column, i in index.items():
            value = _unquote(cells[i].strip()) if i < len(cells) else ""
            if value:
                values[column] = value.lower() if column == "email" else value
        row = _Row(row_no, values)
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            row.errors.append(RowError(row_no, None, f"{len(cells)} cells, the header has {width}"))
        for column in required:
            if column not in values:
                row.errors.append(RowError(row_no, shown[column], "missing"))
        for column, value in values.items():
            key = (column, value)
            problems = seen.get(key)
            if problems is None:
                problems = [(e.validator, e.validator_value) for e in validators[column].iter_errors(value)]
                if column != "email":  # emails are unique per file: caching them would only cost memory
                    seen[key] = problems
            for kind, limit in problems:
                row.errors.append(RowError(row_no, shown.get(column, column), _message(column, kind, limit)))
        rows.append(row)
    return rows


