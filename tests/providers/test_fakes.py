"""The fakes themselves: framing, envelopes and auth exactly as PROVIDERS.md documents them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tinytalk_sdk.testing.fake_vendors import DEFAULT_PAYLOADS, load_payloads

if TYPE_CHECKING:
    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "vendors"


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_recorded_payloads_and_builtin_copies_have_the_same_shapes() -> None:
    recorded = load_payloads(RECORDED)
    assert set(recorded) == set(DEFAULT_PAYLOADS)
    for name, payload in DEFAULT_PAYLOADS.items():
        assert _shape(recorded[name]) == _shape(payload), name


def test_chat_stream_is_sse_with_a_usage_chunk_and_done(fake_vendors: RunningFakeVendors) -> None:
    body = {"model": "gpt-4o", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "Hi"}]}
    with httpx.stream("POST", fake_vendors.openai_url + "/chat/completions", json=body,
                      headers={"Authorization": "Bearer sk-x-123456789"}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-request-id"].startswith("req_")
        raw = response.read().decode()
    events = [e for e in raw.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events) and "event:" not in raw
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e[6:]) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert len({c["id"] for c in chunks}) == 1


def test_no_usage_chunk_without_the_option(fake_vendors: RunningFakeVendors) -> None:
    body = {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
    raw = httpx.post(fake_vendors.openai_url + "/chat/completions", json=body,
                     headers={"Authorization": "Bearer sk-x-123456789"}).text
    chunks = [json.loads(e[6:]) for e in raw.split("\n\n") if e and e != "data: [DONE]"]
    assert all("usage" not in c and c["choices"] for c in chunks)


@pytest.mark.parametrize(
    ("path", "headers", "status", "body_key"),
    [
        ("/v1/chat/completions", {}, 401, "error"),
        ("/v1/voices", {}, 401, "detail"),
        ("/v1/streaming.list", {}, 401, "code"),
        ("/v1/streaming.list", {"Authorization": "Bearer not-issued"}, 401, "code"),
    ],
)
def test_auth_headers_are_required(fake_vendors: RunningFakeVendors, path: str, headers: dict[str, str],
                                   status: int, body_key: str) -> None:
    method = "POST" if "chat" in path else "GET"
    response = httpx.request(method, fake_vendors.base_url + path, headers=headers, json={} if method == "POST"
                             else None)
    assert response.status_code == status
    assert body_key in response.json()


def test_with_timestamps_is_newline_delimited_json(fake_vendors: RunningFakeVendors) -> None:
    text = "Hello there!"
    response = httpx.post(fake_vendors.elevenlabs_url + "/v1/text-to-speech/abc/stream/with-timestamps",
                          params={"output_format": "mp3_44100_128"}, json={"text": text},
                          headers={"xi-api-key": "xi-123456789"}, timeout=30)
    lines = [json.loads(line) for line in response.text.splitlines() if line]
    assert lines and not response.text.startswith("data:")
    chars = [c for line in lines if line["alignment"] for c in line["alignment"]["characters"]]
    assert "".join(chars) == text
    assert set(lines[0]) == {"audio_base64", "alignment", "normalized_alignment"}


def test_heygen_token_then_bearer_works(fake_vendors: RunningFakeVendors) -> None:
    token = httpx.post(fake_vendors.heygen_url + "/v1/streaming.create_token", json={},
                       headers={"X-Api-Key": "hg-123456789"}).json()
    assert token["error"] is None
    listed = httpx.get(fake_vendors.heygen_url + "/v1/streaming.list",
                       headers={"Authorization": f"Bearer {token['data']['token']}"}).json()
    assert listed == {"code": 100, "message": "success", "data": {"sessions": []}}


def test_scenario_header_switches_one_request(fake_vendors: RunningFakeVendors) -> None:
    url = fake_vendors.elevenlabs_url + "/v1/voices"
    busy = httpx.get(url, headers={"xi-api-key": "xi-123456789", "X-Fake-Scenario": "rate_limit;retry_after=2"})
    assert busy.status_code == 429 and busy.headers["retry-after"] == "2"
    assert busy.json()["detail"]["status"] == "too_many_concurrent_requests"
    assert busy.headers["maximum-concurrent-requests"]
    assert httpx.get(url, headers={"xi-api-key": "xi-123456789"}).status_code == 200
