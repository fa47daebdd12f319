"""Brute-force throttling of logins and registrations, counted in the database (``auth_throttles``).

A 4-digit PIN has 10,000 values; without a limit they fall in minutes. Three counters, each a row keyed
by (scope, subject):

* ``login_account`` — wrong PINs for one email (known or not: a 429 must not reveal which emails exist);
* ``login_address`` — wrong PINs from one client address, over every email (PIN spraying);
* ``register_address`` — every registration attempt from one client address (floods).

Each scope has a :class:`ThrottleRule`: ``free`` attempts per window, then every further attempt locks the
subject for ``base_lock`` seconds, doubling up to ``max_lock`` (30 s, 1 min, 2 min, … 15 min for logins).
A counter starts again after ``window`` seconds without an attempt, and a right PIN clears the account
counter (never the address one: an attacker's own account must not launder a spraying address). While
locked, attempts are refused before the PIN is checked and do not extend the lock.

Rows live in the database so a lock holds across restarts and across workers on one database. Every
function takes ``now`` (the server's injectable clock).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._exceptions import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from .db.security_models import AuthThrottle

__all__ = ["AuthLimits", "ThrottleRule", "check", "clear", "lock_state", "purge", "record", "unlock"]


@dataclass(frozen=True)
class ThrottleRule:
    free: int  # attempts per window before locks start
    base_lock: float  # seconds of the first lock
    max_lock: float  # the lock grows (doubles) up to this
    window: float  # seconds without an attempt after which the count starts again

    def lock_for(self, attempts: int) -> float:
        """Seconds of lock after attempt number ``attempts`` (0 while within ``free``)."""
        over = attempts - self.free
        if over <= 0:
            return 0.0
        return float(min(self.base_lock * 2 ** min(over - 1, 30), self.max_lock))


@dataclass(frozen=True)
class AuthLimits:
    """The three rules; the defaults are documented in docs/security-server.md."""

    login_account: ThrottleRule = field(default_factory=lambda: ThrottleRule(5, 30, 900, 3600))
    login_address: ThrottleRule = field(default_factory=lambda: ThrottleRule(20, 30, 900, 3600))
    register_address: ThrottleRule = field(default_factory=lambda: ThrottleRule(30, 60, 3600, 3600))

    def with_address_limit(self, free: int) -> AuthLimits:
        """The same rules with ``free`` attempts per client address (logins and registrations alike): a
        classroom behind one NAT, or a load test from one machine, needs more than the defaults."""
        import dataclasses

        return dataclasses.replace(self, login_address=dataclasses.replace(self.login_address, free=free),
                                   register_address=dataclasses.replace(self.register_address, free=free))

    def rule(self, scope: str) -> ThrottleRule:
        rule: ThrottleRule = getattr(self, scope)
        return rule


def _row(session: Session, scope: str, subject: str, *, lock: bool) -> AuthThrottle | None:
    from sqlalchemy import select

    from .db.security_models import AuthThrottle

    stmt = select(AuthThrottle).where(AuthThrottle.scope == scope, AuthThrottle.subject == subject)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def _remaining(row: AuthThrottle | None, now: dt.datetime) -> float:
    if row is None or row.locked_until is None or row.locked_until <= now:
        return 0.0
    return (row.locked_until - now).total_seconds()


def check(session: Session, scope: str, subject: str, *, now: dt.datetime) -> float:
    """Seconds ``subject`` stays locked in ``scope`` (0: go ahead)."""
    return _remaining(_row(session, scope, subject, lock=False), now)


def record(engine: Engine, limits: AuthLimits, scope: str, subject: str, *, now: dt.datetime) -> float:
    """Count one attempt; returns the lock (seconds) it caused, 0 for none. Retried on a write race."""
    from .db.session import transaction

    for attempt in range(3):
        try:
            with transaction(engine) as session:
                return _record(session, limits.rule(scope), scope, subject, now)
        except DatabaseError:  # two first attempts inserted the same row, or SQLite's writer race
            if attempt == 2:
                raise
    return 0.0  # pragma: no cover  (the loop returns or raises)


def _record(session: Session, rule: ThrottleRule, scope: str, subject: str, now: dt.datetime) -> float:
    from .db.security_models import AuthThrottle

    row = _row(session, scope, subject, lock=True)
    if row is None:
        row = AuthThrottle(scope=scope, subject=subject, attempts=0, first_at=now, last_at=now)
        session.add(row)
    elif _remaining(row, now) <= 0 and (now - row.last_at).total_seconds() > rule.window:
        row.attempts, row.first_at, row.locked_until = 0, now, None  # a quiet window: start again
    row.attempts += 1
    row.last_at = now
    seconds = rule.lock_for(row.attempts)
    if seconds:
        row.locked_until = now + dt.timedelta(seconds=seconds)
    session.flush()
    return seconds


def clear(session: Session, scope: str, subject: str) -> bool:
    """Forget ``subject``'s counter in ``scope`` (a right PIN, an admin's unlock); True when there was one."""
    from sqlalchemy import delete

    from .db.security_models import AuthThrottle

    result = session.execute(delete(AuthThrottle).where(AuthThrottle.scope == scope, AuthThrottle.subject == subject))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def lock_state(session: Session, email: str, *, now: dt.datetime) -> dict[str, Any]:
    """What ``members show`` reports: failed logins counted for ``email`` and the lock, if any."""
    row = _row(session, "login_account", email.strip().lower(), lock=False)
    remaining = _remaining(row, now)
    return {
        "failed_logins": row.attempts if row is not None else 0,
        "last_failed_login_at": row.last_at if row is not None else None,
        "locked": remaining > 0,
        "locked_until": row.locked_until if row is not None and remaining > 0 else None,
    }


def unlock(engine: Engine, email: str) -> bool:
    """Clear the failed-login counter and lock of ``email``; True when there was something to clear."""
    from .db.session import transaction

    with transaction(engine) as session:
        return clear(session, "login_account", email.strip().lower())


def purge(session: Session, limits: AuthLimits, *, now: dt.datetime) -> int:
    """Delete counters that no longer matter: unlocked and quiet for longer than every window."""
    from sqlalchemy import delete, or_

    from .db.security_models import AuthThrottle

    quiet = max(r.window for r in (limits.login_account, limits.login_address, limits.register_address))
    cutoff = now - dt.timedelta(seconds=quiet)
    result = session.execute(delete(AuthThrottle).where(
        AuthThrottle.last_at < cutoff,
        or_(AuthThrottle.locked_until.is_(None), AuthThrottle.locked_until <= now)))
    return int(result.rowcount)  # type: ignore[attr-defined]
