"""Run the API server under uvicorn in a background thread on a free loopback port.

Used by the demo, the smoke test, QA scripts and the test fixtures::

    with start_background_server("sqlite:///demo.db") as server:
        httpx.get(server.base_url + "/health.php")
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import TinyTalkError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from starlette.applications import Starlette

    from ..admin.usage.background import RollupThread
    from ..auth_throttle import AuthLimits
    from ..providers.base import CostFn
    from ..providers.bundle import Providers
    from .faults import FaultPlan

__all__ = ["RunningServer", "start_background_server"]


@dataclass
class RunningServer:
    """A server started by :func:`start_background_server`. ``base_url`` ends with ``/api``."""

    host: str
    port: int
    engine_url: str
    app: Starlette
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _engine: Engine | None = field(default=None, repr=False)
    rollups: RollupThread | None = field(default=None, repr=False)

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + "/api"

    @property
    def faults(self) -> FaultPlan:
        plan: FaultPlan = self.app.state.tinytalk.faults
        return plan

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting, let running requests finish (a few seconds at most), close the engine."""
        if self.rollups is not None:
            self.rollups.stop(timeout)
        if self._thread.is_alive():
            self._server.should_exit = True
            self._thread.join(timeout / 2)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout / 2)
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_background_server(
    engine_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    migrate: bool = True,
    providers: Providers | None = None,
    uploads_dir: str | Path | None = None,
    cdn_dir: str | Path | None = None,
    fault: str | FaultPlan | None = None,
    cleanup_token: str | None = None,
    timezone: str = "UTC",
    startup_timeout: float = 15.0,
    cost: CostFn | None = None,
    schema_map: Mapping[str, Any] | None = None,
    auth_limits: AuthLimits | None = None,
    rollup_interval: float | None = None,
    rollup_settle_seconds: float | None = None,
) -> RunningServer:
    """Start the server for ``engine_url`` (migrated first unless ``migrate=False``) and wait until it
    accepts connections. ``port=0`` picks a free port. ``cost`` prices the usage rows (default: the
    built-in price table; ``providers.factory.cost_for(config)`` for a profile's). ``schema_map`` is a
    profile's ``[schema]`` table, for a database the PHP backend made (tinytalk_sdk.db.schema_map). With
    ``rollup_interval`` (seconds) the usage rollups are kept fresh by a background thread
    (docs/usage-and-costs.md)."""
    import uvicorn

    from ..db import make_engine
    from .app import create_app

    engine = make_engine(engine_url, schema_map=schema_map)
    try:
        if migrate:
            from ..db.migrate import upgrade

            upgrade(engine)
        from ..providers.base import UsageRecorder

        app = create_app(engine, providers=providers, uploads_dir=uploads_dir, cdn_dir=cdn_dir, fault=fault,
                         cleanup_token=cleanup_token, timezone=timezone, auth_limits=auth_limits,
                         recorder=UsageRecorder(engine, cost=cost) if cost is not None else None)
    except BaseException:
        engine.dispose()
        raise
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        engine.dispose()
        raise TinyTalkError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    bound_port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                            timeout_graceful_shutdown=2, ws="none")
    server = uvicorn.Server(config)

    def serve() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        finally:
            sock.close()

    thread = threading.Thread(target=serve, name=f"tinytalk-api-{bound_port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            engine.dispose()
            raise TinyTalkError(f"the API server did not start on {host}:{bound_port}")
        time.sleep(0.01)
    running = RunningServer(host=host, port=bound_port, engine_url=engine_url, app=app, _server=server,
                            _thread=thread, _engine=engine)
    if rollup_interval:
        from ..admin.usage.background import RollupThread

        running.rollups = RollupThread(engine, interval=rollup_interval, settle_seconds=rollup_settle_seconds)
        running.rollups.start()
    return running
