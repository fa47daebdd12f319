"""One publisher per character at a time: a lease stored next to the character's pointer.

Without it, two publishes of one character both "succeeded" and the last pointer swap won silently (issue
12, finding 7). Every command that moves or deletes a character's versions (publish, rollback, prune) takes
the lease first; the loser fails with :class:`~tinytalk_sdk.PublishLeaseError` (exit 11) naming the
holder and the version it is publishing, or waits for it (``--wait``).

Each backend creates the lease atomically in its own way (``<character>/.publish-lease``):

* ``file://``: a lock file created with ``O_CREAT | O_EXCL``;
* ``sftp://``: a directory made with ``mkdir`` (atomic on the server; fails when it exists), holding
  ``owner.json``;
* ``s3://``: an object written with ``If-None-Match: *`` (a conditional write: 412 when it exists);
  renewals and take-overs use ``If-Match`` on its ETag, and the pointer swap itself uses ``If-Match`` too
  (:mod:`.s3`), so even a publisher that ignores the lease cannot be overwritten unseen.

A lease records its owner (host, process id, a random tag), the operation and version, and an expiry
(``ttl``, renewed before the pointer swap). An expired lease, or one held by a process of this host that no
longer runs (a publish killed with ``kill -9``), is taken over with a compare-and-swap on the record read,
so two contenders cannot both take it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

from .._exceptions import PublishError, PublishLeaseError
from ._base import Backend

__all__ = [
    "DEFAULT_LEASE_TTL",
    "LEASE_NAME",
    "Lease",
    "LeaseRecord",
    "LeaseState",
    "LeaseStore",
    "acquire_lease",
    "lease_key",
    "read_lease",
]

LEASE_NAME = ".publish-lease"
DEFAULT_LEASE_TTL = 900.0  # seconds: a large model over a slow SFTP link; renewed before the pointer swap
_POLL = 1.0


def lease_key(character: str) -> str:
    return f"{character}/{LEASE_NAME}"


@dataclass(frozen=True)
class LeaseState:
    """What a backend read: the record's bytes (empty while the holder is still writing them), a token for
    compare-and-swap (an ETag, a content hash) and the lease's modification time (epoch seconds)."""

    body: bytes
    token: str
    mtime: float | None


@runtime_checkable
class LeaseStore(Protocol):
    """The four atomic steps a backend offers for leases (file, sftp and s3 implement them)."""

    def lease_create(self, key: str, data: bytes) -> str | None:
        """Create ``key`` only if it does not exist; its token, or None when it exists."""
        ...

    def lease_read(self, key: str) -> LeaseState | None:
        """The lease as stored, or None when there is none."""
        ...

    def lease_swap(self, key: str, data: bytes, token: str) -> str | None:
        """Replace the lease only if it still has ``token``; the new token, or None when it changed."""
        ...

    def lease_delete(self, key: str, token: str) -> None:
        """Delete the lease if it still has ``token`` (someone else's lease is left alone)."""
        ...


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class LeaseRecord:
    owner: str  # host:pid:tag
    host: str
    pid: int
    operation: str  # publish | rollback | prune
    version: str | None
    acquired_at: str
    expires_at: str

    def to_bytes(self) -> bytes:
        return (json.dumps(asdict(self), indent=2) + "\n").encode()

    @classmethod
    def from_state(cls, state: LeaseState, ttl: float) -> LeaseRecord:
        try:
            data = json.loads(state.body.decode("utf-8"))
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (ValueError, KeyError, TypeError):
            # Being written (just created), or damaged: it expires ttl after it was made.
            made = dt.datetime.fromtimestamp(state.mtime or 0.0, dt.UTC)
            return cls("unknown (a lease being written)", "", 0, "publish", None, _iso(made),
                       _iso(made + dt.timedelta(seconds=ttl)))

    def expired(self, now: dt.datetime) -> bool:
        try:
            return dt.datetime.fromisoformat(self.expires_at.replace("Z", "+00:00")) <= now
        except ValueError:
            return True

    def dead_here(self) -> bool:
        """Held by a process of this host that is gone (killed mid-publish): safe to take over now."""
        if self.host != socket.gethostname() or self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except OSError:  # EPERM: it runs, under another user
            return False
        return False

    def describe(self) -> str:
        what = f"version {self.version}" if self.version else "a change"
        return f"{self.owner} ({self.operation} of {what}, since {self.acquired_at}, lease until {self.expires_at})"


def _store(backend: Backend) -> LeaseStore:
    if not isinstance(backend, LeaseStore):
        raise PublishError(f"{backend.url}: this backend cannot hold a publish lease")
    return backend


class Lease:
    """A held lease: renew it before the pointer swap, release it when done (a context manager)."""

    def __init__(self, store: LeaseStore, url: str, key: str, record: LeaseRecord, token: str, *,
                 ttl: float, now: Callable[[], dt.datetime], waited: LeaseRecord | None = None) -> None:
        self._store, self._url, self.key, self.record, self._token = store, url, key, record, token
        self._ttl, self._now = ttl, now
        self.waited_for = waited  # the holder this lease waited on (--wait), if any
        self.released = False

    def renew(self) -> None:
        """Extend the lease; :class:`PublishLeaseError` when another publisher took it meanwhile."""
        now = self._now()
        record = LeaseRecord(self.record.owner, self.record.host, self.record.pid, self.record.operation,
                             self.record.version, self.record.acquired_at,
                             _iso(now + dt.timedelta(seconds=self._ttl)))
        token = self._store.lease_swap(self.key, record.to_bytes(), self._token)
        if token is None:
            state = self._store.lease_read(self.key)
            holder = LeaseRecord.from_state(state, self._ttl) if state else None
            raise PublishLeaseError(
                f"{self._url}: lost the publish lease of '{self.key.split('/')[0]}'"
                + (f" to {holder.describe()}" if holder else " (it was removed)") + "; the pointer was not moved",
                holder=holder.owner if holder else None, version=holder.version if holder else None,
                expires_at=holder.expires_at if holder else None,
                hint="publish again (the files already uploaded are kept)",
            )
        self.record, self._token = record, token

    def release(self) -> None:
        if not self.released:
            self.released = True
            self._store.lease_delete(self.key, self._token)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.release()
            return
        # Already failing: a release that fails too must not hide the first error (the lease expires anyway).
        with contextlib.suppress(PublishError):
            self.release()


def read_lease(backend: Backend, character: str, *, ttl: float = DEFAULT_LEASE_TTL) -> LeaseRecord | None:
    """The lease currently held on ``character`` (expired or not), or None."""
    state = _store(backend).lease_read(lease_key(character))
    return LeaseRecord.from_state(state, ttl) if state else None


def acquire_lease(
    backend: Backend,
    character: str,
    *,
    operation: str,
    version: str | None = None,
    ttl: float = DEFAULT_LEASE_TTL,
    wait: float | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Lease:
    """Take the lease on ``character``, or raise :class:`PublishLeaseError` naming the holder.

    ``wait`` (seconds) polls until the holder releases it (or it expires) instead of failing at once.
    """
    store = _store(backend)
    key = lease_key(character)
    deadline = None if wait is None else monotonic() + wait
    waited: LeaseRecord | None = None
    for _attempt in range(100_000):  # bounded: each turn either sleeps or follows a change of the lease
        started = now()
        mine = LeaseRecord(f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}", socket.gethostname(),
                           os.getpid(), operation, version, _iso(started),
                           _iso(started + dt.timedelta(seconds=ttl)))
        token = store.lease_create(key, mine.to_bytes())
        if token is not None:
            return Lease(store, backend.url, key, mine, token, ttl=ttl, now=now, waited=waited)
        state = store.lease_read(key)
        if state is None:
            continue  # released between our two steps: try again at once
        holder = LeaseRecord.from_state(state, ttl)
        if holder.expired(now()) or holder.dead_here():
            token = store.lease_swap(key, mine.to_bytes(), state.token)
            if token is not None:
                return Lease(store, backend.url, key, mine, token, ttl=ttl, now=now, waited=waited)
            sleep(0.05 + random.random() * 0.2)  # another contender is taking it over: let it finish
            continue
        if deadline is None or monotonic() >= deadline:
            raise PublishLeaseError(
                f"{backend.url}: '{character}' is being changed by {holder.describe()}; nothing was published",
                holder=holder.owner, version=holder.version, expires_at=holder.expires_at,
                hint="wait for it and check `tinytalk live2d versions`, or pass --wait to queue behind it",
            )
        waited = holder
        sleep(max(0.05, min(_POLL, deadline - monotonic())))
    raise PublishError(f"{backend.url}: the publish lease of '{character}' keeps changing; try again")
