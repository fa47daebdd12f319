"""ElevenLabs adapter through the official `elevenlabs` package (httpx) against the fake."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest

from tinytalk_sdk import MissingCredentialError, ProviderError
from tinytalk_sdk.providers.elevenlabs_provider import ElevenLabsProvider, audio_seconds_for

from .conftest import ELEVEN_KEY, usage_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors

TEXT = "Soccer is so much fun! Who is your best friend on the team?"


def test_stream_gives_real_mp3_and_one_row(eleven: ElevenLabsProvider, sqlite_engine: Engine) -> None:
    import soundfile

    tts = eleven.stream(TEXT)
    assert tts.content_type == "audio/mpeg"
    audio = b"".join(tts.chunks)
    info = soundfile.info(io.BytesIO(audio))  # decodes: real audio, not filler bytes
    assert info.format == "MP3" and info.duration > 1.0
    [row] = usage_rows(sqlite_engine)
    assert (row["service"], row["operation"], row["model"], row["status"]) == (
        "elevenlabs", "tts", "eleven_flash_v2_5", "ok")
    assert row["characters"] == len(TEXT)
    assert row["audio_seconds"] == pytest.approx(info.duration, rel=0.15)
    assert row["ttfb_ms"] is not None and row["request_id"]


def test_with_timestamps_collects_the_character_alignment(eleven: ElevenLabsProvider) -> None:
    tts = eleven.stream(TEXT, with_timestamps=True)
    audio = b"".join(tts.chunks)
    assert audio[:3] == b"ID3" or audio[:2] in (b"\xff\xfb", b"\xff\xf3")
    assert tts.alignment is not None
    assert "".join(tts.alignment["characters"]) == TEXT
    starts = tts.alignment["character_start_times_seconds"]
    assert starts == sorted(starts) and len(starts) == len(TEXT)


def test_voices_and_subscription(eleven: ElevenLabsProvider, sqlite_engine: Engine) -> None:
    voices = eleven.voices()
    assert {"voice_id", "name"} <= set(voices[0]) and voices[0]["name"] == "Rachel"
    assert eleven.subscription()["character_limit"] == 100000
    assert [r["operation"] for r in usage_rows(sqlite_engine)] == ["voices", "subscription"]


def test_429_then_success_retries_the_stream_open(
    eleven: ElevenLabsProvider, fake_vendors: RunningFakeVendors, sqlite_engine: Engine
) -> None:
    fake_vendors.state.push("elevenlabs", "rate_limit", retry_after=0.05)
    audio = b"".join(eleven.stream("Hello!").chunks)
    assert len(audio) > 1000 and (audio[:3] == b"ID3" or audio[:2] in (b"\xff\xfb", b"\xff\xf3"))  # real mp3
    assert [c["status"] for c in fake_vendors.state.calls("elevenlabs")] == [429, 200]
    [row] = usage_rows(sqlite_engine)
    assert row["status"] == "ok"


def test_revoked_key_is_the_vendor_401(eleven: ElevenLabsProvider, fake_vendors: RunningFakeVendors,
                                       sqlite_engine: Engine) -> None:
    fake_vendors.state.revoked.add(ELEVEN_KEY)
    with pytest.raises(ProviderError) as info:
        b"".join(eleven.stream("Hello!").chunks)
    assert (info.value.status, info.value.code) == (401, "invalid_api_key")
    assert ELEVEN_KEY not in str(info.value)
    [row] = usage_rows(sqlite_engine)
    assert (row["status"], row["http_status"], row["error_code"]) == ("error", 401, "invalid_api_key")


def test_quota_exceeded_is_a_401_with_its_own_code(eleven: ElevenLabsProvider,
                                                   fake_vendors: RunningFakeVendors) -> None:
    fake_vendors.state.push("elevenlabs", "quota")
    with pytest.raises(ProviderError) as info:
        eleven.voices()
    assert (info.value.status, info.value.code) == (401, "quota_exceeded")
    assert "credits remaining" in str(info.value)


def test_stream_cut_midway(eleven: ElevenLabsProvider, fake_vendors: RunningFakeVendors,
                           sqlite_engine: Engine) -> None:
    fake_vendors.state.push("elevenlabs", "cut_stream", after=1)
    received = 0
    with pytest.raises(ProviderError) as info:
        for chunk in eleven.stream(TEXT).chunks:
            received += len(chunk)
    assert info.value.code == "stream_cut" and received > 0
    [row] = usage_rows(sqlite_engine)
    assert (row["status"], row["error_code"], row["characters"]) == ("error", "stream_cut", len(TEXT))


def test_missing_key() -> None:
    with pytest.raises(MissingCredentialError, match="elevenlabs_api_key"):
        ElevenLabsProvider(api_key="")


@pytest.mark.parametrize(("fmt", "size", "seconds"), [
    ("mp3_44100_128", 16000, 1.0), ("mp3_22050_32", 4000, 1.0), ("pcm_16000", 32000, 1.0),
    ("ulaw_8000", 8000, 1.0), ("opus_48000_64", 100, None),
])
def test_audio_seconds_for(fmt: str, size: int, seconds: float | None) -> None:
    assert audio_seconds_for(fmt, size) == seconds
