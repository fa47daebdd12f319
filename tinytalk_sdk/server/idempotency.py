"""The ``Idempotency-Key`` store: the first answer per (principal, endpoint, key), kept in the database.

Rows of ``idempotency_keys`` (revision 0002) outlive the process, so a client retrying after a server
restart gets the stored answer instead of a second run (a second account attempt → 409 ``email_taken``, a
second ``gpt_feedback`` call). The life of a key:

1. :meth:`IdempotencyStore.begin` inserts a *pending* row (no status yet) and commits it, so a concurrent
   duplicate sees it and gets 409 ``idempotency_key_in_use``;
2. :meth:`IdempotencyStore.finish` stores a 2xx answer, or deletes the row when the request failed (a
   retry may run again);
3. rows expire after ``ttl`` (24 h) and are purged by the request that finds ten minutes have passed;
   a pending row older than ``stale`` (the server died mid-request) may be taken over by a retry.

Stored answers can hold secrets (a bearer token from ``auth_login``, a HeyGen session token), so they are
*sealed*: AES-GCM with a key derived from what only the original caller has — their bearer token and the
request, or, for the anonymous auth endpoints, the request itself (email and PIN) through scrypt, as
costly to guess as the bcrypt PIN hash beside it. The ``fingerprint`` column is a hash of that key, so a
reused key with another body is told apart (409 ``idempotency_key_reused``) without storing the body.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._exceptions import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from ..db.security_models import IdempotencyKey

__all__ = ["IdempotencyStore", "Seal", "Slot", "StoredResponse"]

Slot = tuple[str, str, str]  # (principal "user:42" / "anonymous", endpoint name, key)
_DOMAIN = b"tinytalk-idempotency-v1\0"
_PURGE_EVERY = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    media_type: str | None


@dataclass(frozen=True)
class Seal:
    """The sealing key of one request and the fingerprint stored for it."""

    key: bytes

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(b"fingerprint\0" + self.key).hexdigest()

    @classmethod
    def derive(cls, slot: Slot, request: str, *, token: str | None) -> Seal:
        """``request`` is the canonical request (body + upload hash); ``token`` the caller's bearer token."""
        where = "\0".join(slot).encode("utf-8")
        if token:
            material = _DOMAIN + token.encode("ascii") + b"\0" + where + b"\0" + request.encode("utf-8")
            return cls(hashlib.sha256(material).digest())
        return cls(hashlib.scrypt(request.encode("utf-8"), salt=_DOMAIN + where, n=2**14, r=8, p=1, dklen=32))

    def seal(self, body: bytes, slot: Slot) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        return nonce + AESGCM(self.key).encrypt(nonce, body, "\0".join(slot).encode("utf-8"))

    def open(self, blob: bytes, slot: Slot) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(self.key).decrypt(blob[:12], blob[12:], "\0".join(slot).encode("utf-8"))


class IdempotencyStore:
    def __init__(
        self, engine: Engine, *, clock: Callable[[], dt.datetime], ttl: dt.timedelta = dt.timedelta(hours=24),
        stale: dt.timedelta = dt.timedelta(minutes=5),
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.ttl = ttl
        self.stale = stale
        self._purged_at: dt.datetime | None = None

    def _row(self, session: Session, slot: Slot) -> IdempotencyKey | None:
        from sqlalchemy import select

        from ..db.security_models import IdempotencyKey

        principal, endpoint, key = slot
        return session.execute(select(IdempotencyKey).where(
            IdempotencyKey.principal == principal, IdempotencyKey.endpoint == endpoint,
            IdempotencyKey.idem_key == key)).scalar_one_or_none()

    def begin(self, slot: Slot, seal: Seal) -> StoredResponse | str | None:
        """``None``: go ahead (the key is now pending). A StoredResponse: replay it. ``"pending"``: the
        same key is being processed right now. ``"mismatch"``: the key came with another request."""
        from ..db.security_models import IdempotencyKey
        from ..db.session import transaction

        now = self.clock()
        self._maybe_purge(now)
        principal, endpoint, key = slot
        for _attempt in range(2):
            try:
                with transaction(self.engine) as session:
                    row = self._row(session, slot)
                    if row is not None and (row.expires_at <= now or (
                            row.status_code is None and now - row.created_at > self.stale)):
                        session.delete(row)  # expired, or abandoned by a server that died mid-request
                        session.flush()
                        row = None
                    if row is None:
                        session.add(IdempotencyKey(principal=principal, endpoint=endpoint, idem_key=key,
                                                   fingerprint=seal.fingerprint, created_at=now,
                                                   expires_at=now + self.ttl))
                        return None
                    if row.fingerprint != seal.fingerprint:
                        return "mismatch"
                    if row.status_code is None or row.body is None:
                        return "pending"
                    return StoredResponse(row.status_code, seal.open(row.body, slot), row.media_type)
            except DatabaseError:  # a concurrent first request inserted the same key: read what it wrote
                continue
        return "pending"

    def finish(self, slot: Slot, seal: Seal, response: StoredResponse | None) -> None:
        """Store the answer, or with ``None`` forget the key (the request failed: a retry may run)."""
        from ..db.session import transaction

        with transaction(self.engine) as session:
            row = self._row(session, slot)
            if row is None:
                return
            if response is None:
                session.delete(row)
            else:
                row.status_code = response.status
                row.media_type = response.media_type
                row.body = seal.seal(response.body, slot)
                row.expires_at = self.clock() + self.ttl

    def purge(self, now: dt.datetime | None = None) -> int:
        """Delete expired keys; the number deleted."""
        from sqlalchemy import delete

        from ..db.security_models import IdempotencyKey
        from ..db.session import transaction

        with transaction(self.engine) as session:
            result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= (now or self.clock())))
            return int(result.rowcount)  # type: ignore[attr-defined]

    def _maybe_purge(self, now: dt.datetime) -> None:
        if self._purged_at is None or now - self._purged_at > _PURGE_EVERY:
            self._purged_at = now
            self.purge(now)
