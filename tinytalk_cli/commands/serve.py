"""`tinytalk serve`: the local TinyTalk API server (all 25 endpoints) on the profile's database."""

from __future__ import annotations

import logging
import socket
import sys
from typing import Annotated

import typer

from .._options import JsonOpt


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        ctx: typer.Context,
        host: Annotated[str, typer.Option("--host", help="Interface to listen on (loopback by default).")] = (
            "127.0.0.1"
        ),
        port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (0 = any free one).")] = 8787,
        offline: Annotated[
            bool, typer.Option("--offline", help="Offline providers even where vendor keys are configured.")
        ] = False,
        faults: Annotated[
            str | None,
            typer.Option("--faults", envvar="TINYTALK_FAULTS",
                         help="Fault plan for QA, e.g. 'get_sessions.php:429:2' (see docs/server.md)."),
        ] = None,
        timezone: Annotated[
            str, typer.Option("--timezone", envvar="TINYTALK_TIMEZONE",
                              help="Calendar of 'today's session' (IANA name; PHP's date.timezone).")
        ] = "UTC",
        address_limit: Annotated[
            int | None, typer.Option("--address-limit", envvar="TINYTALK_ADDRESS_LIMIT", min=1,
                                     help="Free logins/registrations per client address per hour before "
                                          "locks start (default 20 wrong PINs, 30 registrations); raise it "
                                          "for a classroom behind one NAT or a load test.")
        ] = None,
        rollup_every: Annotated[
            float, typer.Option("--rollup-every", min=0,
                                help="Seconds between background usage rollups (0 = off; see `usage rollup`).")
        ] = 300.0,
        json_: JsonOpt = False,
    ) -> None:
        """Run the local TinyTalk API server: migrates the database first, then serves /api/*.php,
        /assets/live2d/ (the CDN folder) and /uploads/ until Ctrl-C.

        Example: tinytalk serve --host 127.0.0.1 --port 8787
        """
        import uvicorn

        from tinytalk_sdk.db.migrate import create_database_if_missing, upgrade
        from tinytalk_sdk.providers.base import UsageRecorder
        from tinytalk_sdk.providers.factory import cost_for
        from tinytalk_sdk.server import create_app
        from tinytalk_sdk.server.faults import parse_faults
        from tinytalk_sdk.server.paths import server_folders

        from .._context import get_ctx
        from .._output import info, print_json, warn

        app_ctx = get_ctx(ctx)
        config = app_ctx.config
        if faults:
            parse_faults(faults)  # a typo is a usage error now, not a surprise later
        engine = app_ctx.engine
        create_database_if_missing(engine)
        upgrade(engine)
        uploads, cdn = server_folders(config)
        cdn.mkdir(parents=True, exist_ok=True)
        recorder = UsageRecorder(engine, cost=cost_for(config))  # the profile's price table
        if offline:
            providers = None
        else:
            from tinytalk_sdk.providers.factory import build_providers, provider_sources

            providers = build_providers(config, recorder)
            real = {slot: src for slot, src in provider_sources(config).items() if src != "offline"}
            if real:
                info("providers: " + ", ".join(f"{slot}={src}" for slot, src in real.items()) + " (others offline)")
        from tinytalk_sdk.auth_throttle import AuthLimits

        limits = AuthLimits() if address_limit is None else AuthLimits().with_address_limit(address_limit)
        api = create_app(engine, providers=providers, uploads_dir=uploads, cdn_dir=cdn, fault=faults or "",
                         cleanup_token=config.get("cleanup_token"), recorder=recorder, timezone=timezone,
                         auth_limits=limits)
        sock = _listen(host, port)  # bound before printing: `--port 0` reports the port it got
        bound = int(sock.getsockname()[1])
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{bound}/api"
        if host not in ("127.0.0.1", "localhost", "::1"):
            warn(f"listening on {host}: anyone who can reach it can use this API (no TLS)")
        if json_:
            print_json({"url": url, "host": host, "port": bound, "uploads_dir": str(uploads), "cdn_dir": str(cdn)})
        info(f"TinyTalk API on {url}  (CDN {cdn} at /assets/live2d/, uploads {uploads}); Ctrl-C stops")
        from tinytalk_sdk._logs import install_redaction
        from tinytalk_sdk.server.logs import uvicorn_log_config

        if not logging.getLogger().handlers:  # without --debug: warnings and errors still pass redaction
            logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        install_redaction()  # the root handler: tinytalk.* lines (tracebacks of a 500 included), redacted

        server = uvicorn.Server(uvicorn.Config(
            api, log_config=uvicorn_log_config(debug=app_ctx.debug), access_log=app_ctx.debug, lifespan="off",
            timeout_graceful_shutdown=3, ws="none"))
        rollups = None
        if rollup_every > 0:
            from tinytalk_sdk.admin.usage.background import RollupThread
            from tinytalk_sdk.pricing import load_price_table

            rollups = RollupThread(engine, interval=rollup_every, price_table=load_price_table(
                config.get("price_table")))
            rollups.start()
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()
            if rollups is not None:
                rollups.stop()


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (IPv6 when the host is an IPv6 address)."""
    from tinytalk_sdk import TinyTalkError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise TinyTalkError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock
