"""create_session / resume_session / get_sessions / get_chat_history / session_save / session_summarize."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from .._exceptions import DatabaseError
from ..db.session import transaction
from ..providers.base import ChatTurn
from ._call import Call, Handler
from ._chat import complete
from ._lookup import avatar_provider, default_persona, owned_session, user_character
from ._responses import ApiError, ok
from ._serialize import message_out, session_out

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..db.models import ChatSession

__all__ = ["HANDLERS", "SUMMARY_PROMPT"]

SUMMARY_PROMPT = (
    "Please summarize this English practice conversation for a parent in three short sentences: "
    "what the child talked about, the mistakes corrected, and one thing to practise next."
)
_CREATE_FIELDS = ("title", "persona_id", "character_id", "response_mode")


def _new_session(session: Session, call: Call, values: dict[str, Any], key: str | None) -> ChatSession:
    from ..db.models import AiCharacter, AiPersona, ChatSession

    fields: dict[str, str] = {}
    persona_id = values.get("persona_id")
    if persona_id is not None and session.get(AiPersona, persona_id) is None:
        fields["persona_id"] = f"no persona {persona_id}"
    character_id = values.get("character_id")
    if character_id is not None and session.get(AiCharacter, character_id) is None:
        fields["character_id"] = f"no character {character_id}"
    if fields:
        first = next(iter(fields.items()))
        raise ApiError(422, "validation_failed", f"{first[0]}: {first[1]}", fields=fields)
    if persona_id is None:
        persona = default_persona(session)
        persona_id = persona.id if persona else None
    if character_id is None:
        character, _source = user_character(session, call.user_id)
        character_id = character.id if character else None
    now = call.state.now()
    row = ChatSession(
        user_id=call.user_id, persona_id=persona_id, character_id=character_id, title=values.get("title"),
        session_date=call.state.today(), status="active", avatar_provider=avatar_provider(session),
        response_mode=values.get("response_mode") or "audio", idempotency_key=key, created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def create_session(call: Call) -> Response:
    """Deduplicated on ``chat_sessions.idempotency_key`` (unique per user): a restart keeps the dedupe."""
    from sqlalchemy import select

    from ..db.models import ChatSession

    values = call.params.model_dump()
    key = call.idempotency_key

    def existing() -> Response | None:
        if key is None:
            return None
        with transaction(call.state.engine) as session:
            row = session.execute(select(ChatSession).where(
                ChatSession.user_id == call.user_id, ChatSession.idempotency_key == key)).scalar_one_or_none()
            if row is None:
                return None
            asked = {f: values[f] for f in _CREATE_FIELDS if f in call.params.model_fields_set}
            if any(getattr(row, f) != v for f, v in asked.items()):
                raise ApiError(409, "idempotency_key_reused",
                               "Idempotency-Key was used with a different request body")
            return ok({"session": session_out(row)}, 201, {"Idempotent-Replayed": "true"})

    replay = existing()
    if replay is not None:
        return replay
    try:
        with transaction(call.state.engine) as session:
            row = _new_session(session, call, values, key)
            return ok({"session": session_out(row)}, 201)
    except DatabaseError:
        # Two requests with one key at once: the unique (user_id, idempotency_key) lets one insert win.
        replay = existing()
        if replay is not None:
            return replay
        raise


def resume_session(call: Call) -> Response:
    from sqlalchemy import select

    from ..db.models import ChatSession

    today = call.state.today()
    with transaction(call.state.engine) as session:
        row = session.execute(
            select(ChatSession).where(ChatSession.user_id == call.user_id, ChatSession.session_date == today,
                                      ChatSession.status == "active")
            .order_by(ChatSession.id.desc()).limit(1)
        ).scalar_one_or_none()
        if row is not None:
            return ok({"session": session_out(row), "resumed": True})
        mode = call.params.response_mode
        row = _new_session(session, call, {"response_mode": mode} if mode else {}, None)
        return ok({"session": session_out(row), "resumed": False})


def get_sessions(call: Call) -> Response:
    from sqlalchemy import func, select

    from ..db.models import ChatSession

    p = call.params
    with transaction(call.state.engine) as session:
        total = session.execute(
            select(func.count()).select_from(ChatSession).where(ChatSession.user_id == call.user_id)
        ).scalar_one()
        rows = session.execute(
            select(ChatSession).where(ChatSession.user_id == call.user_id)
            .order_by(ChatSession.created_at.desc(), ChatSession.id.desc()).limit(p.limit).offset(p.offset)
        ).scalars().all()
        return ok({"sessions": [session_out(r) for r in rows], "total": int(total), "limit": p.limit,
                   "offset": p.offset})


def get_chat_history(call: Call) -> Response:
    from sqlalchemy import select

    from ..db.models import ChatMessage

    p = call.params
    with transaction(call.state.engine) as session:
        row = owned_session(session, call.user_id, p.session_id)
        query = select(ChatMessage).where(ChatMessage.session_id == row.id)
        if p.after_id is not None:
            query = query.where(ChatMessage.id > p.after_id)
        messages = session.execute(query.order_by(ChatMessage.id).limit(p.limit)).scalars().all()
        base = call.base_url()
        return ok({"session": session_out(row), "messages": [message_out(m, base) for m in messages]})


def session_save(call: Call) -> Response:
    p = call.params
    now = call.state.now()
    with transaction(call.state.engine) as session:
        row = owned_session(session, call.user_id, p.session_id)
        if p.title is not None:
            row.title = p.title
        if row.status != "saved":
            row.status = "saved"
            row.saved_at = now
        row.updated_at = now
        session.flush()
        return ok({"session": session_out(row)})


def history_turns(session: Session, session_id: int, *, limit: int = 40) -> list[ChatTurn]:
    """The last ``limit`` messages of a session, oldest first, as chat turns."""
    from sqlalchemy import select

    from ..db.models import ChatMessage

    rows = session.execute(
        select(ChatMessage).where(ChatMessage.session_id == session_id, ChatMessage.role != "system")
        .order_by(ChatMessage.id.desc()).limit(limit)
    ).scalars().all()
    return [ChatTurn(r.role, r.content) for r in reversed(rows)]


def session_summarize(call: Call) -> Response:
    session_id = call.params.session_id
    with transaction(call.state.engine) as session:
        owned_session(session, call.user_id, session_id)
        turns = history_turns(session, session_id, limit=200)
    if not any(t.role == "user" for t in turns):
        raise ApiError(422, "empty_session", f"chat session {session_id} has no messages to summarize",
                       fields={"session_id": "no messages"})
    # One transcript in one user turn (as OpenAI's summarize does): GPT must not answer the last line.
    transcript = "\n".join(f"{t.role}: {t.content}" for t in turns)
    messages = [ChatTurn("system", SUMMARY_PROMPT), ChatTurn("user", transcript)]
    result = complete(call, messages, operation="summary", session_id=session_id)
    with transaction(call.state.engine) as session:
        row = owned_session(session, call.user_id, session_id)
        row.summary = result.text
        row.updated_at = call.state.now()
    usage = {"input_tokens": result.input_tokens or 0, "output_tokens": result.output_tokens or 0}
    return ok({"session_id": session_id, "summary": result.text, "usage": usage})


HANDLERS: dict[str, Handler] = {
    "create_session": create_session,
    "resume_session": resume_session,
    "get_sessions": get_sessions,
    "get_chat_history": get_chat_history,
    "session_save": session_save,
    "session_summarize": session_summarize,
}
