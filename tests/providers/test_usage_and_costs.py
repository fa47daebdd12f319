"""Every provider call leaves exactly one api_usage_logs row, on SQLite and MariaDB, priced by hand."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tinytalk_sdk import ProviderError
from tinytalk_sdk.providers._retry import RetryPolicy
from tinytalk_sdk.providers.base import CallContext, ChatResult, ChatTurn, UsageRecorder
from tinytalk_sdk.providers.elevenlabs_provider import ElevenLabsProvider
from tinytalk_sdk.providers.heygen import HeyGenClient
from tinytalk_sdk.providers.openai_provider import OpenAIProvider
from tinytalk_sdk.testing.speech import speak_wav

from .conftest import ELEVEN_KEY, HEYGEN_KEY, OPENAI_KEY, usage_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors


def test_one_row_per_call_and_costs_match_the_price_table(
    engine: Engine, fake_vendors: RunningFakeVendors, tmp_path: Path
) -> None:
    recorder = UsageRecorder(engine)
    ctx = CallContext(user_id=7, session_id=11, tag="smoke")
    oa = OpenAIProvider(api_key=OPENAI_KEY, base_url=fake_vendors.openai_url, recorder=recorder)
    el = ElevenLabsProvider(api_key=ELEVEN_KEY, base_url=fake_vendors.elevenlabs_url, recorder=recorder,
                            retry=RetryPolicy(initial_delay=0.01))
    hg = HeyGenClient(api_key=HEYGEN_KEY, base_url=fake_vendors.heygen_url, recorder=recorder,
                      retry=RetryPolicy(initial_delay=0.01))
    clip = tmp_path / "clip.wav"
    clip.write_bytes(speak_wav("Hello teacher."))
    turns = [ChatTurn("user", "Hello teacher.")]

    calls = 0
    oa.transcribe(clip, ctx=ctx)
    calls += 1
    result = ChatResult(text="")
    list(oa.stream(turns, ctx=ctx, result=result))
    calls += 1
    oa.feedback("Hello teacher.", ctx=ctx)
    calls += 1
    fake_vendors.state.push("openai", "rate_limit", retry_after=0.05)
    oa.complete(turns, ctx=ctx)  # 429 then success: still one row
    calls += 1
    b"".join(el.stream("Hello there!", ctx=ctx).chunks)
    calls += 1
    fake_vendors.state.push("elevenlabs", "server_error", times=3)
    with pytest.raises(ProviderError):
        b"".join(el.stream("Never spoken.", ctx=ctx).chunks)
    calls += 1
    with hg.session(ctx=ctx) as sess:  # new + start + task + stop
        hg.task(sess, "Hello there!", ctx=ctx)
    calls += 4

    rows = usage_rows(engine)
    assert len(rows) == calls
    assert {(r["user_id"], r["session_id"], r["tag"]) for r in rows} == {(7, 11, "smoke")}
    assert all(r["latency_ms"] is not None and r["price_table"] == "2026-11" for r in rows)

    # by hand, from the built-in table 2026-11:
    stt, stream, feedback, chat, tts, tts_fail, *heygen = rows
    assert Decimal(str(stt["cost_usd"])) == (Decimal(str(stt["audio_seconds"])) * Decimal("0.006") / 60).quantize(
        Decimal("0.000001"))
    for row in (stream, feedback, chat):
        expected = (Decimal(row["input_tokens"]) * Decimal("2.50") + Decimal(row["output_tokens"]) * Decimal("10.00")
                    ) / 1_000_000
        assert Decimal(str(row["cost_usd"])) == expected.quantize(Decimal("0.000001"))
    assert Decimal(str(tts["cost_usd"])) == Decimal(12) * Decimal("0.05") / 1000  # 12 characters, flash v2.5
    assert (tts_fail["status"], tts_fail["http_status"], tts_fail["error_code"]) == ("error", 500, "system_busy")
    stop = heygen[-1]
    assert stop["operation"] == "heygen_stop"
    billed = max(Decimal(str(stop["session_minutes"])), Decimal("0.5"))
    assert Decimal(str(stop["cost_usd"])) == (billed * Decimal("0.198")).quantize(Decimal("0.000001"))
    total = sum(Decimal(str(r["cost_usd"])) for r in rows)
    assert total == sum((Decimal(str(r["cost_usd"])) for r in (stt, stream, feedback, chat, tts, stop)), Decimal(0))
    hg.close()
    oa.close()


def test_the_callers_request_id_and_tag_reach_the_row_over_the_vendors_id(
    openai_provider: OpenAIProvider, sqlite_engine: Engine
) -> None:
    """The server passes its X-Request-Id in CallContext: the row carries it (the vendor's id is logged)."""
    turns = [ChatTurn("user", "Hello teacher.")]
    openai_provider.complete(turns, ctx=CallContext(user_id=3, request_id="srv-req-1", tag="smoke"))
    openai_provider.complete(turns, ctx=CallContext(user_id=3))
    first, second = usage_rows(sqlite_engine)
    assert (first["request_id"], first["tag"]) == ("srv-req-1", "smoke")
    assert second["tag"] is None and second["request_id"] and second["request_id"] != "srv-req-1"


PROD_TABLE = '''version = "prod-test"
currency = "USD"

[openai."gpt-4o"]
input_per_1m_tokens = "1000"
output_per_1m_tokens = "2000"
'''


def _prod_profile(home: Path) -> Path:
    """A `prod` profile whose `price_table` setting names its own table (the default profile has none)."""
    table = home / "prod-prices.toml"
    (home / "config").mkdir(parents=True, exist_ok=True)
    table.write_text(PROD_TABLE)
    (home / "config" / "config.toml").write_text(f'[profiles.prod]\nprice_table = "{table}"\n')
    return table


def test_a_profiles_price_table_prices_its_usage_rows(isolated_env: Path, sqlite_engine: Engine) -> None:
    from tinytalk_sdk.config import load_config
    from tinytalk_sdk.providers.factory import build_providers, recorder_for

    _prod_profile(isolated_env)
    prod, default = load_config("prod"), load_config()
    for config in (prod, default):
        with recorder_for(config, sqlite_engine).call("openai", "chat", model="gpt-4o") as entry:
            entry.input_tokens, entry.output_tokens = 1000, 500
    prod_row, default_row = usage_rows(sqlite_engine)
    # by hand: 1000 × 1000/1M + 500 × 2000/1M = 2 USD on prod's table; 0.0025 + 0.005 on the built-in one
    assert (Decimal(str(prod_row["cost_usd"])), prod_row["price_table"]) == (Decimal(2), "prod-test")
    assert (Decimal(str(default_row["cost_usd"])), default_row["price_table"]) == (Decimal("0.0075"), "2026-11")
    # build_providers without a recorder prices its in-memory rows on the profile's table as well
    chat = build_providers(prod).chat
    chat.complete([ChatTurn("user", "Hello teacher.")], ctx=CallContext(tag="t"))
    assert {e.price_table for e in chat.recorder.entries} == {"prod-test"}  # type: ignore[attr-defined]
