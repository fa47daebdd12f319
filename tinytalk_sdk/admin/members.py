"""App members (``users``) and their Bearer tokens: list, search, create, reset PIN, revoke, deactivate.

PIN hashes never leave this module: :class:`Member` has no hash field, so no listing or export can
print one. PINs are hashed with :func:`tinytalk_sdk.passwords.hash_password` (``$2y$``, what PHP's
``password_verify`` accepts).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from .._exceptions import ConflictError, NotFoundError, ValidationError
from ..auth_throttle import lock_state
from ._stream import stream_rows
from ._when import parse_instant

if TYPE_CHECKING:
    from sqlalchemy import Engine, Select
    from sqlalchemy.orm import Session

    from ..db.models import User

__all__ = [
    "COLUMNS",
    "DeactivateResult",
    "Member",
    "MemberDetails",
    "MemberFilter",
    "check_pin",
    "create_member",
    "deactivate_member",
    "get_member",
    "iter_members",
    "list_members",
    "member_details",
    "reset_pin",
    "revoke_tokens",
    "unlock_member",
]

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The app's PIN pad: digits only. 4..8 covers what the PHP backend accepts.
PIN_RE = re.compile(r"^\d{4,8}$")


@dataclass(frozen=True)
class Member:
    id: int
    email: str
    name: str
    nickname: str | None
    level: str | None
    birth_year: int | None
    school: str | None
    class_name: str | None
    student_no: str | None
    locale: str
    is_active: bool
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    last_login_at: dt.datetime | None
    deleted_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Member))


@dataclass(frozen=True)
class MemberFilter:
    """Filters of ``members list/search/export``. Ranges are half-open ``from <= t < to``; a bare date
    as ``to`` includes that whole day."""

    school: str | None = None
    class_name: str | None = None
    created_from: str | dt.datetime | None = None
    created_to: str | dt.datetime | None = None
    login_from: str | dt.datetime | None = None
    login_to: str | dt.datetime | None = None
    active: bool | None = None
    query: str | None = None  # substring of email, name, nickname or student number


def _member(row: User) -> Member:
    return Member(**{name: getattr(row, name) for name in COLUMNS})


def check_pin(pin: str) -> str:
    if not PIN_RE.match(pin or ""):
        raise ValidationError("PIN: 4 to 8 digits")
    return pin


def _select(flt: MemberFilter) -> Select[Any]:
    from sqlalchemy import or_, select

    from ..db.models import User

    stmt = select(User).order_by(User.id)
    if flt.school:
        stmt = stmt.where(User.school == flt.school)
    if flt.class_name:
        stmt = stmt.where(User.class_name == flt.class_name)
    bounds = [
        (User.created_at, flt.created_from, False, "created-from"),
        (User.created_at, flt.created_to, True, "created-to"),
        (User.last_login_at, flt.login_from, False, "login-from"),
        (User.last_login_at, flt.login_to, True, "login-to"),
    ]
    for column, raw, end, label in bounds:
        when = parse_instant(raw, field=label, end=end)
        if when is not None:
            stmt = stmt.where(column < when if end else column >= when)
    if flt.active is not None:
        stmt = stmt.where(User.is_active.is_(flt.active))
    if flt.query:
        like = "%" + flt.query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(*(c.ilike(like, escape="\\") for c in (User.email, User.name, User.nickname, User.student_no)))
        )
    return stmt


def list_members(engine: Engine, flt: MemberFilter | None = None, *, limit: int | None = None) -> list[Member]:
    from ..db import transaction

    stmt = _select(flt or MemberFilter())
    if limit:
        stmt = stmt.limit(limit)
    with transaction(engine) as session:
        return [_member(r) for r in session.scalars(stmt)]


def iter_members(engine: Engine, flt: MemberFilter | None = None, *, batch: int = 1000) -> Iterator[Member]:
    """Every matching member, streamed (server-side cursor) for exports of whole schools."""
    from ..db.models import User

    columns = [User.__table__.c[name] for name in COLUMNS]
    # Built here, not in the generator: a bad filter (a date typo) fails before the caller writes a header.
    stmt = _select(flt or MemberFilter()).with_only_columns(*columns)
    return (Member(**row._mapping) for row in stream_rows(engine, stmt, batch=batch))


def _find(session: Session, ident: str | int) -> User:
    from sqlalchemy import select

    from ..db.models import User

    text = str(ident).strip()
    stmt = select(User).where(User.id == int(text)) if text.isdigit() else select(User).where(User.email == text)
    row = session.scalars(stmt).one_or_none()
    if row is None:
        raise NotFoundError(f"member '{text}' not found (give an id or an email)")
    return row


def get_member(engine: Engine, ident: str | int) -> Member:
    from ..db import transaction

    with transaction(engine) as session:
        return _member(_find(session, ident))


@dataclass(frozen=True)
class MemberDetails:
    member: Member
    active_tokens: int
    sessions: int
    messages: int
    last_session_at: dt.datetime | None
    character_id: int | None
    # The login throttle (auth_throttles): wrong PINs counted in the current window, and the lock.
    failed_logins: int = 0
    locked_until: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        data = self.member.to_dict()
        data.update(active_tokens=self.active_tokens, sessions=self.sessions, messages=self.messages,
                    last_session_at=self.last_session_at, character_id=self.character_id,
                    failed_logins=self.failed_logins, locked=self.locked_until is not None,
                    locked_until=self.locked_until)
        return data


def member_details(engine: Engine, ident: str | int, *, now: dt.datetime | None = None) -> MemberDetails:
    """A member with counts: active tokens, sessions, messages, the assigned character."""
    from sqlalchemy import func, select

    from ..db import transaction
    from ..db.models import ChatMessage, ChatSession, StudentCharacterAssignment, UserAuthToken

    now = now or dt.datetime.now(dt.UTC)
    with transaction(engine) as session:
        row = _find(session, ident)
        tokens = session.scalar(
            select(func.count()).select_from(UserAuthToken).where(
                UserAuthToken.user_id == row.id, UserAuthToken.revoked_at.is_(None),
                UserAuthToken.expires_at > now,
            )
        )
        n_sessions, last = session.execute(
            select(func.count(), func.max(ChatSession.created_at)).where(ChatSession.user_id == row.id)
        ).one()
        messages = session.scalar(
            select(func.count()).select_from(ChatMessage).join(ChatSession).where(ChatSession.user_id == row.id)
        )
        character = session.scalar(
            select(StudentCharacterAssignment.character_id).where(StudentCharacterAssignment.user_id == row.id)
        )
        if isinstance(last, str):  # SQLite hands max() back as text
            last = dt.datetime.fromisoformat(last).replace(tzinfo=dt.UTC)
        elif isinstance(last, dt.datetime) and last.tzinfo is None:
            last = last.replace(tzinfo=dt.UTC)
        lock = lock_state(session, row.email, now=now)
        return MemberDetails(member=_member(row), active_tokens=int(tokens or 0), sessions=int(n_sessions or 0),
                             messages=int(messages or 0), last_session_at=last, character_id=character,
                             failed_logins=lock["failed_logins"], locked_until=lock["locked_until"])


def unlock_member(engine: Engine, ident: str | int) -> tuple[Member, bool]:
    """Clear a member's failed-login counter and lock (``auth_throttles``); True when one was set.

    The per-address counters are left alone: they guard against spraying from one network, not one
    account."""
    from ..auth_throttle import unlock

    member = get_member(engine, ident)
    return member, unlock(engine, member.email)


def create_member(
    engine: Engine,
    *,
    email: str,
    pin: str,
    name: str,
    nickname: str | None = None,
    school: str | None = None,
    class_name: str | None = None,
    student_no: str | None = None,
    level: str | None = None,
    birth_year: int | None = None,
    locale: str = "ko",
) -> Member:
    """A new app member with a ``$2y$`` PIN hash."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import IntegrityError

    from ..db import transaction
    from ..db.models import User
    from ..passwords import hash_password

    email = (email or "").strip()
    errors = []
    if not EMAIL_RE.match(email) or len(email) > 191:
        errors.append(f"email '{email}': not an address")
    if not (name or "").strip() or len(name) > 100:
        errors.append("name: 1..100 characters")
    if not PIN_RE.match(pin or ""):
        errors.append("PIN: 4 to 8 digits")
    if birth_year is not None and not 1900 <= birth_year <= dt.date.today().year:
        errors.append(f"birth_year {birth_year}: not a plausible year")
    if errors:
        raise ValidationError(errors[0] if len(errors) == 1 else f"{len(errors)} problems: {'; '.join(errors)}",
                              errors=errors)
    pin_hash = hash_password(pin)
    with transaction(engine) as session:
        taken = session.scalar(select(User.id).where(func.lower(User.email) == email.lower()))
        if taken is not None:
            raise ConflictError(f"member '{email}' already exists (id {taken})")
        row = User(email=email, pin_hash=pin_hash, name=name.strip(), nickname=nickname, school=school,
                   class_name=class_name, student_no=student_no, level=level, birth_year=birth_year,
                   locale=locale, is_active=True, created_at=dt.datetime.now(dt.UTC))
        session.add(row)
        try:
            session.flush()
        except IntegrityError:  # created by someone else between our check and our insert
            raise ConflictError(f"member '{email}' already exists") from None
        return _member(row)


def _revoke(session: Session, user_id: int, now: dt.datetime, *, dry_run: bool) -> int:
    from sqlalchemy import func, select, update

    from ..db.models import UserAuthToken

    active = (UserAuthToken.user_id == user_id, UserAuthToken.revoked_at.is_(None))
    if dry_run:
        return int(session.scalar(select(func.count()).select_from(UserAuthToken).where(*active)) or 0)
    result = session.execute(
        update(UserAuthToken).where(*active).values(revoked_at=now).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def reset_pin(engine: Engine, ident: str | int, pin: str, *, revoke: bool = True) -> tuple[Member, int]:
    """Set a new PIN; with ``revoke`` (default) sign the member out everywhere. Returns (member, revoked)."""
    from ..db import transaction
    from ..passwords import hash_password

    pin_hash = hash_password(check_pin(pin))
    now = dt.datetime.now(dt.UTC)
    with transaction(engine) as session:
        row = _find(session, ident)
        row.pin_hash = pin_hash
        row.updated_at = now
        revoked = _revoke(session, row.id, now, dry_run=False) if revoke else 0
        session.flush()
        return _member(row), revoked


def revoke_tokens(engine: Engine, ident: str | int, *, dry_run: bool = False) -> int:
    """Set ``revoked_at`` on every token of the member not revoked yet. Returns how many."""
    from ..db import transaction

    with transaction(engine) as session:
        row = _find(session, ident)
        return _revoke(session, row.id, dt.datetime.now(dt.UTC), dry_run=dry_run)


@dataclass(frozen=True)
class DeactivateResult:
    member: Member
    tokens_revoked: int
    dry_run: bool
    already_inactive: bool

    def to_dict(self) -> dict[str, Any]:
        return {"member": self.member.to_dict(), "tokens_revoked": self.tokens_revoked,
                "dry_run": self.dry_run, "already_inactive": self.already_inactive}


def deactivate_member(engine: Engine, ident: str | int, *, dry_run: bool = False) -> DeactivateResult:
    """``is_active = false`` and every token revoked, in one transaction. The row and its history stay."""
    from ..db import transaction

    now = dt.datetime.now(dt.UTC)
    with transaction(engine) as session:
        row = _find(session, ident)
        already = not row.is_active
        revoked = _revoke(session, row.id, now, dry_run=dry_run)
        if not dry_run and not already:
            row.is_active = False
            row.updated_at = now
            session.flush()
        return DeactivateResult(member=_member(row), tokens_revoked=revoked, dry_run=dry_run,
                                already_inactive=already)
