"""Events per second through the SDK's ChatStream versus reading the same bytes raw with httpx.

In-process: a MockTransport serves a pre-built SSE body in 1 KiB chunks, so the network is out of the
picture and the ratio is the SDK's parsing cost (httpx-sse decoding + pydantic event models).

    python bench/sse.py [--events 20000] [--repeat 3]

Prints the baseline (raw bytes/s read through httpx), the SDK's events/s and their ratio. Not a test.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator

import httpx

from tinytalk_sdk._client import TinyTalk


def build_body(n: int) -> bytes:
    parts = [f"event: delta\ndata: {json.dumps({'text': f'tok{i} '})}\n\n".encode() for i in range(n)]
    done = {"message_id": 1, "text": "…", "usage": {"input_tokens": 1, "output_tokens": n}, "emotion": "idle"}
    parts.append(f"event: done\ndata: {json.dumps(done)}\n\n".encode())
    return b"".join(parts)


class Chunks(httpx.SyncByteStream):
    def __init__(self, body: bytes, size: int = 1024) -> None:
        self.body, self.size = body, size

    def __iter__(self) -> Iterator[bytes]:
        for i in range(0, len(self.body), self.size):
            yield self.body[i:i + self.size]


def transport(body: bytes) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, stream=Chunks(body))
    return httpx.MockTransport(handler)


def raw_seconds(body: bytes) -> float:
    with httpx.Client(transport=transport(body)) as http:
        start = time.perf_counter()
        with http.stream("POST", "http://bench/api/gpt_stream.php", json={"session_id": 1, "message": "x"}) as r:
            for _ in r.iter_bytes():
                pass
        return time.perf_counter() - start


def httpx_sse_seconds(body: bytes) -> float:
    """httpx-sse alone (no typed events): shows how the SDK's cost splits."""
    from httpx_sse import EventSource

    with httpx.Client(transport=transport(body)) as http:
        start = time.perf_counter()
        with http.stream("POST", "http://bench/api/gpt_stream.php", json={"session_id": 1, "message": "x"}) as r:
            for _ in EventSource(r).iter_sse():
                pass
        return time.perf_counter() - start


def sdk_seconds(body: bytes, n: int) -> float:
    http = httpx.Client(transport=transport(body))
    with TinyTalk(base_url="http://bench/api", token="t" * 64, http_client=http) as client:
        start = time.perf_counter()
        count = sum(1 for _ in client.pipeline.chat_stream(session_id=1, message="x"))
        elapsed = time.perf_counter() - start
    http.close()
    assert count == n + 1, count
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    body = build_body(args.events)
    raw = min(raw_seconds(body) for _ in range(args.repeat))
    sse = min(httpx_sse_seconds(body) for _ in range(args.repeat))
    sdk = min(sdk_seconds(body, args.events) for _ in range(args.repeat))
    events = args.events + 1
    print(f"body: {len(body) / 1e6:.2f} MB, {events} events, best of {args.repeat}")
    print(f"baseline raw httpx read: {events / raw:,.0f} events/s ({len(body) / raw / 1e6:.0f} MB/s)")
    print(f"httpx-sse alone:         {events / sse:,.0f} events/s")
    print(f"SDK ChatStream:          {events / sdk:,.0f} events/s")
    print(f"ratio SDK / raw: {raw / sdk:.4f}  (SDK costs {sdk / raw:.1f}x the raw read time)")
    print(f"ratio SDK / httpx-sse: {sse / sdk:.3f}  (typed events, timings, checks on top of the parser)")


if __name__ == "__main__":
    main()
