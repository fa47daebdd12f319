"""Helpers for the API-client unit tests: a client over httpx.MockTransport, with sleeping recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tinytalk_sdk._client import AsyncTinyTalk, TinyTalk
from tinytalk_sdk._retry import RetryPolicy

TOKEN = "0123456789abcdef" * 3 + "c0ffee00beef1234"  # 64 hex chars, like a real token
assert len(TOKEN) == 64

Handler = Callable[[httpx.Request], httpx.Response]


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, json={"success": True, "data": data}, headers={"X-Request-Id": "req-1", **(headers or {})}
    )


def err(status: int, code: str, message: str, fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        json={"success": False, "error": {"code": code, "message": message, "fields": fields}},
        headers={"X-Request-Id": "req-err", **(headers or {})},
    )


def body(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


SESSION = {"id": 7, "user_id": 1, "session_date": "2026-11-25", "status": "active"}
USER = {"id": 1, "email": "kid@example.com", "name": "Kid"}


def make_client(handler: Handler, *, token: str | None = TOKEN, **kwargs: Any) -> TinyTalk:
    policy = kwargs.pop("retry_policy", RetryPolicy(initial_delay=0.01, jitter=0.0))
    client = TinyTalk(
        base_url="http://test/api", token=token, retry_policy=policy,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)), **kwargs,
    )
    client.sleeps = []  # type: ignore[attr-defined]
    client._sleep = client.sleeps.append  # type: ignore[attr-defined]
    return client


def make_async_client(handler: Handler, *, token: str | None = TOKEN, **kwargs: Any) -> AsyncTinyTalk:
    policy = kwargs.pop("retry_policy", RetryPolicy(initial_delay=0.01, jitter=0.0))
    client = AsyncTinyTalk(
        base_url="http://test/api", token=token, retry_policy=policy,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)), **kwargs,
    )
    sleeps: list[float] = []

    async def fake_sleep(delay: float) -> None:
        sleeps.append(delay)

    client.sleeps = sleeps  # type: ignore[attr-defined]
    client._sleep = fake_sleep
    return client


@pytest.fixture
def calls() -> list[httpx.Request]:
    return []
