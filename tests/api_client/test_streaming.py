"""SSE decoding from byte-chunk iterators: typed events, split chunks, truncation, error events, closing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tinytalk_sdk import APIResponseError, ServerError
from tinytalk_sdk._streaming import AsyncChatStream, ChatStream, DeltaEvent, DoneEvent, ErrorEvent

from .conftest import make_client


def sse(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


GOOD = (
    sse("delta", {"text": "Hel"}) + b": keep-alive comment\n\n" + sse("delta", {"text": "lo!"})
    + sse("ping", {}) + sse("done", {"message_id": 9, "text": "Hello!", "emotion": "praise",
                                      "usage": {"input_tokens": 5, "output_tokens": 2}})
)


class Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for c in self.chunks:
            self.sent += 1
            yield c

    def close(self) -> None:
        self.closed = True


class AChunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for c in self.chunks:
            yield c

    async def aclose(self) -> None:
        self.closed = True


def split(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def stream_of(chunks: list[bytes], content_type: str = "text/event-stream") -> tuple[ChatStream, Chunks]:
    body = Chunks(chunks)
    response = httpx.Response(200, headers={"Content-Type": content_type}, stream=body)
    return ChatStream(response), body


@pytest.mark.parametrize("size", [1, 3, 7, 64, 10_000])
def test_events_from_any_chunking(size: int) -> None:
    stream, body = stream_of(split(GOOD, size))
    events = list(stream)
    assert [type(e) for e in events] == [DeltaEvent, DeltaEvent, DoneEvent]
    assert [e.text for e in events] == ["Hel", "lo!", "Hello!"]
    done = events[-1]
    assert isinstance(done, DoneEvent) and done.usage and done.usage.output_tokens == 2
    assert done.emotion == "praise" and stream.done is done
    assert stream.ttft is not None and stream.total_time is not None and stream.ttft <= stream.total_time
    assert body.closed


def test_crlf_line_endings() -> None:
    stream, _ = stream_of([GOOD.replace(b"\n", b"\r\n")])
    assert stream.until_done().text == "Hello!"


def test_truncated_stream_raises() -> None:
    cut = GOOD[: GOOD.index(b"event: done")]
    stream, body = stream_of(split(cut, 5))
    got: list[str] = []
    with pytest.raises(APIResponseError, match="ended before `done`"):
        for event in stream:
            got.append(event.text)
    assert got == ["Hel", "lo!"] and body.closed


def test_dropped_connection_mid_stream_raises() -> None:
    class Broken(Chunks):
        def __iter__(self) -> Iterator[bytes]:
            yield sse("delta", {"text": "Hi"})
            raise httpx.RemoteProtocolError("peer closed connection")

    response = httpx.Response(200, headers={"Content-Type": "text/event-stream"}, stream=Broken([]))
    with pytest.raises(APIResponseError, match=r"ended before `done` \(RemoteProtocolError\)"):
        list(ChatStream(response))


def test_server_error_event() -> None:
    stream, _ = stream_of([sse("delta", {"text": "Hi"}), sse("error", {"code": "provider_failed",
                                                                        "message": "gpt timed out"})])
    events = list(stream)
    assert isinstance(events[-1], ErrorEvent) and events[-1].code == "provider_failed"
    stream2, _ = stream_of([sse("error", {"code": "provider_failed", "message": "gpt timed out"})])
    with pytest.raises(ServerError, match="provider_failed: gpt timed out"):
        stream2.until_done()


def test_malformed_event_data() -> None:
    stream, _ = stream_of([b"event: delta\ndata: {not json\n\n"])
    with pytest.raises(APIResponseError, match="malformed `delta` event"):
        list(stream)


def test_not_an_event_stream() -> None:
    stream, _ = stream_of([b"<html>oops</html>"], content_type="text/html")
    with pytest.raises(APIResponseError, match="not an event stream"):
        list(stream)


def test_break_closes_the_response() -> None:
    stream, body = stream_of(split(GOOD, 4) + [b""] * 100)
    for _event in stream:
        break
    assert body.closed
    assert body.sent < 100


def test_with_block_closes_without_iterating() -> None:
    stream, body = stream_of([GOOD])
    with stream:
        pass
    assert body.closed


def test_text_stream() -> None:
    stream, _ = stream_of([GOOD])
    assert "".join(stream.text_stream()) == "Hello!"


def test_async_stream() -> None:
    async def main() -> None:
        body = AChunks(split(GOOD, 5))
        response = httpx.Response(200, headers={"Content-Type": "text/event-stream"}, stream=body)
        async with AsyncChatStream(response) as stream:
            events = [e async for e in stream]
        assert [e.type for e in events] == ["delta", "delta", "done"]
        assert body.closed and stream.ttft is not None
        body2 = AChunks([GOOD[:30]])
        response2 = httpx.Response(200, headers={"Content-Type": "text/event-stream"}, stream=body2)
        with pytest.raises(APIResponseError):
            await AsyncChatStream(response2).until_done()

    asyncio.run(main())


def test_chat_stream_through_the_client() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"Content-Type": "text/event-stream", "X-Request-Id": "r9"},
                              stream=Chunks(split(GOOD, 11)))

    client = make_client(handler)
    with client.pipeline.chat_stream(session_id=7, message="hello") as stream:
        done = stream.until_done()
    assert done.text == "Hello!" and stream.request_id == "r9"
    assert json.loads(seen[0].content) == {"session_id": 7, "message": "hello"}
    assert seen[0].headers["accept"] == "text/event-stream"


def test_second_iteration_is_an_error() -> None:
    stream, _ = stream_of([GOOD])
    stream.until_done()
    with pytest.raises(APIResponseError, match="already consumed"):
        list(stream)
