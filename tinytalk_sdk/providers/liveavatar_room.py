"""The LiveKit side of a LiveAvatar session: the room the avatar speaks in, and the events it is sent.

FULL-mode sessions are driven by JSON events on LiveKit data channels (docs.liveavatar.com/docs/full-mode/
events): commands go to the topic ``agent-control``, the server answers on ``agent-response``; every event
is ``{"event_id", "event_type", "session_id", …data}`` (``avatar.speak_text`` and ``avatar.speak_response``
carry ``{"text": …}``). :func:`command_event` / :func:`encode_event` build them; :class:`Room` is the small
interface the client talks to; :class:`LiveKitRoom` is the real one, on the official ``livekit`` SDK
(``rtc.Room.connect`` → ``local_participant.publish_data(topic=…)``), run on its own asyncio loop thread so
the rest of the toolkit stays synchronous.

Before connecting, the client token is decoded and checked with ``livekit-api`` (:func:`check_client_token`:
a room, an identity, the join and publish-data grants, not expired); failures are typed:
:class:`RoomTokenError` (bad token, also the server's 401), :class:`RoomRefusedError` (nothing listens,
refused by the server), :class:`RoomTimeoutError`. ``livekit`` and ``livekit-api`` are imported inside the
functions (the ``liveavatar`` extra), never at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .._exceptions import RoomRefusedError, RoomTimeoutError, RoomTokenError

__all__ = [
    "COMMAND_EVENTS",
    "COMMAND_TOPIC",
    "RESPONSE_TOPIC",
    "LiveKitRoom",
    "Room",
    "TokenClaims",
    "check_client_token",
    "command_event",
    "encode_event",
]

COMMAND_TOPIC = "agent-control"
RESPONSE_TOPIC = "agent-response"
# event_type → the data fields it carries (the vendor's command-event table)
COMMAND_EVENTS: dict[str, tuple[str, ...]] = {
    "avatar.interrupt": (),
    "avatar.speak_text": ("text",),
    "avatar.speak_response": ("text",),
    "avatar.start_listening": (),
    "avatar.stop_listening": (),
    "user.start_push_to_talk": (),
    "user.stop_push_to_talk": (),
}


def command_event(event_type: str, session_id: str, **data: Any) -> dict[str, Any]:
    """One command event as the vendor documents it; unknown types and missing/extra fields are refused."""
    from .._exceptions import ValidationError

    fields = COMMAND_EVENTS.get(event_type)
    if fields is None:
        raise ValidationError(f"unknown LiveAvatar command event '{event_type}' (known: {', '.join(COMMAND_EVENTS)})")
    if set(data) != set(fields):
        raise ValidationError(f"{event_type} takes {', '.join(fields) or 'no data'}; got {', '.join(data) or 'none'}")
    if "text" in data and not str(data["text"]).strip():
        raise ValidationError(f"{event_type}: text is empty")
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, "session_id": session_id, **data}


def encode_event(event: dict[str, Any]) -> bytes:
    """The data-channel payload: compact UTF-8 JSON."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@runtime_checkable
class Room(Protocol):
    """What the LiveAvatar client needs of a LiveKit room."""

    def connect(self, url: str, token: str) -> None: ...

    def publish(self, payload: bytes, *, topic: str) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class TokenClaims:
    identity: str
    room: str
    expires_at: float
    can_publish_data: bool
    can_subscribe: bool


def _require(module: str) -> None:
    """The ``liveavatar`` extra is optional: say how to get it instead of an ImportError."""
    import importlib.util

    from .._exceptions import ConfigError

    if importlib.util.find_spec(module.split(".")[0]) is None or importlib.util.find_spec(module) is None:
        raise ConfigError(f"LiveAvatar's LiveKit side needs the '{module}' package",
                          hint="pip install 'tinytalk[liveavatar]' (livekit, livekit-api)")


def check_client_token(token: str, *, now: float | None = None) -> TokenClaims:
    """Decode a LiveKit access token (without its secret: only the vendor holds that) and check it is usable."""
    _require("livekit.api")
    import jwt
    from livekit.api import TokenVerifier

    try:
        claims = TokenVerifier(api_key="", api_secret="").verify(token, verify_signature=False)
        raw = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise RoomTokenError(f"the LiveKit client token is not a JWT ({exc.__class__.__name__})") from None
    video = claims.video
    if video is None or not video.room:
        raise RoomTokenError("the LiveKit client token names no room")
    if not video.room_join:
        raise RoomTokenError(f"the LiveKit client token does not grant joining room {video.room}")
    if not claims.identity:
        raise RoomTokenError("the LiveKit client token has no identity")
    expires = raw.get("exp")
    if not isinstance(expires, (int, float)):
        raise RoomTokenError("the LiveKit client token has no expiry")
    if expires <= (time.time() if now is None else now):
        raise RoomTokenError(f"the LiveKit client token for room {video.room} has expired")
    if not video.can_publish_data:
        raise RoomTokenError(f"the LiveKit client token may not publish data in room {video.room} "
                             "(the avatar could not be told to speak)")
    return TokenClaims(identity=claims.identity, room=video.room, expires_at=float(expires),
                       can_publish_data=bool(video.can_publish_data), can_subscribe=bool(video.can_subscribe))


class LiveKitRoom:
    """A real LiveKit room (``livekit.rtc``) on a private event-loop thread."""

    def __init__(self, *, connect_timeout: float = 10.0) -> None:
        self.connect_timeout = connect_timeout
        self.claims: TokenClaims | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._room: Any = None

    def _run(self, coro: Any, timeout: float) -> Any:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="livekit-room", daemon=True)
            self._thread.start()
        # The deadline is kept on the loop too (wait_for cancels the coroutine and waits for it), so a timed-out
        # connect leaves no pending task behind to be destroyed, noisily, when the process exits.
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), self._loop).result(timeout + 1)

    def connect(self, url: str, token: str) -> None:
        import concurrent.futures

        if not url.startswith(("ws://", "wss://", "http://", "https://")):
            raise RoomRefusedError(f"LiveKit URL '{url}' is not ws(s)://")
        _require("livekit.rtc")
        self.claims = check_client_token(token)

        async def go() -> Any:
            from livekit import rtc

            room = rtc.Room()
            await room.connect(url, token, options=rtc.RoomOptions(auto_subscribe=False,
                                                                   connect_timeout=self.connect_timeout))
            return room

        try:
            self._room = self._run(go(), self.connect_timeout)  # our deadline: the SDK retries on its own
        except (TimeoutError, concurrent.futures.TimeoutError):
            self.close()
            raise RoomTimeoutError(f"LiveKit room {self.claims.room} at {url}: no answer in "
                                   f"{self.connect_timeout:g} s") from None
        except Exception as exc:
            self.close()
            raise _connect_error(exc, url, self.claims.room) from None

    def publish(self, payload: bytes, *, topic: str) -> None:
        if self._room is None:
            raise RoomRefusedError("the LiveKit room is not connected")
        self._run(self._room.local_participant.publish_data(payload, reliable=True, topic=topic), 10)

    def close(self) -> None:
        room, self._room = self._room, None
        loop = self._loop
        if loop is None:
            return
        if room is not None:
            with contextlib.suppress(Exception):  # leaving a room that is already gone
                self._run(room.disconnect(), 5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        # Not closed: after a timeout the SDK's native side may still post results to the loop, and a closed
        # loop makes it print errors; a stopped one takes them silently.
        self._loop = self._thread = None


def _connect_error(exc: BaseException, url: str, room: str) -> Exception:
    """The SDK's ``ConnectError`` (one message for every cause) → a typed error."""
    text = " ".join(str(exc).split())[:200] or exc.__class__.__name__
    low = text.lower()
    if any(k in low for k in ("401", "unauthorized", "invalid token", "token is expired", "permission")):
        return RoomTokenError(f"LiveKit refused the token for room {room} at {url}: {text}")
    if any(k in low for k in ("timed out", "timeout", "deadline")):
        return RoomTimeoutError(f"LiveKit room {room} at {url}: {text}")
    return RoomRefusedError(f"could not connect to LiveKit room {room} at {url}: {text}")
