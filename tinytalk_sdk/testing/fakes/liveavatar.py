"""The LiveAvatar fake (under ``{base}/liveavatar``), answering as the vendor's OpenAPI says
(tests/fixtures/openapi/liveavatar.json).

``POST /v1/sessions/token`` (``X-API-KEY``) → ``start`` (``Authorization: Bearer <session_token>``, **201**)
→ ``keep-alive`` / ``stop``; ``GET /v1/sessions?type=active|historic``, avatars (user, public), voices,
contexts, ``/v1/users/credits``. Every answer is the ``{code: 100, data, message}`` envelope; bad bodies and
queries are FastAPI 422s ``{"detail": [{loc, msg, type}]}``. What the OpenAPI does not say — the body of an
auth failure, the concurrency refusal — is marked "(unconfirmed)" in docs/liveavatar.md.

Behaviour: keys are LiveAvatar keys (UUIDs, as app.liveavatar.com issues them): a HeyGen key is refused with
401; ``state.revoked`` keys too. At most ``memory.limit`` sessions are active (a real concurrency refusal);
an active session with no keep-alive for ``memory.idle_timeout`` seconds ends with ``IDLE_TIMEOUT``. Credits
accrue per started minute at the documented rates (FULL 2, LITE 1; sandbox 0).

No LiveKit server runs here. ``livekit_url`` points at this app, and :class:`LoopbackRoom` (the ``Room`` the
client uses with ``liveavatar_room = loopback``) checks the client token as the real room does and posts each
data-channel event to ``/_fake/livekit/data``, where the fake checks its shape and records it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._server import FakeState, bearer, json_object

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Mount

__all__ = ["PAYLOADS", "VENDOR", "LiveAvatarMemory", "LoopbackRoom", "mint_livekit_token", "routes"]

VENDOR = "liveavatar"
PREFIX = "/liveavatar"  # RunningFakeVendors.liveavatar_url
RATES = {"FULL": 2, "LITE": 1}
LIVEKIT_KEY = "fake-livekit-key"
LIVEKIT_SECRET = "fake-livekit-secret-0123456789abcdef0123456789"  # ≥ 32 bytes: PyJWT warns below
_TS = "2026-11-02T09:00:00Z"

PAYLOADS: dict[str, Any] = {
    "liveavatar_avatars": [
        {"id": "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a", "name": "Wayne", "type": "VIDEO", "status": "ACTIVE",
         "preview_url": "https://example.invalid/wayne.webp", "is_expired": False,
         "default_voice": {"id": "9c2b1f0e-6a3d-4e8f-9b7a-2c1d0e5f6a7b", "name": "Wayne"}, "is_1080p": False,
         "created_at": _TS, "updated_at": _TS, "error_message": None, "space_id": None},
    ],
    "liveavatar_voices": [
        {"id": "9c2b1f0e-6a3d-4e8f-9b7a-2c1d0e5f6a7b", "name": "Wayne", "description": "warm, friendly",
         "language": "en", "gender": "male", "created_at": _TS, "updated_at": _TS, "tags": ["friendly"]},
        {"id": "4f6e2d1c-8b7a-4c3d-9e2f-1a0b9c8d7e6f", "name": "June", "description": None,
         "language": "en", "gender": "female", "created_at": _TS, "updated_at": _TS, "tags": []},
    ],
    "liveavatar_contexts": [
        {"id": "06d11e63-ff70-4c2b-b0a3-aad3f1134013", "name": "TinyTalk tutor", "created_at": _TS,
         "updated_at": _TS},
    ],
    "liveavatar_credits": {"credits_left": "1000.00"},
}


@dataclass
class LiveAvatarMemory:
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)  # data-channel events the avatar received
    limit: int = 3
    idle_timeout: float = 300.0
    keys: set[str] = field(default_factory=set)  # when set, only these keys are valid


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_livekit_token(*, room: str, identity: str, ttl: float, secret: str = LIVEKIT_SECRET,
                       can_publish_data: bool = True, now: float | None = None) -> str:
    """An HS256 LiveKit access token, as a LiveKit server's key would sign it."""
    issued = int(now if now is not None else time.time())
    claims = {"iss": LIVEKIT_KEY, "sub": identity, "nbf": issued, "exp": issued + int(ttl),
              "video": {"room": room, "roomJoin": True, "canPublish": True, "canSubscribe": True,
                        "canPublishData": can_publish_data}}
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def routes(fake: FakeState) -> list[Mount]:
    """The LiveAvatar endpoints over ``fake``, under ``/liveavatar`` (ElevenLabs owns ``/v1/voices`` at the root)."""
    from starlette.responses import JSONResponse
    from starlette.routing import Mount, Route

    def memory() -> LiveAvatarMemory:  # looked up per request: `state.reset()` replaces it
        return fake.vendor(VENDOR, LiveAvatarMemory)

    def answer(request: Request, data: Any, status: int = 200, message: str = "success") -> Response:
        fake.logged(VENDOR, request, status)
        return JSONResponse({"code": 100, "data": data, "message": message}, status_code=status)

    def refuse(request: Request, status: int, code: int, message: str) -> Response:
        fake.logged(VENDOR, request, status)
        return JSONResponse({"code": code, "data": None, "message": message}, status_code=status)

    def invalid(request: Request, loc: list[str | int], msg: str, kind: str) -> Response:
        fake.logged(VENDOR, request, 422)
        return JSONResponse({"detail": [{"loc": loc, "msg": msg, "type": kind}]}, status_code=422)

    def expire() -> None:
        mem = memory()
        now = time.time()
        with fake.lock:
            for s in mem.sessions.values():
                if s["status"] != "active":
                    continue
                if now - s["last_alive"] > mem.idle_timeout:
                    _end(s, now, "IDLE_TIMEOUT")
                elif s["max_duration"] and now - s["started_at"] > s["max_duration"]:
                    _end(s, now, "MAX_DURATION_REACHED")

    def key_ok(request: Request) -> Response | None:
        mem = memory()
        key = request.headers.get("x-api-key", "")
        scenario = fake.pop(VENDOR, request, streaming=False)
        if scenario is not None and scenario.name == "server_error":
            return refuse(request, 500, 500, "Internal Server Error")
        if not key or key in fake.revoked or not _is_uuid(key) or (mem.keys and key not in mem.keys) \
                or (scenario is not None and scenario.name == "revoked_key"):
            # a HeyGen key is not a LiveAvatar key (docs.liveavatar.com/docs/faq/heygen-comparison)
            return refuse(request, 401, 401, "Invalid API key")
        return None

    def session_by_token(request: Request) -> dict[str, Any] | None:
        mem = memory()
        token = bearer(request)
        return next((s for s in mem.sessions.values() if token and s["token"] == token), None)

    def owned(request: Request, body: dict[str, Any]) -> tuple[dict[str, Any] | None, Response | None]:
        """The session of a keep-alive/stop: by API key + body ``session_id``, or by its own bearer token."""
        mem = memory()
        by_token = session_by_token(request) if not request.headers.get("x-api-key") else None
        if by_token is None:
            denied = key_ok(request)
            if denied:
                return None, denied
        sid = str(body.get("session_id") or (by_token or {}).get("id") or "")
        if sid and not _is_uuid(sid):
            return None, invalid(request, ["body", "session_id"], "Input should be a valid UUID", "uuid_parsing")
        sess = mem.sessions.get(sid)
        if sess is None:
            return None, refuse(request, 404, 404, "Session not found")
        return sess, None

    async def token(request: Request) -> Response:
        mem = memory()
        denied = key_ok(request)
        if denied:
            return denied
        body = await json_object(request)
        if body is None:
            return invalid(request, ["body"], "Field required", "missing")
        mode = body.get("mode", "FULL")
        if mode not in RATES:
            return invalid(request, ["body", "mode"], "Input should be 'FULL' or 'LITE'", "literal_error")
        avatar_id = str(body.get("avatar_id") or "")
        if not avatar_id:
            return invalid(request, ["body", mode, "avatar_id"], "Field required", "missing")
        if not _is_uuid(avatar_id):
            return invalid(request, ["body", mode, "avatar_id"], "Input should be a valid UUID", "uuid_parsing")
        persona = body.get("avatar_persona")
        if mode == "FULL" and not isinstance(persona, dict):
            return invalid(request, ["body", "FULL", "avatar_persona"], "Field required", "missing")
        for name in ("voice_id", "context_id"):  # format: uuid in AvatarPersonaSchema
            value = (persona or {}).get(name)
            if value is not None and not _is_uuid(str(value)):
                return invalid(request, ["body", mode, "avatar_persona", name], "Input should be a valid UUID",
                               "uuid_parsing")
        sid, tok = str(uuid.uuid4()), "eyJ" + secrets.token_urlsafe(40)
        with fake.lock:
            mem.sessions[sid] = {"id": sid, "token": tok, "mode": mode, "status": "token", "avatar_id": avatar_id,
                                 "is_sandbox": bool(body.get("is_sandbox")), "created_at": time.time(),
                                 "started_at": None, "last_alive": None, "end_at": None, "end_reason": None,
                                 "max_duration": int(body.get("max_session_duration") or 1200),
                                 "keep_alives": 0, "room": f"liveavatar-{sid[:8]}"}
        return answer(request, {"session_id": sid, "session_token": tok})

    async def start(request: Request) -> Response:
        mem = memory()
        expire()
        sess = session_by_token(request)
        if sess is None:
            return refuse(request, 401, 401, "Invalid session token")
        if sess["status"] != "token":
            return refuse(request, 400, 400, "Session is not in correct state")
        with fake.lock:
            if sum(1 for s in mem.sessions.values() if s["status"] == "active") >= mem.limit:
                return refuse(request, 400, 10004, "Concurrent session limit reached")
            now = time.time()
            sess.update(status="active", started_at=now, last_alive=now)
        host = request.url.netloc + str(request.scope.get("root_path", ""))
        data = {"session_id": sess["id"], "livekit_url": f"ws://{host}/_fake/livekit",
                "livekit_client_token": mint_livekit_token(room=sess["room"], identity=f"client-{sess['id'][:8]}",
                                                           ttl=sess["max_duration"]),
                "livekit_agent_token": mint_livekit_token(room=sess["room"], identity=f"agent-{sess['id'][:8]}",
                                                          ttl=sess["max_duration"]),
                "max_session_duration": sess["max_duration"]}
        if sess["mode"] == "LITE":
            data["ws_url"] = f"ws://{host}/_fake/liveavatar/ws/{sess['id']}"
        return answer(request, data, status=201)

    async def keep_alive(request: Request) -> Response:
        expire()
        sess, failed = owned(request, await json_object(request) or {})
        if failed or sess is None:
            return failed or refuse(request, 404, 404, "Session not found")
        if sess["status"] != "active":
            return refuse(request, 400, 400, "Session is not active")
        sess["last_alive"] = time.time()
        sess["keep_alives"] += 1
        return answer(request, None)

    async def stop(request: Request) -> Response:
        expire()
        body = await json_object(request) or {}
        reason = body.get("reason", "UNKNOWN")
        if reason not in _REASONS:
            return invalid(request, ["body", "reason"], f"Input should be {', '.join(_REASONS)}", "enum")
        sess, failed = owned(request, body)
        if failed or sess is None:
            return failed or refuse(request, 404, 404, "Session not found")
        if sess["status"] == "closed":
            return refuse(request, 400, 400, "Session is already closed")
        with fake.lock:
            _end(sess, time.time(), reason)
        return answer(request, None)

    def page(request: Request, items: list[dict[str, Any]]) -> Response:
        try:
            number = int(request.query_params.get("page", 1))
            size = int(request.query_params.get("page_size", 20))
        except ValueError:
            return invalid(request, ["query", "page"], "Input should be a valid integer", "int_parsing")
        if number < 1 or not 1 <= size <= 100:
            return invalid(request, ["query", "page_size"], "Input should be between 1 and 100", "less_than_equal")
        chunk = items[(number - 1) * size: number * size]
        more = number * size < len(items)
        data: dict[str, Any] = {"count": len(items), "results": chunk}
        # `next`/`previous` are typed string (not nullable) in the OpenAPI: left out when there is none
        if more:
            data["next"] = str(request.url.include_query_params(page=number + 1))
        if number > 1:
            data["previous"] = str(request.url.include_query_params(page=number - 1))
        return answer(request, data)

    async def list_sessions(request: Request) -> Response:
        mem = memory()
        expire()
        denied = key_ok(request)
        if denied:
            return denied
        kind = request.query_params.get("type")
        if kind is None:
            return invalid(request, ["query", "type"], "Field required", "missing")
        if kind not in ("active", "historic"):
            return invalid(request, ["query", "type"], "Input should be 'active' or 'historic'", "literal_error")
        now = time.time()
        rows = [_entry(s, now, historic=kind == "historic") for s in mem.sessions.values()
                if (s["status"] == "active") == (kind == "active") and s["status"] != "token"]
        return page(request, rows)

    def lister(name: str) -> Any:
        async def handler(request: Request) -> Response:
            denied = key_ok(request) if name != "liveavatar_avatars_public" else None
            if denied:
                return denied
            return page(request, list(fake.payloads["liveavatar_avatars" if name.startswith("liveavatar_avatars")
                                                    else name]))
        return handler

    async def credits(request: Request) -> Response:
        mem = memory()
        denied = key_ok(request)
        if denied:
            return denied
        used = sum(_credits(s, time.time()) for s in mem.sessions.values())
        left = float(fake.payloads["liveavatar_credits"]["credits_left"]) - used
        return answer(request, {"credits_left": f"{left:.2f}"})

    async def livekit_data(request: Request) -> Response:
        """What :class:`LoopbackRoom` publishes: the token is verified with the fake LiveKit secret."""
        mem = memory()
        body = await json_object(request) or {}
        claims = _verify(str(body.get("token") or ""))
        if claims is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        room = claims["video"]["room"]
        sess = next((s for s in mem.sessions.values() if s["room"] == room), None)
        if sess is None or sess["status"] != "active":
            return JSONResponse({"error": "room closed"}, status_code=404)
        try:
            event = json.loads(base64.b64decode(str(body.get("payload") or "")))
        except ValueError:
            return JSONResponse({"error": "payload is not JSON"}, status_code=400)
        problem = _event_problem(event, str(body.get("topic")), sess["id"])
        if problem:
            return JSONResponse({"error": problem}, status_code=400)
        with fake.lock:
            mem.events.append({**event, "room": room, "topic": body.get("topic")})
        return JSONResponse({"ok": True})

    return [Mount(PREFIX, routes=[
        Route("/v1/sessions/token", token, methods=["POST"]),
        Route("/v1/sessions/start", start, methods=["POST"]),
        Route("/v1/sessions/keep-alive", keep_alive, methods=["POST"]),
        Route("/v1/sessions/stop", stop, methods=["POST"]),
        Route("/v1/sessions", list_sessions, methods=["GET"]),
        Route("/v1/avatars", lister("liveavatar_avatars"), methods=["GET"]),
        Route("/v1/avatars/public", lister("liveavatar_avatars_public"), methods=["GET"]),
        Route("/v1/voices", lister("liveavatar_voices"), methods=["GET"]),
        Route("/v1/contexts", lister("liveavatar_contexts"), methods=["GET"]),
        Route("/v1/users/credits", credits, methods=["GET"]),
        Route("/_fake/livekit/data", livekit_data, methods=["POST"]),
    ])]


_REASONS = ("UNKNOWN", "USER_DISCONNECTED", "SERVER_ERROR", "IDLE_TIMEOUT", "NO_CREDITS", "USER_CLOSED",
            "AVATAR_DELETED", "MAX_DURATION_REACHED", "ZOMBIE_SESSION_REAP", "AGENT_HANG_UP")
_EVENTS = {"avatar.interrupt": (), "avatar.speak_text": ("text",), "avatar.speak_response": ("text",),
           "avatar.start_listening": (), "avatar.stop_listening": (), "user.start_push_to_talk": (),
           "user.stop_push_to_talk": ()}


def _end(sess: dict[str, Any], now: float, reason: str) -> None:
    sess.update(status="closed", end_at=now, end_reason=reason)


def _credits(sess: dict[str, Any], now: float) -> float:
    if sess["started_at"] is None or sess["is_sandbox"]:
        return 0.0
    seconds = (sess["end_at"] or now) - sess["started_at"]
    return float(max(1, -(-int(seconds) // 60)) * RATES[sess["mode"]])  # per started minute, one escrowed


def _entry(sess: dict[str, Any], now: float, *, historic: bool) -> dict[str, Any]:
    end = sess["end_at"] or now
    row = {"id": sess["id"], "created_at": _iso(sess["created_at"]), "updated_at": _iso(end),
           "duration": int(end - (sess["started_at"] or sess["created_at"])), "source": "API", "mode": sess["mode"],
           "is_sandbox": sess["is_sandbox"], "credits_consumed": _credits(sess, now)}
    if historic:
        row.update(end_at=_iso(end), end_reason=sess["end_reason"])
    return row


def _verify(token: str) -> dict[str, Any] | None:
    try:
        head, body, sig = token.split(".")
        expected = hmac.new(LIVEKIT_SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_b64(expected), sig):
            return None
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    return claims if claims.get("exp", 0) > time.time() and claims.get("video", {}).get("room") else None


def _event_problem(event: Any, topic: str, session_id: str) -> str | None:
    if topic != "agent-control":
        return f"commands go to topic agent-control, not {topic!r}"
    if not isinstance(event, dict) or event.get("event_type") not in _EVENTS:
        return "unknown event_type"
    if event.get("session_id") != session_id:
        return "session_id does not match the room's session"
    extra = set(event) - {"event_id", "event_type", "session_id", "source_event_id", *_EVENTS[event["event_type"]]}
    missing = [f for f in _EVENTS[event["event_type"]] if not isinstance(event.get(f), str)]
    return f"bad fields: {sorted(extra) or missing}" if extra or missing else None


class LoopbackRoom:
    """A ``Room`` for the fake: the real token check, then each event POSTed to the fake's data endpoint."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.token: str | None = None
        self.published: list[tuple[str, bytes]] = []

    def connect(self, url: str, token: str) -> None:
        from ...providers.liveavatar_room import check_client_token

        check_client_token(token)
        self.url = url.replace("ws://", "http://", 1).replace("wss://", "https://", 1).rstrip("/")
        self.token = token

    def publish(self, payload: bytes, *, topic: str) -> None:
        import httpx

        from ..._exceptions import RoomRefusedError

        if self.url is None:
            raise RoomRefusedError("the loopback room is not connected")
        answer = httpx.post(self.url + "/data", json={"token": self.token, "topic": topic,
                                                      "payload": base64.b64encode(payload).decode()}, timeout=10)
        if answer.status_code != 200:
            raise RoomRefusedError(f"the fake LiveKit room refused the event: {answer.text[:200]}")
        self.published.append((topic, payload))

    def close(self) -> None:
        self.url = None
