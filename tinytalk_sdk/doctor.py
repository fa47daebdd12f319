"""`tinytalk doctor`: is this profile ready? Config, database, API health, each provider, the CDN target.

Each check says ✓ (ok), ✗ (failed) or – (not configured / not applicable) with a one-line reason.
``matters`` says whether a ✗ should fail the run: a missing vendor key does not (the offline provider is
used), an unreachable configured API or a database behind on migrations does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ._exceptions import TinyTalkError
from ._redact import redact

if TYPE_CHECKING:
    from .config import Config
    from .providers.base import UsageRecorder

__all__ = ["Check", "run_checks"]


@dataclass
class Check:
    name: str
    status: str  # ok | fail | skip
    detail: str
    matters: bool = True

    @property
    def failed(self) -> bool:
        return self.status == "fail" and self.matters

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return redact(text)[:240]


def _guard(name: str, fn: Callable[[], Check], *, matters: bool = True) -> Check:
    try:
        return fn()
    except TinyTalkError as exc:
        return Check(name, "fail", _line(exc) + (f" ({exc.hint})" if exc.hint else ""), matters)
    except Exception as exc:  # a doctor reports every failure as a row, never a traceback
        return Check(name, "fail", f"{exc.__class__.__name__}: {_line(exc)}", matters)


def check_config(config: Config) -> Check:
    where = str(config.path) if config.path.exists() else f"{config.path} (not created yet: built-in defaults)"
    if config.warnings:
        return Check("config", "fail", config.warnings[0])
    return Check("config", "ok", f"profile '{config.profile}' from {where}")


def check_database(config: Config) -> Check:
    from .db import make_engine
    from .db.migrate import sqlite_file_missing, status

    engine = make_engine(config.database_url, schema_map=config.schema)
    try:
        if engine.dialect.name == "sqlite" and sqlite_file_missing(engine):
            return Check("database", "fail", f"{redact(config.database_url)} does not exist: run `tinytalk db init`")
        info = status(engine)
    finally:
        engine.dispose()
    if info["up_to_date"]:
        return Check("database", "ok", f"{info['database']} at {info['current']} (head)")
    pending = len(info["pending"]) if info["pending"] else "all"
    return Check("database", "fail", f"{info['database']}: {pending} migration(s) pending: run `tinytalk db upgrade`")


def check_api(config: Config, *, timeout: float) -> Check:
    import httpx

    from ._base_client import DEFAULT_BASE_URL

    configured = config.get("api_url")
    url = (configured or DEFAULT_BASE_URL).rstrip("/")
    try:
        response = httpx.get(url + "/health.php", timeout=timeout)
    except httpx.HTTPError as exc:
        if configured:
            return Check("api", "fail", f"{url}/health.php unreachable ({exc.__class__.__name__})")
        return Check("api", "skip", f"no local server on {url} (start one with `tinytalk serve`)", matters=False)
    if response.status_code != 200:
        return Check("api", "fail", f"{url}/health.php answered HTTP {response.status_code}", matters=bool(configured))
    try:
        data = response.json().get("data", {})
    except ValueError:
        return Check("api", "fail", f"{url}/health.php answered non-JSON", matters=bool(configured))
    db = data.get("database", "?") if isinstance(data, dict) else "?"
    return Check("api", "ok", f"{url} healthy (database {db})")


def check_providers(config: Config, recorder: UsageRecorder, *, timeout: float = 10.0) -> list[Check]:
    """One free call per configured vendor (a key check), each bounded by ``timeout`` seconds per attempt."""
    from .providers.base import CallContext
    from .providers.factory import make_elevenlabs, make_heygen, make_liveavatar, make_openai

    ctx = CallContext(tag="doctor")
    checks: list[Check] = []

    def openai() -> Check:
        provider = make_openai(config, recorder)
        provider.timeout = timeout  # the doctor answers in seconds, not the pipeline's 60 s per read
        try:
            models = provider.models(ctx=ctx)
        finally:
            provider.close()
        has = "gpt-4o" in models
        return Check("openai", "ok" if has else "fail",
                     f"key works, {len(models)} models" + ("" if has else "; gpt-4o is not available to this key"))

    def elevenlabs() -> Check:
        provider = make_elevenlabs(config, recorder)
        provider.timeout = timeout
        sub = provider.subscription(ctx=ctx)
        left = (sub.get("character_limit") or 0) - (sub.get("character_count") or 0)
        return Check("elevenlabs", "ok", f"key works, plan {sub.get('tier')} ({sub.get('status')}), "
                                         f"{left} characters left")

    def heygen() -> Check:
        client = make_heygen(config, recorder)
        client.timeout = timeout
        try:
            active = client.list_sessions(ctx=ctx)
        finally:
            client.close()
        extra = f"; {len(active)} active session(s): `tinytalk heygen sessions list`" if active else ""
        return Check("heygen", "ok", f"key works{extra}")

    def liveavatar() -> Check:
        client = make_liveavatar(config, recorder)
        client.timeout = timeout
        try:
            left = client.credits(ctx=ctx).credits_left
            active = client.list_sessions(ctx=ctx)
        finally:
            client.close()
        extra = f"; {len(active)} active session(s): `tinytalk heygen sessions list --vendor liveavatar`" \
            if active else ""
        return Check("liveavatar", "ok", f"key works, {float(left):g} credits left{extra}")

    for name, fn in (("openai", openai), ("elevenlabs", elevenlabs), ("heygen", heygen),
                     ("liveavatar", liveavatar)):
        if not config.get(f"{name}_api_key"):
            checks.append(Check(name, "skip", f"no {name}_api_key: the offline provider is used", matters=False))
        else:
            checks.append(_guard(name, fn))
    return checks


def check_cdn(config: Config) -> Check:
    from .cdn._open import open_backend

    url = config.get("cdn_url")
    if not url:
        return Check("cdn", "skip", "no cdn_url: `live2d publish` needs one; the local server uses its data folder",
                     matters=False)
    backend = open_backend(url, config)
    backend.exists(".tinytalk-doctor")  # reaches the store and authenticates; writes nothing
    return Check("cdn", "ok", f"{backend.url} reachable")


def run_checks(config: Config, *, recorder: UsageRecorder | None = None, timeout: float = 5.0) -> list[Check]:
    """Every check, in order; never raises (a failure is a row)."""
    from .providers.factory import recorder_for

    checks = [_guard("config", lambda: check_config(config)),
              _guard("database", lambda: check_database(config)),
              _guard("api", lambda: check_api(config, timeout=timeout))]
    has_keys = any(config.get(f"{s}_api_key") for s in ("openai", "elevenlabs", "heygen", "liveavatar"))
    rec = recorder
    if rec is None and has_keys:
        try:
            rec = recorder_for(config)
        except TinyTalkError:  # e.g. a broken price_table file: check_config reports it; still check the keys
            rec = None
    checks += check_providers(config, rec or _null_recorder(), timeout=max(timeout, 5.0))
    checks.append(_guard("cdn", lambda: check_cdn(config)))
    return checks


def _null_recorder() -> UsageRecorder:
    from .providers.base import UsageRecorder

    return UsageRecorder()
