"""The two tables of the server's own bookkeeping (issue 12), beside the 12 platform tables.

* ``auth_throttles`` — failed logins and registrations counted per account and per client address, so a
  lockout holds across restarts and across workers sharing the database.
* ``idempotency_keys`` — the first answer of every keyed request, sealed, replayed after a restart.

Both are the local server's (revision 0002); the PHP backend neither reads nor writes them. Why each
column exists is in ``docs/schema.md``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Index, Integer, LargeBinary, SmallInteger, String, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from .base import MYSQL_TABLE_ARGS, Base
from .types import BigId, UTCDateTime

__all__ = ["THROTTLE_SCOPES", "AuthThrottle", "IdempotencyKey"]

# login_account: wrong PINs for one email; login_address: wrong PINs from one client address (PIN
# spraying over many emails); register_address: registrations from one client address (floods).
THROTTLE_SCOPES: tuple[str, ...] = ("login_account", "login_address", "register_address")

_SCOPE_CHECK = "scope IN (" + ", ".join(f"'{s}'" for s in THROTTLE_SCOPES) + ")"

# Stored answers are small JSON (a session, a transcript, feedback); MEDIUMBLOB (16 MiB) so none is cut.
SealedBody = LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


class AuthThrottle(Base):
    __tablename__ = "auth_throttles"
    __table_args__ = (
        UniqueConstraint("scope", "subject"),
        Index(None, "last_at"),
        CheckConstraint(_SCOPE_CHECK, name="scope"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(24), nullable=False)
    subject: Mapped[str] = mapped_column(String(191), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    first_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("principal", "endpoint", "idem_key"),
        Index(None, "expires_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    principal: Mapped[str] = mapped_column(String(32), nullable=False)
    endpoint: Mapped[str] = mapped_column(String(40), nullable=False)
    idem_key: Mapped[str] = mapped_column(String(64), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    media_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[bytes | None] = mapped_column(SealedBody)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
