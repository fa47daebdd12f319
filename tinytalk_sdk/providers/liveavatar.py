"""HeyGen LiveAvatar over httpx: the video-avatar vendor the platform moves to (HeyGen v1's successor).

Built to the vendor's OpenAPI (docs.liveavatar.com/openapi.json; models in :mod:`.liveavatar_types`), all
under ``https://api.liveavatar.com``:

* ``POST /v1/sessions/token`` with ``X-API-KEY`` (a LiveAvatar key: HeyGen keys are refused) → session id
  and a short-lived session token; ``POST /v1/sessions/start`` with ``Authorization: Bearer <session
  token>`` → **201** with the LiveKit room (``livekit_url``, ``livekit_client_token``);
* ``POST /v1/sessions/keep-alive`` / ``stop`` (``session_id`` in the body), ``GET /v1/sessions?type=active|
  historic``, ``GET /v1/avatars`` / ``/v1/avatars/public``, ``/v1/voices``, ``/v1/contexts``,
  ``/v1/users/credits``;
* no REST tasks: the avatar speaks through LiveKit data-channel events (:mod:`.liveavatar_room`).

Billing is in credits per session minute (FULL 2, LITE 1; price table ``[liveavatar."FULL"|"LITE"]``), so a
session is ALWAYS stopped, as with v1: :meth:`LiveAvatarClient.session` stops it however the block ends
(also SIGTERM / Ctrl-C, :mod:`._signals`), and a keep-alive thread runs while it is open (the vendor closes
idle sessions). What a SIGKILL still leaks, ``tinytalk heygen sessions stop-all --vendor liveavatar`` stops.
Every call writes one usage row (``service='liveavatar'``, ``model`` = the mode); the stop row carries the
session minutes the cost is priced from.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._exceptions import ProviderError, ValidationError
from .._redact import register_secret
from ._retry import RetryPolicy
from ._signals import KeepAlive, no_interrupts, sigterm_as_exit
from .base import CallContext, UsageEntry, UsageRecorder
from .bundle import AvatarSession, AvatarStop, AvatarTask
from .liveavatar_api import LiveAvatarAPI
from .liveavatar_session import (
    LiveAvatarSession,
    close_helpers,
    mode_of,
    parse_mode,
    session_id_of,
)
from .liveavatar_types import (
    AvatarPersona,
    FullTokenConfig,
    LiteTokenConfig,
    Mode,
    SessionEntry,
    SessionToken,
    StartedSession,
    StopReason,
)

if TYPE_CHECKING:
    import httpx

    from .liveavatar_room import Room

log = logging.getLogger("tinytalk.providers")

__all__ = ["DEFAULT_BASE_URL", "MODES", "SANDBOX_AVATAR_ID", "LiveAvatarClient", "LiveAvatarSession"]

DEFAULT_BASE_URL = "https://api.liveavatar.com"
MODES: tuple[Mode, ...] = ("FULL", "LITE")
# The LITE docs name a 5-minute idle timeout; pinging every minute leaves room for a missed ping or two.
KEEP_ALIVE_SECONDS = 60.0
# A session nobody has used for this long is no longer kept alive: the vendor's idle timeout then ends it. A
# client that forgot a session (an app that never called heygen_stop.php) must not keep it billed for ever.
KEEP_ALIVE_MAX_IDLE_SECONDS = 600.0
# The only avatar sandbox sessions may use (docs.liveavatar.com/docs/sandbox-mode: "Wayne").
SANDBOX_AVATAR_ID = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"
RoomFactory = Callable[[], "Room"]


class LiveAvatarClient(LiveAvatarAPI):
    """The LiveAvatar API; also the server's ``VideoAvatar`` (``create_session`` … ``stop_session``)."""

    name = "liveavatar"
    service = "liveavatar"
    key_setting = "liveavatar_api_key"

    def __init__(
        self,
        *,
        api_key: str | None,
        recorder: UsageRecorder | None = None,
        base_url: str | None = None,
        mode: str | None = None,
        avatar_id: str | None = None,
        voice_id: str | None = None,
        context_id: str | None = None,
        language: str = "en",
        is_sandbox: bool = False,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        room_factory: RoomFactory | None = None,
        keep_alive_seconds: float | None = KEEP_ALIVE_SECONDS,
        max_idle_seconds: float = KEEP_ALIVE_MAX_IDLE_SECONDS,
        profile: str = "default",
    ) -> None:
        super().__init__(api_key=api_key, recorder=recorder, base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"),
                         timeout=timeout, profile=profile)
        self.mode: Mode = parse_mode(mode)
        self.avatar_id = avatar_id
        self.voice_id = voice_id
        self.context_id = context_id
        self.language = language
        self.is_sandbox = is_sandbox
        self.retry = retry or RetryPolicy()
        self.keep_alive_seconds = keep_alive_seconds
        self.max_idle_seconds = max_idle_seconds
        self._transport = transport
        self._room_factory = room_factory
        self._http: httpx.Client | None = None
        self._open: dict[str, LiveAvatarSession] = {}

    def __repr__(self) -> str:
        return f"LiveAvatarClient(base_url={self.base_url!r}, mode={self.mode!r})"

    def close(self) -> None:
        for sess in list(self._open.values()):  # a client closed with sessions open stops them first
            with suppress(ProviderError):
                self.stop(sess)
        super().close()

    # ---- sessions --------------------------------------------------------------------------------

    def token_config(self, *, mode: str | None = None, avatar_id: str | None = None, voice_id: str | None = None,
                     context_id: str | None = None, max_session_duration: int | None = None,
                     ) -> FullTokenConfig | LiteTokenConfig:
        """The ``POST /v1/sessions/token`` body for a mode, from the arguments and the profile's defaults."""
        chosen = parse_mode(mode or self.mode)
        avatar = avatar_id or self.avatar_id or (SANDBOX_AVATAR_ID if self.is_sandbox else None)
        if not avatar:
            raise ValidationError("no LiveAvatar avatar: set liveavatar_avatar_id",
                                  hint="`tinytalk heygen avatars --vendor liveavatar` lists them")
        if chosen == "FULL":
            persona = AvatarPersona(voice_id=voice_id or self.voice_id, context_id=context_id or self.context_id,
                                    language=self.language)
            return FullTokenConfig(avatar_id=avatar, avatar_persona=persona, is_sandbox=self.is_sandbox,
                                   max_session_duration=max_session_duration)
        return LiteTokenConfig(avatar_id=avatar, is_sandbox=self.is_sandbox, max_session_duration=max_session_duration)

    def create_token(self, config: FullTokenConfig | LiteTokenConfig, *, ctx: CallContext | None = None
                     ) -> SessionToken:
        # Not retried: a token is a session the vendor already counts.
        data = self._request("POST", "/v1/sessions/token", "liveavatar_token", json=config.body(), ctx=ctx,
                             model=config.mode, retry=False)
        token: SessionToken = self._model(SessionToken, data, "/v1/sessions/token")
        register_secret(token.session_token)
        return token

    def start(self, session: LiveAvatarSession, *, ctx: CallContext | None = None) -> StartedSession:
        data = self._request("POST", "/v1/sessions/start", "liveavatar_start", bearer=session.session_token,
                             ctx=ctx, model=session.mode, retry=False)
        started: StartedSession = self._model(StartedSession, data, "/v1/sessions/start")
        register_secret(started.livekit_client_token)
        register_secret(started.livekit_agent_token)
        session.livekit_url, session.livekit_client_token = started.livekit_url, started.livekit_client_token
        session.max_session_duration, session.ws_url = started.max_session_duration, started.ws_url
        session.started = session.last_used = time.monotonic()
        return started

    def keep_alive(self, session: LiveAvatarSession | str, *, ctx: CallContext | None = None) -> None:
        self._request("POST", "/v1/sessions/keep-alive", "liveavatar_keep_alive",
                      json={"session_id": session_id_of(session)}, ctx=ctx, model=mode_of(session))

    def stop(self, session: LiveAvatarSession | str, *, reason: StopReason = "USER_CLOSED",
             minutes: float | None = None, mode: str | None = None, sandbox: bool = False,
             ctx: CallContext | None = None) -> None:
        """Stop a session; the usage row carries the billed minutes (priced from the mode's credits)."""
        sess = session if isinstance(session, LiveAvatarSession) else self._open.get(session)
        billed = sess.minutes if sess is not None else minutes
        free = sess.is_sandbox if sess is not None else sandbox

        def note(entry: UsageEntry) -> None:
            entry.session_minutes = billed
            if free:  # sandbox sessions consume no credits (docs/sandbox-mode): cost 0, not the table's
                entry.cost_usd = Decimal(0)

        if sess is not None:
            close_helpers(sess)
        self._request("POST", "/v1/sessions/stop", "liveavatar_stop",
                      json={"session_id": session_id_of(session), "reason": reason}, ctx=ctx,
                      model=sess.mode if sess is not None else (mode or self.mode), on_entry=note)
        if sess is not None:
            sess.stopped = True
            self._open.pop(sess.session_id, None)

    def open_session(self, *, mode: str | None = None, avatar_id: str | None = None, voice_id: str | None = None,
                     context_id: str | None = None, max_session_duration: int | None = None,
                     connect: bool = False, ctx: CallContext | None = None) -> LiveAvatarSession:
        """token → start → keep-alive thread (→ LiveKit room when ``connect``). Stopped again if a step fails."""
        config = self.token_config(mode=mode, avatar_id=avatar_id, voice_id=voice_id, context_id=context_id,
                                   max_session_duration=max_session_duration)
        token = self.create_token(config, ctx=ctx)
        sess = LiveAvatarSession(session_id=token.session_id, mode=config.mode, session_token=token.session_token,
                                 avatar_id=config.avatar_id, is_sandbox=config.is_sandbox)
        self._open[sess.session_id] = sess
        try:
            self.start(sess, ctx=ctx)
            if self.keep_alive_seconds:
                sess.keep_alive = KeepAlive(lambda: self._ping(sess, ctx), interval=self.keep_alive_seconds,
                                            name=f"liveavatar-keep-alive-{sess.session_id[:8]}").start()
            if connect:
                self.room_for(sess)
        except BaseException:
            with no_interrupts(), suppress(ProviderError):
                self.stop(sess, reason="SERVER_ERROR", ctx=ctx)
            raise
        return sess

    def _ping(self, session: LiveAvatarSession, ctx: CallContext | None) -> bool:
        """One keep-alive, unless the session has been idle past ``max_idle_seconds`` (then the thread ends)."""
        if time.monotonic() - session.last_used > self.max_idle_seconds:
            log.warning("liveavatar session %s unused for %.0f s: no more keep-alives (the vendor's idle timeout "
                        "ends it)", session.session_id, time.monotonic() - session.last_used)
            return False
        self.keep_alive(session, ctx=ctx)
        return True

    @contextmanager
    def session(self, *, mode: str | None = None, avatar_id: str | None = None, voice_id: str | None = None,
                context_id: str | None = None, connect: bool = False, ctx: CallContext | None = None,
                ) -> Iterator[LiveAvatarSession]:
        """``with la.session() as s: la.speak_text(s, "Hi!")`` — stopped however the block ends."""
        with sigterm_as_exit():
            sess = self.open_session(mode=mode, avatar_id=avatar_id, voice_id=voice_id, context_id=context_id,
                                     connect=connect, ctx=ctx)
            try:
                yield sess
            finally:
                if not sess.stopped:
                    # A failed stop is already an error row; `heygen sessions stop-all` cleans up.
                    with no_interrupts(), suppress(ProviderError):
                        self.stop(sess, ctx=ctx)

    # ---- speaking: LiveKit data-channel events ---------------------------------------------------

    def room_for(self, session: LiveAvatarSession) -> Room:
        """The session's LiveKit room, connected on first use (the client token checked first)."""
        if session.room is None:
            if not session.livekit_url or not session.livekit_client_token:
                raise ProviderError(f"session {session.session_id} is not started (no LiveKit room)",
                                    provider="liveavatar", code="not_started")
            from .liveavatar_room import LiveKitRoom

            room = self._room_factory() if self._room_factory is not None else LiveKitRoom()
            room.connect(session.livekit_url, session.livekit_client_token)
            session.room = room
        return session.room

    def _event(self, session: LiveAvatarSession | str, event_type: str, operation: str, *,
               ctx: CallContext | None, **data: Any) -> dict[str, Any]:
        from .liveavatar_room import COMMAND_TOPIC, command_event, encode_event

        sess = session if isinstance(session, LiveAvatarSession) else self._open.get(session)
        if sess is None:
            raise ProviderError(f"session {session} is not open here", provider="liveavatar", code="not_open")
        if sess.mode != "FULL":
            raise ValidationError(f"{event_type}: LITE sessions take audio over their websocket, not text events",
                                  hint="use mode FULL to make the avatar speak text")
        event = command_event(event_type, sess.session_id, **data)
        text = data.get("text")

        def note(entry: UsageEntry) -> None:
            entry.characters = len(text) if isinstance(text, str) else None

        with self.recorder.call("liveavatar", operation, model=sess.mode, ctx=ctx) as entry:
            note(entry)
            self.room_for(sess).publish(encode_event(event), topic=COMMAND_TOPIC)
        sess.events.append(event)
        sess.last_used = time.monotonic()
        return event

    def speak_text(self, session: LiveAvatarSession | str, text: str, *, ctx: CallContext | None = None
                   ) -> dict[str, Any]:
        """``avatar.speak_text``: the avatar says exactly ``text`` (HeyGen v1's ``repeat`` task)."""
        return self._event(session, "avatar.speak_text", "liveavatar_speak", ctx=ctx, text=text)

    def speak_response(self, session: LiveAvatarSession | str, text: str, *, ctx: CallContext | None = None
                       ) -> dict[str, Any]:
        """``avatar.speak_response``: the avatar's LLM answers ``text`` (v1's ``talk`` task)."""
        return self._event(session, "avatar.speak_response", "liveavatar_respond", ctx=ctx, text=text)

    def interrupt(self, session: LiveAvatarSession | str, *, ctx: CallContext | None = None) -> dict[str, Any]:
        return self._event(session, "avatar.interrupt", "liveavatar_interrupt", ctx=ctx)

    def stop_all(self, *, ctx: CallContext | None = None) -> list[SessionEntry]:
        """Stop every active session of the key (leaked by crashes). Returns what was stopped."""
        stopped = []
        for item in self.list_sessions(kind="active", ctx=ctx):
            self.stop(item.id, reason="ZOMBIE_SESSION_REAP", minutes=max(round(item.duration / 60, 6), 0.000001),
                      mode=item.mode, sandbox=item.is_sandbox, ctx=ctx)
            stopped.append(item)
        return stopped

    # ---- the server's VideoAvatar interface (providers.bundle) ---------------------------------

    def create_session(self, *, avatar_id: str | None = None, voice_id: str | None = None, quality: str | None = None,
                       ctx: CallContext | None = None) -> AvatarSession:
        """token + start in one (LiveAvatar has no separate ``new``); the LiveKit room is in the answer."""
        sess = self.open_session(avatar_id=avatar_id, voice_id=voice_id, ctx=ctx)
        return AvatarSession(session_id=sess.session_id, avatar_id=sess.avatar_id, url=sess.livekit_url,
                             access_token=sess.livekit_client_token, session_duration_limit=sess.max_session_duration,
                             extra={"vendor": "liveavatar", "mode": sess.mode})

    def start_session(self, session_id: str, *, sdp: dict[str, Any] | None = None, ctx: CallContext | None = None
                      ) -> dict[str, Any]:
        return {}  # started by create_session; LiveKit negotiates the media itself

    def send_ice(self, session_id: str, candidate: dict[str, Any], *, ctx: CallContext | None = None) -> None:
        """LiveKit gathers ICE itself: nothing to forward."""

    def speak(self, session_id: str, text: str, *, task_type: str = "repeat", ctx: CallContext | None = None
              ) -> AvatarTask:
        method = self.speak_response if task_type == "talk" else self.speak_text
        event = method(session_id, text, ctx=ctx)
        return AvatarTask(task_id=str(event["event_id"]), duration_ms=None)

    def stop_session(self, session_id: str, *, ctx: CallContext | None = None) -> AvatarStop:
        sess = self._open.get(session_id)
        seconds = (sess.minutes * 60) if sess else 0.0
        self.stop(sess or session_id, ctx=ctx)
        return AvatarStop(session_id=session_id, duration_seconds=round(seconds, 3))
