"""What every endpoint of one app shares: database, providers, folders, clock, fault plan, stores."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .faults import FaultPlan
from .idempotency import IdempotencyStore

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..providers.base import UsageRecorder
    from ..providers.bundle import Providers

__all__ = ["ServerState"]


@dataclass
class ServerState:
    engine: Engine
    providers: Providers
    recorder: UsageRecorder
    uploads_dir: Path
    cdn_dir: Path | None
    faults: FaultPlan
    clock: Callable[[], dt.datetime]
    cleanup_token: str | None = None
    # The calendar of session_date ("today's session"): PHP's date('Y-m-d') in the host's time zone.
    timezone: dt.tzinfo = dt.UTC
    idempotency: IdempotencyStore = field(default_factory=IdempotencyStore)
    # HeyGen session id -> (user id, status, created): who may drive which avatar session.
    avatar_sessions: dict[str, dict[str, object]] = field(default_factory=dict)
    avatar_lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> dt.datetime:
        value = self.clock()
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

    def today(self) -> dt.date:
        return self.now().astimezone(self.timezone).date()
