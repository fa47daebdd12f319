"""The LiveAvatar API's request layer and its read-only endpoints (lists, credits), under the client.

One request = one usage row (``service='liveavatar'``, ``model`` = the mode); the ``{code, data, message}``
envelope is unwrapped here, a ``code`` other than 100 (also inside a 2xx) and every 4xx/5xx become a
:class:`ProviderError` (:func:`._errors.liveavatar_error`). Authentication is the API key (``X-API-KEY``)
unless a call passes the session's own token (``bearer=``: ``start`` accepts nothing else).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._exceptions import ProviderError, ValidationError
from ._adapter import VendorAdapter
from ._errors import http_error, liveavatar_error
from ._retry import RetryPolicy, retrying
from .base import CallContext, UsageEntry
from .liveavatar_session import parse_time
from .liveavatar_types import Avatar, Context, Credits, Mode, Page, SessionEntry, Voice

if TYPE_CHECKING:
    import httpx

__all__ = ["SUCCESS_CODE", "LiveAvatarAPI"]

SUCCESS_CODE = 100


class LiveAvatarAPI(VendorAdapter):
    """Requests, pages and the read-only endpoints; :class:`~.liveavatar.LiveAvatarClient` adds sessions."""

    base_url: str
    mode: Mode
    retry: RetryPolicy
    _transport: httpx.BaseTransport | None
    _http: httpx.Client | None

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            import httpx

            self._http = httpx.Client(base_url=self.base_url, headers={"Accept": "application/json"},
                                      timeout=self.timeout, transport=self._transport)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # ---- one request ---------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, operation: str, *, json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None, bearer: str | None = None, ctx: CallContext | None = None,
        model: str | None = None, retry: bool = True, on_entry: Callable[[UsageEntry], None] | None = None,
    ) -> Any:
        with self.recorder.call("liveavatar", operation, model=model or self.mode, ctx=ctx) as entry:
            if on_entry is not None:
                on_entry(entry)
            # the API key, or the session's own token (`start` accepts nothing else)
            headers = {"Authorization": f"Bearer {bearer}"} if bearer else {"X-API-KEY": self._api_key}

            def once() -> Any:
                return self._send(entry, method, path, json, params, headers)

            return retrying(once, policy=self.retry if retry else RetryPolicy(max_retries=0))

    def _send(self, entry: UsageEntry, method: str, path: str, body: dict[str, Any] | None,
              params: dict[str, Any] | None, headers: dict[str, str]) -> Any:
        import httpx

        try:
            response = self.http.request(method, path, json=body, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise http_error("liveavatar", exc) or exc from None
        entry.http_status = response.status_code
        entry.request_id = response.headers.get("x-request-id")
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        if response.status_code >= 400:
            raise liveavatar_error(response.status_code, response.headers, payload)
        if not isinstance(payload, dict) or "code" not in payload:
            raise ProviderError(f"{path}: the answer is not the {{code, data, message}} envelope",
                                provider="liveavatar", status=response.status_code, code="bad_response")
        if payload.get("code") != SUCCESS_CODE:  # an error inside a 2xx
            raise liveavatar_error(response.status_code, response.headers, payload)
        return payload.get("data")

    def _model(self, cls: type[Any], data: Any, path: str) -> Any:
        from pydantic import ValidationError as PydanticError

        try:
            return cls.model_validate(data)
        except PydanticError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise ProviderError(f"{path}: unexpected answer ({where}: {first.get('msg')})", provider="liveavatar",
                                code="bad_response") from None

    def _page(self, path: str, operation: str, *, params: dict[str, Any] | None = None,
              ctx: CallContext | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Every item of a paginated list (pages of 100, at most ``limit`` items)."""
        items: list[dict[str, Any]] = []
        page = 1
        while len(items) < limit:
            data = self._request("GET", path, operation, params={**(params or {}), "page": page, "page_size": 100},
                                 ctx=ctx)
            answer: Page = self._model(Page, data, path)
            items.extend(answer.results)
            if not answer.next or not answer.results or len(items) >= answer.count:
                break
            page += 1
        return items[:limit]

    # ---- lists -----------------------------------------------------------------------------------

    def list_sessions(self, *, kind: str = "active", limit: int = 500, ctx: CallContext | None = None
                      ) -> list[SessionEntry]:
        """``GET /v1/sessions?type=active|historic`` (``history`` is accepted for ``historic``), at most
        ``limit`` entries (pages of 100)."""
        vendor_kind = {"history": "historic"}.get(kind, kind)
        if vendor_kind not in ("active", "historic"):
            raise ValidationError(f"session list type '{kind}': use active or history")
        rows = self._page("/v1/sessions", "liveavatar_list", params={"type": vendor_kind}, ctx=ctx, limit=limit)
        return [self._model(SessionEntry, r, "/v1/sessions") for r in rows]

    def list_avatars(self, *, public: bool = False, ctx: CallContext | None = None) -> list[Avatar]:
        path = "/v1/avatars/public" if public else "/v1/avatars"
        return [self._model(Avatar, r, path) for r in self._page(path, "liveavatar_avatars", ctx=ctx)]

    def list_voices(self, *, private: bool = False, ctx: CallContext | None = None) -> list[Voice]:
        rows = self._page("/v1/voices", "liveavatar_voices", params={"voice_type": "private" if private else "public"},
                          ctx=ctx)
        return [self._model(Voice, r, "/v1/voices") for r in rows]

    def list_contexts(self, *, ctx: CallContext | None = None) -> list[Context]:
        return [self._model(Context, r, "/v1/contexts") for r in self._page("/v1/contexts", "liveavatar_contexts",
                                                                           ctx=ctx)]

    def credits(self, *, ctx: CallContext | None = None) -> Credits:
        data = self._request("GET", "/v1/users/credits", "liveavatar_credits", ctx=ctx)
        result: Credits = self._model(Credits, data, "/v1/users/credits")
        return result

    def credits_used(self, *, since: dt.datetime | None = None, ctx: CallContext | None = None) -> float:
        """Credits consumed by sessions created since ``since`` (default: the 1st of this month, UTC)."""
        now = dt.datetime.now(dt.UTC)
        start = since or now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        total = 0.0
        for kind in ("historic", "active"):
            # every session of the month, not the first 500 (the OpenAPI names no order or date filter)
            for s in self.list_sessions(kind=kind, limit=100_000, ctx=ctx):
                if parse_time(s.created_at) >= start:
                    total += s.credits_consumed
        return round(total, 4)
