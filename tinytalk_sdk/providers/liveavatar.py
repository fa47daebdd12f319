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

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._exceptions import ProviderError, ValidationError
from .._redact import register_secret
from ._adapter import VendorAdapter
from ._errors import http_error, liveavatar_error
from ._retry import RetryPolicy, retrying
from ._signals import KeepAlive, no_interrupts, sigterm_as_exit
from .base import CallContext, UsageEntry, UsageRecorder
from .bundle import AvatarSession, AvatarStop, AvatarTask
from .liveavatar_types import (
    Avatar,
    AvatarPersona,
    Context,
    Credits,
    FullTokenConfig,
    LiteTokenConfig,
    Mode,
    Page,
    SessionEntry,
    SessionToken,
    StartedSession,
    StopReason,
    Voice,
)

if TYPE_CHECKING:
    import httpx

    from .liveavatar_room import Room

__all__ = ["DEFAULT_BASE_URL", "MODES", "LiveAvatarClient", "LiveAvatarSession"]

DEFAULT_BASE_URL = "https://api.liveavatar.com"
SUCCESS_CODE = 100
MODES: tuple[Mode, ...] = ("FULL", "LITE")
# The LITE docs name a 5-minute idle timeout; pinging every minute leaves room for a missed ping or two.
KEEP_ALIVE_SECONDS = 60.0
RoomFactory = Callable[[], "Room"]


@dataclass
class LiveAvatarSession:
    """An open session: what ``token`` and ``start`` answered, and what we did with it."""

    session_id: str
    mode: Mode
    session_token: str = field(repr=False)
    avatar_id: str | None = None
    livekit_url: str | None = None
    livekit_client_token: str | None = field(default=None, repr=False)
    max_session_duration: int | None = None
    ws_url: str | None = None
    created: float = field(default_factory=time.monotonic)
    started: float | None = None
    stopped: bool = False
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


class LiveAvatarClient(VendorAdapter):
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
        profile: str = "default",
    ) -> None:
        super().__init__(api_key=api_key, recorder=recorder, base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"),
                         timeout=timeout, profile=profile)
        self.base_url: str
        self.mode: Mode = _mode(mode)
        self.avatar_id = avatar_id
        self.voice_id = voice_id
        self.context_id = context_id
        self.language = language
        self.is_sandbox = is_sandbox
        self.retry = retry or RetryPolicy()
        self.keep_alive_seconds = keep_alive_seconds
        self._transport = transport
        self._room_factory = room_factory
        self._http: httpx.Client | None = None
        self._open: dict[str, LiveAvatarSession] = {}

    def __repr__(self) -> str:
        return f"LiveAvatarClient(base_url={self.base_url!r}, mode={self.mode!r})"

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            import httpx

            self._http = httpx.Client(base_url=self.base_url, headers={"Accept": "application/json"},
                                      timeout=self.timeout, transport=self._transport)
        return self._http

    def close(self) -> None:
        for sess in list(self._open.values()):  # a client closed with sessions open stops them first
            with suppress(ProviderError):
                self.stop(sess)
        if self._http is not None:
            self._http.close()
            self._http = None

    # ---- one request ---------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, operation: str, *, json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None, bearer: str | None = None, ctx: CallContext | None = None,
        model: str | None = None, retry: bool = True, on_entry: Callable[[UsageEntry], None] | None = None,
    ) -> Any:
        with self.recorder.call("liveavatar", operation, model=model or self.mode, ctx=ctx) as entry:
            if on_entry is not None:
                on_entry(entry)
            # the API key, or the session's own token (`start` accepts nothing else)
            headers = {"Authorization": f"Bearer {bearer}"} if bearer else {"X-API-KEY": self._api_key}

            def once() -> Any:
                return self._send(entry, method, path, json, params, headers)

            return retrying(once, policy=self.retry if retry else RetryPolicy(max_retries=0))

    def _send(self, entry: UsageEntry, method: str, path: str, body: dict[str, Any] | None,
              params: dict[str, Any] | None, headers: dict[str, str]) -> Any:
        import httpx

        try:
            response = self.http.request(method, path, json=body, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise http_error("liveavatar", exc) or exc from None
        entry.http_status = response.status_code
        entry.request_id = response.headers.get("x-request-id")
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        if response.status_code >= 400:
            raise liveavatar_error(response.status_code, response.headers, payload)
        if not isinstance(payload, dict) or "code" not in payload:
            raise ProviderError(f"{path}: the answer is not the {{code, data, message}} envelope",
                                provider="liveavatar", status=response.status_code, code="bad_response")
        if payload.get("code") != SUCCESS_CODE:  # an error inside a 2xx
            raise liveavatar_error(response.status_code, response.headers, payload)
        return payload.get("data")

    def _model(self, cls: type[Any], data: Any, path: str) -> Any:
        from pydantic import ValidationError as PydanticError

        try:
            return cls.model_validate(data)
        except PydanticError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise ProviderError(f"{path}: unexpected answer ({where}: {first.get('msg')})", provider="liveavatar",
                                code="bad_response") from None

    def _page(self, path: str, operation: str, *, params: dict[str, Any] | None = None,
              ctx: CallContext | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Every item of a paginated list (pages of 100, at most ``limit`` items)."""
        items: list[dict[str, Any]] = []
        page = 1
        while len(items) < limit:
            data = self._request("GET", path, operation, params={**(params or {}), "page": page, "page_size": 100},
                                 ctx=ctx)
            answer: Page = self._model(Page, data, path)
            items.extend(answer.results)
            if not answer.next or not answer.results or len(items) >= answer.count:
                break
            page += 1
        return items[:limit]

    # ---- sessions --------------------------------------------------------------------------------

    def token_config(self, *, mode: str | None = None, avatar_id: str | None = None, voice_id: str | None = None,
                     context_id: str | None = None, max_session_duration: int | None = None,
                     ) -> FullTokenConfig | LiteTokenConfig:
        """The ``POST /v1/sessions/token`` body for a mode, from the arguments and the profile's defaults."""
        chosen = _mode(mode or self.mode)
        avatar = avatar_id or self.avatar_id
        if not avatar:
            raise ValidationError("no LiveAvatar avatar: pass --avatar or set liveavatar_avatar_id",
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
        session.started = time.monotonic()
        return started

    def keep_alive(self, session: LiveAvatarSession | str, *, ctx: CallContext | None = None) -> None:
        self._request("POST", "/v1/sessions/keep-alive", "liveavatar_keep_alive",
                      json={"session_id": _sid(session)}, ctx=ctx, model=_mode_of(session))

    def stop(self, session: LiveAvatarSession | str, *, reason: StopReason = "USER_CLOSED",
             minutes: float | None = None, mode: str | None = None, ctx: CallContext | None = None) -> None:
        """Stop a session; the usage row carries the billed minutes (priced from the mode's credits)."""
        sess = session if isinstance(session, LiveAvatarSession) else self._open.get(session)
        billed = sess.minutes if sess is not None else minutes

        def note(entry: UsageEntry) -> None:
            entry.session_minutes = billed

        if sess is not None:
            _close_helpers(sess)
        self._request("POST", "/v1/sessions/stop", "liveavatar_stop",
                      json={"session_id": _sid(session), "reason": reason}, ctx=ctx,
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
                                 avatar_id=config.avatar_id)
        self._open[sess.session_id] = sess
        try:
            self.start(sess, ctx=ctx)
            if self.keep_alive_seconds:
                sess.keep_alive = KeepAlive(lambda: self.keep_alive(sess, ctx=ctx), interval=self.keep_alive_seconds,
                                            name=f"liveavatar-keep-alive-{sess.session_id[:8]}").start()
            if connect:
                self.room_for(sess)
        except BaseException:
            with no_interrupts(), suppress(ProviderError):
                self.stop(sess, reason="SERVER_ERROR", ctx=ctx)
            raise
        return sess

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

    # ---- lists -----------------------------------------------------------------------------------

    def list_sessions(self, *, kind: str = "active", ctx: CallContext | None = None) -> list[SessionEntry]:
        """``GET /v1/sessions?type=active|historic`` (``history`` is accepted for ``historic``)."""
        vendor_kind = {"history": "historic"}.get(kind, kind)
        if vendor_kind not in ("active", "historic"):
            raise ValidationError(f"session list type '{kind}': use active or history")
        rows = self._page("/v1/sessions", "liveavatar_list", params={"type": vendor_kind}, ctx=ctx)
        return [self._model(SessionEntry, r, "/v1/sessions") for r in rows]

    def list_avatars(self, *, public: bool = False, ctx: CallContext | None = None) -> list[Avatar]:
        path = "/v1/avatars/public" if public else "/v1/avatars"
        return [self._model(Avatar, r, path) for r in self._page(path, "liveavatar_avatars", ctx=ctx)]

    def list_voices(self, *, private: bool = False, ctx: CallContext | None = None) -> list[Voice]:
        rows = self._page("/v1/voices", "liveavatar_voices", params={"voice_type": "private" if private else "public"},
                          ctx=ctx)
        return [self._model(Voice, r, "/v1/voices") for r in rows]

    def list_contexts(self, *, ctx: CallContext | None = None) -> list[Context]:
        return [self._model(Context, r, "/v1/contexts") for r in self._page("/v1/contexts", "liveavatar_contexts",
                                                                           ctx=ctx)]

    def credits(self, *, ctx: CallContext | None = None) -> Credits:
        data = self._request("GET", "/v1/users/credits", "liveavatar_credits", ctx=ctx)
        result: Credits = self._model(Credits, data, "/v1/users/credits")
        return result

    def credits_used(self, *, since: dt.datetime | None = None, ctx: CallContext | None = None) -> float:
        """Credits consumed by sessions created since ``since`` (default: the 1st of this month, UTC)."""
        now = dt.datetime.now(dt.UTC)
        start = since or now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        total = 0.0
        for kind in ("historic", "active"):
            for s in self.list_sessions(kind=kind, ctx=ctx):
                if _parse_time(s.created_at) >= start:
                    total += s.credits_consumed
        return round(total, 4)

    def stop_all(self, *, ctx: CallContext | None = None) -> list[SessionEntry]:
        """Stop every active session of the key (leaked by crashes). Returns what was stopped."""
        stopped = []
        for item in self.list_sessions(kind="active", ctx=ctx):
            self.stop(item.id, reason="ZOMBIE_SESSION_REAP", minutes=max(round(item.duration / 60, 6), 0.000001),
                      mode=item.mode,
                      ctx=ctx)
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


def _mode(value: str | None) -> Mode:
    text = (value or "FULL").strip().upper()
    if text == "CUSTOM":  # LITE's former name
        text = "LITE"
    if text == "FULL":
        return "FULL"
    if text == "LITE":
        return "LITE"
    raise ValidationError(f"liveavatar_mode '{value}': use FULL or LITE")


def _sid(session: LiveAvatarSession | str) -> str:
    return session.session_id if isinstance(session, LiveAvatarSession) else str(session)


def _mode_of(session: LiveAvatarSession | str) -> str | None:
    return session.mode if isinstance(session, LiveAvatarSession) else None


def _close_helpers(session: LiveAvatarSession) -> None:
    if session.keep_alive is not None:
        session.keep_alive.stop()
    if session.room is not None:
        with suppress(Exception):  # the room goes away with the session anyway
            session.room.close()
        session.room = None


def _parse_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
