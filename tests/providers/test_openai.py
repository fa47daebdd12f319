"""OpenAI adapter through the official `openai` package (httpx2) against the fake, on loopback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tinytalk_sdk import MissingCredentialError, ProviderError
from tinytalk_sdk.providers.base import ChatResult, ChatTurn, UsageRecorder
from tinytalk_sdk.providers.openai_provider import OpenAIProvider
from tinytalk_sdk.testing.speech import speak_wav

from .conftest import OPENAI_KEY, usage_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors

UTTERANCE = "I like to play soccer with my friends after school."
HI = [ChatTurn("system", "You are a tutor."), ChatTurn("user", "I goed to the park yesterday.")]


def test_the_official_package_is_in_the_path(openai_provider: OpenAIProvider) -> None:
    import openai

    assert int(openai.__version__.split(".")[0]) >= 1
    assert isinstance(openai_provider.client, openai.OpenAI)


def test_transcribe_verbose_json(openai_provider: OpenAIProvider, fake_vendors: RunningFakeVendors,
                                 tmp_path: Path, sqlite_engine: Engine) -> None:
    wav = speak_wav(UTTERANCE)
    fake_vendors.state.know_audio(wav, UTTERANCE)
    clip = tmp_path / "ptt.wav"
    clip.write_bytes(wav)
    result = openai_provider.transcribe(clip)
    assert result.text == UTTERANCE
    assert result.language == "english"
    assert result.duration_seconds and 1.0 < result.duration_seconds < 10
    [row] = usage_rows(sqlite_engine)
    assert (row["service"], row["operation"], row["model"], row["status"]) == ("openai", "stt", "whisper-1", "ok")
    assert row["audio_seconds"] == pytest.approx(result.duration_seconds)
    assert row["request_id"].startswith("req_") and row["http_status"] == 200


def test_transcribe_with_a_gpt4o_model_asks_for_json(fake_vendors: RunningFakeVendors, recorder: UsageRecorder,
                                                     tmp_path: Path, sqlite_engine: Engine) -> None:
    # gpt-4o-transcribe / -mini refuse verbose_json (PROVIDERS.md §1): the provider must not ask for it.
    wav = speak_wav(UTTERANCE)
    fake_vendors.state.know_audio(wav, UTTERANCE)
    clip = tmp_path / "ptt.wav"
    clip.write_bytes(wav)
    provider = OpenAIProvider(api_key=OPENAI_KEY, base_url=fake_vendors.openai_url, recorder=recorder,
                              stt_model="gpt-4o-mini-transcribe")
    try:
        result = provider.transcribe(clip)
    finally:
        provider.close()
    assert result.text == UTTERANCE
    [row] = usage_rows(sqlite_engine)
    assert (row["model"], row["status"], row["http_status"]) == ("gpt-4o-mini-transcribe", "ok", 200)


def test_stream_reads_the_final_usage_chunk(openai_provider: OpenAIProvider, sqlite_engine: Engine) -> None:
    result = ChatResult(text="")
    deltas = list(openai_provider.stream(HI, result=result))
    assert "".join(deltas) == result.text and result.text.startswith("Soccer")
    assert result.finish_reason == "stop"
    assert result.output_tokens == len(deltas)
    [row] = usage_rows(sqlite_engine)
    assert row["operation"] == "chat_stream" and row["status"] == "ok"
    assert (row["input_tokens"], row["output_tokens"]) == (result.input_tokens, result.output_tokens)
    assert row["ttfb_ms"] is not None and row["latency_ms"] >= row["ttfb_ms"]


def test_feedback_and_summary_are_non_streaming(openai_provider: OpenAIProvider, sqlite_engine: Engine) -> None:
    fb = openai_provider.feedback("I goed to the park.")
    summary = openai_provider.summarize([ChatTurn("user", "I goed"), ChatTurn("assistant", "We say went.")])
    assert fb.text and summary.text and fb.model == "gpt-4o-2024-08-06"
    ops = [(r["operation"], r["status"]) for r in usage_rows(sqlite_engine)]
    assert ops == [("feedback", "ok"), ("summary", "ok")]


def test_missing_key_is_one_line_naming_the_setting() -> None:
    with pytest.raises(MissingCredentialError) as info:
        OpenAIProvider(api_key=None)
    assert "openai_api_key" in str(info.value) and "\n" not in str(info.value)


def test_revoked_key_gives_the_vendor_401_without_the_key(
    openai_provider: OpenAIProvider, fake_vendors: RunningFakeVendors, sqlite_engine: Engine
) -> None:
    fake_vendors.state.revoked.add(OPENAI_KEY)
    with pytest.raises(ProviderError) as info:
        openai_provider.complete(HI)
    err = info.value
    assert (err.provider, err.status, err.code) == ("openai", 401, "invalid_api_key")
    assert "Incorrect API key provided" in str(err) and "\n" not in str(err)
    assert OPENAI_KEY not in str(err) and OPENAI_KEY not in (err.hint or "")
    [row] = usage_rows(sqlite_engine)
    assert (row["status"], row["http_status"], row["error_code"]) == ("error", 401, "invalid_api_key")
    assert len(fake_vendors.state.calls("openai")) == 1  # 401 is not retried


def test_429_then_success_is_one_call_and_one_row(
    openai_provider: OpenAIProvider, fake_vendors: RunningFakeVendors, sqlite_engine: Engine
) -> None:
    fake_vendors.state.push("openai", "rate_limit", retry_after=0.2)
    started = time.perf_counter()
    result = openai_provider.complete(HI)
    assert result.text
    assert time.perf_counter() - started >= 0.2  # Retry-After honoured
    assert [c["status"] for c in fake_vendors.state.calls("openai")] == [429, 200]
    [row] = usage_rows(sqlite_engine)
    assert row["status"] == "ok" and row["http_status"] == 200


def test_429_without_retry_after_backs_off_and_succeeds(
    openai_provider: OpenAIProvider, fake_vendors: RunningFakeVendors, sqlite_engine: Engine
) -> None:
    fake_vendors.state.push("openai", "rate_limit")  # no retry-after header, as OpenAI may well send
    assert openai_provider.complete(HI).text
    calls = fake_vendors.state.calls("openai")
    assert [c["status"] for c in calls] == [429, 200]
    assert calls[1]["at"] - calls[0]["at"] >= 0.2  # the SDK's own backoff (0.5 s less up to 25% jitter)
    assert [r["status"] for r in usage_rows(sqlite_engine)] == ["ok"]


def test_quota_429_maps_to_insufficient_quota(openai_provider: OpenAIProvider,
                                              fake_vendors: RunningFakeVendors) -> None:
    fake_vendors.state.push("openai", "quota", times=3)
    provider = OpenAIProvider(api_key=OPENAI_KEY, base_url=fake_vendors.openai_url, max_retries=0,
                              recorder=openai_provider.recorder)
    with pytest.raises(ProviderError) as info:
        provider.complete(HI)
    assert info.value.code == "insufficient_quota" and info.value.status == 429


def test_stream_cut_midway_keeps_partial_text_and_logs_an_error_row(
    openai_provider: OpenAIProvider, fake_vendors: RunningFakeVendors, sqlite_engine: Engine
) -> None:
    fake_vendors.state.push("openai", "cut_stream", after=3)
    result = ChatResult(text="")
    received: list[str] = []
    with pytest.raises(ProviderError) as info:
        for delta in openai_provider.stream(HI, result=result):
            received.append(delta)
    assert info.value.code == "stream_cut"
    assert result.text == "".join(received) == "Soccer is so"
    [row] = usage_rows(sqlite_engine)
    assert (row["status"], row["error_code"]) == ("error", "stream_cut")
    assert row["output_tokens"] == 3  # what was generated is still billed, so estimated


def test_malformed_chunk(openai_provider: OpenAIProvider, fake_vendors: RunningFakeVendors,
                         sqlite_engine: Engine) -> None:
    fake_vendors.state.push("openai", "malformed_chunk")
    result = ChatResult(text="")
    with pytest.raises(ProviderError) as info:
        list(openai_provider.stream(HI, result=result))
    assert info.value.code == "malformed_chunk" and result.text == "Soccer is"
    assert usage_rows(sqlite_engine)[0]["error_code"] == "malformed_chunk"


def test_slow_first_token_shows_in_ttfb(openai_provider: OpenAIProvider, fake_vendors: RunningFakeVendors,
                                        sqlite_engine: Engine) -> None:
    fake_vendors.state.push("openai", "slow_first_token", delay=0.4)
    list(openai_provider.stream(HI))
    assert usage_rows(sqlite_engine)[0]["ttfb_ms"] >= 400


def test_server_errors_are_retried_then_reported(openai_provider: OpenAIProvider,
                                                 fake_vendors: RunningFakeVendors, sqlite_engine: Engine) -> None:
    fake_vendors.state.push("openai", "server_error", times=2)
    provider = OpenAIProvider(api_key=OPENAI_KEY, base_url=fake_vendors.openai_url, max_retries=1,
                              recorder=openai_provider.recorder)
    with pytest.raises(ProviderError) as info:
        provider.complete(HI)
    assert info.value.status == 500 and info.value.code == "server_error"
    assert [c["status"] for c in fake_vendors.state.calls("openai")] == [500, 500]
    assert len(usage_rows(sqlite_engine)) == 1


def test_unreachable_api_is_a_connection_error(recorder: object) -> None:
    provider = OpenAIProvider(api_key=OPENAI_KEY, base_url="http://127.0.0.1:9/v1", max_retries=0,
                              timeout=2)
    with pytest.raises(ProviderError) as info:
        provider.complete(HI)
    assert info.value.code == "connection_error"
