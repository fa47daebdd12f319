"""Conversations: sessions by user, date and persona; readable transcripts; a streaming JSONL export.

The export reads through a server-side cursor (``yield_per``; on PyMySQL ``stream_results`` selects an
unbuffered ``SSCursor``), so memory stays at one batch however many messages there are.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import IO, TYPE_CHECKING, Any

from .._exceptions import NotFoundError, ValidationError
from ._stream import stream_rows
from ._when import parse_instant

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "ConversationFilter",
    "Message",
    "SessionSummary",
    "Transcript",
    "check_filter",
    "export_jsonl",
    "export_messages",
    "get_transcript",
    "iter_messages",
    "list_sessions",
]


@dataclass(frozen=True)
class ConversationFilter:
    """``user`` is an id or an email, ``persona`` a persona name; dates are half-open ranges."""

    user: str | int | None = None
    persona: str | None = None
    date_from: str | dt.datetime | None = None
    date_to: str | dt.datetime | None = None
    session_id: int | None = None


@dataclass(frozen=True)
class SessionSummary:
    id: int
    user_id: int
    user_email: str | None
    user_name: str | None
    persona: str | None
    character_id: int | None
    title: str | None
    session_date: dt.date | None
    status: str
    response_mode: str
    avatar_provider: str | None
    messages: int
    created_at: dt.datetime | None
    saved_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Message:
    id: int
    session_id: int
    role: str
    content: str
    audio_url: str | None
    audio_seconds: float | None
    emotion: str | None
    created_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Transcript:
    session: SessionSummary
    messages: list[Message]

    def to_dict(self) -> dict[str, Any]:
        return {"session": self.session.to_dict(), "messages": [m.to_dict() for m in self.messages]}


def _aware(value: Any) -> Any:
    if isinstance(value, str):  # SQLite returns aggregates and raw columns as text
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _user_clause(user: str | int) -> Any:
    from ..db.models import User

    text = str(user).strip()
    return User.id == int(text) if text.isdigit() else User.email == text


def _sessions_stmt(flt: ConversationFilter) -> Any:  # a Select; its column tuple type is noise here
    from sqlalchemy import func, select

    from ..db.models import AiPersona, ChatMessage, ChatSession, User

    counts = (
        select(ChatMessage.session_id, func.count().label("n"))
        .group_by(ChatMessage.session_id)
        .subquery()
    )
    stmt = (
        select(
            ChatSession.id, ChatSession.user_id, User.email.label("user_email"), User.name.label("user_name"),
            AiPersona.name.label("persona"), ChatSession.character_id, ChatSession.title,
            ChatSession.session_date, ChatSession.status, ChatSession.response_mode,
            ChatSession.avatar_provider, func.coalesce(counts.c.n, 0).label("messages"),
            ChatSession.created_at, ChatSession.saved_at,
        )
        .join(User, User.id == ChatSession.user_id)
        .outerjoin(AiPersona, AiPersona.id == ChatSession.persona_id)
        .outerjoin(counts, counts.c.session_id == ChatSession.id)
    )
    return _filter(stmt, flt, ChatSession.created_at)


def _filter(stmt: Any, flt: ConversationFilter, time_column: Any) -> Any:
    from ..db.models import AiPersona, ChatSession

    if flt.user is not None and str(flt.user).strip():
        stmt = stmt.where(_user_clause(flt.user))
    if flt.persona:
        stmt = stmt.where(AiPersona.name == flt.persona)
    if flt.session_id is not None:
        stmt = stmt.where(ChatSession.id == flt.session_id)
    start = parse_instant(flt.date_from, field="from")
    end = parse_instant(flt.date_to, field="to", end=True)
    if start and end and start >= end:
        raise ValidationError(f"empty date range: from {start.isoformat()} is not before to {end.isoformat()}")
    if start:
        stmt = stmt.where(time_column >= start)
    if end:
        stmt = stmt.where(time_column < end)
    return stmt


def check_filter(engine: Engine, flt: ConversationFilter) -> None:
    """A --user that names nobody is a typo (an id or an email names one member): the CLI calls this so it
    says so instead of listing nothing. The query functions themselves treat it as "no results", and a
    --persona with no sessions stays "no results" (exit 0) everywhere, like the other filters."""
    from sqlalchemy import select

    from ..db import transaction
    from ..db.models import User

    if flt.user is None or not str(flt.user).strip():
        return
    with transaction(engine) as session:
        if session.scalars(select(User.id).where(_user_clause(flt.user))).first() is None:
            raise NotFoundError(f"--user: member '{str(flt.user).strip()}' not found (give an id or an email)",
                                hint="`tinytalk members search TEXT` finds them")


def list_sessions(
    engine: Engine, flt: ConversationFilter | None = None, *, limit: int | None = 100
) -> list[SessionSummary]:
    """Sessions matching ``flt``, newest first (``limit`` None = all)."""
    from ..db import transaction
    from ..db.models import ChatSession

    stmt = _sessions_stmt(flt or ConversationFilter()).order_by(ChatSession.created_at.desc(), ChatSession.id.desc())
    if limit:
        stmt = stmt.limit(limit)
    with transaction(engine) as session:
        return [_summary(r._mapping) for r in session.execute(stmt)]


def _summary(m: Any) -> SessionSummary:
    return SessionSummary(
        id=m["id"], user_id=m["user_id"], user_email=m["user_email"], user_name=m["user_name"],
        persona=m["persona"], character_id=m["character_id"], title=m["title"], session_date=m["session_date"],
        status=m["status"], response_mode=m["response_mode"], avatar_provider=m["avatar_provider"],
        messages=int(m["messages"] or 0), created_at=_aware(m["created_at"]), saved_at=_aware(m["saved_at"]),
    )


def get_transcript(engine: Engine, session_id: int) -> Transcript:
    """One session and its messages in order: who said what, when, with audio URLs."""
    from sqlalchemy import select

    from ..db import transaction
    from ..db.models import ChatMessage

    with transaction(engine) as session:
        found = session.execute(_sessions_stmt(ConversationFilter(session_id=session_id))).first()
        if found is None:
            raise NotFoundError(f"conversation {session_id} not found",
                                hint="`tinytalk conversations list` shows the ids")
        rows = session.scalars(
            select(ChatMessage).where(ChatMessage.session_id == session_id).order_by(ChatMessage.id)
        )
        messages = [
            Message(id=r.id, session_id=r.session_id, role=r.role, content=r.content, audio_url=r.audio_url,
                    audio_seconds=r.audio_seconds, emotion=r.emotion, created_at=r.created_at)
            for r in rows
        ]
        return Transcript(session=_summary(found._mapping), messages=messages)


def iter_messages(
    engine: Engine, flt: ConversationFilter | None = None, *, batch: int = 1000
) -> Iterator[dict[str, Any]]:
    """Every matching message as a flat dict (session, user and persona joined in), streamed.

    Core rows, not ORM objects, through ``yield_per``: memory holds one batch whatever the total.
    """
    from sqlalchemy import select

    from ..db.models import AiPersona, ChatMessage, ChatSession, User

    stmt = (
        select(
            ChatMessage.id, ChatMessage.session_id, ChatSession.user_id, User.email.label("user_email"),
            AiPersona.name.label("persona"), ChatSession.session_date, ChatMessage.role, ChatMessage.content,
            ChatMessage.audio_url, ChatMessage.audio_seconds, ChatMessage.emotion, ChatMessage.created_at,
        )
        .join(ChatSession, ChatSession.id == ChatMessage.session_id)
        .join(User, User.id == ChatSession.user_id)
        .outerjoin(AiPersona, AiPersona.id == ChatSession.persona_id)
    )
    # By id: the primary key order is cheap on both databases and stable for resumable exports.
    # Built and checked here, not in the generator: a bad filter fails before the caller writes anything.
    stmt = _filter(stmt, flt or ConversationFilter(), ChatMessage.created_at).order_by(ChatMessage.id)
    return (dict(row._mapping) for row in stream_rows(engine, stmt, batch=batch))


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def export_messages(
    engine: Engine, out: IO[str], flt: ConversationFilter | None = None, *, fmt: str = "jsonl",
    batch: int = 1000,
) -> int:
    """Write the matching messages to ``out`` as JSON Lines (``fmt="jsonl"``) or one JSON array
    (``fmt="json"``), streamed either way: constant memory. Returns how many."""
    if fmt not in ("jsonl", "json"):
        raise ValidationError(f"export format '{fmt}': use jsonl or json")
    count = 0
    records = iter_messages(engine, flt, batch=batch)  # checks the filter before the first byte is written
    if fmt == "json":
        out.write("[")
    for record in records:
        line = json.dumps(record, default=_json_default, ensure_ascii=False)
        if fmt == "json":
            out.write(("," if count else "") + "\n  " + line)
        else:
            out.write(line + "\n")
        count += 1
    if fmt == "json":
        out.write("\n]\n" if count else "]\n")
    return count


def export_jsonl(engine: Engine, out: IO[str], flt: ConversationFilter | None = None, *, batch: int = 1000) -> int:
    """Write one JSON object per message to ``out``; returns how many. Constant memory."""
    return export_messages(engine, out, flt, fmt="jsonl", batch=batch)
