"""``TinyTalk`` and ``AsyncTinyTalk``: the typed clients of the TinyTalk API.

    from tinytalk_sdk import TinyTalk
    with TinyTalk(base_url="http://127.0.0.1:8787/api") as client:
        client.auth.login(email="kid@example.com", pin="1234")
        session = client.sessions.create(title="Day 1").session
        for event in client.pipeline.chat_stream(session_id=session.id, message="Hello!"):
            ...

Options (keyword-only): ``base_url`` (ends with ``/api``; default: the local server), ``token``,
``timeout`` (seconds or an ``httpx.Timeout``), ``max_retries``, ``retry_policy`` (backoff, Retry-After
cap, total deadline), ``http_client`` (your own ``httpx.Client``/``AsyncClient``, e.g. with a
``MockTransport``; the SDK never closes a client it did not create).
"""

from __future__ import annotations

from types import TracebackType

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
    ) -> None:
        super().__init__(
            base_url=base_url, token=token, timeout=timeout, max_retries=max_retries,
            retry_policy=retry_policy, http_client=http_client,
        )
        self.auth = Auth(self)
        self.sessions = Sessions(self)
        self.pipeline = Pipeline(self)
        self.heygen = Heygen(self)
        self.config = Config(self)
        self.ops = Ops(self)

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
    ) -> None:
        super().__init__(
            base_url=base_url, token=token, timeout=timeout, max_retries=max_retries,
            retry_policy=retry_policy, http_client=http_client,
        )
        self.auth = AsyncAuth(self)
        self.sessions = AsyncSessions(self)
        self.pipeline = AsyncPipeline(self)
        self.heygen = AsyncHeygen(self)
        self.config = AsyncConfig(self)
        self.ops = AsyncOps(self)

    async def __aenter__(self) -> AsyncTinyTalk:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
