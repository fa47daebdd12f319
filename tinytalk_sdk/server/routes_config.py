"""get_app_config / get_character / get_user_character."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from ..db.session import transaction
from ._call import Call, Handler
from ._lookup import app_flags, avatar_provider, default_character, user_character, video_avatar_vendor
from ._responses import ApiError, ok
from ._serialize import character_out, iso

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..db.models import AiCharacter

__all__ = ["HANDLERS"]


def _character(session: Session, row: AiCharacter, base: str) -> dict[str, Any]:
    from sqlalchemy import select

    from ..db.models import CharacterEmotion

    emotions = list(session.execute(
        select(CharacterEmotion).where(CharacterEmotion.character_id == row.id)
    ).scalars().all())
    return character_out(row, emotions, base)


def app_config(call: Call) -> Response:
    with transaction(call.state.engine) as session:
        character = default_character(session)
        return ok({
            "avatar_provider": avatar_provider(session),
            "video_avatar_vendor": video_avatar_vendor(session),
            "flags": app_flags(session),
            "default_character": _character(session, character, call.base_url()) if character else None,
            "server_time": iso(call.state.now()),
        })


def get_character(call: Call) -> Response:
    from sqlalchemy import select

    from ..db.models import AiCharacter

    p = call.params
    with transaction(call.state.engine) as session:
        if p.id is not None:
            row = session.get(AiCharacter, p.id)
        elif p.code is not None:
            row = session.execute(select(AiCharacter).where(AiCharacter.code == p.code)).scalar_one_or_none()
        else:
            row = default_character(session)
        if row is None or not row.is_active:
            wanted = f"id {p.id}" if p.id is not None else f"code '{p.code}'" if p.code else "default"
            raise ApiError(404, "character_not_found", f"character ({wanted}) not found")
        return ok({"character": _character(session, row, call.base_url())})


def get_user_character(call: Call) -> Response:
    with transaction(call.state.engine) as session:
        row, source = user_character(session, call.user_id)
        return ok({"character": _character(session, row, call.base_url()) if row else None, "source": source})


HANDLERS: dict[str, Handler] = {
    "get_app_config": app_config,
    "get_character": get_character,
    "get_user_character": get_user_character,
}
