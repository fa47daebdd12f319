"""Per-request overhead of the SDK versus bare httpx against a loopback server.

A stdlib HTTP/1.1 keep-alive server on 127.0.0.1 answers ``/api/health.php`` with the contract's JSON
envelope. Both sides reuse one connection; the SDK adds request building, headers, the retry loop,
envelope checks and pydantic validation.

    python bench/overhead.py [--requests 2000]

Prints both per-request times and the ratio. Not a test.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from tinytalk_sdk._client import TinyTalk

BODY = json.dumps({"success": True, "data": {"status": "ok", "version": "bench", "database": "ok"}}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle + delayed ACK add 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("X-Request-Id", "bench")
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/api"
    n = args.requests
    rounds = 5
    per_round = max(1, n // rounds)
    raw_times: list[float] = []
    sdk_times: list[float] = []
    try:
        # Alternate the two in rounds and keep each side's best round: the machine is shared and noisy.
        with httpx.Client() as http, TinyTalk(base_url=base) as client:
            http.get(base + "/health.php")  # warm both connections
            client.ops.health()
            for _ in range(rounds):
                start = time.perf_counter()
                for _ in range(per_round):
                    data = http.get(base + "/health.php").json()["data"]
                raw_times.append((time.perf_counter() - start) / per_round)
                start = time.perf_counter()
                for _ in range(per_round):
                    health = client.ops.health()
                sdk_times.append((time.perf_counter() - start) / per_round)
            assert data["status"] == "ok" and health.status == "ok"
        raw, sdk = min(raw_times), min(sdk_times)
    finally:
        server.shutdown()
    print(f"{rounds} alternating rounds of {per_round} requests, keep-alive loopback, best round each")
    print(f"baseline bare httpx: {raw * 1e6:,.0f} µs/request")
    print(f"SDK client.ops.health(): {sdk * 1e6:,.0f} µs/request (+{(sdk - raw) * 1e6:,.0f} µs)")
    print(f"ratio SDK / httpx: {sdk / raw:.3f}")


if __name__ == "__main__":
    main()
