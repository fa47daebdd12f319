"""auth_register / auth_login / auth_logout / auth_me / auth_profile."""

from __future__ import annotations

from starlette.responses import Response

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


def _token_answer(token: str, expires_at: object, user_data: dict[str, object], status: int) -> Response:
    return ok({"token": token, "token_type": "Bearer", "expires_at": expires_at, "user": user_data}, status)


def register(call: Call) -> Response:
    from sqlalchemy import func, select

    from ..db.models import User

    p = call.params
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
    now = call.state.now()
    with transaction(call.state.engine) as session:
        user = session.execute(select(User).where(func.lower(User.email) == email)).scalar_one_or_none()
        valid = verify_password(p.pin, user.pin_hash if user else _DUMMY_HASH)
        if user is None or not valid or not user.is_active or user.deleted_at is not None:
            raise ApiError(401, "invalid_credentials", "email or PIN is wrong")
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
