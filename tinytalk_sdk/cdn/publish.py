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
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from .._exceptions import NotFoundError, PublishError, ValidationError
from .._version import __version__
from ._base import CACHE_IMMUTABLE, CACHE_POINTER, Backend, content_type_for

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

MANIFEST_NAME = "manifest.json"
POINTER_NAME = "current.json"
MANIFEST_FORMAT = "tinytalk-live2d-manifest/1"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Files artists' tools leave behind that a runtime never loads.
_JUNK_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
_JUNK_DIRS = {"__MACOSX", ".git", ".svn"}

Action = Literal["upload", "copy", "keep"]


@dataclass(frozen=True)
class LocalFile:
    path: str  # relative to the model folder, "/"-separated
    size: int
    sha256: str
    content_type: str
    source: Path


@dataclass
class PlanItem:
    path: str
    size: int
    sha256: str
    content_type: str
    action: Action  # upload: bytes travel; copy: server-side from copy_from; keep: already there
    copy_from: str | None = None


@dataclass(frozen=True)
class PublishProgress:
    """One finished file, for progress bars: ``bytes`` is what was uploaded for it (0 for copy/keep)."""

    path: str
    action: Action
    bytes: int
    done: int
    total: int


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
            "files": [asdict(i) for i in self.items],
        }


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


# -- helpers -----------------------------------------------------------------------------------------
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


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def local_files(model_path: Path) -> tuple[Path, list[LocalFile]]:
    """The model folder and every file a runtime could load from it (junk such as ``.DS_Store`` left out).

    ``model_path`` is the folder or its ``*.model3.json``. Symbolic links are refused: a published file
    must be the bytes that were validated, not whatever a link points at later.
    """
    root = model_path.parent if model_path.is_file() else model_path
    if not root.is_dir():
        raise PublishError(f"{model_path}: not a model folder or model3.json")
    out: list[LocalFile] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in _JUNK_DIRS for part in rel.parts) or path.name in _JUNK_NAMES:
            continue
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_symlink():
            raise PublishError(f"{path}: symbolic links are not published; copy the file in instead")
        if not path.is_file():
            continue
        key = rel.as_posix()
        if key == MANIFEST_NAME:
            raise PublishError(f"{path}: '{MANIFEST_NAME}' is reserved for the publish manifest; rename it")
        try:
            out.append(LocalFile(key, path.stat().st_size, _sha256_file(path), content_type_for(key), path))
        except OSError as exc:
            raise PublishError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not out:
        raise PublishError(f"{root}: no files to publish")
    return root, out


def content_version(files: Iterable[LocalFile]) -> str:
    """A version name from the content: the same files give the same version, whatever their mtime."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda x: x.path):
        digest.update(f"{f.path}\0{f.sha256}\n".encode())
    return digest.hexdigest()[:16]


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


def _swap_pointer(
    backend: Backend, character: str, version: str, manifest: dict[str, Any], now: dt.datetime
) -> None:
    backend.replace(
        _pointer_key(character),
        _pointer_bytes(character, version, manifest, now),
        content_type="application/json",
        cache_control=CACHE_POINTER,
    )


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
) -> PublishResult:
    """Publish the model folder (or model3.json) ``model_path`` as ``character``; see the module doc.

    Only call this with a model that passed validation: the caller passes what validation found
    (``moc_version``, ``emotions`` = emotion → {group, index, file, expression}) into the manifest.
    """
    _check_name("character", character)
    _root, files = local_files(Path(model_path))
    version = _check_name("version", version or content_version(files))
    model_key_rel = _find_model_file(files, model_file)
    prefix = _version_prefix(character, version)
    manifest_key = f"{prefix}/{MANIFEST_NAME}"
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
        # Last, and atomic: until this line the app keeps loading the previous version.
        _swap_pointer(backend, character, version, manifest, now())
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


def _transfer(
    backend: Backend,
    prefix: str,
    items: list[PlanItem],
    by_path: dict[str, LocalFile],
    max_workers: int,
    progress: Callable[[PublishProgress], None] | None,
) -> int:
    todo = [i for i in items if i.action != "keep"]
    total = len(items)
    done = total - len(todo)
    uploaded = 0
    lock = threading.Lock()

    def one(entry: PlanItem) -> int:
        key = f"{prefix}/{entry.path}"
        if entry.action == "copy" and entry.copy_from and backend.copy(entry.copy_from, key):
            return 0
        entry.action, entry.copy_from = "upload", None  # no server-side copy here: send the bytes
        try:
            data = by_path[entry.path].source.read_bytes()
        except OSError as exc:
            raise PublishError(f"{by_path[entry.path].source}: cannot read: {exc.strerror or exc}") from exc
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise PublishError(f"{by_path[entry.path].source}: changed while publishing; run publish again")
        backend.write(key, data, content_type=entry.content_type, cache_control=CACHE_IMMUTABLE)
        return len(data)

    if not todo:
        return 0
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="publish") as pool:
        futures = {pool.submit(one, entry): entry for entry in todo}
        try:
            for future in as_completed(futures):
                sent = future.result()
                entry = futures[future]
                with lock:
                    uploaded += sent
                    done += 1
                    if progress is not None:
                        progress(PublishProgress(entry.path, entry.action, sent, done, total))
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    return uploaded


def _verify_files(backend: Backend, prefix: str, items: list[PlanItem]) -> None:
    for entry in items:
        key = f"{prefix}/{entry.path}"
        info = backend.stat(key)
        if info is None:
            raise PublishError(f"{backend.url}: '{key}' is missing after upload")
        if info.size != entry.size:
            raise PublishError(f"{backend.url}: '{key}' has {info.size} bytes, expected {entry.size}")
        if info.content_type is not None and info.content_type != entry.content_type:
            raise PublishError(
                f"{backend.url}: '{key}' is served as {info.content_type}, expected {entry.content_type}"
            )
        if hashlib.sha256(backend.read(key)).hexdigest() != entry.sha256:
            raise PublishError(f"{backend.url}: '{key}' reads back with a different sha256")


# -- versions, rollback, prune -----------------------------------------------------------------------
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
) -> dict[str, Any]:
    """Point ``character`` at an already published ``version`` (one atomic pointer swap)."""
    manifest = read_manifest(backend, character, version)
    previous = current_version(backend, character)
    if previous != version:
        _swap_pointer(backend, character, version, manifest, now())
    return {"character": character, "previous_version": previous, "version": version,
            "changed": previous != version}


def prune(backend: Backend, character: str, *, keep: int, dry_run: bool = False) -> PruneResult:
    """Delete all but the ``keep`` newest versions; the version the pointer serves is never deleted.

    Folders without a manifest are left alone: they may be a publish in progress.
    """
    if keep < 1:
        raise ValidationError("--keep must be at least 1")
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
