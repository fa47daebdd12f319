"""PINs and passwords hashed the way the PHP backend checks them.

PHP's ``password_hash(..., PASSWORD_BCRYPT)`` writes ``$2y$`` hashes and ``password_verify`` accepts
``$2y$``, ``$2a$`` and ``$2b$``. The Python ``bcrypt`` package writes ``$2b$``; the three prefixes are the
same algorithm (they differ only in how old buggy implementations were flagged), so we hash with bcrypt
and rewrite the prefix to ``$2y$``. Cost 10 is PHP's default.
"""

from __future__ import annotations

from ._exceptions import ValidationError

__all__ = ["BCRYPT_PREFIXES", "DEFAULT_COST", "hash_password", "is_bcrypt_hash", "verify_password"]

BCRYPT_PREFIXES = ("$2y$", "$2b$", "$2a$")
DEFAULT_COST = 10
# bcrypt ignores everything after 72 bytes (and bcrypt>=5 refuses it): say so instead of truncating.
_MAX_BYTES = 72


def _encode(secret: str) -> bytes:
    raw = secret.encode("utf-8")
    if not raw:
        raise ValidationError("empty PIN/password")
    if len(raw) > _MAX_BYTES:
        raise ValidationError(f"PIN/password longer than {_MAX_BYTES} bytes (bcrypt's limit)")
    return raw


def hash_password(secret: str, *, cost: int = DEFAULT_COST) -> str:
    """A ``$2y$`` bcrypt hash of ``secret`` that PHP's ``password_verify`` accepts."""
    import bcrypt

    if not 4 <= cost <= 31:
        raise ValidationError(f"bcrypt cost must be 4..31, got {cost}")
    hashed = bcrypt.hashpw(_encode(secret), bcrypt.gensalt(rounds=cost, prefix=b"2b")).decode("ascii")
    return "$2y$" + hashed[4:]


def is_bcrypt_hash(value: str | None) -> bool:
    return bool(value) and len(value or "") == 60 and (value or "").startswith(BCRYPT_PREFIXES)


def verify_password(secret: str, hashed: str | None) -> bool:
    """True when ``secret`` matches a ``$2y$``/``$2b$``/``$2a$`` hash; False for anything else."""
    import bcrypt

    if not hashed or not is_bcrypt_hash(hashed):
        return False
    try:
        raw = _encode(secret)
    except ValidationError:
        return False
    try:
        return bcrypt.checkpw(raw, ("$2b$" + hashed[4:]).encode("ascii"))
    except ValueError:  # malformed salt
        return False
