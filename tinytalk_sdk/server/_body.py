"""Hostile-body limits, checked before a JSON parser sees the bytes.

``json.loads`` recurses once per nesting level: a 12 KB body of 3,000 ``[`` raises ``RecursionError``
(not ``ValueError``), which used to escape as a 500. Every JSON body the server reads goes through
:func:`parse_json_object`, which first bounds the size, then the nesting depth (counted over the bytes
with strings blanked out, so a ``"[[["`` inside a string does not count), then parses. Every refusal is a
contract error: 413 for size, 400 for anything malformed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._responses import ApiError

__all__ = ["MAX_JSON_BYTES", "MAX_JSON_DEPTH", "json_depth", "parse_json_object"]

MAX_JSON_BYTES = 1024 * 1024
# The deepest request model is 3 levels (object → list → object); 32 leaves room for what a newer client
# may send and stays far below the interpreter's recursion limit (1,000).
MAX_JSON_DEPTH = 32

# A JSON string (escapes included); an unterminated one runs to the end, which the parser then refuses.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.S)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(raw: bytes, *, stop_at: int = MAX_JSON_DEPTH) -> int:
    """The deepest bracket nesting of ``raw`` (strings ignored); stops counting past ``stop_at``."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    break
        else:
            depth = max(0, depth - 1)
    return deepest


def too_large(limit: int = MAX_JSON_BYTES) -> ApiError:
    return ApiError(413, "payload_too_large", f"JSON body larger than {limit} bytes")


def parse_json_object(raw: bytes, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON object in ``raw``; ApiError 413 (size) or 400 (not JSON, too deep, not an object)."""
    if len(raw) > max_bytes:
        raise too_large(max_bytes)
    if json_depth(raw, stop_at=max_depth) > max_depth:
        raise ApiError(400, "invalid_json", f"request body is nested deeper than {max_depth} levels")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: belt and braces
        raise ApiError(400, "invalid_json", "request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_body", "request body must be a JSON object")
    return data
