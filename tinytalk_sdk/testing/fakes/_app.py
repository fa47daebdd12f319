"""The vendor fakes joined into one Starlette app on loopback, and the function that starts it.

Each vendor module offers ``PAYLOADS`` and ``routes(fake)``; adding a vendor is one module plus one entry
in :data:`VENDORS`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import elevenlabs, heygen, liveavatar, openai
from ._server import FakeState, RunningFakeVendors, serve

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = ["DEFAULT_PAYLOADS", "VENDORS", "build_app", "load_payloads", "start_fake_vendors"]

VENDORS = (openai, elevenlabs, heygen, liveavatar)

DEFAULT_PAYLOADS: dict[str, Any] = {name: payload for vendor in VENDORS for name, payload in vendor.PAYLOADS.items()}


def load_payloads(directory: Path | None = None) -> dict[str, Any]:
    """The built-in payloads, overridden by ``<directory>/<name>.json`` recordings when given."""
    payloads = copy.deepcopy(DEFAULT_PAYLOADS)
    if directory is not None:
        for path in sorted(Path(directory).glob("*.json")):
            payloads[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return payloads


def build_app(state: FakeState | None = None) -> Starlette:
    """The fake vendors as one ASGI app; ``app.state.fake`` is the :class:`FakeState`."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    fake = state or FakeState()
    for name, payload in DEFAULT_PAYLOADS.items():
        fake.payloads.setdefault(name, copy.deepcopy(payload))

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "vendors": [v.VENDOR for v in VENDORS]})

    routes = [route for vendor in VENDORS for route in vendor.routes(fake)]
    routes.append(Route("/_fake/health", health, methods=["GET"]))
    app = Starlette(routes=routes)
    app.state.fake = fake
    return app


def start_fake_vendors(
    *, host: str = "127.0.0.1", port: int = 0, payloads_dir: Path | None = None, state: FakeState | None = None,
) -> RunningFakeVendors:
    """Start the fakes under uvicorn in a daemon thread; returns once the port accepts connections."""
    fake = state or FakeState(payloads=load_payloads(payloads_dir))
    return serve(build_app(fake), fake, host=host, port=port)
