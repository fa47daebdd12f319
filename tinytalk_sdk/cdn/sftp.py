"""``sftp://user@host[:port]/path``: today's shared hosting, through paramiko.

* Authentication: the private key in the ``sftp_key_file`` setting, else the SSH agent / ``~/.ssh`` keys.
  A password in the URL works but is discouraged (it ends up in shell history).
* Host keys: "accept-new", like ``ssh -o StrictHostKeyChecking=accept-new``: a host seen for the first time is
  remembered in ``<data dir>/known_hosts``; a changed key is refused.
* Writes go to a temporary name and are renamed with ``posix-rename@openssh.com`` (atomic, replaces);
  server-side copies use ``hardlink@openssh.com`` where the server offers it.
* Concurrent workers share one SSH connection through a small pool of SFTP channels.
* The publish lease (:mod:`.lease`) is a directory made with ``mkdir`` (atomic on the server: it fails when
  the directory exists) holding ``owner.json``; renewals and take-overs replace ``owner.json`` by
  ``posix-rename`` under a short guard directory (``mkdir`` again).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import posixpath
import stat as stat_mod
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import PublishError
from .._redact import register_secret
from ._base import CACHE_IMMUTABLE, CACHE_POINTER, ObjectInfo, check_key, content_type_for
from .lease import LeaseState

if TYPE_CHECKING:
    import paramiko

__all__ = ["SFTPBackend"]


class SFTPBackend:
    def __init__(
        self,
        *,
        host: str,
        port: int = 22,
        username: str | None = None,
        root: str = "/",
        key_file: str | None = None,
        password: str | None = None,
        known_hosts: Path | None = None,
        timeout: float = 15.0,
    ) -> None:
        import paramiko

        user_part = f"{username}@" if username else ""
        port_part = f":{port}" if port != 22 else ""
        self.url = f"sftp://{user_part}{host}{port_part}{root if root.startswith('/') else '/' + root}"
        self.root = root.rstrip("/") or "/"
        self._made_dirs: set[str] = set()
        self._lock = threading.Lock()
        self._free: list[paramiko.SFTPClient] = []
        if password:
            register_secret(password)
        client = paramiko.SSHClient()
        client.load_system_host_keys()
        if known_hosts is not None:
            known_hosts.parent.mkdir(parents=True, exist_ok=True)
            known_hosts.touch(exist_ok=True)
            client.load_host_keys(str(known_hosts))
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # saved below: accept-new
        try:
            client.connect(
                host,
                port=port,
                username=username,
                key_filename=key_file,
                password=password,
                look_for_keys=key_file is None and password is None,
                allow_agent=key_file is None and password is None,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
            )
        except paramiko.BadHostKeyException:
            raise PublishError(
                f"{self.url}: the server's host key changed; refusing to connect",
                hint=f"if the change is expected, remove the line for {host} from {known_hosts}",
            ) from None
        except (paramiko.SSHException, OSError) as exc:
            raise PublishError(f"{self.url}: cannot connect: {exc}") from None
        if known_hosts is not None:
            client.save_host_keys(str(known_hosts))
        self._ssh = client

    # -- plumbing ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _session(self) -> Iterator[paramiko.SFTPClient]:
        """An SFTP channel from a small pool: one per concurrent worker, reused across calls.

        (sshd allows ~10 sessions per connection, so channels are pooled, never one per thread.)
        """
        with self._lock:
            sftp = self._free.pop() if self._free else None
        if sftp is None:
            import paramiko

            transport = self._ssh.get_transport()
            if transport is None or not transport.is_active():
                raise PublishError(f"{self.url}: connection closed")
            try:
                opened = paramiko.SFTPClient.from_transport(transport)
            except (paramiko.SSHException, OSError) as exc:
                raise PublishError(f"{self.url}: cannot open an sftp channel: {exc}") from None
            if opened is None:
                raise PublishError(f"{self.url}: the server refused the sftp subsystem")
            channel = opened.get_channel()
            if channel is not None:
                channel.settimeout(60.0)
            sftp = opened
        try:
            yield sftp
        finally:
            with self._lock:
                self._free.append(sftp)

    def _remote(self, key: str) -> str:
        check_key(key, url=self.url)
        return posixpath.join(self.root, key)

    def _fail(self, op: str, key: str, exc: BaseException) -> PublishError:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return PublishError(f"{self.url}: {op} '{key}' failed: {reason}")

    def _mkdirs(self, sftp: paramiko.SFTPClient, folder: str) -> None:
        if folder in self._made_dirs or folder in ("", "/", "."):
            return
        try:
            sftp.stat(folder)
        except FileNotFoundError:
            self._mkdirs(sftp, posixpath.dirname(folder))
            # Another worker may make it in between: fine; any real problem shows up on the write.
            with contextlib.suppress(OSError):
                sftp.mkdir(folder)
        self._made_dirs.add(folder)

    # -- Backend ------------------------------------------------------------------------------------
    def list(self, prefix: str) -> list[str]:
        top = posixpath.join(self.root, prefix.strip("/")) if prefix.strip("/") else self.root
        out: list[str] = []
        stack = [top]
        with self._session() as sftp:
            try:
                while stack:
                    folder = stack.pop()
                    try:
                        entries = sftp.listdir_attr(folder)
                    except FileNotFoundError:
                        continue
                    for entry in entries:
                        full = posixpath.join(folder, entry.filename)
                        if entry.st_mode is not None and stat_mod.S_ISDIR(entry.st_mode):
                            stack.append(full)
                        else:
                            out.append(posixpath.relpath(full, self.root))
            except OSError as exc:
                raise self._fail("list", prefix, exc) from exc
        return sorted(out)

    def read(self, key: str) -> bytes:
        buf = io.BytesIO()
        with self._session() as sftp:
            try:
                sftp.getfo(self._remote(key), buf)
            except OSError as exc:
                raise self._fail("read", key, exc) from exc
        return buf.getvalue()

    def stat(self, key: str) -> ObjectInfo | None:
        with self._session() as sftp:
            try:
                attrs = sftp.stat(self._remote(key))
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise self._fail("stat", key, exc) from exc
        cache = CACHE_IMMUTABLE if "/v/" in f"/{key}" else CACHE_POINTER
        return ObjectInfo(key, int(attrs.st_size or 0), content_type_for(key), cache)

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def write(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        remote = self._remote(key)
        folder, name = posixpath.split(remote)
        tmp = posixpath.join(folder, f".{name}.tmp-{uuid.uuid4().hex[:8]}")
        with self._session() as sftp:
            try:
                self._mkdirs(sftp, folder)
                sftp.putfo(io.BytesIO(data), tmp, file_size=len(data), confirm=True)
                sftp.posix_rename(tmp, remote)  # plain rename refuses to replace an existing file
            except OSError as exc:
                with contextlib.suppress(OSError):
                    sftp.remove(tmp)
                raise self._fail("write", key, exc) from exc

    replace = write  # posix-rename over the old pointer is the atomic swap

    def copy(self, src: str, dst: str) -> bool:
        from paramiko.sftp import CMD_EXTENDED

        target = self._remote(dst)
        folder, name = posixpath.split(target)
        tmp = posixpath.join(folder, f".{name}.tmp-{uuid.uuid4().hex[:8]}")
        with self._session() as sftp:
            try:
                self._mkdirs(sftp, folder)
                # OpenSSH extension; paramiko has no wrapper, so send it the way posix_rename does.
                request: Any = sftp._request  # type: ignore[attr-defined]
                request(CMD_EXTENDED, "hardlink@openssh.com", self._remote(src), tmp)
                sftp.posix_rename(tmp, target)
            except OSError:
                with contextlib.suppress(OSError):
                    sftp.remove(tmp)
                return False  # no server-side copy: the publisher uploads the bytes instead
        return True

    def delete(self, key: str) -> None:
        remote = self._remote(key)
        with self._session() as sftp:
            try:
                sftp.remove(remote)
            except FileNotFoundError:
                return
            except OSError as exc:
                if getattr(exc, "errno", None) == errno.ENOENT:
                    return
                raise self._fail("delete", key, exc) from exc
            # Drop folders the delete left empty (rmdir refuses non-empty ones), up to the root.
            folder = posixpath.dirname(remote)
            while folder.startswith(self.root.rstrip("/") + "/") and folder != self.root:
                try:
                    sftp.rmdir(folder)
                except OSError:
                    break
                self._made_dirs.discard(folder)
                folder = posixpath.dirname(folder)

    # -- lease (see tinytalk_sdk.cdn.lease) ------------------------------------------------------
    def _put_owner(self, sftp: paramiko.SFTPClient, folder: str, data: bytes) -> None:
        tmp = posixpath.join(folder, f".owner.json.tmp-{uuid.uuid4().hex[:8]}")
        sftp.putfo(io.BytesIO(data), tmp, file_size=len(data), confirm=True)
        sftp.posix_rename(tmp, posixpath.join(folder, "owner.json"))

    def lease_create(self, key: str, data: bytes) -> str | None:
        folder = self._remote(key)
        with self._session() as sftp:
            try:
                self._mkdirs(sftp, posixpath.dirname(folder))
                sftp.mkdir(folder)
            except OSError as exc:
                try:
                    sftp.stat(folder)
                except FileNotFoundError:
                    raise self._fail("lease", key, exc) from exc
                return None  # it exists: someone holds the lease
            try:
                self._put_owner(sftp, folder, data)
            except OSError as exc:
                raise self._fail("lease", key, exc) from exc
        return hashlib.sha256(data).hexdigest()

    def lease_read(self, key: str) -> LeaseState | None:
        folder = self._remote(key)
        with self._session() as sftp:
            try:
                mtime = float(sftp.stat(folder).st_mtime or 0)
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise self._fail("lease", key, exc) from exc
            buf = io.BytesIO()
            try:
                sftp.getfo(posixpath.join(folder, "owner.json"), buf)
            except FileNotFoundError:
                pass  # made a moment ago, owner not written yet (or a crash in between: it expires)
            except OSError as exc:
                raise self._fail("lease", key, exc) from exc
        body = buf.getvalue()
        return LeaseState(body, hashlib.sha256(body).hexdigest(), mtime)

    @contextlib.contextmanager
    def _guard(self, key: str) -> Iterator[bool]:
        guard = self._remote(key) + ".swap"
        with self._session() as sftp:
            try:
                sftp.mkdir(guard)
                held = True
            except OSError:
                held = False
                with contextlib.suppress(OSError):
                    if time.time() - float(sftp.stat(guard).st_mtime or 0) > 60.0:
                        sftp.rmdir(guard)  # left by a crash between two requests
        if not held:
            yield False
            return
        try:
            yield True
        finally:
            with self._session() as sftp, contextlib.suppress(OSError):
                sftp.rmdir(guard)

    def lease_swap(self, key: str, data: bytes, token: str) -> str | None:
        with self._guard(key) as held:
            current = self.lease_read(key) if held else None
            if current is None or current.token != token:
                return None
            with self._session() as sftp:
                try:
                    self._put_owner(sftp, self._remote(key), data)
                except OSError as exc:
                    raise self._fail("lease", key, exc) from exc
            return hashlib.sha256(data).hexdigest()

    def lease_delete(self, key: str, token: str) -> None:
        with self._guard(key) as held:
            current = self.lease_read(key) if held else None
            if current is None or current.token != token:
                return
            folder = self._remote(key)
            with self._session() as sftp:
                try:
                    with contextlib.suppress(FileNotFoundError):
                        sftp.remove(posixpath.join(folder, "owner.json"))
                    sftp.rmdir(folder)
                except OSError as exc:
                    raise self._fail("lease", key, exc) from exc

    def close(self) -> None:
        with self._lock:
            for client in self._free:
                client.close()
            self._free.clear()
        self._ssh.close()

    def __enter__(self) -> SFTPBackend:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
