"""gpt_stream.php: Server-Sent Events parsed by httpx-sse into typed events.

The decoding is transport-free: :class:`ChatStream` wraps any ``httpx.Response`` whose body is an
iterator of byte chunks (a live socket, or a list of chunks in a test). The stream:

* yields :class:`DeltaEvent` (a chunk of text), then :class:`DoneEvent` (full text, usage, emotion) or
  :class:`ErrorEvent` (the server failed after the 200) and stops;
* raises :class:`APIResponseError` when the body ends (or the connection drops) before ``done``/``error``;
* measures ``ttft`` (seconds from sending to the first delta) and ``total_time`` (to the last event);
* closes the HTTP response when iteration ends, on ``break`` (the generator is closed), and on
  leaving a ``with`` block.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Literal

import httpx
import pydantic
from httpx_sse import EventSource, ServerSentEvent, SSEError

from ._exceptions import APIResponseError, ServerError
from .types.pipeline import DeltaData, DoneData, ErrorData

__all__ = ["AsyncChatStream", "ChatStream", "DeltaEvent", "DoneEvent", "ErrorEvent", "StreamEvent"]


class DeltaEvent(DeltaData):
    type: Literal["delta"] = "delta"


class DoneEvent(DoneData):
    type: Literal["done"] = "done"


class ErrorEvent(ErrorData):
    type: Literal["error"] = "error"


StreamEvent = DeltaEvent | DoneEvent | ErrorEvent
_EVENTS: dict[str, type[StreamEvent]] = {"delta": DeltaEvent, "done": DoneEvent, "error": ErrorEvent}


class _StreamBase:
    def __init__(
        self,
        response: httpx.Response,
        *,
        endpoint: str = "/gpt_stream.php",
        method: str = "POST",
        started: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.response = response
        self.endpoint = endpoint
        self.method = method
        self._clock = clock
        self._started = clock() if started is None else started
        self.ttft: float | None = None
        self.total_time: float | None = None
        self.done: DoneEvent | None = None
        self.error: ErrorEvent | None = None
        self.request_id: str | None = response.headers.get("x-request-id")
        self._iterated = False

    def _start(self) -> None:
        if self._iterated:
            raise self._fail("the stream was already consumed (iterate it once)")
        self._iterated = True

    def _fail(self, message: str) -> APIResponseError:
        return APIResponseError(
            f"{self.method} {self.endpoint}: {message}", endpoint=self.endpoint, method=self.method,
            status=self.response.status_code, request_id=self.request_id,
        )

    def _event(self, sse: ServerSentEvent) -> StreamEvent | None:
        """Typed event, or None for events this SDK does not know (pings, future additions)."""
        kind = _EVENTS.get(sse.event)
        if kind is None:
            return None
        try:
            event = kind.model_validate(json.loads(sse.data))
        except (ValueError, pydantic.ValidationError) as exc:
            raise self._fail(f"malformed `{sse.event}` event: {sse.data[:80]!r}") from exc
        now = self._clock()
        if isinstance(event, DeltaEvent) and self.ttft is None:
            self.ttft = now - self._started
        if isinstance(event, DoneEvent | ErrorEvent):
            self.total_time = now - self._started
            if isinstance(event, DoneEvent):
                self.done = event
            else:
                self.error = event
        return event

    def _broken(self, exc: SSEError | httpx.TransportError) -> APIResponseError:
        """What the caller sees when the body is not SSE, or the connection dropped mid-stream."""
        if isinstance(exc, SSEError):
            return self._fail(f"not an event stream: {exc}")
        return self._truncated(exc)

    def _truncated(self, exc: Exception | None = None) -> APIResponseError:
        why = f" ({type(exc).__name__})" if exc else ""
        return self._fail(f"the event stream ended before `done`{why}: truncated answer")

    def _final(self) -> DoneEvent:
        if self.error is not None:
            raise ServerError(
                f"{self.method} {self.endpoint}: the stream failed: {self.error.code}: {self.error.message}",
                endpoint=self.endpoint, method=self.method, status=self.response.status_code,
                request_id=self.request_id,
            )
        assert self.done is not None
        return self.done


class ChatStream(_StreamBase):
    """``for event in stream`` / ``with client.pipeline.chat_stream(...) as stream``."""

    def __iter__(self) -> Iterator[StreamEvent]:
        self._start()
        try:
            for sse in EventSource(self.response).iter_sse():
                event = self._event(sse)
                if event is None:
                    continue
                yield event
                if not isinstance(event, DeltaEvent):
                    return
            raise self._truncated()
        except (SSEError, httpx.TransportError) as exc:
            raise self._broken(exc) from exc
        finally:
            self.close()

    def text_stream(self) -> Iterator[str]:
        """Only the text chunks; raises ServerError on an error event."""
        for event in self:
            if isinstance(event, DeltaEvent):
                yield event.text
        self._final()

    def until_done(self) -> DoneEvent:
        """Consume the stream; the ``done`` event (ServerError when the server sent ``error``)."""
        for _ in self:
            pass
        return self._final()

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncChatStream(_StreamBase):
    """``async for event in stream`` / ``async with await client.pipeline.chat_stream(...) as stream``."""

    async def __aiter__(self) -> AsyncIterator[StreamEvent]:
        self._start()
        try:
            async for sse in EventSource(self.response).aiter_sse():
                event = self._event(sse)
                if event is None:
                    continue
                yield event
                if not isinstance(event, DeltaEvent):
                    return
            raise self._truncated()
        except (SSEError, httpx.TransportError) as exc:
            raise self._broken(exc) from exc
        finally:
            await self.close()

    async def text_stream(self) -> AsyncIterator[str]:
        async for event in self:
            if isinstance(event, DeltaEvent):
                yield event.text
        self._final()

    async def until_done(self) -> DoneEvent:
        async for _ in self:
            pass
        return self._final()

    async def close(self) -> None:
        await self.response.aclose()

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
