"""Publish a Live2D model folder to a CDN backend: immutable versioned files, a manifest, then the pointer.

Layout under the backend root (docs/publishing.md)::

    <character>/v/<version>/<the model's own files…>   immutable (Cache-Control: a year, immutable)
    <character>/v/<version>/manifest.json              files, sizes, sha256, moc3 version, emotions map
    <character>/current.json                           the pointer the app reads: {"version": …}

Order of writes, so that a publish killed at any point leaves the app on the previous version:
files first (each written whole, under a temporary name and moved), the manifest next, and the pointer last
with an atomic swap. A re-run after a kill finds the files already there (hash checked) and completes.

The version defaults to a content hash of the files, so re-publishing an unchanged model writes nothing
(0 bytes) and a changed model uploads only the changed files: unchanged ones are copied server-side from the
current version (hard link, CopyObject) and never travel again.

This module only orchestrates: the backend is injected, and the caller supplies what validation found
(moc3 version, emotions). It never prints; progress goes to a callback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .._exceptions import NotFoundError, PublishError
from .._version import __version__
from ._base import CACHE_IMMUTABLE, Backend
from ._layout import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    POINTER_NAME,
    _check_name,
    _load_json,
    _pointer_key,
    _swap_pointer,
    _version_prefix,
    current_version,
    pointer_etag,
    read_manifest,
    read_pointer,
)
from ._transfer import (
    Action,
    LocalFile,
    PlanItem,
    PublishProgress,
    _transfer,
    _verify_files,
    content_version,
    local_files,
)
from .lease import DEFAULT_LEASE_TTL, Lease, acquire_lease
from .retention import PruneResult, VersionInfo, prune, rollback, versions

__all__ = [
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "POINTER_NAME",
    "LocalFile",
    "PlanItem",
    "PruneResult",
    "PublishProgress",
    "PublishResult",
    "VersionInfo",
    "content_version",
    "current_version",
    "local_files",
    "prune",
    "publish",
    "read_manifest",
    "read_pointer",
    "rollback",
    "versions",
]

@dataclass
class PublishResult:
    backend: str
    character: str
    version: str
    previous_version: str | None
    manifest_key: str
    pointer_key: str
    model_key: str
    items: list[PlanItem]
    dry_run: bool = False
    verified: bool = False
    pointer_changed: bool = False
    manifest_written: bool = False
    uploaded_bytes: int = 0
    manifest: dict[str, Any] = field(default_factory=dict)
    waited_for: str | None = None  # with --wait: the version of the publish this one queued behind

    @property
    def uploaded_files(self) -> int:
        return sum(1 for i in self.items if i.action == "upload")

    @property
    def copied_files(self) -> int:
        return sum(1 for i in self.items if i.action == "copy")

    @property
    def kept_files(self) -> int:
        return sum(1 for i in self.items if i.action == "keep")

    @property
    def planned_upload_bytes(self) -> int:
        return sum(i.size for i in self.items if i.action == "upload")

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "character": self.character,
            "version": self.version,
            "previous_version": self.previous_version,
            "manifest_key": self.manifest_key,
            "pointer_key": self.pointer_key,
            "model_key": self.model_key,
            "dry_run": self.dry_run,
            "verified": self.verified,
            "pointer_changed": self.pointer_changed,
            "manifest_written": self.manifest_written,
            "uploaded_files": self.uploaded_files,
            "copied_files": self.copied_files,
            "kept_files": self.kept_files,
            "planned_upload_bytes": self.planned_upload_bytes,
            "uploaded_bytes": self.uploaded_bytes,
            "waited_for": self.waited_for,
            "files": [asdict(i) for i in self.items],
        }


def _find_model_file(files: list[LocalFile], model_file: str | None) -> str | None:
    if model_file:
        return model_file
    candidates = [f.path for f in files if f.path.lower().endswith(".model3.json")]
    top = [c for c in candidates if "/" not in c]
    pick = top or candidates
    return pick[0] if len(pick) == 1 else None


# -- publish -----------------------------------------------------------------------------------------
def publish(
    backend: Backend,
    model_path: Path,
    *,
    character: str,
    version: str | None = None,
    name: str | None = None,
    model_file: str | None = None,
    moc_version: int | None = None,
    emotions: dict[str, Any] | None = None,
    validator_version: str | None = None,
    max_workers: int = 4,
    dry_run: bool = False,
    verify: bool = False,
    progress: Callable[[PublishProgress], None] | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    wait: float | None = None,
    lease_ttl: float = DEFAULT_LEASE_TTL,
) -> PublishResult:
    """Publish the model folder (or model3.json) ``model_path`` as ``character``; see the module doc.

    Only call this with a model that passed validation: the caller passes what validation found
    (``moc_version``, ``emotions`` = emotion → {group, index, file, expression}) into the manifest.

    The character's lease (:mod:`.lease`) is held from the plan to the pointer swap: a concurrent publish
    raises :class:`~tinytalk_sdk.PublishLeaseError` naming the version being published, unless ``wait``
    (seconds) lets it queue behind it. A dry run takes no lease.
    """
    _check_name("character", character)
    _root, files = local_files(Path(model_path))
    version = _check_name("version", version or content_version(files))
    model_key_rel = _find_model_file(files, model_file)
    prefix = _version_prefix(character, version)
    job = _Job(files, character, version, prefix, model_key_rel, name, moc_version, emotions, validator_version)
    if dry_run:
        return _publish(backend, job, max_workers=max_workers, dry_run=True, verify=verify, progress=progress,
                        now=now, lease=None)
    # The lease keeps wall-clock time whatever ``now`` says: other publishers judge its expiry by theirs.
    with acquire_lease(backend, character, operation="publish", version=version, ttl=lease_ttl, wait=wait) as lease:
        result = _publish(backend, job, max_workers=max_workers, dry_run=False, verify=verify, progress=progress,
                          now=now, lease=lease)
        if lease.waited_for is not None:
            result.waited_for = lease.waited_for.version
        return result


@dataclass(frozen=True)
class _Job:
    """What one publish sends: the local files and what the manifest says about them."""

    files: list[LocalFile]
    character: str
    version: str
    prefix: str
    model_key_rel: str | None
    name: str | None
    moc_version: int | None
    emotions: dict[str, Any] | None
    validator_version: str | None


def _publish(
    backend: Backend,
    job: _Job,
    *,
    max_workers: int,
    dry_run: bool,
    verify: bool,
    progress: Callable[[PublishProgress], None] | None,
    now: Callable[[], dt.datetime],
    lease: Lease | None,
) -> PublishResult:
    files, character, version, prefix = job.files, job.character, job.version, job.prefix
    model_key_rel, name, moc_version, emotions = job.model_key_rel, job.name, job.moc_version, job.emotions
    validator_version = job.validator_version
    manifest_key = f"{prefix}/{MANIFEST_NAME}"
    etag = pointer_etag(backend, character)  # read before the pointer: a swap after a change then fails
    pointer = read_pointer(backend, character)
    previous = str(pointer["version"]) if pointer and pointer.get("version") else None

    items = _plan(backend, character, prefix, files, previous, manifest_key)
    created = now()
    manifest = {
        "format": MANIFEST_FORMAT,
        "character": character,
        "name": name or character,
        "version": version,
        "created_at": created.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "model": model_key_rel,
        "moc_version": moc_version,
        "emotions": emotions or {},
        "validator_version": validator_version,
        "publisher_version": __version__,
        "total_bytes": sum(f.size for f in files),
        "files": [
            {"path": f.path, "size": f.size, "sha256": f.sha256, "content_type": f.content_type}
            for f in files
        ],
    }
    manifest_exists = all(i.action == "keep" for i in items) and backend.exists(manifest_key)
    if manifest_exists:
        manifest = _load_json(backend, manifest_key)  # keep the first publish's created_at
    result = PublishResult(
        backend=backend.url,
        character=character,
        version=version,
        previous_version=previous,
        manifest_key=manifest_key,
        pointer_key=_pointer_key(character),
        model_key=f"{prefix}/{model_key_rel}" if model_key_rel else prefix,
        items=items,
        dry_run=dry_run,
        manifest=manifest,
    )
    if dry_run:
        return result

    by_path = {f.path: f for f in files}
    result.uploaded_bytes = _transfer(backend, prefix, items, by_path, max_workers, progress)
    if verify:
        _verify_files(backend, prefix, items)
    if not manifest_exists:
        body = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
        backend.write(manifest_key, body, content_type="application/json", cache_control=CACHE_IMMUTABLE)
        result.manifest_written = True
        if verify and backend.read(manifest_key) != body:
            raise PublishError(f"{backend.url}: '{manifest_key}' reads back different from what was written")
    if previous != version:
        if lease is not None:
            lease.renew()  # still ours (else PublishLeaseError), and long enough for the swap
        # Last, and atomic: until this line the app keeps loading the previous version.
        _swap_pointer(backend, character, version, manifest, now(), expected=etag, conditional=True)
        result.pointer_changed = True
    if verify and current_version(backend, character) != version:
        raise PublishError(f"{backend.url}: '{result.pointer_key}' does not point at version {version}")
    result.verified = verify
    return result


def _plan(
    backend: Backend,
    character: str,
    prefix: str,
    files: list[LocalFile],
    previous: str | None,
    manifest_key: str,
) -> list[PlanItem]:
    def item(f: LocalFile, action: Action, copy_from: str | None = None) -> PlanItem:
        return PlanItem(f.path, f.size, f.sha256, f.content_type, action, copy_from)

    if backend.exists(manifest_key):
        remote = _load_json(backend, manifest_key)
        remote_files = {e.get("path"): e.get("sha256") for e in remote.get("files", []) if isinstance(e, dict)}
        local = {f.path: f.sha256 for f in files}
        if remote_files != local:
            version = prefix.rsplit("/", 1)[1]
            raise PublishError(
                f"{backend.url}: version '{version}' of '{character}' is already published with other files; "
                "published versions are immutable",
                hint="publish under a new --version (or leave it out to use the content hash)",
            )
        return [item(f, "keep") for f in files]

    # Files a killed earlier run already wrote (whole: writes are atomic), checked by their hash.
    existing = set(backend.list(prefix))
    # Files of the version being served, reusable server-side by content.
    known: dict[str, str] = {}
    if previous is not None:
        try:
            served = read_manifest(backend, character, previous)
        except NotFoundError:
            served = {}
        for entry in served.get("files", []):
            if isinstance(entry, dict) and entry.get("sha256") and entry.get("path"):
                known.setdefault(str(entry["sha256"]), f"{_version_prefix(character, previous)}/{entry['path']}")
    items: list[PlanItem] = []
    for f in files:
        key = f"{prefix}/{f.path}"
        if key in existing and hashlib.sha256(backend.read(key)).hexdigest() == f.sha256:
            items.append(item(f, "keep"))
        elif f.sha256 in known:
            items.append(item(f, "copy", known[f.sha256]))
        else:
            items.append(item(f, "upload"))
    return items
