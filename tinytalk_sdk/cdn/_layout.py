"""Where things are on a CDN backend: names and keys, the manifest and the pointer (read and swapped).

Layout under the backend root (docs/publishing.md)::

    <character>/v/<version>/<the model's own files…>   immutable
    <character>/v/<version>/manifest.json              files, sizes, sha256, moc3 version, emotions map
    <character>/current.json                           the pointer the app reads: {"version": …}
    <character>/.publish-lease                         who is changing the character right now (.lease)
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from .._exceptions import NotFoundError, PublishError, ValidationError
from ._base import CACHE_POINTER, Backend

__all__ = [
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "POINTER_NAME",
    "current_version",
    "pointer_etag",
    "read_manifest",
    "read_pointer",
]

MANIFEST_NAME = "manifest.json"
POINTER_NAME = "current.json"
MANIFEST_FORMAT = "tinytalk-live2d-manifest/1"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _check_name(kind: str, value: str) -> str:
    if not _SAFE_NAME.match(value):
        raise ValidationError(
            f"{kind} '{value}' is not allowed in a CDN path",
            hint="use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return value


def _version_prefix(character: str, version: str) -> str:
    return f"{character}/v/{version}"


def _pointer_key(character: str) -> str:
    return f"{character}/{POINTER_NAME}"


def _load_json(backend: Backend, key: str) -> dict[str, Any]:
    raw = backend.read(key)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PublishError(f"{backend.url}: '{key}' is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PublishError(f"{backend.url}: '{key}' is not a JSON object")
    return data


def read_pointer(backend: Backend, character: str) -> dict[str, Any] | None:
    """The pointer object (``{"version": …}``) the app reads, or None before the first publish."""
    key = _pointer_key(_check_name("character", character))
    if not backend.exists(key):
        return None
    return _load_json(backend, key)


def current_version(backend: Backend, character: str) -> str | None:
    pointer = read_pointer(backend, character)
    return str(pointer["version"]) if pointer and pointer.get("version") else None


def read_manifest(backend: Backend, character: str, version: str | None = None) -> dict[str, Any]:
    """The manifest of ``version`` (default: the one the pointer serves). NotFoundError when absent."""
    _check_name("character", character)
    if version is None:
        version = current_version(backend, character)
        if version is None:
            raise NotFoundError(f"{backend.url}: character '{character}' has never been published")
    key = f"{_version_prefix(character, _check_name('version', version))}/{MANIFEST_NAME}"
    if not backend.exists(key):
        raise NotFoundError(f"{backend.url}: version '{version}' of '{character}' does not exist ({key})")
    return _load_json(backend, key)


def _pointer_bytes(character: str, version: str, manifest: dict[str, Any], now: dt.datetime) -> bytes:
    pointer = {
        "character": character,
        "version": version,
        "manifest": f"v/{version}/{MANIFEST_NAME}",
        "model": f"v/{version}/{manifest.get('model')}" if manifest.get("model") else None,
        "updated_at": now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
    }
    return (json.dumps(pointer, indent=2) + "\n").encode()


def pointer_etag(backend: Backend, character: str) -> str | None:
    """The pointer's ETag where the backend has conditional writes (S3), else None."""
    etag = getattr(backend, "etag", None)
    return etag(_pointer_key(character)) if callable(etag) else None


def _swap_pointer(
    backend: Backend,
    character: str,
    version: str,
    manifest: dict[str, Any],
    now: dt.datetime,
    *,
    expected: str | None = None,
    conditional: bool = False,
) -> None:
    """The atomic pointer swap; with ``conditional`` (S3) only if the pointer's ETag is still ``expected``."""
    body = _pointer_bytes(character, version, manifest, now)
    key = _pointer_key(character)
    replace_if = getattr(backend, "replace_if", None)
    if conditional and callable(replace_if):
        if not replace_if(key, body, etag=expected, content_type="application/json", cache_control=CACHE_POINTER):
            now_serving = current_version(backend, character)
            raise PublishError(
                f"{backend.url}: '{key}' changed while publishing (it now serves version {now_serving}); "
                "the pointer was not moved",
                hint="someone published without the lease; check `tinytalk live2d versions`, then publish again",
            )
        return
    backend.replace(key, body, content_type="application/json", cache_control=CACHE_POINTER)
