"""``TinyTalk`` and ``AsyncTinyTalk``: the typed clients of the TinyTalk API.

    from tinytalk_sdk import TinyTalk
    with TinyTalk(base_url="http://127.0.0.1:8787/api") as client:
        client.auth.login(email="kid@example.com", pin="1234")
        session = client.sessions.create(title="Day 1").session
        for event in client.pipeline.chat_stream(session_id=session.id, message="Hello!"):
            ...

Options (keyword-only): ``base_url`` (ends with ``/api``; default: the local server), ``token``,
``timeout`` (seconds or an ``httpx.Timeout``), ``max_retries``, ``retry_policy`` (backoff, Retry-After
cap, total deadline), ``default_headers`` (sent with every request, e.g. ``{"X-TinyTalk-Tag": "smoke"}``
to tag the usage rows of your calls), ``http_client`` (your own ``httpx.Client``/``AsyncClient``, e.g.
with a ``MockTransport``; the SDK never closes a client it did not create).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import httpx

from ._base_client import AsyncAPIClient, SyncAPIClient
from ._retry import RetryPolicy
from .resources import (
    AsyncAuth,
    AsyncConfig,
    AsyncHeygen,
    AsyncOps,
    AsyncPipeline,
    AsyncSessions,
    Auth,
    Config,
    Heygen,
    Ops,
    Pipeline,
    Sessions,
)

__all__ = ["DEFAULT_MAX_RETRIES", "AsyncTinyTalk", "TinyTalk"]

DEFAULT_MAX_RETRIES = 2
_RESOURCE_NAMES = ("auth", "sessions", "pipeline", "heygen", "config", "ops")


def _attach(client: object, *resources: Callable[[Any], object]) -> None:
    """``client.auth``, ``client.sessions``, …: the resource classes of one flavour (sync or async), in
    the order of ``_RESOURCE_NAMES``; the class annotations above give each attribute its type."""
    for name, resource in zip(_RESOURCE_NAMES, resources, strict=True):
        setattr(client, name, resource(client))


class TinyTalk(SyncAPIClient):
    auth: Auth
    sessions: Sessions
    pipeline: Pipeline
    heygen: Heygen
    config: Config
    ops: Ops

    def __init__(
        self,
        *,
        base_url: str | None = None,
        token: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url, token=token, timeout=timeout, max_retries=max_retries,
            retry_policy=retry_policy, http_client=http_client, default_headers=default_headers,
        )
        _attach(self, Auth, Sessions, Pipeline, Heygen, Config, Ops)

    def __enter__(self) -> TinyTalk:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncTinyTalk(AsyncAPIClient):
    auth: AsyncAuth
    sessions: AsyncSessions
    pipeline: AsyncPipeline
    heygen: AsyncHeygen
    config: AsyncConfig
    ops: AsyncOps

    def __init__(
        self,
        *,
        base_url: str | None = None,
        token: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url, token=token, timeout=timeout, max_retries=max_retries,
            retry_policy=retry_policy, http_client=http_client, default_headers=default_headers,
        )
        _attach(self, AsyncAuth, AsyncSessions, AsyncPipeline, AsyncHeygen, AsyncConfig, AsyncOps)

    async def __aenter__(self) -> AsyncTinyTalk:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
