"""The usage record: one ``api_usage_logs`` row in the making, and who a provider call is for.

Neutral ground between :mod:`tinytalk_sdk.providers.base` (which fills records in and writes them) and
:mod:`tinytalk_sdk.pricing` (which prices them): both import this module, neither imports the other at
import time, and this module imports neither (an import-linter contract).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["CallContext", "CostFn", "UsageEntry"]


@dataclass(frozen=True)
class CallContext:
    """Who a provider call is for; copied onto its usage row."""

    user_id: int | None = None
    session_id: int | None = None
    tag: str | None = None  # e.g. "smoke": lets reports exclude synthetic traffic
    # The API server's X-Request-Id: the usage row carries it instead of the vendor's own request id, so a
    # row can be joined to the server's log line and to what the client saw.
    request_id: str | None = None


@dataclass
class UsageEntry:
    """One ``api_usage_logs`` row in the making."""

    service: str  # openai | elevenlabs | heygen | offline
    operation: str  # stt | chat_stream | chat | feedback | summary | tts | heygen_* …
    model: str | None = None
    user_id: int | None = None
    session_id: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    characters: int | None = None
    audio_seconds: float | None = None
    session_minutes: float | None = None
    latency_ms: int | None = None
    ttfb_ms: int | None = None
    status: str = "ok"
    http_status: int | None = None
    error_code: str | None = None
    request_id: str | None = None
    tag: str | None = None
    cost_usd: Decimal | None = None
    price_table: str | None = None
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def mark_first_byte(self, started: float) -> None:
        if self.ttfb_ms is None:
            self.ttfb_ms = int((time.perf_counter() - started) * 1000)


CostFn = Callable[[UsageEntry], tuple[Decimal | None, str | None]]
