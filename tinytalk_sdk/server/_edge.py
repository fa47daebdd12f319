"""The outermost ASGI layer: request ids, CORS as a PHP app sends it, injected faults, and the catch-all.

Written as plain ASGI (not ``BaseHTTPMiddleware``) so streamed bodies pass through untouched and a
dropped connection can be simulated.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .faults import Fault, FaultPlan

__all__ = ["CORS_HEADERS", "EdgeMiddleware", "endpoint_of"]

log = logging.getLogger("tinytalk.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# What a PHP API on shared hosting sends from its common header include; Bearer tokens, no cookies,
# so "*" is allowed by the CORS rules.
CORS_HEADERS: list[tuple[bytes, bytes]] = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
    (b"access-control-allow-headers",
     b"Authorization, Content-Type, Idempotency-Key, X-Request-Id, X-TinyTalk-Tag"),
    (b"access-control-expose-headers", b"X-Request-Id, Retry-After, Idempotent-Replayed, WWW-Authenticate"),
]
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


def endpoint_of(path: str) -> str | None:
    """``/api/create_session.php`` → ``create_session.php``."""
    if path.startswith("/api/") and path.endswith(".php"):
        return path[len("/api/"):]
    return None


def _json(status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
          ) -> tuple[Message, Message]:
    payload = json.dumps(body, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json; charset=utf-8"),
               (b"content-length", str(len(payload)).encode()), *(extra or [])]
    return ({"type": "http.response.start", "status": status, "headers": headers},
            {"type": "http.response.body", "body": payload})


def _error(status: int, code: str, message: str, extra: list[tuple[bytes, bytes]] | None = None
           ) -> tuple[Message, Message]:
    return _json(status, {"success": False, "error": {"code": code, "message": message, "fields": None}}, extra)


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, faults: FaultPlan, allow: dict[str, str] | None = None) -> None:
        self.app = app
        self.faults = faults
        self.allow = allow or {}  # path -> the exact methods it answers (``Allow`` of a preflight)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in CORS_HEADERS if h[0] not in present)
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        if scope["method"] == "OPTIONS":  # preflight: PHP scripts answer 204 before any work
            await send_with_headers({"type": "http.response.start", "status": 204, "headers": [
                (b"access-control-max-age", b"86400"),
                (b"allow", self.allow.get(scope.get("path", ""), "GET, POST, OPTIONS").encode())]})
            await send_with_headers({"type": "http.response.body", "body": b""})
            return

        endpoint = endpoint_of(scope.get("path", ""))
        fault = self.faults.take(endpoint) if endpoint else None
        try:
            if fault is not None:
                log.info("fault %s on %s (request %s)", fault.mode, endpoint, request_id)
                if await self._fault(fault, scope, receive, send_with_headers):
                    return
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error (request %s)", request_id)
            if started:
                return  # mid-body: nothing to say any more; the client sees a cut response
            start, body = _error(500, "internal_error", f"internal server error (request id {request_id})")
            await send_with_headers(start)
            await send_with_headers(body)

    async def _fault(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> bool:
        """Apply ``fault``; True when the request is fully answered by it."""
        if fault.mode == "429":
            retry = str(max(0, round(fault.arg))).encode()
            for message in _error(429, "rate_limited", "too many requests (injected fault)",
                                  [(b"retry-after", retry)]):
                await send(message)
            return True
        if fault.mode in ("503", "500"):
            extra = [(b"retry-after", str(round(fault.arg)).encode())] if fault.arg else []
            code = "unavailable" if fault.mode == "503" else "internal_error"
            for message in _error(int(fault.mode), code, f"injected fault {fault.mode}", extra):
                await send(message)
            return True
        if fault.mode == "stall":
            await asyncio.sleep(fault.arg)
            return False
        # drop: do the work, keep the answer, send the headers (and half a streamed body), hang up.
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        bodies = [m for m in messages if m["type"] == "http.response.body"]
        for message in messages:
            if message["type"] == "http.response.start":
                await send(message)
        for message in bodies[: len(bodies) // 2]:
            await send({"type": "http.response.body", "body": message.get("body", b""), "more_body": True})
        # Returning with the response unfinished makes uvicorn close the connection (it logs one line).
        return True
