"""client.config: app, character, user_character."""

from __future__ import annotations

from ..types import AppConfig, CharacterRequest, CharacterResponse, EmptyRequest, UserCharacterResponse, endpoint
from ._base import AsyncAPIResource, SyncAPIResource, make_params

__all__ = ["AsyncConfig", "Config"]


class Config(SyncAPIResource):
    def app(self) -> AppConfig:
        """GET /get_app_config.php: avatar provider, flags, default character (no login needed)."""
        return self._client._request(endpoint("get_app_config"), EmptyRequest(), AppConfig)

    def character(self, *, id: int | None = None, code: str | None = None) -> CharacterResponse:
        """GET /get_character.php: by id or code; neither = the default character."""
        ep = endpoint("get_character")
        params = make_params(CharacterRequest, ep.path, id=id, code=code)
        return self._client._request(ep, params, CharacterResponse)

    def user_character(self) -> UserCharacterResponse:
        """GET /get_user_character.php: the character assigned to the logged-in user."""
        return self._client._request(endpoint("get_user_character"), EmptyRequest(), UserCharacterResponse)


class AsyncConfig(AsyncAPIResource):
    async def app(self) -> AppConfig:
        return await self._client._request(endpoint("get_app_config"), EmptyRequest(), AppConfig)

    async def character(self, *, id: int | None = None, code: str | None = None) -> CharacterResponse:
        ep = endpoint("get_character")
        params = make_params(CharacterRequest, ep.path, id=id, code=code)
        return await self._client._request(ep, params, CharacterResponse)

    async def user_character(self) -> UserCharacterResponse:
        return await self._client._request(
            endpoint("get_user_character"), EmptyRequest(), UserCharacterResponse
        )
