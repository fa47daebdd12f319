"""Keys never show up: not in errors, reprs, usage rows, nor debug logs of the official packages."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from tinytalk_sdk import ProviderError
from tinytalk_sdk.providers.base import ChatTurn, UsageRecorder
from tinytalk_sdk.providers.elevenlabs_provider import ElevenLabsProvider
from tinytalk_sdk.providers.heygen import HeyGenClient
from tinytalk_sdk.providers.openai_provider import OpenAIProvider

if TYPE_CHECKING:
    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors

KEYS = {"openai": "sk-proj-NEVERSHOWN-0123456789", "elevenlabs": "xi-NEVERSHOWN-0123456789",
        "heygen": "hg-NEVERSHOWN-0123456789"}


def test_keys_stay_out_of_logs_errors_and_rows(fake_vendors: RunningFakeVendors,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = UsageRecorder()
    oa = OpenAIProvider(api_key=KEYS["openai"], base_url=fake_vendors.openai_url, recorder=recorder)
    el = ElevenLabsProvider(api_key=KEYS["elevenlabs"], base_url=fake_vendors.elevenlabs_url, recorder=recorder)
    hg = HeyGenClient(api_key=KEYS["heygen"], base_url=fake_vendors.heygen_url, recorder=recorder)
    list(oa.stream([ChatTurn("user", "Hi")]))
    b"".join(el.stream("Hi").chunks)
    hg.list_sessions()
    fake_vendors.state.revoked.update(KEYS.values())
    errors = []
    for call in (lambda: oa.complete([ChatTurn("user", "Hi")]), el.voices, hg.list_avatars):
        with pytest.raises(ProviderError) as info:
            call()
        errors.append(f"{info.value} {info.value.hint}")
    text = "\n".join([caplog.text, *errors, repr(oa), repr(el), repr(hg),
                      *(str(e.__dict__) for e in recorder.entries)])
    assert "NEVERSHOWN" not in text
    assert len(recorder.entries) == 6
    oa.close()
    hg.close()
