"""The local side of a publish (the files of a model folder, hashed) and moving bytes to the backend."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .._exceptions import PublishError
from ._base import CACHE_IMMUTABLE, Backend, content_type_for
from ._layout import MANIFEST_NAME

__all__ = ["LocalFile", "PlanItem", "PublishProgress", "content_version", "local_files"]

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
