"""httpx transports that validate every real server answer against schemas/api/ as it passes by."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "api"


@cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def check(request: httpx.Request, status: int, content_type: str, content: bytes, seen: list[str]) -> None:
    stem = request.url.path.rsplit("/", 1)[-1].removesuffix(".php")
    if content_type.startswith("application/json"):
        body = json.loads(content)
        if status >= 400:
            validator("error.json").validate(body)
            seen.append(f"{stem}:error")
        else:
            assert body["success"] is True
            validator(f"{stem}.response.json").validate(body["data"])
            seen.append(stem)
    elif content_type.startswith("text/event-stream"):
        event = None
        for line in content.decode().splitlines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("delta", "done", "error"):
                validator(f"gpt_stream.event.{event}.json").validate(json.loads(line.split(":", 1)[1]))
                seen.append(f"{stem}:{event}")
    elif status < 400:
        assert content_type.startswith("audio/"), content_type
        seen.append(stem)


def _rebuild(resp: httpx.Response, content: bytes) -> httpx.Response:
    headers = [(k, v) for k, v in resp.headers.multi_items() if k.lower() not in ("content-length",
                                                                                   "transfer-encoding")]
    return httpx.Response(resp.status_code, headers=headers, content=content, extensions=resp.extensions)


class ValidatingTransport(httpx.HTTPTransport):
    def __init__(self, seen: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen = seen

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        resp = super().handle_request(request)
        content = resp.read()
        check(request, resp.status_code, resp.headers.get("content-type", ""), content, self.seen)
        return _rebuild(resp, content)


class AsyncValidatingTransport(httpx.AsyncHTTPTransport):
    def __init__(self, seen: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen = seen

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        resp = await super().handle_async_request(request)
        content = await resp.aread()
        check(request, resp.status_code, resp.headers.get("content-type", ""), content, self.seen)
        return _rebuild(resp, content)
