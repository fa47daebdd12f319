"""Provider interfaces and usage logging (one place).

Every provider call, success or failure, goes through :meth:`UsageRecorder.call`, which writes exactly one
``api_usage_logs`` row when the call ends: latency, status, error code and the estimated cost. Adapters fill
in what the call consumed (tokens, characters, audio seconds, session minutes) on the yielded
:class:`UsageEntry` (defined in :mod:`tinytalk_sdk.usage_record`, which pricing imports too; re-exported here).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..usage_record import CallContext, CostFn, UsageEntry

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "CallContext",
    "ChatModel",
    "ChatResult",
    "ChatTurn",
    "CostFn",
    "SpeechToText",
    "TextToSpeech",
    "Transcript",
    "TtsStream",
    "UsageEntry",
    "UsageRecorder",
]

log = logging.getLogger("tinytalk.providers")


def _default_cost(entry: UsageEntry) -> tuple[Decimal | None, str | None]:
    from ..pricing import estimate_cost

    return estimate_cost(entry)


class UsageRecorder:
    """Writes one usage row per provider call. ``engine=None`` keeps rows in memory (``self.entries``)."""

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        cost: CostFn | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.engine = engine
        self.cost = cost or _default_cost
        self.clock = clock
        self.entries: list[UsageEntry] = []

    @contextmanager
    def call(
        self, service: str, operation: str, *, model: str | None = None, ctx: CallContext | None = None
    ) -> Iterator[UsageEntry]:
        ctx = ctx or CallContext()
        entry = UsageEntry(
            service=service,
            operation=operation,
            model=model,
            user_id=ctx.user_id,
            session_id=ctx.session_id,
            tag=ctx.tag,
            request_id=ctx.request_id,
        )
        started = self.clock()
        try:
            yield entry
        except BaseException as exc:
            entry.status = "error"
            entry.error_code = entry.error_code or _error_code(exc)
            status = getattr(exc, "status", None)
            if isinstance(status, int):
                entry.http_status = entry.http_status or status
            raise
        finally:
            entry.latency_ms = int((self.clock() - started) * 1000)
            if ctx.request_id and entry.request_id != ctx.request_id:
                # adapters note the vendor's id; the caller's id wins (one column), the vendor's is logged
                log.debug("%s/%s: vendor request id %s for request %s", service, operation, entry.request_id,
                          ctx.request_id)
                entry.request_id = ctx.request_id
            self.write(entry)

    def write(self, entry: UsageEntry) -> None:
        if entry.cost_usd is None:
            try:
                entry.cost_usd, entry.price_table = self.cost(entry)
            except Exception:  # a price problem must never lose the usage row
                log.warning("cost estimate failed for %s/%s", entry.service, entry.operation, exc_info=True)
        self.entries.append(entry)
        if self.engine is None:
            return
        from ..db.models import ApiUsageLog
        from ..db.session import transaction

        values = {k: v for k, v in entry.__dict__.items()}
        with transaction(self.engine) as session:
            session.add(ApiUsageLog(**values))


def _error_code(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code:
        return code[:64]
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return exc.__class__.__name__[:64]


# ---- interfaces --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatTurn:
    role: str  # system | user | assistant
    content: str


@dataclass
class Transcript:
    text: str
    language: str | None = None
    duration_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChatResult:
    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    model: str | None = None
    finish_reason: str | None = None


@dataclass
class TtsStream:
    """Audio arriving in chunks. ``alignment`` holds character timestamps when the provider gave them."""

    content_type: str
    chunks: Iterator[bytes]
    alignment: dict[str, list[Any]] | None = None


@runtime_checkable
class SpeechToText(Protocol):
    name: str

    def transcribe(self, audio: Path, *, language: str | None = "en", ctx: CallContext | None = None
                   ) -> Transcript: ...


@runtime_checkable
class ChatModel(Protocol):
    name: str

    def stream(
        self, messages: list[ChatTurn], *, model: str | None = None, temperature: float | None = None,
        ctx: CallContext | None = None, result: ChatResult | None = None,
    ) -> Iterator[str]:
        """Yield text deltas; fill ``result`` (text, tokens) when the stream ends."""
        ...

    def complete(
        self, messages: list[ChatTurn], *, model: str | None = None, temperature: float | None = None,
        ctx: CallContext | None = None,
    ) -> ChatResult: ...


@runtime_checkable
class TextToSpeech(Protocol):
    name: str

    def stream(
        self, text: str, *, voice_id: str | None = None, model_id: str | None = None,
        output_format: str | None = None, with_timestamps: bool = False, ctx: CallContext | None = None,
    ) -> TtsStream: ...
