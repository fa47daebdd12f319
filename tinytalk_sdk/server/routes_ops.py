"""health / cleanup_uploads."""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from starlette.responses import Response

from .._version import __version__
from ._call import Call, Handler
from ._responses import ApiError, error_body, json_response, ok
from ._serialize import iso

__all__ = ["HANDLERS", "cleanup_uploads_dir"]

log = logging.getLogger("tinytalk.server")


def health(call: Call) -> Response:
    from sqlalchemy import text

    started = time.perf_counter()
    database = "ok"
    try:
        with call.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not healthy", never a 500
        log.warning("health: database ping failed: %s", exc.__class__.__name__)
        database = "error"
    data: dict[str, Any] = {
        "status": "ok" if database == "ok" else "degraded",
        "version": __version__,
        "database": database,
        "database_latency_ms": round((time.perf_counter() - started) * 1000, 1),
        "dialect": call.state.engine.dialect.name,
        "providers": call.state.providers.names(),
        "time": iso(call.state.now()),
    }
    if database != "ok":
        body = error_body("unavailable", "database unreachable")
        body["data"] = data
        return json_response(body, 503, {"Retry-After": "5"})
    return ok(data)


def cleanup_uploads_dir(call: Call, older_than_days: int, dry_run: bool) -> dict[str, Any]:
    root = call.state.uploads_dir
    cutoff = call.state.now().timestamp() - older_than_days * 86400
    deleted = kept = freed = 0
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            stat = path.stat()
            if stat.st_mtime < cutoff:
                deleted += 1
                freed += stat.st_size
                if not dry_run:
                    path.unlink(missing_ok=True)
            else:
                kept += 1
        if not dry_run:  # drop the emptied YYYY/MM folders, deepest first
            for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                if not any(folder.iterdir()):
                    folder.rmdir()
    return {"deleted_files": deleted, "freed_bytes": freed, "kept_files": kept, "dry_run": dry_run,
            "older_than_days": older_than_days}


def cleanup_uploads(call: Call) -> Response:
    p = call.params
    expected = call.state.cleanup_token
    if not expected:
        raise ApiError(403, "cleanup_disabled", "cleanup_token is not configured on this server")
    if not hmac.compare_digest(p.token.encode("utf-8"), expected.encode("utf-8")):
        raise ApiError(401, "unauthorized", "wrong cleanup token")
    return ok(cleanup_uploads_dir(call, p.older_than_days, p.dry_run))


HANDLERS: dict[str, Handler] = {"health": health, "cleanup_uploads": cleanup_uploads}
