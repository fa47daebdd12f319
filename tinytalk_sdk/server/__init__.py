"""The local TinyTalk API server: the 25 endpoints of PLATFORM.md on the toolkit's database.

``create_app(engine)`` builds the ASGI app (tests call it in-process through ``httpx.ASGITransport``);
``start_background_server(url)`` runs it under uvicorn on a free loopback port; ``tinytalk serve`` runs
it in the foreground. See docs/server.md.
"""

from .app import create_app
from .background import RunningServer, start_background_server
from .faults import FaultPlan, parse_faults

__all__ = ["FaultPlan", "RunningServer", "create_app", "parse_faults", "start_background_server"]
