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
