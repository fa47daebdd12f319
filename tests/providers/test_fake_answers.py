"""Every fake answer held against the official SDK's own pydantic models (``model_validate``, not the
lenient ``construct`` the SDKs use at run time), so a fake cannot drift from what the vendor's package expects.

HeyGen v1 has no official Python SDK to hold its answers against; its shapes are checked in test_fakes.py.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tinytalk_sdk.testing.fakes import DEFAULT_PAYLOADS, load_payloads
from tinytalk_sdk.testing.speech import speak_wav

if TYPE_CHECKING:
    from tinytalk_sdk.testing.fakes import RunningFakeVendors

from .test_fakes import RECORDED

OA = {"Authorization": "Bearer sk-x-123456789"}
XI = {"xi-api-key": "xi-123456789"}
HI = [{"role": "user", "content": "Hi"}]


def _models() -> dict[str, Any]:
    from elevenlabs.types import GetVoicesResponse, Subscription
    from openai.types.audio import TranscriptionVerbose
    from openai.types.chat import ChatCompletion

    return {"openai_transcription_verbose": TranscriptionVerbose, "openai_chat_completion": ChatCompletion,
            "elevenlabs_voices": GetVoicesResponse, "elevenlabs_subscription": Subscription}


@pytest.mark.parametrize("source", ["built-in", "recorded"])
@pytest.mark.parametrize("name", ["openai_transcription_verbose", "openai_chat_completion", "elevenlabs_voices",
                                  "elevenlabs_subscription"])
def test_payload_validates_against_the_sdk_model(name: str, source: str) -> None:
    payload = DEFAULT_PAYLOADS[name] if source == "built-in" else load_payloads(RECORDED)[name]
    _models()[name].model_validate(payload)


@pytest.mark.parametrize("vendor", ["openai", "elevenlabs"])
def test_error_bodies_validate(vendor: str) -> None:
    from openai.types.shared import ErrorObject

    for kind, spec in DEFAULT_PAYLOADS[f"{vendor}_errors"].items():
        assert spec["status"] >= 400, kind
        if vendor == "openai":
            ErrorObject.model_validate(spec["body"]["error"])
        else:  # ElevenLabs: {"detail": {"status", "message"}} as its API answers (PROVIDERS.md §2)
            assert set(spec["body"]["detail"]) == {"status", "message"}, kind


def test_chat_completion_and_every_chunk(fake_vendors: RunningFakeVendors) -> None:
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

    url = fake_vendors.openai_url + "/chat/completions"
    whole = httpx.post(url, json={"model": "gpt-4o", "messages": HI}, headers=OA).json()
    assert ChatCompletion.model_validate(whole).choices[0].message.content
    raw = httpx.post(url, json={"model": "gpt-4o", "messages": HI, "stream": True,
                                "stream_options": {"include_usage": True}}, headers=OA).text
    chunks = [ChatCompletionChunk.model_validate(json.loads(e[6:])) for e in raw.split("\n\n")
              if e and e != "data: [DONE]"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == len(chunks) - 3


@pytest.mark.parametrize("fmt", ["json", "verbose_json"])
def test_transcriptions(fake_vendors: RunningFakeVendors, fmt: str) -> None:
    from openai.types.audio import Transcription, TranscriptionVerbose

    wav = speak_wav("Hello")
    fake_vendors.state.know_audio(wav, "Hello")
    body = httpx.post(fake_vendors.openai_url + "/audio/transcriptions", headers=OA,
                      data={"model": "whisper-1", "response_format": fmt},
                      files={"file": ("a.wav", wav, "audio/wav")}, timeout=30).json()
    model = TranscriptionVerbose if fmt == "verbose_json" else Transcription
    assert model.model_validate(body).text == "Hello"


def test_models_and_errors_over_http(fake_vendors: RunningFakeVendors) -> None:
    from openai.types import Model
    from openai.types.shared import ErrorObject

    listed = httpx.get(fake_vendors.openai_url + "/models", headers=OA).json()
    assert [Model.model_validate(m).id for m in listed["data"]] == ["gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-mini",
                                                                  "whisper-1"]
    denied = httpx.get(fake_vendors.openai_url + "/models")
    assert denied.status_code == 401
    assert ErrorObject.model_validate(denied.json()["error"]).code == "invalid_api_key"


def test_elevenlabs_voices_subscription_and_timestamps(fake_vendors: RunningFakeVendors) -> None:
    from elevenlabs.types import GetVoicesResponse, StreamingAudioChunkWithTimestampsResponse, Subscription

    base = fake_vendors.elevenlabs_url
    voices = GetVoicesResponse.model_validate(httpx.get(base + "/v1/voices", headers=XI).json())
    assert voices.voices[0].voice_id
    sub = Subscription.model_validate(httpx.get(base + "/v1/user/subscription", headers=XI).json())
    assert sub.character_limit > sub.character_count
    text = "Hello there!"
    response = httpx.post(base + "/v1/text-to-speech/abc/stream/with-timestamps", headers=XI,
                          params={"output_format": "mp3_44100_128"}, json={"text": text}, timeout=30)
    lines = [StreamingAudioChunkWithTimestampsResponse.model_validate(json.loads(line))
             for line in response.text.splitlines() if line]
    assert "".join(c for line in lines if line.alignment for c in line.alignment.characters) == text


def test_elevenlabs_422_is_the_sdk_validation_error(fake_vendors: RunningFakeVendors) -> None:
    from elevenlabs.types import HttpValidationError

    response = httpx.post(fake_vendors.elevenlabs_url + "/v1/text-to-speech/abc/stream", headers=XI, json={})
    assert response.status_code == 422
    detail = HttpValidationError.model_validate(response.json()).detail
    assert detail is not None and detail[0].loc == ["body", "text"]
