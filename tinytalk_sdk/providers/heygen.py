"""HeyGen Interactive (streaming) Avatar v1 over httpx; HeyGen ships no Python SDK.

Endpoints (PROVIDERS.md §3), all under ``https://api.heygen.com`` with ``X-Api-Key``:
``POST /v1/streaming.create_token``, ``.new``, ``.start``, ``.ice``, ``.task``, ``.stop``, ``.interrupt``;
``GET /v1/streaming.list``, ``GET /v1/streaming/avatar.list``, ``GET /v2/voices``. Envelope
``{"code": 100, "message": "success", "data": {...}}``; errors ``{"code": <int>, "message": ...}``.

HeyGen bills session minutes and limits concurrent sessions, so a session is ALWAYS stopped:
:meth:`HeyGenClient.session` is a context manager whose exit stops the session on success, on any error,
on Ctrl-C and on SIGTERM (turned into ``SystemExit`` while a session is open in the main thread), with a
second Ctrl-C ignored while the stop request is in flight. What a crash (SIGKILL) still leaks,
``tinytalk heygen sessions stop-all`` finds through ``streaming.list`` and stops.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._exceptions import ProviderError
from .._redact import register_secret
from ._adapter import VendorAdapter
from ._errors import heygen_error, http_error
from ._retry import RetryPolicy, retrying
from ._signals import no_interrupts, sigterm_as_exit
from .base import CallContext, UsageEntry, UsageRecorder
from .bundle import AvatarSession, AvatarStop, AvatarTask

if TYPE_CHECKING:
    import httpx

__all__ = ["DEFAULT_BASE_URL", "HeyGenClient", "HeyGenSession"]

DEFAULT_BASE_URL = "https://api.heygen.com"
SUCCESS_CODE = 100


@dataclass
class HeyGenSession:
    """An open streaming session (what ``streaming.new`` answered)."""

    session_id: str
    avatar_id: str | None = None
    url: str | None = None
    access_token: str | None = field(default=None, repr=False)
    realtime_endpoint: str | None = None
    session_duration_limit: int | None = None
    created: float = field(default_factory=time.monotonic)
    started: float | None = None
    stopped: bool = False
    tasks: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def minutes(self) -> float:
        return round((time.monotonic() - self.created) / 60, 4)


class HeyGenClient(VendorAdapter):
    """The HeyGen streaming-avatar API. Every call writes one usage row (``service='heygen'``)."""

    name = "heygen"
    service = "heygen"
    key_setting = "heygen_api_key"

    def __init__(
        self,
        *,
        api_key: str | None,
        recorder: UsageRecorder | None = None,
        base_url: str | None = None,
        avatar_id: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        profile: str = "default",
    ) -> None:
        super().__init__(api_key=api_key, recorder=recorder, base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"),
                         timeout=timeout, profile=profile)
        self.base_url: str
        self.avatar_id = avatar_id
        self.retry = retry or RetryPolicy()
        self._transport = transport
        self._http: httpx.Client | None = None
        self._open: dict[str, HeyGenSession] = {}

    def __repr__(self) -> str:
        return f"HeyGenClient(base_url={self.base_url!r})"

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            import httpx

            self._http = httpx.Client(
                base_url=self.base_url,
                headers={"X-Api-Key": self._api_key, "Accept": "application/json"},
                timeout=self.timeout,
                transport=self._transport,
            )
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # ---- one request ---------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, operation: str, *, json: dict[str, Any] | None = None,
        ctx: CallContext | None = None, model: str | None = None, retry: bool = True,
        on_entry: Any = None, require: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        with self.recorder.call("heygen", operation, model=model, ctx=ctx) as entry:
            if on_entry is not None:
                on_entry(entry)

            def once() -> dict[str, Any]:
                return self._send(entry, method, path, json)

            policy = self.retry if retry else RetryPolicy(max_retries=0)
            data = retrying(once, policy=policy)
            missing = [key for key in require if not data.get(key)]
            if missing:  # a 200 the caller cannot use (no session to stop): an error row, not an "ok" one
                raise ProviderError(f"{path}: the answer has no {', '.join(missing)}", provider="heygen",
                                    code="bad_response")
            return data

    def _send(self, entry: UsageEntry, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        import httpx

        try:
            response = self.http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise http_error("heygen", exc) or exc from None
        entry.http_status = response.status_code
        entry.request_id = response.headers.get("x-request-id") or response.headers.get("x-trace-id")
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        if response.status_code >= 400:
            raise heygen_error(response.status_code, response.headers, payload)
        if not isinstance(payload, dict):
            raise ProviderError(f"{path}: answer is not JSON", provider="heygen",
                                status=response.status_code, code="bad_response")
        code = payload.get("code")
        if code is not None and code != SUCCESS_CODE:  # HeyGen may say "error" inside a 200
            raise heygen_error(response.status_code, response.headers, payload)
        if payload.get("error"):
            raise heygen_error(response.status_code, response.headers, payload)
        data = payload.get("data")
        return data if isinstance(data, dict) else {"items": data} if isinstance(data, list) else {}

    # ---- endpoints -----------------------------------------------------------------------------

    def create_token(self, *, ctx: CallContext | None = None) -> str:
        data = self._request("POST", "/v1/streaming.create_token", "heygen_token", json={}, ctx=ctx)
        token = str(data.get("token") or "")
        register_secret(token)
        return token

    def new_session(
        self, *, avatar_id: str | None = None, voice_id: str | None = None, quality: str = "medium",
        ctx: CallContext | None = None,
    ) -> HeyGenSession:
        avatar = avatar_id or self.avatar_id
        body: dict[str, Any] = {"quality": quality, "version": "v2", "video_encoding": "H264"}
        if avatar:
            body["avatar_id"] = avatar
        if voice_id:
            body["voice"] = {"voice_id": voice_id}
        # Not retried: a retried `new` after a lost answer could open a second billed session.
        data = self._request("POST", "/v1/streaming.new", "heygen_new", json=body, ctx=ctx, model=avatar,
                             retry=False, require=("session_id",))
        register_secret(data.get("access_token"))
        return HeyGenSession(
            session_id=str(data["session_id"]), avatar_id=avatar, url=data.get("url"),
            access_token=data.get("access_token"), realtime_endpoint=data.get("realtime_endpoint"),
            session_duration_limit=data.get("session_duration_limit"), raw=data,
        )

    def start(self, session: HeyGenSession | str, *, sdp: dict[str, Any] | None = None,
              ctx: CallContext | None = None) -> dict[str, Any]:
        sid = _sid(session)
        body: dict[str, Any] = {"session_id": sid}
        if sdp:
            body["sdp"] = sdp
        data = self._request("POST", "/v1/streaming.start", "heygen_start", json=body, ctx=ctx)
        if isinstance(session, HeyGenSession):
            session.started = time.monotonic()
        return data

    def ice(self, session: HeyGenSession | str, candidate: dict[str, Any], *,
            ctx: CallContext | None = None) -> dict[str, Any]:
        return self._request("POST", "/v1/streaming.ice", "heygen_ice",
                             json={"session_id": _sid(session), "candidate": candidate}, ctx=ctx)

    def task(self, session: HeyGenSession | str, text: str, *, task_type: str = "repeat",
             task_mode: str = "sync", ctx: CallContext | None = None) -> dict[str, Any]:
        def note(entry: UsageEntry) -> None:
            entry.characters = len(text)

        data = self._request(
            "POST", "/v1/streaming.task", "heygen_task",
            json={"session_id": _sid(session), "text": text, "task_type": task_type, "task_mode": task_mode},
            ctx=ctx, on_entry=note,
        )
        if isinstance(session, HeyGenSession):
            session.tasks.append(data)
        return data

    def interrupt(self, session: HeyGenSession | str, *, ctx: CallContext | None = None) -> dict[str, Any]:
        return self._request("POST", "/v1/streaming.interrupt", "heygen_interrupt",
                             json={"session_id": _sid(session)}, ctx=ctx)

    def stop(self, session: HeyGenSession | str, *, ctx: CallContext | None = None,
             minutes: float | None = None) -> dict[str, Any]:
        """Stop a session; the usage row carries the session minutes (what HeyGen bills)."""
        billed = session.minutes if isinstance(session, HeyGenSession) else minutes

        def note(entry: UsageEntry) -> None:
            entry.session_minutes = billed

        data = self._request("POST", "/v1/streaming.stop", "heygen_stop",
                             json={"session_id": _sid(session)}, ctx=ctx, on_entry=note)
        if isinstance(session, HeyGenSession):
            session.stopped = True
        return data

    def list_sessions(self, *, ctx: CallContext | None = None) -> list[dict[str, Any]]:
        data = self._request("GET", "/v1/streaming.list", "heygen_list", ctx=ctx)
        sessions = data.get("sessions", data.get("items", []))
        return [dict(s) for s in sessions if isinstance(s, dict)]

    def list_avatars(self, *, ctx: CallContext | None = None) -> list[dict[str, Any]]:
        data = self._request("GET", "/v1/streaming/avatar.list", "heygen_avatars", ctx=ctx)
        items = data.get("avatars", data.get("items", []))
        return [dict(a) for a in items if isinstance(a, dict)]

    def list_voices(self, *, ctx: CallContext | None = None) -> list[dict[str, Any]]:
        data = self._request("GET", "/v2/voices", "heygen_voices", ctx=ctx)
        items = data.get("voices", data.get("items", []))
        return [dict(v) for v in items if isinstance(v, dict)]

    def stop_all(self, *, ctx: CallContext | None = None) -> list[dict[str, Any]]:
        """Stop every active session the key owns (leaked by crashes). Returns what was stopped."""
        stopped = []
        for item in self.list_sessions(ctx=ctx):
            sid = str(item.get("session_id") or item.get("id") or "")
            if not sid:
                continue
            self.stop(sid, ctx=ctx, minutes=_minutes_since(item.get("created_at")))
            stopped.append(item)
        return stopped

    # ---- the server's VideoAvatar interface (providers.bundle) ---------------------------------

    def create_session(
        self, *, avatar_id: str | None = None, voice_id: str | None = None, quality: str | None = None,
        ctx: CallContext | None = None,
    ) -> AvatarSession:
        sess = self.new_session(avatar_id=avatar_id, voice_id=voice_id, quality=quality or "medium", ctx=ctx)
        self._open[sess.session_id] = sess
        return AvatarSession(
            session_id=sess.session_id, avatar_id=sess.avatar_id, url=sess.url, access_token=sess.access_token,
            session_duration_limit=sess.session_duration_limit,
            extra={k: v for k, v in sess.raw.items() if k not in ("access_token", "session_id", "url")},
        )

    def start_session(
        self, session_id: str, *, sdp: dict[str, Any] | None = None, ctx: CallContext | None = None
    ) -> dict[str, Any]:
        return self.start(self._open.get(session_id) or session_id, sdp=sdp, ctx=ctx)

    def send_ice(self, session_id: str, candidate: dict[str, Any], *, ctx: CallContext | None = None) -> None:
        self.ice(session_id, candidate, ctx=ctx)

    def speak(
        self, session_id: str, text: str, *, task_type: str = "repeat", ctx: CallContext | None = None
    ) -> AvatarTask:
        data = self.task(self._open.get(session_id) or session_id, text, task_type=task_type, ctx=ctx)
        duration = data.get("duration_ms")
        return AvatarTask(task_id=str(data.get("task_id") or ""),
                          duration_ms=int(duration) if duration is not None else None)

    def stop_session(self, session_id: str, *, ctx: CallContext | None = None) -> AvatarStop:
        sess = self._open.pop(session_id, None)
        seconds = (time.monotonic() - sess.created) if sess else 0.0
        self.stop(sess or session_id, ctx=ctx, minutes=round(seconds / 60, 4) if sess else None)
        return AvatarStop(session_id=session_id, duration_seconds=round(seconds, 3))

    # ---- the safe way to hold a session ----------------------------------------------------------

    @contextmanager
    def session(
        self, *, avatar_id: str | None = None, voice_id: str | None = None, quality: str = "medium",
        start: bool = True, ctx: CallContext | None = None,
    ) -> Iterator[HeyGenSession]:
        """``with heygen.session() as s: heygen.task(s, "Hi!")`` — stopped however the block ends."""
        with sigterm_as_exit():
            sess = self.new_session(avatar_id=avatar_id, voice_id=voice_id, quality=quality, ctx=ctx)
            try:
                if start:
                    self.start(sess, ctx=ctx)
                yield sess
            finally:
                if not sess.stopped:
                    # A failed stop is already an error row; `heygen sessions stop-all` cleans up.
                    with no_interrupts(), suppress(ProviderError):
                        self.stop(sess, ctx=ctx)


def _sid(session: HeyGenSession | str) -> str:
    return session.session_id if isinstance(session, HeyGenSession) else str(session)


def _minutes_since(created: Any) -> float | None:
    if isinstance(created, (int, float)) and created > 0:
        return round(max(time.time() - float(created), 0) / 60, 4)
    return None
