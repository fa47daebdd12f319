"""auth_register / auth_login / auth_logout / auth_me / auth_profile."""

from __future__ import annotations

import math

from starlette.responses import Response

from .. import auth_throttle
from .._exceptions import DatabaseError
from ..db.session import transaction
from ..passwords import hash_password, verify_password
from ._auth import issue_token
from ._call import Call, Handler
from ._responses import ApiError, ok
from ._serialize import iso, user_out

__all__ = ["HANDLERS"]

# Checked when the email is unknown, so that a miss costs the same bcrypt time as a wrong PIN.
_DUMMY_HASH = "$2y$10$bymI/ZIwbg2yRwGRWiztVO/xKLXEi4cRb2HyFQYQWVbA3KGvh9s6e"


THROTTLED = "too_many_attempts"  # the 429 code of a throttled login/registration (not the fault's rate_limited)


def _client_address(call: Call) -> str:
    # The socket's peer: a proxy in front must be configured to pass the real address (docs/security-server.md).
    return (call.request.client.host if call.request.client else "") or "unknown"


def _throttled(seconds: float, what: str) -> ApiError:
    wait = max(1, math.ceil(seconds))
    return ApiError(429, THROTTLED, f"too many {what}; try again in {wait} s", headers={"Retry-After": str(wait)})


def _refuse_if_locked(call: Call, scopes: list[tuple[str, str]], what: str) -> None:
    now = call.state.now()
    with transaction(call.state.engine) as session:
        wait = max(auth_throttle.check(session, scope, subject, now=now) for scope, subject in scopes)
        call.state.purge_throttles(session)
    if wait > 0:
        raise _throttled(wait, what)


def _token_answer(token: str, expires_at: object, user_data: dict[str, object], status: int) -> Response:
    return ok({"token": token, "token_type": "Bearer", "expires_at": expires_at, "user": user_data}, status)


def register(call: Call) -> Response:
    from sqlalchemy import func, select

    from ..db.models import User

    p = call.params
    address = _client_address(call)
    _refuse_if_locked(call, [("register_address", address)], "registrations from this address")
    # Every attempt counts (a flood is many successes too); an idempotent replay never reaches here.
    auth_throttle.record(call.state.engine, call.state.auth_limits, "register_address", address, now=call.state.now())
    email = p.email.strip().lower()
    pin_hash = hash_password(p.pin)
    now = call.state.now()
    taken = ApiError(409, "email_taken", "an account with this email already exists",
                     fields={"email": "already registered"})
    try:
        with transaction(call.state.engine) as session:
            if session.execute(select(User.id).where(func.lower(User.email) == email)).first():
                raise taken
            user = User(email=email, pin_hash=pin_hash, name=p.name.strip(), nickname=p.nickname,
                        level=p.level, birth_year=p.birth_year, locale=p.locale or "ko", created_at=now,
                        last_login_at=now)
            session.add(user)
            session.flush()
            token, row = issue_token(session, user, now=now, device=p.device)
            return _token_answer(token, iso(row.expires_at), user_out(user), 201)
    except DatabaseError:
        # Two registrations of one address at once: the unique email index lets one win.
        with transaction(call.state.engine) as session:
            if session.execute(select(User.id).where(func.lower(User.email) == email)).first():
                raise taken from None
        raise


def login(call: Call) -> Response:
    from sqlalchemy import func, select

    from ..db.models import User

    p = call.params
    email = p.email.strip().lower()
    address = _client_address(call)
    scopes = [("login_account", email), ("login_address", address)]
    _refuse_if_locked(call, scopes, "failed logins")
    now = call.state.now()
    with transaction(call.state.engine) as session:
        user = session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()
        valid = verify_password(p.pin, user.pin_hash if user else _DUMMY_HASH)
        user_id = user.id if user is not None and valid and user.is_active and user.deleted_at is None else None
    if user_id is None:
        for scope, subject in scopes:
            auth_throttle.record(call.state.engine, call.state.auth_limits, scope, subject, now=now)
        raise ApiError(401, "invalid_credentials", "email or PIN is wrong")
    with transaction(call.state.engine) as session:
        auth_throttle.clear(session, "login_account", email)
        user = session.get_one(User, user_id)
        user.last_login_at = now
        token, row = issue_token(session, user, now=now, device=p.device)
        return _token_answer(token, iso(row.expires_at), user_out(user), 200)


def logout(call: Call) -> Response:
    from ..db.models import UserAuthToken

    with transaction(call.state.engine) as session:
        row = session.get(UserAuthToken, call.token_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = call.state.now()
    return ok({"revoked": True})


def me(call: Call) -> Response:
    with transaction(call.state.engine) as session:
        return ok({"user": user_out(call.user(session))})


_NOT_NULL = {"name", "locale"}


def profile(call: Call) -> Response:
    p = call.params
    changes = {name: getattr(p, name) for name in p.model_fields_set}
    cleared = sorted(name for name, value in changes.items() if value is None and name in _NOT_NULL)
    if cleared:
        raise ApiError(422, "validation_failed", f"{cleared[0]}: cannot be null",
                       fields={name: "cannot be null" for name in cleared})
    with transaction(call.state.engine) as session:
        user = call.user(session)
        for name, value in changes.items():
            setattr(user, name, value.strip() if isinstance(value, str) and name == "name" else value)
        if changes:
            user.updated_at = call.state.now()
        session.flush()
        return ok({"user": user_out(user)})


HANDLERS: dict[str, Handler] = {
    "auth_register": register,
    "auth_login": login,
    "auth_logout": logout,
    "auth_me": me,
    "auth_profile": profile,
}
