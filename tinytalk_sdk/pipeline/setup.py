"""Setting up a target for a run: the API (a running one, or a local server the caller starts) or the
providers (real keys, or the vendor fakes), and closing everything afterwards.

The pipeline never imports the server: a caller that may start the local API server passes
``local_server`` (a function of the profile returning the base URL and a stop function).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .._exceptions import CheckFailedError
from .targets import ApiTarget, ProviderTarget

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..config import Config

__all__ = ["LocalServer", "Opened", "TargetName", "open_target"]

TargetName = Literal["api", "providers"]
LocalServer = Callable[["Config"], tuple[str, Callable[[], None]]]


@dataclass
class Opened:
    target: ApiTarget | ProviderTarget
    api_url: str | None = None
    engine: Engine | None = None
    providers: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    uploads_dir: Path | None = None  # where the API keeps uploaded clips, when it is on this machine's profile


def api_reachable(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url.rstrip("/") + "/health.php", timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


@contextmanager
def open_target(
    config: Config, *, target: TargetName, work_dir: Path, tag: str, api_url: str | None = None,
    start_server: bool | None = None, local_server: LocalServer | None = None, use_fakes: bool | None = None,
    engine: Engine | None = None,
) -> Iterator[Opened]:
    """A ready target; starts what the run needs (local server, vendor fakes) and stops it afterwards."""
    with ExitStack() as stack:
        if target == "api":
            yield _open_api(config, stack, work_dir=work_dir, api_url=api_url, start_server=start_server,
                            local_server=local_server, engine=engine, tag=tag)
        else:
            yield _open_providers(config, stack, work_dir=work_dir, use_fakes=use_fakes, tag=tag, engine=engine)


def _open_api(config: Config, stack: ExitStack, *, work_dir: Path, api_url: str | None,
              start_server: bool | None, local_server: LocalServer | None, engine: Engine | None,
              tag: str) -> Opened:
    from .._base_client import DEFAULT_BASE_URL
    from .._client import TinyTalk
    from ..admin.storage import uploads_dir

    notes: list[str] = []
    url = api_url or config.get("api_url")
    local_engine = engine
    if not url:
        if api_reachable(DEFAULT_BASE_URL):
            url = DEFAULT_BASE_URL
        elif local_server is None or start_server is False or (start_server is None and config.profile != "default"):
            raise CheckFailedError(
                f"no TinyTalk API at {DEFAULT_BASE_URL}",
                hint="start one with `tinytalk serve`, set api_url, or pass --start-server",
            )
        else:
            url, stop = local_server(config)
            stack.callback(stop)
            notes.append(f"started the local API server on {url} (offline providers) for this run")
    if local_engine is None:
        local_engine = _usage_engine(config)
        if local_engine is not None:
            stack.callback(local_engine.dispose)
    # The server copies the tag onto every usage row of our requests: no database access needed for it.
    client = TinyTalk(base_url=url, timeout=60, default_headers={"X-TinyTalk-Tag": tag})
    stack.callback(client.close)
    # A server on this profile (started here, or `tinytalk serve`) keeps the clips in the profile's folder.
    return Opened(ApiTarget(client, work_dir=work_dir), api_url=url, engine=local_engine, notes=notes,
                  uploads_dir=uploads_dir(config))


def _usage_engine(config: Config) -> Engine | None:
    """The profile's database, when it holds the TinyTalk tables (to check and tag the rows)."""
    try:
        from sqlalchemy import inspect

        from ..db import make_engine
        from ..db.migrate import sqlite_file_missing

        engine = make_engine(config.database_url, schema_map=config.schema)
        # never create an empty SQLite file just to look into it
        if not sqlite_file_missing(engine) and inspect(engine).has_table("api_usage_logs"):
            return engine
        engine.dispose()
    except Exception:  # the database is optional for a smoke run: the API is what is tested
        return None
    return None


def _open_providers(config: Config, stack: ExitStack, *, work_dir: Path, use_fakes: bool | None, tag: str,
                    engine: Engine | None) -> Opened:
    from ..providers.base import UsageRecorder
    from ..providers.factory import SERVICES, build_providers, cost_for, recorder_for

    notes: list[str] = []
    has_any = any(config.get(f"{s}_api_key") for s in SERVICES)
    fakes = None
    if use_fakes or (use_fakes is None and not has_any):
        from ..config import Config as _Config
        from ..testing.fake_vendors import start_fake_vendors

        fakes = start_fake_vendors()
        stack.callback(fakes.stop)
        config = _Config(profile=config.profile, path=config.path, file_values=dict(config.file_values),
                         env={**config.env, **fakes.env()})
        notes.append(f"no vendor keys configured: using the vendor fakes on {fakes.base_url}")
    recorder = UsageRecorder(engine, cost=cost_for(config)) if engine is not None else recorder_for(config)
    providers = build_providers(config, recorder, require_real=True)
    for provider in (providers.stt, providers.tts, providers.avatar, *providers.videos.values()):
        close = getattr(provider, "close", None)
        if callable(close):
            stack.callback(close)
    target = ProviderTarget(providers, recorder, work_dir=work_dir, tag=tag, fakes=fakes)
    return Opened(target, engine=recorder.engine, providers=providers.names(), notes=notes)
