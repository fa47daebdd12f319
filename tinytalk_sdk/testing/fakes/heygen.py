"""The HeyGen v1 streaming fake: create_token → new → start → task/interrupt → stop, list, avatars, voices.

``X-Api-Key: <key>``, or ``Authorization: Bearer <token from create_token>``; ``{code, message, data}``
envelope with ``code`` 100 on success. Open sessions are capped by ``state.heygen_limit`` (a real
concurrency refusal); ``concurrency_limit`` forces one.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from typing import TYPE_CHECKING, Any

from ._server import FakeState, Scenario, bearer, json_object

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

__all__ = ["PAYLOADS", "VENDOR", "routes"]

VENDOR = "heygen"

PAYLOADS: dict[str, Any] = {
    "heygen_new": {
        "session_id": "{session_id}",
        "url": "wss://heygen-feapbkvq.livekit.cloud",
        "access_token": "{access_token}",
        "realtime_endpoint": "wss://webrtc-signaling.heygen.io/v2-alpha/interactive-avatar/session/{session_id}",
        "session_duration_limit": 600,
        "is_paid": True,
        "sdp": None,
        "ice_servers": None,
        "ice_servers2": None,
    },
    "heygen_avatars": [
        {"avatar_id": "Wayne_20240711", "created_at": 1720656000, "is_public": True, "status": "ACTIVE"},
        {"avatar_id": "Anna_public_3_20240108", "created_at": 1704672000, "is_public": True, "status": "ACTIVE"},
    ],
    "heygen_voices": {"voices": [
        {"voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54", "language": "English", "gender": "female",
         "name": "Rachel - Friendly", "preview_audio": "https://example.invalid/v1.mp3",
         "support_pause": True, "emotion_support": True},
        {"voice_id": "1bd001e7e50f421d891986aad5158bc8", "language": "English", "gender": "male",
         "name": "Paul - Natural", "preview_audio": "https://example.invalid/v2.mp3",
         "support_pause": True, "emotion_support": False},
    ]},
    "heygen_errors": {
        "unauthorized": {"status": 401, "body": {"code": 400112, "message": "Unauthorized"}},
        "invalid_credentials": {"status": 401, "body": {"code": 40009, "message": "Invalid credentials"}},
        "bad_state": {"status": 400, "body": {"code": 400006, "message": "Session is not in correct state"}},
        "missing_params": {"status": 400, "body": {"code": 40001, "message": "Missing required parameters"}},
        # The concurrency code is not confirmed by any source we could read (PROVIDERS.md §3).
        "concurrency_limit": {"status": 400, "body": {"code": 10004, "message": "Concurrent limit reached"}},
        "rate_limit": {"status": 429, "body": {"code": 400140, "message": "Rate limit exceeded"}},
        "server_error": {"status": 500, "body": {"code": 500000, "message": "Internal server error"}},
    },
}


def routes(fake: FakeState) -> list[Route]:
    """The HeyGen v1 endpoints over ``fake``."""
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def heygen_fail(request: Request, kind: str, retry_after: str | None = None) -> Response:
        spec = fake.payloads["heygen_errors"][kind]
        fake.logged("heygen", request, spec["status"])
        headers = {"retry-after": retry_after} if retry_after else None
        return JSONResponse(spec["body"], status_code=spec["status"], headers=headers)

    def heygen_ok(request: Request, data: Any) -> Response:
        fake.logged("heygen", request, 200)
        return JSONResponse({"code": 100, "message": "success", "data": data})

    def heygen_guard(request: Request) -> tuple[Scenario | None, Response | None]:
        key = request.headers.get("x-api-key", "")
        token = bearer(request)
        if key and key in fake.revoked:
            return None, heygen_fail(request, "unauthorized")
        if not key and token not in fake.heygen_tokens:
            return None, heygen_fail(request, "unauthorized")
        scenario = fake.pop("heygen", request, streaming=False)
        if scenario is not None:
            if scenario.name == "revoked_key":
                return scenario, heygen_fail(request, "unauthorized")
            if scenario.name in ("rate_limit", "server_error", "concurrency_limit"):
                return scenario, heygen_fail(request, scenario.name, scenario.params.get("retry_after"))
        return scenario, None

    async def heygen_body(request: Request) -> dict[str, Any]:
        return await json_object(request) or {}

    def session_or_fail(request: Request, body: dict[str, Any], *states: str) -> tuple[Any, Response | None]:
        sid = str(body.get("session_id") or "")
        if not sid:
            return None, heygen_fail(request, "missing_params")
        sess = fake.heygen_sessions.get(sid)
        if sess is None or (states and sess["status"] not in states):
            return None, heygen_fail(request, "bad_state")
        return sess, None

    async def hg_create_token(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        token = secrets.token_urlsafe(32)
        fake.heygen_tokens.add(token)
        fake.logged("heygen", request, 200)
        return JSONResponse({"error": None, "data": {"token": token}})

    async def hg_new(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        body = await heygen_body(request)
        with fake.lock:
            if len(fake.active_heygen()) >= fake.heygen_limit:
                return heygen_fail(request, "concurrency_limit")
            sid = str(uuid.uuid4())
            fake.heygen_sessions[sid] = {"session_id": sid, "status": "new", "created_at": int(time.time()),
                                         "avatar_id": body.get("avatar_id"), "tasks": 0, "ice": 0}
        data = json.loads(json.dumps(fake.payloads["heygen_new"]).replace("{session_id}", sid)
                          .replace("{access_token}", "eyJ" + secrets.token_urlsafe(48)))
        return heygen_ok(request, data)

    async def hg_start(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        sess, failed = session_or_fail(request, await heygen_body(request), "new")
        if failed:
            return failed
        sess["status"] = "connected"
        return heygen_ok(request, None)

    async def hg_ice(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        body = await heygen_body(request)
        sess, failed = session_or_fail(request, body, "new", "connected")
        if failed:
            return failed
        sess["ice"] += 1
        return heygen_ok(request, None)

    async def hg_task(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        body = await heygen_body(request)
        if not body.get("text"):
            return heygen_fail(request, "missing_params")
        sess, failed = session_or_fail(request, body, "connected")
        if failed:
            return failed
        sess["tasks"] += 1
        # about 150 words a minute
        return heygen_ok(request, {"duration_ms": max(400, len(str(body["text"]).split()) * 400),
                                   "task_id": str(uuid.uuid4())})

    async def hg_interrupt(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        _sess, failed = session_or_fail(request, await heygen_body(request), "connected")
        return failed or heygen_ok(request, None)

    async def hg_stop(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        sess, failed = session_or_fail(request, await heygen_body(request), "new", "connected")
        if failed:
            return failed
        sess["status"] = "closed"
        sess["stopped_at"] = int(time.time())
        return heygen_ok(request, None)

    async def hg_list(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        sessions = [{"session_id": s["session_id"], "status": s["status"], "created_at": s["created_at"]}
                    for s in fake.active_heygen()]
        return heygen_ok(request, {"sessions": sessions})

    async def hg_avatars(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        return heygen_ok(request, fake.payloads["heygen_avatars"])

    async def hg_voices(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        fake.logged("heygen", request, 200)
        return JSONResponse({"error": None, "data": fake.payloads["heygen_voices"]})

    return [
        Route("/v1/streaming.create_token", hg_create_token, methods=["POST"]),
        Route("/v1/streaming.new", hg_new, methods=["POST"]),
        Route("/v1/streaming.start", hg_start, methods=["POST"]),
        Route("/v1/streaming.ice", hg_ice, methods=["POST"]),
        Route("/v1/streaming.task", hg_task, methods=["POST"]),
        Route("/v1/streaming.interrupt", hg_interrupt, methods=["POST"]),
        Route("/v1/streaming.stop", hg_stop, methods=["POST"]),
        Route("/v1/streaming.list", hg_list, methods=["GET"]),
        Route("/v1/streaming/avatar.list", hg_avatars, methods=["GET"]),
        Route("/v2/voices", hg_voices, methods=["GET"]),
    ]
