"""The in-process ``Idempotency-Key`` store: the first answer per (principal, endpoint, key), replayed.

``create_session.php`` keeps its key in ``chat_sessions.idempotency_key`` instead, so that dedupe survives
a restart; every other keyed endpoint uses this store, which a restart empties (documented in
docs/server.md). Entries live 24 hours; the store holds at most ``max_entries`` (oldest dropped first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["IdempotencyStore", "StoredResponse"]


@dataclass(frozen=True)
class StoredResponse:
    fingerprint: str
    status: int
    body: bytes
    media_type: str | None


_PENDING = "pending"


class IdempotencyStore:
    def __init__(
        self, *, ttl: float = 24 * 3600, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, str, str], tuple[float, StoredResponse | str, str]] = OrderedDict()

    def _expire(self) -> None:
        now = self.clock()
        while self._items:
            key, (stamp, _v, _f) = next(iter(self._items.items()))
            if now - stamp < self.ttl and len(self._items) <= self.max_entries:
                break
            self._items.pop(key)

    def begin(self, key: tuple[str, str, str], fingerprint: str) -> StoredResponse | str | None:
        """``None``: go ahead (the key is now pending). A StoredResponse: replay it (or 409 on another
        fingerprint). ``"pending"``: the same key is being processed right now. ``"mismatch"``: reused."""
        with self._lock:
            self._expire()
            item = self._items.get(key)
            if item is None:
                self._items[key] = (self.clock(), _PENDING, fingerprint)
                return None
            _stamp, value, stored_fp = item
            if stored_fp != fingerprint:
                return "mismatch"
            return value

    def finish(self, key: tuple[str, str, str], response: StoredResponse | None) -> None:
        """Store the answer, or with ``None`` forget the key (the request failed: a retry may run)."""
        with self._lock:
            if response is None:
                self._items.pop(key, None)
            else:
                self._items[key] = (self.clock(), response, response.fingerprint)
