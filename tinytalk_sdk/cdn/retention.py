"""Versions of a character: list them, roll the pointer back to one, prune old ones (each under the lease)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from .._exceptions import ValidationError
from ._base import Backend
from ._layout import (
    MANIFEST_NAME,
    _check_name,
    _load_json,
    _swap_pointer,
    _version_prefix,
    current_version,
    pointer_etag,
    read_manifest,
)
from .lease import DEFAULT_LEASE_TTL, acquire_lease

__all__ = ["PruneResult", "VersionInfo", "prune", "rollback", "versions"]


@dataclass(frozen=True)
class VersionInfo:
    version: str
    created_at: str | None
    files: int
    bytes: int
    moc_version: int | None
    current: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PruneResult:
    character: str
    current: str | None
    kept: list[str]
    deleted: list[str]
    deleted_files: int = 0
    freed_bytes: int = 0
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def versions(backend: Backend, character: str) -> list[VersionInfo]:
    """Every complete (manifest written) version of ``character``, newest first."""
    _check_name("character", character)
    current = current_version(backend, character)
    out: list[VersionInfo] = []
    base = f"{character}/v/"
    for key in backend.list(f"{character}/v"):
        rest = key[len(base):]
        parts = rest.split("/")
        if len(parts) != 2 or parts[1] != MANIFEST_NAME:
            continue
        manifest = _load_json(backend, key)
        files = [e for e in manifest.get("files", []) if isinstance(e, dict)]
        moc = manifest.get("moc_version")
        out.append(
            VersionInfo(
                version=parts[0],
                created_at=manifest.get("created_at"),
                files=len(files),
                bytes=sum(int(e.get("size", 0)) for e in files),
                moc_version=int(moc) if isinstance(moc, int) else None,
                current=parts[0] == current,
            )
        )
    out.sort(key=lambda v: (v.created_at or "", v.version), reverse=True)
    return out


def rollback(
    backend: Backend,
    character: str,
    version: str,
    *,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    wait: float | None = None,
) -> dict[str, Any]:
    """Point ``character`` at an already published ``version`` (one atomic pointer swap, under the lease)."""
    manifest = read_manifest(backend, character, version)
    with acquire_lease(backend, character, operation="rollback", version=version, ttl=DEFAULT_LEASE_TTL,
                       wait=wait):  # wall-clock time: other publishers judge its expiry by theirs
        etag = pointer_etag(backend, character)
        previous = current_version(backend, character)
        if previous != version:
            _swap_pointer(backend, character, version, manifest, now(), expected=etag, conditional=True)
    return {"character": character, "previous_version": previous, "version": version,
            "changed": previous != version}


def prune(
    backend: Backend, character: str, *, keep: int, dry_run: bool = False, wait: float | None = None
) -> PruneResult:
    """Delete all but the ``keep`` newest versions; the version the pointer serves is never deleted.

    Folders without a manifest are left alone: they may be a publish in progress. Deleting happens under the
    character's lease, so no publish or rollback moves the pointer onto a version being deleted.
    """
    if keep < 1:
        raise ValidationError("--keep must be at least 1")
    if dry_run:
        return _prune(backend, character, keep, True)
    with acquire_lease(backend, character, operation="prune", ttl=DEFAULT_LEASE_TTL, wait=wait):
        return _prune(backend, character, keep, False)


def _prune(backend: Backend, character: str, keep: int, dry_run: bool) -> PruneResult:
    listed = versions(backend, character)
    current = next((v.version for v in listed if v.current), None)
    kept = [v.version for v in listed[:keep]]
    if current is not None and current not in kept:
        kept.append(current)
    doomed = [v for v in listed if v.version not in kept]
    result = PruneResult(character, current, kept, [v.version for v in doomed], dry_run=dry_run)
    for v in doomed:
        prefix = _version_prefix(character, v.version)
        keys = backend.list(prefix)
        result.deleted_files += len(keys)
        result.freed_bytes += v.bytes
        if dry_run:
            continue
        # The manifest goes first: a prune killed half-way leaves a folder `versions` no longer lists.
        manifest_key = f"{prefix}/{MANIFEST_NAME}"
        backend.delete(manifest_key)
        for key in keys:
            if key != manifest_key:
                backend.delete(key)
    return result
