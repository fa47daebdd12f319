"""The price table: built-in figures, model matching, overrides, and never raising for unknown models."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest

from tinytalk_sdk import ConfigError
from tinytalk_sdk.pricing import BUILTIN_VERSION, estimate_cost, load_price_table
from tinytalk_sdk.providers.base import UsageEntry, UsageRecorder


def entry(service: str, model: str | None = None, **values: object) -> UsageEntry:
    return UsageEntry(service=service, operation="x", model=model, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("e", "expected"),
    [
        # 1,000 in × $2.50/1M + 500 out × $10/1M = 0.0025 + 0.005
        (entry("openai", "gpt-4o", input_tokens=1000, output_tokens=500), "0.007500"),
        # a dated snapshot is priced as its base model
        (entry("openai", "gpt-4o-2024-08-06", input_tokens=1000, output_tokens=500), "0.007500"),
        # the longest key wins: gpt-4o-mini, not gpt-4o ($0.15/$0.60)
        (entry("openai", "gpt-4o-mini", input_tokens=1_000_000, output_tokens=1_000_000), "0.750000"),
        # 90 s × $0.006/min
        (entry("openai", "whisper-1", audio_seconds=90), "0.009000"),
        # transcribe: minutes only without tokens ($0.003/min), tokens when present
        (entry("openai", "gpt-4o-mini-transcribe", audio_seconds=120), "0.006000"),
        (entry("openai", "gpt-4o-mini-transcribe", audio_seconds=120, input_tokens=1000, output_tokens=100),
         "0.001750"),
        # 1,234 chars × $0.10/1k
        (entry("elevenlabs", "eleven_multilingual_v2", characters=1234), "0.123400"),
        (entry("elevenlabs", "eleven_flash_v2_5", characters=2000), "0.100000"),
        # 2 min × $0.198; a 6 s session bills the 30 s minimum
        (entry("heygen", None, session_minutes=2), "0.396000"),
        (entry("heygen", "anything", session_minutes=0.1), "0.099000"),
        (entry("offline", "espeak-ng", characters=10_000, audio_seconds=60), "0.000000"),
        # a failed call that consumed nothing costs nothing
        (entry("openai", "gpt-4o", status="error"), "0.000000"),
    ],
)
def test_builtin_prices_by_hand(e: UsageEntry, expected: str) -> None:
    cost, version = estimate_cost(e)
    assert version == BUILTIN_VERSION == "2026-11"
    assert cost == Decimal(expected)


def test_unknown_model_is_none_with_a_warning_never_an_exception(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="tinytalk.pricing"):
        assert estimate_cost(entry("openai", "gpt-9-ultra-unknown", input_tokens=5)) == (None, "2026-11")
        assert estimate_cost(entry("nosuchservice", "x")) == (None, "2026-11")
    assert "gpt-9-ultra-unknown" in caplog.text


def test_usage_recorder_stores_cost_and_version() -> None:
    recorder = UsageRecorder()
    with recorder.call("elevenlabs", "tts", model="eleven_multilingual_v2") as e:
        e.characters = 500
    assert recorder.entries[0].cost_usd == Decimal("0.050000")
    assert recorder.entries[0].price_table == "2026-11"


def test_override_by_path_env_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    custom = tmp_path / "prices.toml"
    custom.write_text('version = "acme-2027"\n[openai."gpt-4o"]\ninput_per_1m_tokens = "5"\n', encoding="utf-8")
    table = load_price_table(custom)
    assert table.version == "acme-2027"
    assert table.estimate(entry("openai", "gpt-4o", input_tokens=1_000_000)) == Decimal("5.000000")
    # the config setting price_table (here through its environment variable)
    monkeypatch.setenv("TINYTALK_PRICE_TABLE", str(custom))
    assert estimate_cost(entry("openai", "gpt-4o", input_tokens=2_000_000)) == (Decimal("10.000000"), "acme-2027")
    monkeypatch.delenv("TINYTALK_PRICE_TABLE")
    # … and through the profile file
    from tinytalk_sdk.config import load_config, write_setting

    write_setting(load_config(), "price_table", str(custom))
    assert load_price_table().version == "acme-2027"


@pytest.mark.parametrize(
    "text",
    ['[openai."gpt-4o"]\ninput_per_1m_tokens = "1"\n',  # no version
     'version = "v"\n[openai."gpt-4o"]\ninput_per_1m_tokens = "lots"\n',
     'version = "v"\n[openai."gpt-4o"]\nper_token = "1"\n',
     'version = "v"\n[openai."gpt-4o"]\ninput_per_1m_tokens = "-1"\n',
     "version = [\n"],
)
def test_bad_price_table_is_a_config_error(tmp_path: Path, text: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_price_table(bad)


def test_broken_configured_table_does_not_break_estimates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TINYTALK_PRICE_TABLE", str(tmp_path / "missing.toml"))
    assert estimate_cost(entry("openai", "gpt-4o", input_tokens=1)) == (None, None)
