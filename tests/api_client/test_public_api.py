"""Pin the public names of the client modules (changing them is an API change)."""

from __future__ import annotations

import tinytalk_sdk._client as client_mod
import tinytalk_sdk._streaming as streaming_mod
from tinytalk_sdk._client import AsyncTinyTalk, TinyTalk


def test_client_module_names() -> None:
    assert sorted(client_mod.__all__) == sorted(["DEFAULT_MAX_RETRIES", "AsyncTinyTalk", "TinyTalk"])
    assert sorted(streaming_mod.__all__) == [
        "AsyncChatStream", "ChatStream", "DeltaEvent", "DoneEvent", "ErrorEvent", "StreamEvent",
    ]


METHODS = {
    "auth": ["login", "logout", "me", "register", "update_profile"],
    "sessions": ["create", "history", "list", "resume", "save", "summarize"],
    "pipeline": ["chat_stream", "feedback", "speak", "transcribe"],
    "heygen": ["create_session", "ice", "session", "start", "stop", "task"],
    "config": ["app", "character", "user_character"],
    "ops": ["cleanup_uploads", "health"],
}


def test_every_endpoint_is_one_method_sync_and_async() -> None:
    sync, asyn = TinyTalk(), AsyncTinyTalk()
    total = 0
    for area, names in METHODS.items():
        for client in (sync, asyn):
            resource = getattr(client, area)
            public = sorted(n for n in dir(resource) if not n.startswith("_"))
            assert public == names, area
        total += len(names)
    assert total == 26  # 25 endpoints, heygen_session has GET and POST
    sync.close()


def test_docs_list_every_endpoint_and_method() -> None:
    from pathlib import Path

    from tinytalk_sdk.types import ENDPOINTS

    docs = Path(__file__).resolve().parents[2] / "docs"
    api_md = (docs / "api.md").read_text("utf-8")
    retries_md = (docs / "retries.md").read_text("utf-8")
    for ep in ENDPOINTS:
        assert f"{ep.method} {ep.path}" in api_md, ep.name
        assert f"`{ep.method} {ep.path}` | {ep.retry} |" in retries_md, ep.name
    for area, names in METHODS.items():
        for name in names:
            assert f"client.{area}.{name}(" in api_md, f"{area}.{name}"


def test_a_base_url_that_is_not_http_is_the_callers_mistake() -> None:
    """Not an APIConnectionError that says "lost the connection" (and would be retried)."""
    import pytest

    from tinytalk_sdk import ValidationError

    for url in ("127.0.0.1:8787/api", "nonsense", "ftp://example.com/api"):
        with pytest.raises(ValidationError, match="not an http"):
            TinyTalk(base_url=url)
        with pytest.raises(ValidationError, match="not an http"):
            AsyncTinyTalk(base_url=url)
    assert TinyTalk(base_url="HTTPS://api.example.com/api/").base_url == "HTTPS://api.example.com/api"


def test_default_headers_are_sent_but_never_replace_auth() -> None:
    import httpx

    seen: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={"success": True, "data": {"status": "ok"}})

    with TinyTalk(base_url="http://t/api", token="tok-123456", http_client=httpx.Client(
            transport=httpx.MockTransport(handler)),
                  default_headers={"X-TinyTalk-Tag": "smoke", "Authorization": "Bearer other"}) as client:
        client.ops.health()
    assert seen[0]["x-tinytalk-tag"] == "smoke" and seen[0]["authorization"] == "Bearer tok-123456"
