"""The API client's machinery: an I/O-free base plus the two I/O loops (sync and async).

:class:`BaseClient` builds requests (URL, headers, auth, idempotency key, body), decides retries, parses
answers and maps errors: no network. :class:`SyncAPIClient` and :class:`AsyncAPIClient` only send, sleep
and read; they are the only code written twice (the shape of openai-python's ``_base_client.py``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Generic, TypeVar

import httpx
import pydantic

from ._errors_map import classify_transport_error, decode_json, make_status_error, map_transport_error
from ._exceptions import APIError, APIResponseError, AuthThrottledError, ValidationError
from ._redact import redact, register_secret
from ._retry import DEFAULT_POLICY, Failure, RetryPolicy, new_idempotency_key, retry_delay, should_retry
from ._version import __version__
from .types._base import RequestModel, ResponseModel
from .types._endpoints import Endpoint

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "AsyncAPIClient",
    "BaseClient",
    "NotGiven",
    "SyncAPIClient",
]

logger = logging.getLogger("tinytalk.http")

DEFAULT_BASE_URL = "http://127.0.0.1:8787/api"
# Connect fast or fail; reading waits longer (GPT summaries, Whisper on a 25 MB upload).
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
USER_AGENT = f"tinytalk-sdk/{__version__}"

_ModelT = TypeVar("_ModelT", bound=ResponseModel)
_HttpxT = TypeVar("_HttpxT", httpx.Client, httpx.AsyncClient)

_QUERY_SECRET = re.compile(r"(?i)([?&](?:token|api_token|key)=)[^&\s]+")


class NotGiven:
    """Sentinel for "argument not given" where ``None`` means something (``idempotency_key=None``)."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()

Files = Mapping[str, tuple[str, Any, str]]


class BaseClient(Generic[_HttpxT]):
    _client: _HttpxT

    def __init__(
        self,
        *,
        base_url: str | None,
        token: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        if not self.base_url.lower().startswith(("http://", "https://")):  # a caller's typo, not a network error
            raise ValidationError(f"base_url {self.base_url!r}: not an http:// or https:// URL",
                                  hint="e.g. http://127.0.0.1:8787/api")
        # Sent with every request (e.g. {"X-TinyTalk-Tag": "smoke"}); never overrides auth or the key.
        self.default_headers: dict[str, str] = dict(default_headers or {})
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else (
            DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout, connect=min(timeout, 5.0))
        )
        self.retry_policy = replace(retry_policy or DEFAULT_POLICY, max_retries=max_retries)
        self._token: str | None = None
        self.token = token
        # Injectable for tests: the clock measures deadlines, the random draw is the jitter.
        self._clock: Callable[[], float] = time.monotonic
        self._rand: Callable[[], float] = random.random

    # --- configuration -------------------------------------------------------------------------
    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        register_secret(value)
        self._token = value or None

    def _secrets(self) -> tuple[str, ...]:
        return (self._token,) if self._token else ()

    def __repr__(self) -> str:  # never the token
        return f"{type(self).__name__}(base_url={self.base_url!r}, token={'***' if self._token else None})"

    # --- request building ----------------------------------------------------------------------
    def _headers(self, ep: Endpoint, idempotency_key: str | None, accept: str) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, **self.default_headers, "Accept": accept}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def _resolve_key(self, ep: Endpoint, idempotency_key: str | NotGiven | None) -> str | None:
        """One key per logical call: generated here once, before the retry loop, reused by every retry."""
        if isinstance(idempotency_key, NotGiven):
            return new_idempotency_key() if ep.retry == "key" else None
        return idempotency_key

    def _build_request(
        self,
        ep: Endpoint,
        params: RequestModel,
        *,
        idempotency_key: str | None,
        files: Files | None = None,
        accept: str = "application/json",
    ) -> httpx.Request:
        headers = self._headers(ep, idempotency_key, accept)
        url = self.base_url + ep.path
        data = params.model_dump(mode="json", exclude_unset=True)
        extensions = {"timeout": self.timeout.as_dict()}
        if ep.body in ("query", "none"):
            query = {k: v for k, v in data.items() if v is not None}
            return self._client.build_request(
                ep.method, url, params=query, headers=headers, extensions=extensions
            )
        if ep.body == "multipart":
            form = {k: str(v) for k, v in data.items() if v is not None}
            return self._client.build_request(
                ep.method, url, data=form, files=dict(files or {}), headers=headers, extensions=extensions
            )
        return self._client.build_request(ep.method, url, json=data, headers=headers, extensions=extensions)

    # --- answers -------------------------------------------------------------------------------
    def _status_error(self, ep: Endpoint, response: httpx.Response, content: bytes) -> APIError:
        return make_status_error(
            method=ep.method, path=ep.path, status=response.status_code, headers=response.headers,
            content=content, secrets=self._secrets(),
        )

    def _parse(self, ep: Endpoint, response: httpx.Response, model: type[_ModelT]) -> _ModelT:
        request_id = response.headers.get("x-request-id")
        body = decode_json(
            response.content, content_type=response.headers.get("content-type", ""), method=ep.method,
            path=ep.path, status=response.status_code, request_id=request_id, secrets=self._secrets(),
        )
        where = f"{ep.method} {ep.path}"
        if not isinstance(body, dict) or body.get("success") is not True or "data" not in body:
            raise APIResponseError(
                f"{where} answered {response.status_code} without the contract's success envelope",
                endpoint=ep.path, method=ep.method, status=response.status_code, request_id=request_id,
                body=body,
            )
        try:
            return model.model_validate(body["data"])
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"]) or "data"
            raise APIResponseError(
                f"{where}: the answer does not match {model.__name__}: {loc}: {first['msg']}",
                endpoint=ep.path, method=ep.method, status=response.status_code, request_id=request_id,
                body=body,
            ) from exc

    # --- retries -------------------------------------------------------------------------------
    def _next_delay(
        self, ep: Endpoint, failure: Failure, *, retries_done: int, started: float, key: str | None,
        retry_after: float | None = None,
    ) -> float | None:
        if not should_retry(ep.retry, failure, has_idempotency_key=key is not None):
            return None
        delay = retry_delay(
            retries_done, policy=self.retry_policy, retry_after=retry_after,
            elapsed=self._clock() - started, rand=self._rand(),
        )
        if delay is not None:
            logger.info(
                "retrying %s %s after %s in %.2fs (retry %d of %d)", ep.method, ep.path, failure, delay,
                retries_done + 1, self.retry_policy.max_retries,
            )
        return delay

    def _on_transport_error(
        self, ep: Endpoint, exc: httpx.TransportError, failure: Failure, *, retries_done: int, started: float,
        key: str | None,
    ) -> float:
        """The delay before the next attempt after a transport failure; raises the mapped error when done."""
        delay = self._next_delay(ep, failure, retries_done=retries_done, started=started, key=key)
        if delay is None:
            raise self._transport_error(ep, exc) from exc
        return delay

    def _on_status_error(
        self, ep: Endpoint, response: httpx.Response, content: bytes, *, retries_done: int, started: float,
        key: str | None,
    ) -> float:
        """The delay before the next attempt after a 4xx/5xx; raises the typed status error when done."""
        error = self._status_error(ep, response, content)
        if isinstance(error, AuthThrottledError):
            raise error  # a retry would count as one more failed attempt and lengthen the lock
        delay = self._next_delay(
            ep, response.status_code, retries_done=retries_done, started=started, key=key,
            retry_after=getattr(error, "retry_after", None),
        )
        if delay is None:
            raise error
        return delay

    def _prepare(
        self, ep: Endpoint, params: RequestModel, *, key: str | None, files: Callable[[], Files] | None,
        accept: str, attempt: int,
    ) -> httpx.Request:
        """One attempt's request (fresh file handles on every attempt), logged."""
        request = self._build_request(ep, params, idempotency_key=key, files=files() if files else None,
                                      accept=accept)
        self._log_request(request, attempt)
        return request

    # --- logging -------------------------------------------------------------------------------
    def _log_request(self, request: httpx.Request, attempt: int) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            headers = {
                k: ("***" if k.lower() in ("authorization", "cookie", "x-api-key", "xi-api-key") else v)
                for k, v in request.headers.items()
            }
            logger.debug(
                "request %s %s attempt=%d headers=%s", request.method, self._safe_url(request.url),
                attempt, redact(str(headers), self._secrets()),
            )

    def _log_response(self, request: httpx.Request, response: httpx.Response, started: float) -> None:
        logger.debug(
            "response %s %s -> %d in %.0fms request_id=%s", request.method, self._safe_url(request.url),
            response.status_code, (self._clock() - started) * 1000, response.headers.get("x-request-id"),
        )

    def _safe_url(self, url: httpx.URL) -> str:
        return redact(_QUERY_SECRET.sub(r"\1***", str(url)), self._secrets())

    def _transport_error(self, ep: Endpoint, exc: httpx.TransportError) -> APIError:
        return map_transport_error(
            exc, method=ep.method, path=ep.path, base_url=self.base_url, secrets=self._secrets()
        )


class SyncAPIClient(BaseClient[httpx.Client]):
    def __init__(self, *, http_client: httpx.Client | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owns_client = http_client is None
        self._client = http_client or httpx.Client(timeout=self.timeout, follow_redirects=False)
        self._sleep: Callable[[float], None] = time.sleep

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def _send(
        self,
        ep: Endpoint,
        params: RequestModel,
        *,
        idempotency_key: str | NotGiven | None = NOT_GIVEN,
        files: Callable[[], Files] | None = None,
        accept: str = "application/json",
        read: bool = False,
    ) -> httpx.Response:
        """Send with retries and return the 2xx response.

        ``read=False``: the response is open (streamed) and the caller closes it. ``read=True``: the body
        is read inside the retry loop, so a connection dropped while reading is retried like any failure.
        """
        key = self._resolve_key(ep, idempotency_key)
        started = self._clock()
        retries = 0
        while True:
            request = self._prepare(ep, params, key=key, files=files, accept=accept, attempt=retries + 1)
            try:
                response = self._client.send(request, stream=True)
            except httpx.TransportError as exc:
                delay = self._on_transport_error(ep, exc, classify_transport_error(exc), retries_done=retries,
                                                 started=started, key=key)
            else:
                self._log_response(request, response, started)
                if response.status_code < 400 and not read:
                    return response
                body_error: httpx.TransportError | None = None
                try:
                    content = response.read()
                except httpx.TransportError as exc:
                    content, body_error = b"", exc
                finally:
                    response.close()
                if response.status_code >= 400:
                    delay = self._on_status_error(ep, response, content, retries_done=retries,
                                                  started=started, key=key)
                elif body_error is None:
                    return response
                else:  # the answer was cut while reading it: retried like a dropped connection
                    delay = self._on_transport_error(ep, body_error, "dropped", retries_done=retries,
                                                     started=started, key=key)
            self._sleep(delay)
            retries += 1

    def _request(
        self,
        ep: Endpoint,
        params: RequestModel,
        model: type[_ModelT],
        *,
        idempotency_key: str | NotGiven | None = NOT_GIVEN,
        files: Callable[[], Files] | None = None,
    ) -> _ModelT:
        """A JSON call: one retry loop covers sending and reading the body."""
        response = self._send(ep, params, idempotency_key=idempotency_key, files=files, read=True)
        return self._parse(ep, response, model)


class AsyncAPIClient(BaseClient[httpx.AsyncClient]):
    def __init__(self, *, http_client: httpx.AsyncClient | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owns_client = http_client is None
        self._client = http_client or httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        self._sleep: Callable[[float], Any] = asyncio.sleep

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def _send(
        self,
        ep: Endpoint,
        params: RequestModel,
        *,
        idempotency_key: str | NotGiven | None = NOT_GIVEN,
        files: Callable[[], Files] | None = None,
        accept: str = "application/json",
        read: bool = False,
    ) -> httpx.Response:
        key = self._resolve_key(ep, idempotency_key)
        started = self._clock()
        retries = 0
        while True:
            request = self._prepare(ep, params, key=key, files=files, accept=accept, attempt=retries + 1)
            try:
                response = await self._client.send(request, stream=True)
            except httpx.TransportError as exc:
                delay = self._on_transport_error(ep, exc, classify_transport_error(exc), retries_done=retries,
                                                 started=started, key=key)
            else:
                self._log_response(request, response, started)
                if response.status_code < 400 and not read:
                    return response
                body_error: httpx.TransportError | None = None
                try:
                    content = await response.aread()
                except httpx.TransportError as exc:
                    content, body_error = b"", exc
                finally:
                    await response.aclose()
                if response.status_code >= 400:
                    delay = self._on_status_error(ep, response, content, retries_done=retries,
                                                  started=started, key=key)
                elif body_error is None:
                    return response
                else:  # the answer was cut while reading it: retried like a dropped connection
                    delay = self._on_transport_error(ep, body_error, "dropped", retries_done=retries,
                                                     started=started, key=key)
            await self._sleep(delay)
            retries += 1

    async def _request(
        self,
        ep: Endpoint,
        params: RequestModel,
        model: type[_ModelT],
        *,
        idempotency_key: str | NotGiven | None = NOT_GIVEN,
        files: Callable[[], Files] | None = None,
    ) -> _ModelT:
        response = await self._send(ep, params, idempotency_key=idempotency_key, files=files, read=True)
        return self._parse(ep, response, model)
