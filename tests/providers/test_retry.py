"""The one retry policy: delay table, Retry-After parsing, which failures are retried."""

from __future__ import annotations

import email.utils

import pytest

from tinytalk_sdk import ProviderError
from tinytalk_sdk.providers._retry import RetryPolicy, parse_retry_after, retrying


@pytest.mark.parametrize(
    ("attempt", "retry_after", "jitter", "expected"),
    [
        (0, None, 0.0, 0.5),
        (1, None, 0.0, 1.0),
        (2, None, 0.0, 2.0),
        (5, None, 0.0, 8.0),  # capped
        (9, None, 0.0, 8.0),
        (0, None, 1.0, 0.375),  # up to 25 % jitter subtracted
        (3, 2.5, 0.0, 2.5),  # Retry-After wins
        (3, 61.0, 0.0, 4.0),  # over the cap: ignored for the delay
        (0, 0.0, 0.0, 0.5),  # zero is not a wait
    ],
)
def test_delay_table(attempt: int, retry_after: float | None, jitter: float, expected: float) -> None:
    assert RetryPolicy().delay(attempt, retry_after, jitter=jitter) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_http_date() -> None:
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=1_000_000) == pytest.approx(30, abs=1)


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [(None, None, True), (408, None, True), (409, None, True), (429, None, True), (500, None, True),
     (503, None, True), (400, None, False), (401, None, False), (404, None, False), (429, 600.0, False)],
)
def test_should_retry(status: int | None, retry_after: float | None, expected: bool) -> None:
    assert RetryPolicy().should_retry(status, retry_after) is expected


def test_retrying_gives_up_after_max_and_keeps_the_last_error() -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def fail() -> None:
        calls.append(1)
        raise ProviderError("HTTP 503", provider="heygen", status=503, code="system_busy")

    with pytest.raises(ProviderError) as info:
        retrying(fail, policy=RetryPolicy(max_retries=2), sleep=sleeps.append)
    assert len(calls) == 3 and len(sleeps) == 2 and info.value.status == 503


def test_retrying_does_not_repeat_a_contract_error() -> None:
    calls: list[int] = []

    def cut() -> None:
        calls.append(1)
        raise ProviderError("cut", provider="openai", code="stream_cut")

    with pytest.raises(ProviderError):
        retrying(cut, policy=RetryPolicy(), sleep=lambda _s: None)
    assert len(calls) == 1
