"""What an adopted database may keep: the differences the toolkit lives with on a PHP-made schema.

`db adopt` never changes a type, a primary key, an engine or a character set the PHP app depends on
(docs/production-database.md). On such a database (the profile has a ``[schema]`` map) `db check` lists
those differences as *accepted*, each with the reason the toolkit can read and write through it, and keeps
as findings only what would break the toolkit: a missing table, column, index or unique constraint (adopt
adds them), a type of another family, a string column narrower than the model's, a NOT NULL column without
a default that the toolkit's inserts would leave empty.
"""

from __future__ import annotations

from typing import Any

__all__ = ["accept_reason", "family"]

_FAMILIES = {
    "int": "integer", "boolean": "integer",
    "varchar": "string", "char": "string", "text": "string", "enum": "string", "set": "string",
    "datetime": "datetime", "timestamp": "datetime",
    "float": "number", "decimal": "number",
    "json": "string", "date": "date", "time": "time",
}


def family(key: tuple[Any, ...]) -> str:
    """The family of a normalised type key (:func:`~.drift.normalize_type`): integer, string, datetime…"""
    return _FAMILIES.get(str(key[0]), str(key[0]))


# Columns whose values have one length whatever the model's width: bcrypt hashes, sha256 hex digests.
_FIXED_WIDTH = {"pin_hash": 60, "password_hash": 60, "token_hash": 64}


def _type_reason(want: tuple[Any, ...], have: tuple[Any, ...], actual: str, column: str | None) -> str | None:
    if family(want) != family(have):
        return None
    if want[0] == "varchar" and have[0] in ("varchar", "char") and (have[1] or 0) < (want[1] or 0):
        width = _FIXED_WIDTH.get(column or "")
        if width and (have[1] or 0) >= width:
            return f"{actual} kept for PHP; the toolkit writes {width}-character values there"
        return None  # narrower: the toolkit would write values the column refuses
    if have[0] == "enum":
        return f"{actual} kept for PHP; the toolkit's values must be among its members (strict mode refuses others)"
    if family(have) == "integer":
        return f"{actual} kept for PHP; its range holds every id and count the toolkit writes"
    if family(have) == "datetime":
        return f"{actual} kept for PHP; read and written as UTC (the session time zone is +00:00)"
    if family(have) == "number":
        return f"{actual} kept for PHP; numeric either way"
    return f"{actual} kept for PHP; holds what the toolkit writes"


def accept_reason(kind: str, *, want: tuple[Any, ...] | None = None, have: tuple[Any, ...] | None = None,
                  actual: str | None = None, column: str | None = None, live: dict[str, Any] | None = None,
                  model_nullable: bool | None = None, pk_unique: bool = False) -> str | None:
    """Why a finding of ``kind`` is acceptable on an adopted database, or ``None`` when it is not."""
    if kind == "type" and want is not None and have is not None:
        return _type_reason(want, have, actual or "", column)
    if kind == "precision":
        return "whole seconds kept for PHP; sub-second parts are dropped"
    if kind == "nullable" and live is not None:
        if live.get("nullable") and model_nullable is False:
            return "the toolkit always writes a value; rows PHP made may hold NULL"
        if live.get("default") is not None or live.get("autoincrement") is True:
            return "NOT NULL with a default: inserts that leave it out get the default"
        return None
    if kind == "extra_column" and live is not None:
        if live.get("nullable") or live.get("default") is not None or live.get("autoincrement") is True:
            return "PHP's own column; the toolkit's inserts leave it to its default"
        return None
    if kind == "extra_table":
        return "PHP's own table; the toolkit never touches it"
    if kind == "primary_key":
        return "PHP's primary key kept; the model's key is unique there" if pk_unique else None
    if kind == "engine":
        return "kept until the opt-in `db adopt --engine` step; no transactions on this table meanwhile"
    if kind == "charset":
        return "kept until the opt-in `db adopt --charset` step; emoji cannot be stored meanwhile"
    return None
