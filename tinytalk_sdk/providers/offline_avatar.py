"""The offline avatar: HeyGen-style streaming sessions kept in memory, their minutes measured.

Re-exported by :mod:`tinytalk_sdk.providers.offline`.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from .._exceptions import ProviderError
from .base import CallContext, UsageRecorder
from .bundle import AvatarSession, AvatarStop, AvatarTask

__all__ = ["FakeAvatar"]


class FakeAvatar:
    """HeyGen-like streaming sessions kept in memory; ids are deterministic (a counter)."""

    name = "fake-avatar"
    service = "offline"
    model = "fake-avatar"
    records_usage = True  # writes its own usage row through self.recorder

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, recorder: UsageRecorder | None = None
    ) -> None:
        self.recorder = recorder or UsageRecorder()
        self.clock = clock
        self._counter = itertools.count(1)
        self._tasks = itertools.count(1)
        self._lock = threading.Lock()
        self.sessions: dict[str, dict[str, Any]] = {}

    def _get(self, session_id: str, *states: str) -> dict[str, Any]:
        session = self.sessions.get(session_id)
        if session is None:
            raise ProviderError(f"unknown session '{session_id}'", provider="offline", status=404,
                                code="session_not_found")
        if states and session["state"] not in states:
            raise ProviderError(f"session '{session_id}' is {session['state']}", provider="offline",
                                status=400, code="session_state")
        return session

    def create_session(
        self, *, avatar_id: str | None = None, voice_id: str | None = None, quality: str | None = None,
        ctx: CallContext | None = None,
    ) -> AvatarSession:
        with self.recorder.call(self.service, "heygen_new", model=self.model, ctx=ctx), self._lock:
            session_id = f"offline-{next(self._counter):06d}"
            self.sessions[session_id] = {"state": "new", "created": self.clock(), "started": None,
                                         "ice": 0, "tasks": 0, "avatar_id": avatar_id or "offline-avatar"}
        return AvatarSession(
            session_id=session_id, avatar_id=avatar_id or "offline-avatar",
            url="wss://offline.invalid/livekit", access_token=f"offline-token-{session_id}",
            session_duration_limit=600, extra={"quality": quality or "medium", "voice_id": voice_id},
        )

    def start_session(
        self, session_id: str, *, sdp: dict[str, Any] | None = None, ctx: CallContext | None = None
    ) -> dict[str, Any]:
        with self.recorder.call(self.service, "heygen_start", model=self.model, ctx=ctx), self._lock:
            session = self._get(session_id, "new")
            session["state"], session["started"] = "started", self.clock()
        if sdp:
            return {"sdp": {"type": "answer", "sdp": "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=offline\r\n"}}
        return {}

    def send_ice(self, session_id: str, candidate: dict[str, Any], *, ctx: CallContext | None = None) -> None:
        with self.recorder.call(self.service, "heygen_ice", model=self.model, ctx=ctx), self._lock:
            self._get(session_id, "new", "started")["ice"] += 1

    def speak(
        self, session_id: str, text: str, *, task_type: str = "repeat", ctx: CallContext | None = None
    ) -> AvatarTask:
        with self.recorder.call(self.service, "heygen_task", model=self.model, ctx=ctx) as entry, self._lock:
            entry.characters = len(text)
            self._get(session_id, "started")["tasks"] += 1
            task = f"task-{next(self._tasks):06d}"
        # About 150 words a minute, the pace of the HeyGen voices.
        return AvatarTask(task_id=task, duration_ms=max(400, len(text.split()) * 400))

    def stop_session(self, session_id: str, *, ctx: CallContext | None = None) -> AvatarStop:
        with self.recorder.call(self.service, "heygen_stop", model=self.model, ctx=ctx) as entry, self._lock:
            session = self._get(session_id, "new", "started")
            session["state"] = "stopped"
            began = session["started"] if session["started"] is not None else session["created"]
            stop = AvatarStop(session_id=session_id, duration_seconds=round(max(0.0, self.clock() - began), 3))
            entry.session_minutes = stop.session_minutes
        return stop
