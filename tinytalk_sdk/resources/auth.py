"""client.auth: register, login, logout, me, update_profile."""

from __future__ import annotations

from .._base_client import NOT_GIVEN, NotGiven
from ..types import (
    AuthToken,
    EmptyRequest,
    LoginRequest,
    LogoutResponse,
    ProfileUpdateRequest,
    RegisterRequest,
    UserResponse,
    endpoint,
)
from ._base import AsyncAPIResource, SyncAPIResource, make_params

__all__ = ["AsyncAuth", "Auth"]


class Auth(SyncAPIResource):
    def register(
        self, *, email: str, pin: str, name: str, nickname: str | None = None, level: str | None = None,
        birth_year: int | None = None, locale: str | None = None, device: str | None = None,
        idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> AuthToken:
        """POST /auth_register.php; the client uses the new token from now on."""
        ep = endpoint("auth_register")
        params = make_params(RegisterRequest, ep.path, email=email, pin=pin, name=name, nickname=nickname,
                             level=level, birth_year=birth_year, locale=locale, device=device)
        result = self._client._request(ep, params, AuthToken, idempotency_key=idempotency_key)
        self._client.token = result.token
        return result

    def login(
        self, *, email: str, pin: str, device: str | None = None,
        idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> AuthToken:
        """POST /auth_login.php; the client uses the new token from now on."""
        ep = endpoint("auth_login")
        params = make_params(LoginRequest, ep.path, email=email, pin=pin, device=device)
        result = self._client._request(ep, params, AuthToken, idempotency_key=idempotency_key)
        self._client.token = result.token
        return result

    def logout(self) -> LogoutResponse:
        """POST /auth_logout.php: revokes the token; the client forgets it."""
        result = self._client._request(endpoint("auth_logout"), EmptyRequest(), LogoutResponse)
        self._client.token = None
        return result

    def me(self) -> UserResponse:
        """GET /auth_me.php."""
        return self._client._request(endpoint("auth_me"), EmptyRequest(), UserResponse)

    def update_profile(
        self, *, name: str | None = None, nickname: str | None = None, level: str | None = None,
        birth_year: int | None = None, locale: str | None = None,
    ) -> UserResponse:
        """POST /auth_profile.php: only the fields given change."""
        ep = endpoint("auth_profile")
        params = make_params(ProfileUpdateRequest, ep.path, name=name, nickname=nickname, level=level,
                             birth_year=birth_year, locale=locale)
        return self._client._request(ep, params, UserResponse)


class AsyncAuth(AsyncAPIResource):
    async def register(
        self, *, email: str, pin: str, name: str, nickname: str | None = None, level: str | None = None,
        birth_year: int | None = None, locale: str | None = None, device: str | None = None,
        idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> AuthToken:
        ep = endpoint("auth_register")
        params = make_params(RegisterRequest, ep.path, email=email, pin=pin, name=name, nickname=nickname,
                             level=level, birth_year=birth_year, locale=locale, device=device)
        result = await self._client._request(ep, params, AuthToken, idempotency_key=idempotency_key)
        self._client.token = result.token
        return result

    async def login(
        self, *, email: str, pin: str, device: str | None = None,
        idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> AuthToken:
        ep = endpoint("auth_login")
        params = make_params(LoginRequest, ep.path, email=email, pin=pin, device=device)
        result = await self._client._request(ep, params, AuthToken, idempotency_key=idempotency_key)
        self._client.token = result.token
        return result

    async def logout(self) -> LogoutResponse:
        result = await self._client._request(endpoint("auth_logout"), EmptyRequest(), LogoutResponse)
        self._client.token = None
        return result

    async def me(self) -> UserResponse:
        return await self._client._request(endpoint("auth_me"), EmptyRequest(), UserResponse)

    async def update_profile(
        self, *, name: str | None = None, nickname: str | None = None, level: str | None = None,
        birth_year: int | None = None, locale: str | None = None,
    ) -> UserResponse:
        ep = endpoint("auth_profile")
        params = make_params(ProfileUpdateRequest, ep.path, name=name, nickname=nickname, level=level,
                             birth_year=birth_year, locale=locale)
        return await self._client._request(ep, params, UserResponse)
