"""Retries over MockTransport: reads recover, writes are never duplicated without a key."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tinytalk_sdk import APIConnectionError, APITimeoutError, RateLimitError, ServerError
from tinytalk_sdk._retry import RetryPolicy

from .conftest import SESSION, err, make_async_client, make_client, ok


def flaky(failures: list[httpx.Response | type[Exception]], final: httpx.Response,
          calls: list[httpx.Request]):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) <= len(failures):
            f = failures[len(calls) - 1]
            if isinstance(f, httpx.Response):
                return f
            raise f("boom", request=request)
        return final
    return handler


def test_read_recovers_from_503_and_429(calls: list[httpx.Request]) -> None:
    client = make_client(flaky([err(503, "unavailable", "busy"),
                                err(429, "rate_limited", "slow", headers={"Retry-After": "2"})],
                               ok({"status": "ok"}), calls))
    assert client.ops.health().status == "ok"
    assert len(calls) == 3
    assert client.sleeps == [0.01, 2.0]  # backoff, then Retry-After honoured  # type: ignore[attr-defined]


def test_read_recovers_from_dropped_connection_and_timeout(calls: list[httpx.Request]) -> None:
    client = make_client(flaky([httpx.RemoteProtocolError, httpx.ReadTimeout], ok({"status": "ok"}), calls))
    assert client.ops.health().status == "ok"
    assert len(calls) == 3


def test_gives_up_after_max_retries(calls: list[httpx.Request]) -> None:
    client = make_client(flaky([err(503, "x", "busy")] * 10, ok({}), calls), max_retries=2)
    with pytest.raises(ServerError):
        client.ops.health()
    assert len(calls) == 3
    client = make_client(flaky([httpx.ReadTimeout] * 10, ok({}), calls := []), max_retries=1)
    with pytest.raises(APITimeoutError):
        client.ops.health()
    assert len(calls) == 2


def test_deadline_stops_retrying(calls: list[httpx.Request]) -> None:
    policy = RetryPolicy(max_retries=10, initial_delay=1.0, jitter=0.0, deadline=2.5)
    client = make_client(flaky([err(503, "x", "busy")] * 10, ok({}), calls), retry_policy=policy)
    now = [0.0]
    client._clock = lambda: now[0]
    client._sleep = lambda d: now.__setitem__(0, now[0] + d)
    with pytest.raises(ServerError):
        client.ops.health()
    # waits 1 s then 2 s would end at 3 s > 2.5 s: two attempts only
    assert len(calls) == 2
    assert now[0] == 1.0


def test_retry_after_over_cap_is_not_obeyed(calls: list[httpx.Request]) -> None:
    client = make_client(flaky([err(429, "rate_limited", "later", headers={"Retry-After": "3600"})],
                               ok({"status": "ok"}), calls))
    with pytest.raises(RateLimitError) as info:
        client.ops.health()
    assert info.value.retry_after == 3600 and len(calls) == 1


def test_non_idempotent_write_without_key_is_not_resent_on_503(calls: list[httpx.Request]) -> None:
    client = make_client(flaky([err(503, "x", "busy")], ok({"session": SESSION}, 201), calls))
    with pytest.raises(ServerError):
        client.sessions.create(title="t", idempotency_key=None)
    assert len(calls) == 1
    assert "idempotency-key" not in calls[0].headers


def test_non_idempotent_write_without_key_is_not_resent_on_drop(calls: list[httpx.Request]) -> None:
    client = make_client(flaky([httpx.RemoteProtocolError], ok({"session": SESSION}, 201), calls))
    with pytest.raises(APIConnectionError, match="lost the connection"):
        client.sessions.create(title="t", idempotency_key=None)
    assert len(calls) == 1


def test_write_without_key_is_resent_when_it_never_left(calls: list[httpx.Request]) -> None:
    client = make_client(flaky([httpx.ConnectError], ok({"session": SESSION}, 201), calls))
    assert client.sessions.create(title="t", idempotency_key=None).session.id == 7
    assert len(calls) == 2


def test_write_with_key_is_resent_with_the_same_key(calls: list[httpx.Request]) -> None:
    client = make_client(flaky([httpx.RemoteProtocolError, err(503, "x", "busy")],
                               ok({"session": SESSION}, 201), calls))
    assert client.sessions.create(title="t").session.id == 7
    keys = [c.headers.get("idempotency-key") for c in calls]
    assert len(keys) == 3 and keys[0] and len(set(keys)) == 1
    assert all(c.content == calls[0].content for c in calls)
    # the next logical call gets a new key
    client.sessions.create(title="t")
    assert calls[3].headers["idempotency-key"] != keys[0]


def test_caller_key_is_used(calls: list[httpx.Request]) -> None:
    client = make_client(flaky([], ok({"session": SESSION}, 201), calls))
    client.sessions.create(idempotency_key="my-key-1")
    assert calls[0].headers["idempotency-key"] == "my-key-1"


def test_idempotent_writes_and_stream_have_no_key(calls: list[httpx.Request]) -> None:
    client = make_client(flaky([err(503, "x", "busy")], ok({"session": SESSION}), calls))
    client.sessions.save(session_id=7)  # idempotent: retried without a key
    assert len(calls) == 2 and "idempotency-key" not in calls[0].headers


def test_stream_is_not_resent_after_it_reached_the_server(calls: list[httpx.Request]) -> None:
    client = make_client(flaky([err(503, "x", "busy")], ok({}), calls))
    with pytest.raises(ServerError):
        client.pipeline.chat_stream(session_id=7, message="hi")
    assert len(calls) == 1


def test_async_retries_share_the_policy() -> None:
    calls: list[httpx.Request] = []
    client = make_async_client(flaky([httpx.RemoteProtocolError, err(503, "x", "busy")],
                                     ok({"session": SESSION}, 201), calls))

    async def main() -> None:
        got = await client.sessions.create(title="t")
        assert got.session.id == 7
        with pytest.raises(APIConnectionError):
            calls.clear()
            bad = make_async_client(flaky([httpx.RemoteProtocolError], ok({}), calls))
            await bad.sessions.create(title="t", idempotency_key=None)
        await client.close()

    asyncio.run(main())
    assert len(calls) == 1
    assert client.sleeps == [0.01, 0.02]  # type: ignore[attr-defined]
