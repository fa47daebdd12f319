"""``open_backend(url, config)``: one function turns a publishing URL into a backend."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from .._exceptions import ConfigError
from .._redact import redact
from ._base import Backend

__all__ = ["open_backend"]


class _Settings(Protocol):
    def get(self, key: str, default: str | None = None) -> str | None: ...


def _setting(config: _Settings | Mapping[str, Any] | None, key: str) -> str | None:
    if config is None:
        return None
    value = config.get(key)
    return str(value) if value else None


def open_backend(url: str, config: _Settings | Mapping[str, Any] | None = None) -> Backend:
    """A backend for ``file://DIR``, ``sftp://user@host[:port]/path`` or ``s3://bucket/prefix``.

    ``config`` is a :class:`~tinytalk_sdk.config.Config` (or any mapping) giving ``sftp_key_file`` and
    ``s3_endpoint_url``. Raises :class:`ConfigError` for a URL it does not understand.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        path = unquote(parts.path)
        if parts.netloc and parts.netloc != "localhost":
            path = parts.netloc + path  # file://cdn or file://./cdn: a folder relative to the working dir
        if not path:
            raise ConfigError(f"CDN URL '{redact(url)}' names no folder", hint="e.g. file:///srv/cdn")
        from .file import FileBackend

        return FileBackend(Path(path))
    if scheme == "sftp":
        if not parts.hostname:
            raise ConfigError(f"CDN URL '{redact(url)}' names no host", hint="e.g. sftp://deploy@host/path")
        from ..config import data_dir
        from .sftp import SFTPBackend

        root = unquote(parts.path) or "/"
        if root.startswith("/~/"):
            root = root[3:] or "."  # relative to the login folder
        return SFTPBackend(
            host=parts.hostname,
            port=parts.port or 22,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            root=root,
            key_file=_setting(config, "sftp_key_file"),
            known_hosts=data_dir() / "known_hosts",
        )
    if scheme == "s3":
        if not parts.netloc:
            raise ConfigError(f"CDN URL '{redact(url)}' names no bucket", hint="e.g. s3://bucket/live2d")
        from .s3 import S3Backend

        return S3Backend(
            bucket=parts.netloc,
            prefix=unquote(parts.path),
            endpoint_url=_setting(config, "s3_endpoint_url"),
        )
    raise ConfigError(
        f"unsupported CDN URL '{redact(url)}'",
        hint="use file://DIR, sftp://user@host[:port]/path or s3://bucket/prefix",
    )
