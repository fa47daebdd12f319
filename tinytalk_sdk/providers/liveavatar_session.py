"""A LiveAvatar session as the client holds it, and the small helpers around it (no I/O here)."""

from __future__ import annotations

import datetime as dt
import time
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._exceptions import ValidationError
from ._signals import KeepAlive
from .liveavatar_types import Mode

if TYPE_CHECKING:
    from .liveavatar_room import Room

__all__ = ["LiveAvatarSession", "close_helpers", "mode_of", "parse_mode", "parse_time", "session_id_of"]


@dataclass
class LiveAvatarSession:
    """An open session: what ``token`` and ``start`` answered, and what we did with it."""

    session_id: str
    mode: Mode
    session_token: str = field(repr=False)
    avatar_id: str | None = None
    is_sandbox: bool = False
    livekit_url: str | None = None
    livekit_client_token: str | None = field(default=None, repr=False)
    max_session_duration: int | None = None
    ws_url: str | None = None
    created: float = field(default_factory=time.monotonic)
    started: float | None = None
    stopped: bool = False
    last_used: float = field(default_factory=time.monotonic)  # the last start or event: bounds the keep-alive
    keep_alive: KeepAlive | None = field(default=None, repr=False)
    room: Room | None = field(default=None, repr=False)
    events: list[dict[str, Any]] = field(default_factory=list)  # the command events sent to the room

    @property
    def minutes(self) -> float:
        """Billed minutes: from ``start`` (the vendor meters from there, not from the token) until now."""
        if self.started is None:
            return 0.0  # never started: nothing metered
        # never 0 once started: a zero-minute row would be priced at nothing, not at the escrowed minute
        return max(round((time.monotonic() - self.started) / 60, 6), 0.000001)


def parse_mode(value: str | None) -> Mode:
    text = (value or "FULL").strip().upper()
    if text == "CUSTOM":  # LITE's former name
        text = "LITE"
    if text == "FULL":
        return "FULL"
    if text == "LITE":
        return "LITE"
    raise ValidationError(f"liveavatar_mode '{value}': use FULL or LITE")


def session_id_of(session: LiveAvatarSession | str) -> str:
    return session.session_id if isinstance(session, LiveAvatarSession) else str(session)


def mode_of(session: LiveAvatarSession | str) -> str | None:
    return session.mode if isinstance(session, LiveAvatarSession) else None


def close_helpers(session: LiveAvatarSession) -> None:
    if session.keep_alive is not None:
        session.keep_alive.stop()
    if session.room is not None:
        with suppress(Exception):  # the room goes away with the session anyway
            session.room.close()
        session.room = None


def parse_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
