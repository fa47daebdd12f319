"""``create_app``: the local TinyTalk API server as a Starlette ASGI app.

Routes come from :data:`tinytalk_sdk.types.ENDPOINTS` (the table the SDK also builds its client from), so
the path, method, request model, auth and success status of every endpoint have one source. Layers, from
the outside in: :class:`~._edge.EdgeMiddleware` (request id, CORS, faults, catch-all 500) → Starlette's
exception handling (404/405 as contract JSON) → the endpoint wrapper of ``_call`` (auth, validation,
idempotency) → the handler.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .._exceptions import ValidationError
from ..auth_throttle import AuthLimits
from ..providers.base import UsageRecorder
from ._call import Handler, make_endpoint
from ._edge import EdgeMiddleware
from ._responses import ApiError, ok
from ._state import ServerState
from .faults import FaultPlan

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..providers.bundle import Providers

__all__ = ["API_PREFIX", "create_app", "handlers"]

log = logging.getLogger("tinytalk.server")

API_PREFIX = "/api"
_ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE"]  # OPTIONS: answered at the edge
_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
                 415: "unsupported_media_type"}


def handlers() -> dict[str, Handler]:
    """Endpoint name (``tinytalk_sdk.types.ENDPOINTS``) → handler."""
    from . import routes_auth, routes_config, routes_heygen, routes_ops, routes_pipeline, routes_sessions

    table: dict[str, Handler] = {}
    for module in (routes_auth, routes_sessions, routes_pipeline, routes_heygen, routes_config, routes_ops):
        table.update(module.HANDLERS)
    return table


def _bind_recorders(providers: Providers, recorder: UsageRecorder) -> None:
    """Providers that keep usage in memory (no engine) write to this server's database instead."""
    for provider in (providers.stt, providers.chat, providers.tts, providers.avatar, *providers.videos.values()):
        own = getattr(provider, "recorder", None)
        if isinstance(own, UsageRecorder) and own.engine is None:
            provider.recorder = recorder  # type: ignore[attr-defined]


def create_app(
    engine: Engine,
    *,
    providers: Providers | None = None,
    uploads_dir: str | Path | None = None,
    cdn_dir: str | Path | None = None,
    fault: str | FaultPlan | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    cleanup_token: str | None = None,
    recorder: UsageRecorder | None = None,
    timezone: str = "UTC",
    auth_limits: AuthLimits | None = None,
) -> Starlette:
    """The API server on ``engine`` (already migrated).

    ``providers`` defaults to the offline bundle; ``uploads_dir`` (voice uploads, served at ``/uploads/``)
    defaults to ``<data dir>/uploads``; ``cdn_dir`` is served read-only at ``/assets/live2d/``;
    ``fault`` is a fault plan (see :mod:`.faults`), else ``$TINYTALK_FAULTS``; ``clock`` returns the
    current UTC time (tests pin it); ``cleanup_token`` protects ``cleanup_uploads.php``; ``timezone`` (an
    IANA name, e.g. ``Asia/Seoul``) is the calendar of ``session_date`` and "today's session"; ``auth_limits``
    are the login/registration throttles (default :class:`~tinytalk_sdk.auth_throttle.AuthLimits`).
    """
    import zoneinfo

    from .._redact import register_secret
    from ..config import data_dir
    from ..types import ENDPOINTS
    from ..types import endpoint as endpoint_named

    register_secret(cleanup_token)  # masked wherever it shows up (a log line, an error message)
    recorder = recorder or UsageRecorder(engine)
    if providers is None:
        from ..providers.offline import make_offline_providers

        providers = make_offline_providers(recorder=recorder)
    else:
        _bind_recorders(providers, recorder)
    if isinstance(fault, FaultPlan):
        plan = fault
    else:
        spec = fault if fault is not None else os.environ.get("TINYTALK_FAULTS", "")
        plan = FaultPlan(spec or None)
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone '{timezone}' (use an IANA name like Asia/Seoul)") from None
    uploads = Path(uploads_dir) if uploads_dir else data_dir() / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    state = ServerState(
        engine=engine, providers=providers, recorder=recorder, uploads_dir=uploads,
        cdn_dir=Path(cdn_dir) if cdn_dir else None, faults=plan,
        clock=clock or (lambda: dt.datetime.now(dt.UTC)), cleanup_token=cleanup_token, timezone=zone,
        auth_limits=auth_limits or AuthLimits(),
    )

    table = handlers()
    routes: list[BaseRoute] = []
    by_path: dict[str, list[str]] = {}
    for endpoint in ENDPOINTS:
        by_path.setdefault(endpoint.path, []).append(endpoint.name)
    allow: dict[str, str] = {}  # what `Allow` says per path, on a 405 and on a preflight alike
    for path, names in by_path.items():
        methods = {endpoint_named(n).method for n in names} | ({"GET"} if "gpt_stream" in names else set())
        allow[API_PREFIX + path] = ", ".join(sorted(methods)) + ", OPTIONS"
        # Every method reaches _dispatch, which answers 405 naming exactly this path's methods.
        routes.append(Route(API_PREFIX + path, _dispatch(state, names, table, allow[API_PREFIX + path]),
                            methods=_ANY_METHOD, name=names[0]))
    routes.append(Route(API_PREFIX + "/openapi.json", _openapi_endpoint(), methods=["GET"], name="openapi"))
    routes.append(Route("/__faults", _faults_endpoint(state), methods=["GET", "POST", "DELETE"]))
    if state.cdn_dir is not None:
        routes.append(Mount("/assets/live2d", StaticFiles(directory=state.cdn_dir, check_dir=False),
                            name="live2d"))
    routes.append(Mount("/uploads", StaticFiles(directory=uploads, check_dir=False), name="uploads"))

    app = Starlette(
        routes=routes,
        middleware=[Middleware(EdgeMiddleware, faults=plan, allow=allow)],
        exception_handlers={HTTPException: _http_exception, ApiError: _api_error},
    )
    app.state.tinytalk = state
    return app


def _dispatch(state: ServerState, names: list[str], table: dict[str, Handler], allowed: str) -> Callable[..., object]:
    """One route per PHP file; GET and POST may be two endpoints (heygen_session.php)."""
    from ..types import endpoint as endpoint_named

    by_method: dict[str, Callable[[Request], Awaitable[Response]]] = {}
    for name in names:
        endpoint = endpoint_named(name)
        by_method[endpoint.method] = make_endpoint(state, endpoint, table[name])
    if "gpt_stream" in names:  # EventSource clients can only GET: same endpoint, query parameters
        by_method["GET"] = make_endpoint(state, endpoint_named("gpt_stream"), table["gpt_stream"])

    async def run(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        handler = by_method.get(method)
        if handler is None:
            raise ApiError(405, "method_not_allowed", f"{request.method} is not allowed here (allowed: {allowed})",
                           headers={"Allow": allowed})
        return await handler(request)

    return run


def _openapi_endpoint() -> Callable[..., object]:
    """``GET /api/openapi.json``: the contract (OpenAPI 3.1), rendered once from the types."""
    rendered: list[bytes] = []

    async def run(request: Request) -> Response:
        if not rendered:
            import json

            from ..types._openapi import render_openapi

            rendered.append(json.dumps(render_openapi(), ensure_ascii=False, indent=1).encode("utf-8"))
        return Response(rendered[0], media_type="application/json")

    return run


def _is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in ("localhost", "testclient")


def _faults_endpoint(state: ServerState) -> Callable[..., object]:
    """``GET /__faults`` shows the plan; ``POST {"faults": "<spec>", "replace": true}`` sets (or with
    ``replace: false`` adds to) it; ``DELETE`` clears it. Loopback clients only."""

    async def run(request: Request) -> Response:
        if not _is_loopback(request):
            raise ApiError(403, "forbidden", "fault injection is available from loopback only")
        if request.method == "DELETE":
            state.faults.clear()
        elif request.method == "POST":
            from ._body import parse_json_object

            body = parse_json_object(await request.body() or b"{}")
            spec = body.get("faults")
            if not isinstance(spec, str):
                raise ApiError(422, "validation_failed", "faults: a string like 'health.php:503:1' is required",
                               fields={"faults": "required string"})
            try:
                if body.get("replace", True):
                    state.faults.set(spec)
                else:
                    state.faults.add(spec)
            except ValidationError as exc:
                raise ApiError(422, "validation_failed", exc.message, fields={"faults": exc.message}) from None
        return ok({"faults": state.faults.spec()})

    return run


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _STATUS_CODES.get(exc.status_code, "error")
    message = {404: f"no such endpoint or file: {request.url.path}", 405: "method not allowed"}.get(
        exc.status_code, str(exc.detail))
    return ApiError(exc.status_code, code, message, headers=dict(exc.headers or {})).response()
