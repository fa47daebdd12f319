"""Bearer tokens as the PHP backend keeps them: 32 random bytes shown once, sha256 hex stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import TYPE_CHECKING

from ._responses import ApiError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..db.models import User, UserAuthToken

__all__ = ["TOKEN_DAYS", "authenticate", "bearer_token", "hash_token", "issue_token"]

TOKEN_DAYS = 30
_TOKEN_RE = re.compile(r"^[0-9a-f]{64}$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer`` header; 401 when missing or malformed."""
    if not authorization:
        raise ApiError(401, "unauthorized", "missing bearer token")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "expected 'Authorization: Bearer <token>'")
    if not _TOKEN_RE.match(token):
        raise ApiError(401, "unauthorized", "invalid or expired token",
                       headers={"WWW-Authenticate": 'Bearer realm="tinytalk", error="invalid_token"'})
    return token


def issue_token(session: Session, user: User, *, now: dt.datetime, device: str | None) -> tuple[str, UserAuthToken]:
    from ..db.models import UserAuthToken

    token = secrets.token_hex(32)
    row = UserAuthToken(
        user_id=user.id, token_hash=hash_token(token), device=device, created_at=now,
        expires_at=now + dt.timedelta(days=TOKEN_DAYS),
    )
    session.add(row)
    session.flush()
    return token, row


def authenticate(session: Session, token: str, *, now: dt.datetime) -> tuple[User, UserAuthToken]:
    """The active user of a token; 401 for unknown, revoked or expired tokens and inactive users."""
    from sqlalchemy import select

    from ..db.models import User, UserAuthToken

    invalid = ApiError(401, "unauthorized", "invalid or expired token",
                       headers={"WWW-Authenticate": 'Bearer realm="tinytalk", error="invalid_token"'})
    row = session.execute(
        select(UserAuthToken).where(UserAuthToken.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise invalid
    user = session.get(User, row.user_id)
    if user is None or not user.is_active or user.deleted_at is not None:
        raise invalid
    # One write a minute at most: every request touching the row would serialise SQLite writers.
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1):
        row.last_used_at = now
    return user, row
