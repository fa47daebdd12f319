"""The local TinyTalk API server: the 25 endpoints of PLATFORM.md on the toolkit's database.

``create_app(engine)`` builds the ASGI app (tests call it in-process through ``httpx.ASGITransport`` or
Starlette's ``TestClient``); ``start_background_server(url)`` runs it under uvicorn on a free loopback port;
``tinytalk serve`` runs it in the foreground. See docs/server.md.

Importing this package is cheap: Starlette and uvicorn load when one of these names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .background import RunningServer, start_background_server
    from .faults import FaultPlan, parse_faults

__all__ = ["FaultPlan", "RunningServer", "create_app", "parse_faults", "start_background_server"]

_WHERE = {
    "create_app": ".app",
    "RunningServer": ".background",
    "start_background_server": ".background",
    "FaultPlan": ".faults",
    "parse_faults": ".faults",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
