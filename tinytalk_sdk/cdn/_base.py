"""The one small interface every CDN backend implements, and the HTTP headers each published file gets.

Keys are ``/``-separated paths relative to the backend's root (``hiyori/v/3f2a…/hiyori.model3.json``);
they never start with ``/`` and never contain ``..``. A backend never leaks its own library's
exceptions: it raises :class:`~tinytalk_sdk.PublishError` naming its URL (no credentials) and the key.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .._exceptions import PublishError

__all__ = [
    "CACHE_IMMUTABLE",
    "CACHE_POINTER",
    "CONTENT_TYPES",
    "Backend",
    "ObjectInfo",
    "check_key",
    "content_type_for",
]

# Versioned files never change under their URL, so browsers and CDNs may keep them for a year.
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
# The pointer is the only mutable object: clients must re-check it often to see a new version or a rollback.
CACHE_POINTER = "public, max-age=30, must-revalidate"

# Live2D runtimes fetch .moc3 as binary and every *.json as JSON (IIS/Apache without these → 404.3 or
# text/plain, LIVE2D.md §9.7). Longest suffix first so `.model3.json` resolves like `.json`.
CONTENT_TYPES: dict[str, str] = {
    ".json": "application/json",
    ".moc3": "application/octet-stream",
    ".moc": "application/octet-stream",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".txt": "text/plain; charset=utf-8",
}


def content_type_for(key: str) -> str:
    """The Content-Type a published file is served with, from its extension."""
    ext = posixpath.splitext(key.lower())[1]
    return CONTENT_TYPES.get(ext, "application/octet-stream")


def check_key(key: str, *, url: str) -> str:
    """Refuse keys that could escape the backend root (absolute, ``..``, backslashes, empty parts)."""
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or any(p in ("", ".", "..") for p in parts):
        raise PublishError(f"{url}: refusing unsafe object key '{key}'")
    return key


@dataclass(frozen=True)
class ObjectInfo:
    """What a backend knows about one stored object. Header fields are None where the store keeps none."""

    key: str
    size: int
    content_type: str | None = None
    cache_control: str | None = None


@runtime_checkable
class Backend(Protocol):
    """A place published files go: a local folder, an SFTP account, an S3 bucket.

    ``write`` must never leave a partly written object under its final key (write elsewhere, then move),
    and ``replace`` must swap the object atomically: readers see the old or the new bytes, nothing between.
    """

    url: str  # the backend URL for messages: never holds a password or a key

    def list(self, prefix: str) -> list[str]:
        """Every key under ``prefix`` (recursively), sorted. A missing prefix is an empty list."""
        ...

    def read(self, key: str) -> bytes:
        """The object's bytes; :class:`NotFoundError`-like PublishError when it does not exist."""
        ...

    def stat(self, key: str) -> ObjectInfo | None:
        """Size (and headers where stored) of ``key``, or None when it does not exist."""
        ...

    def exists(self, key: str) -> bool: ...

    def write(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        """Store ``data`` under ``key`` (never visible half written)."""
        ...

    def replace(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        """Atomically replace ``key`` (the pointer swap): rename over it, or one PUT of a small object."""
        ...

    def copy(self, src: str, dst: str) -> bool:
        """Server-side copy of an immutable object; False when the store cannot (the caller uploads)."""
        ...

    def delete(self, key: str) -> None:
        """Delete ``key``; a missing key is not an error."""
        ...

    def close(self) -> None: ...
