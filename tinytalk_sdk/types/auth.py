"""auth_register / auth_login / auth_logout / auth_me / auth_profile."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ._base import RequestModel, ResponseModel

__all__ = [
    "EMAIL_PATTERN",
    "PIN_PATTERN",
    "AuthToken",
    "LoginRequest",
    "LogoutResponse",
    "ProfileUpdateRequest",
    "RegisterRequest",
    "User",
    "UserResponse",
]

# Deliberately loose (the PHP backend used filter_var(FILTER_VALIDATE_EMAIL)); the server lower-cases.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PIN_PATTERN = r"^[0-9]{4,8}$"


class User(ResponseModel):
    id: int
    email: str
    name: str
    nickname: str | None = None
    level: str | None = None
    birth_year: int | None = None
    school: str | None = None
    class_name: str | None = None
    student_no: str | None = None
    locale: str = "ko"
    created_at: dt.datetime | None = None
    last_login_at: dt.datetime | None = None


class RegisterRequest(RequestModel):
    email: str = Field(max_length=191, pattern=EMAIL_PATTERN)
    pin: str = Field(pattern=PIN_PATTERN, repr=False, description="4-8 digits")
    name: str = Field(min_length=1, max_length=100)
    nickname: str | None = Field(default=None, max_length=50)
    level: str | None = Field(default=None, max_length=20)
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    locale: str | None = Field(default=None, max_length=10)
    device: str | None = Field(default=None, max_length=255)


class LoginRequest(RequestModel):
    email: str = Field(max_length=191, pattern=EMAIL_PATTERN)
    pin: str = Field(pattern=PIN_PATTERN, repr=False, description="4-8 digits")
    device: str | None = Field(default=None, max_length=255)


class AuthToken(ResponseModel):
    """Answer of register (201) and login (200): the token is shown once, never again."""

    token: str = Field(repr=False, description="64 hex chars; Authorization: Bearer <token>")
    token_type: str = "Bearer"
    expires_at: dt.datetime
    user: User


class LogoutResponse(ResponseModel):
    revoked: bool


class UserResponse(ResponseModel):
    """Answer of auth_me and auth_profile."""

    user: User


class ProfileUpdateRequest(RequestModel):
    """Only the fields given change; ``null`` clears an optional field."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    nickname: str | None = Field(default=None, max_length=50)
    level: str | None = Field(default=None, max_length=20)
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    locale: str | None = Field(default=None, max_length=10)
