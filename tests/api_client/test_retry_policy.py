"""The delay function and the retry decision, by table (no I/O)."""

from __future__ import annotations

import pytest

from tinytalk_sdk._retry import RetryPolicy, parse_retry_after, retry_delay, should_retry

P = RetryPolicy(max_retries=4, initial_delay=0.5, max_delay=4.0, max_retry_after=30.0, jitter=0.25,
                deadline=20.0)


@pytest.mark.parametrize(
    ("retries_done", "retry_after", "elapsed", "rand", "expected"),
    [
        (0, None, 0.0, 0.0, 0.5),  # first retry: initial delay
        (1, None, 0.0, 0.0, 1.0),  # doubles
        (2, None, 0.0, 0.0, 2.0),
        (3, None, 0.0, 0.0, 4.0),  # capped at max_delay (would be 4.0 anyway)
        (0, None, 0.0, 1.0, 0.375),  # full jitter draw takes off 25 %
        (2, None, 0.0, 0.5, 1.75),
        (4, None, 0.0, 0.0, None),  # max_retries reached
        (0, 3.0, 0.0, 0.9, 3.0),  # Retry-After replaces backoff, no jitter
        (0, 0.0, 0.0, 0.0, 0.0),
        (0, 30.0, 0.0, 0.0, 30.0 if P.deadline and P.deadline >= 30 else None),  # over the deadline
        (0, 31.0, 0.0, 0.0, None),  # above the cap: do not obey, fail
        (1, None, 19.5, 0.0, None),  # would end after the deadline
        (1, None, 18.9, 0.0, 1.0),
    ],
)
def test_retry_delay_table(
    retries_done: int, retry_after: float | None, elapsed: float, rand: float, expected: float | None
) -> None:
    assert retry_delay(retries_done, policy=P, retry_after=retry_after, elapsed=elapsed, rand=rand) == expected


def test_backoff_is_capped() -> None:
    p = RetryPolicy(max_retries=10, initial_delay=1.0, max_delay=3.0, deadline=None)
    assert [retry_delay(n, policy=p) for n in range(5)] == [1.0, 2.0, 3.0, 3.0, 3.0]


@pytest.mark.parametrize(
    ("retry_class", "failure", "key", "expected"),
    [
        ("idempotent", "connect", False, True),
        ("idempotent", "timeout", False, True),
        ("idempotent", "dropped", False, True),
        ("idempotent", 503, False, True),
        ("idempotent", 429, False, True),
        ("idempotent", 408, False, True),
        ("idempotent", 500, False, True),
        ("idempotent", 501, False, False),
        ("idempotent", 404, False, False),
        ("idempotent", 422, False, False),
        ("key", "dropped", True, True),
        ("key", 503, True, True),
        ("key", "dropped", False, False),  # no key: a lost answer may hide a created row
        ("key", 503, False, False),
        ("key", "connect", False, True),  # never reached the server
        ("never", "connect", False, True),
        ("never", "timeout", False, False),
        ("never", "dropped", True, False),
        ("never", 429, False, False),
        ("never", 503, False, False),
    ],
)
def test_should_retry_table(retry_class: str, failure: str | int, key: bool, expected: bool) -> None:
    assert should_retry(retry_class, failure, has_idempotency_key=key) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), ("0.5", 0.5), ("-2", 0.0), ("", None), (None, None), ("soon", None)],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    got = parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT")
    assert got == 0.0  # in the past
