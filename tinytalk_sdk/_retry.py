"""The one retry policy of the API client: what is retried, and how long to wait.

I/O-free: the clients ask :func:`should_retry` whether a failure may be retried for an endpoint, and
:func:`retry_delay` how long to sleep first (``None``: give up). The matrix per endpoint is in
``docs/retries.md``.

Why a non-idempotent write without an idempotency key is retried only on a *connect* failure: after the
request bytes have left, a timeout, a dropped connection or a 5xx cannot tell "the server did nothing"
from "the server did it and the answer was lost"; resending could create a second row or bill twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DEFAULT_POLICY",
    "RETRYABLE_STATUS",
    "Failure",
    "RetryPolicy",
    "new_idempotency_key",
    "parse_retry_after",
    "retry_delay",
    "should_retry",
]

# 408 request timeout, 429 rate limited, and the 5xx a proxy or PHP-FPM answers when it is overloaded.
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})

Failure = Literal["connect", "timeout", "dropped"] | int
"""``connect``: the request never left (connect refused/timeout, pool timeout); ``timeout``: read/write
timed out after sending began; ``dropped``: the connection broke mid-exchange; an int: an HTTP status."""


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    initial_delay: float = 0.5  # seconds before the first retry
    max_delay: float = 8.0  # cap of the exponential backoff
    max_retry_after: float = 30.0  # a longer Retry-After is not obeyed: the call fails with the error
    jitter: float = 0.25  # the delay is reduced by up to this fraction, at random
    deadline: float | None = 60.0  # total seconds from the first attempt; no retry would end after it


DEFAULT_POLICY = RetryPolicy()


def should_retry(retry_class: str, failure: Failure, *, has_idempotency_key: bool) -> bool:
    """May this failure be retried on an endpoint of ``retry_class`` (see ``types._endpoints``)?"""
    if failure == "connect":
        return True  # nothing reached the server: always safe
    transient = failure in ("timeout", "dropped") or (isinstance(failure, int) and failure in RETRYABLE_STATUS)
    if not transient:
        return False
    if retry_class == "idempotent":
        return True
    if retry_class == "key":
        return has_idempotency_key
    return False


def retry_delay(
    retries_done: int,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    retry_after: float | None = None,
    elapsed: float = 0.0,
    rand: float = 0.0,
) -> float | None:
    """Seconds to wait before retry number ``retries_done + 1``, or ``None`` to stop.

    ``rand`` in [0, 1) is the jitter draw (the caller passes ``random.random()``; tests pass a table).
    ``Retry-After`` replaces the backoff when given and not above ``max_retry_after``; above it the
    server asks for more patience than the call has, so we stop. The delay never carries the call past
    ``deadline``.
    """
    if retries_done >= policy.max_retries:
        return None
    if retry_after is not None and retry_after >= 0:
        if retry_after > policy.max_retry_after:
            return None
        delay = retry_after
    else:
        backoff = min(policy.initial_delay * (2**retries_done), policy.max_delay)
        delay = backoff * (1 - policy.jitter * rand)
    if policy.deadline is not None and elapsed + delay > policy.deadline:
        return None
    return delay


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is accepted too); ``None`` when absent or garbage."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils
    import time

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def new_idempotency_key() -> str:
    """One key per logical call, reused by all its retries (32 hex chars; the contract allows 1-64)."""
    return secrets.token_hex(16)
