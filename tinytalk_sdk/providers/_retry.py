"""One retry policy for the provider calls our own code sends (HeyGen over httpx, ElevenLabs streams).

The OpenAI package retries by itself (``max_retries``); the ElevenLabs package does not retry streams, so
its adapter opens streams through :func:`retrying`. Same rules as openai's ``_base_client``: retry
connection errors, timeouts, 408/409/429/5xx; honour ``Retry-After`` up to a cap (a longer wait is not
retried: the caller gets the error with ``retry_after`` and decides); otherwise capped exponential backoff
with jitter subtracted.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from .._exceptions import ProviderError

__all__ = ["RetryPolicy", "parse_retry_after", "retrying"]

T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 409, 429})


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` (seconds or an HTTP date), else None."""
    lower = {k.lower(): v for k, v in headers.items()}
    raw_ms = lower.get("retry-after-ms")
    if raw_ms:
        try:
            return float(raw_ms) / 1000
        except ValueError:
            pass
    raw = lower.get("retry-after")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        return float(email.utils.mktime_tz(parsed) - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def should_retry(self, status: int | None, retry_after: float | None = None) -> bool:
        """``status=None`` means the request never got an answer (connection error, timeout)."""
        if retry_after is not None and retry_after > self.max_retry_after:
            return False
        return status is None or status in RETRY_STATUSES or status >= 500

    def delay(self, attempt: int, retry_after: float | None = None, *, jitter: float | None = None) -> float:
        """Seconds to sleep before retry number ``attempt`` (0-based)."""
        if retry_after is not None and 0 < retry_after <= self.max_retry_after:
            return retry_after
        backoff = min(self.initial_delay * 2.0**attempt, self.max_delay)
        j = random.random() if jitter is None else jitter
        return backoff * (1 - 0.25 * j)


def retrying(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn`` until it succeeds or raises a :class:`ProviderError` that should not be retried."""
    attempt = 0
    while True:
        try:
            return fn()
        except ProviderError as exc:
            unanswered = exc.code in ("connection_error", "timeout")
            if exc.status is None and not unanswered:
                raise  # a contract problem (malformed body, cut stream): retrying would repeat it
            status = None if unanswered else exc.status
            if attempt >= policy.max_retries or not policy.should_retry(status, exc.retry_after):
                raise
            sleep(policy.delay(attempt, exc.retry_after))
            attempt += 1
