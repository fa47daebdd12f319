"""get_app_config / get_character / get_user_character."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ._base import RequestModel, ResponseModel

__all__ = [
    "AppConfig",
    "Character",
    "CharacterEmotion",
    "CharacterRequest",
    "CharacterResponse",
    "UserCharacterResponse",
]


class CharacterEmotion(ResponseModel):
    emotion: str = Field(description="idle | listening | thinking | speaking | praise | review | error")
    motion_group: str | None = None
    motion_index: int = 0
    motion_url: str | None = None
    expression: str | None = None
    expression_url: str | None = None
    loop: bool = False


class Character(ResponseModel):
    id: int
    code: str
    name: str
    description: str | None = None
    persona_id: int | None = None
    model_url: str | None = None
    manifest_url: str | None = None
    model_version: str | None = None
    thumbnail_url: str | None = None
    voice_id: str | None = None
    is_default: bool = False
    emotions: list[CharacterEmotion] = Field(default_factory=list)


class AppConfig(ResponseModel):
    avatar_provider: str = Field(description="admin_settings.avatar_provider: heygen | replika")
    video_avatar_vendor: str = Field(
        default="heygen",
        description="admin_settings.video_avatar_vendor: heygen | liveavatar — who serves the video mode")
    flags: dict[str, bool] = Field(default_factory=dict)
    default_character: Character | None = None
    server_time: dt.datetime | None = None


class CharacterRequest(RequestModel):
    """Query string of get_character.php: one of ``id`` / ``code``; neither = the default character."""

    id: int | None = None
    code: str | None = Field(default=None, max_length=64)


class CharacterResponse(ResponseModel):
    character: Character


class UserCharacterResponse(ResponseModel):
    character: Character | None = None
    source: str | None = Field(default=None, description="assignment | default | null when none")
