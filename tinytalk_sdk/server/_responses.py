"""The response envelope of the contract, and the one exception endpoints raise to refuse a request.

Success: ``{"success": true, "data": {...}}``. Error: ``{"success": false, "error": {"code", "message",
"fields"}}``. Messages are one line and never carry a secret or a stack trace.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

__all__ = ["ApiError", "error_body", "json_response", "ok"]


class ApiError(Exception):
    """Refuse the request with ``status`` and a contract error body."""

    def __init__(
        self, status: int, code: str, message: str, *, fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = dict(headers or {})

    def response(self) -> Response:
        headers = dict(self.headers)
        if self.status == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="tinytalk"')
        return json_response(error_body(self.code, self.message, self.fields), self.status, headers)


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"success": False, "error": {"code": code, "message": message, "fields": fields}}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # Like PHP's json_encode with JSON_UNESCAPED_UNICODE: Korean names stay readable.
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    return Response(content, status_code=status, headers=headers, media_type="application/json; charset=utf-8")


def ok(data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_response({"success": True, "data": data}, status, headers)
