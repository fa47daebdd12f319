"""build_providers: real providers per service where a key is configured, offline otherwise."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from tinytalk_sdk import MissingCredentialError
from tinytalk_sdk.config import load_config
from tinytalk_sdk.providers.base import UsageRecorder
from tinytalk_sdk.providers.factory import build_providers, provider_sources

if TYPE_CHECKING:
    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors


def test_no_keys_means_offline_everywhere() -> None:
    bundle = build_providers(load_config())
    assert {getattr(p, "service", None) for p in (bundle.stt, bundle.chat, bundle.tts, bundle.avatar)} == {"offline"}
    assert set(provider_sources(load_config()).values()) == {"offline"}


def test_keys_choose_real_providers_per_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-vendor-env-123456")
    monkeypatch.setenv("TINYTALK_HEYGEN_API_KEY", "hg-0123456789")
    recorder = UsageRecorder()
    bundle = build_providers(load_config(), recorder)
    assert bundle.names() == {"stt": "openai", "chat": "openai", "tts": "espeak-ng", "avatar": "heygen"}
    assert bundle.stt is bundle.chat
    assert all(getattr(p, "recorder", None) is recorder for p in (bundle.stt, bundle.tts, bundle.avatar))


def test_require_real_names_the_missing_setting() -> None:
    with pytest.raises(MissingCredentialError, match="openai_api_key"):
        build_providers(load_config(), require_real=True)


def test_factory_providers_reach_the_fakes(fake_vendor_env: RunningFakeVendors) -> None:
    bundle = build_providers(load_config(), UsageRecorder())
    audio = b"".join(bundle.tts.stream("Hi!").chunks)
    assert bundle.tts.name == "elevenlabs" and audio
    began = time.monotonic()
    session = bundle.avatar.create_session()
    bundle.avatar.start_session(session.session_id)
    assert bundle.avatar.speak(session.session_id, "Hi!").task_id
    stop = bundle.avatar.stop_session(session.session_id)
    elapsed = time.monotonic() - began
    assert stop.session_id == session.session_id and 0 < stop.duration_seconds <= elapsed + 0.001
    assert fake_vendor_env.state.active_heygen() == []
