"""``file://DIR``: a local CDN folder (the embedded default, served by ``tinytalk serve`` under /assets/live2d/).

A folder keeps no HTTP headers: the web server derives Content-Type and Cache-Control from the extension and
path (see docs/publishing.md), so :meth:`FileBackend.stat` reports the headers the publisher asked for.

The publish lease (:mod:`.lease`) is a lock file created with ``O_CREAT | O_EXCL``; a renewal or take-over
replaces it atomically under a short guard file (also ``O_EXCL``), so two take-overs cannot both win.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from .._exceptions import PublishError
from ._base import CACHE_IMMUTABLE, CACHE_POINTER, ObjectInfo, check_key, content_type_for
from .lease import LeaseState

_GUARD_STALE = 60.0  # seconds: a guard older than this was left by a crash between two syscalls


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

__all__ = ["FileBackend"]


class FileBackend:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().absolute()
        self.url = "file://" + self.root.as_posix()

    def _path(self, key: str) -> Path:
        return self.root / check_key(key, url=self.url)

    def _fail(self, op: str, key: str, exc: OSError) -> PublishError:
        return PublishError(f"{self.url}: {op} '{key}' failed: {exc.strerror or exc}")

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix.strip("/") if prefix.strip("/") else self.root
        if not base.is_dir():
            return []
        out = [p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file()]
        return sorted(out)

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except OSError as exc:
            raise self._fail("read", key, exc) from exc

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._fail("stat", key, exc) from exc
        cache = CACHE_POINTER if "/v/" not in f"/{key}" else CACHE_IMMUTABLE
        return ObjectInfo(key, size, content_type_for(key), cache)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _write_atomic(self, key: str, data: bytes, *, fsync: bool) -> None:
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(data)
                if fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, path)  # atomic on POSIX: readers see the old file or the new one
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise self._fail("write", key, exc) from exc

    def write(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        self._write_atomic(key, data, fsync=False)

    def replace(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        # The pointer is flushed to disk before the rename so a crash cannot leave it empty.
        self._write_atomic(key, data, fsync=True)

    def copy(self, src: str, dst: str) -> bool:
        source, target = self._path(src), self._path(dst)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
            try:
                os.link(source, tmp)  # published files are immutable, so sharing the inode is safe
            except OSError:
                import shutil

                shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        except OSError as exc:
            raise self._fail("copy", f"{src} -> {dst}", exc) from exc
        return True

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
            # Drop folders the delete left empty, up to (not including) the root.
            parent = path.parent
            while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        except OSError as exc:
            raise self._fail("delete", key, exc) from exc

    # -- lease (see tinytalk_sdk.cdn.lease) ------------------------------------------------------
    def lease_create(self, key: str, data: bytes) -> str | None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return None
        except OSError as exc:
            raise self._fail("lease", key, exc) from exc
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        return _digest(data)

    def lease_read(self, key: str) -> LeaseState | None:
        path = self._path(key)
        try:
            body = path.read_bytes()
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._fail("lease", key, exc) from exc
        return LeaseState(body, _digest(body), mtime)

    @contextlib.contextmanager
    def _guard(self, key: str) -> Iterator[bool]:
        guard = self._path(key).with_name(self._path(key).name + ".swap")
        try:
            os.close(os.open(guard, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            held = True
        except FileExistsError:
            held = False
            with contextlib.suppress(OSError):
                if time.time() - guard.stat().st_mtime > _GUARD_STALE:
                    guard.unlink()
        if not held:
            yield False
            return
        try:
            yield True
        finally:
            guard.unlink(missing_ok=True)

    def lease_swap(self, key: str, data: bytes, token: str) -> str | None:
        with self._guard(key) as held:
            current = self.lease_read(key) if held else None
            if current is None or current.token != token:
                return None
            self._write_atomic(key, data, fsync=True)
            return _digest(data)

    def lease_delete(self, key: str, token: str) -> None:
        with self._guard(key) as held:
            current = self.lease_read(key) if held else None
            if current is not None and current.token == token:
                self._path(key).unlink(missing_ok=True)

    def close(self) -> None:
        return None
