"""What every endpoint of one app shares: database, providers, folders, clock, fault plan, stores."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..auth_throttle import AuthLimits
from .faults import FaultPlan
from .idempotency import IdempotencyStore

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from ..providers.base import UsageRecorder
    from ..providers.bundle import Providers

__all__ = ["ServerState"]

_PURGE_EVERY = dt.timedelta(minutes=10)


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
    auth_limits: AuthLimits = field(default_factory=AuthLimits)
    idempotency: IdempotencyStore = field(init=False)
    # HeyGen session id -> (user id, status, created): who may drive which avatar session.
    avatar_sessions: dict[str, dict[str, object]] = field(default_factory=dict)
    avatar_lock: threading.Lock = field(default_factory=threading.Lock)

    # When the throttle counters were last purged (at most every _PURGE_EVERY, by the request that finds
    # the time has come).
    _purged_at: dt.datetime | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.idempotency = IdempotencyStore(self.engine, clock=self.now)

    def purge_throttles(self, session: Session) -> None:
        from ..auth_throttle import purge

        now = self.now()
        if self._purged_at is None or now - self._purged_at > _PURGE_EVERY:
            self._purged_at = now
            purge(session, self.auth_limits, now=now)

    def now(self) -> dt.datetime:
        value = self.clock()
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

    def today(self) -> dt.date:
        return self.now().astimezone(self.timezone).date()
