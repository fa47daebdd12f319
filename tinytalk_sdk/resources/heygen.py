"""client.heygen: session (GET), create_session, start, ice, task, stop."""

from __future__ import annotations

from typing import Any, Literal

from .._base_client import NOT_GIVEN, NotGiven
from ..types import (
    EmptyRequest,
    HeygenIceRequest,
    HeygenIceResponse,
    HeygenSession,
    HeygenSessionCreateRequest,
    HeygenStartRequest,
    HeygenStatus,
    HeygenStopRequest,
    HeygenTask,
    HeygenTaskRequest,
    endpoint,
)
from ._base import AsyncAPIResource, SyncAPIResource, make_params

__all__ = ["AsyncHeygen", "Heygen"]

Quality = Literal["low", "medium", "high"]
TaskType = Literal["repeat", "talk"]


class Heygen(SyncAPIResource):
    def session(self) -> HeygenSession:
        """GET /heygen_session.php: the user's latest open streaming session (404 when none)."""
        return self._client._request(endpoint("heygen_session"), EmptyRequest(), HeygenSession)

    def create_session(
        self, *, avatar_id: str | None = None, voice_id: str | None = None, quality: Quality | None = None,
        chat_session_id: int | None = None, idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> HeygenSession:
        """POST /heygen_session.php: a new streaming session (billed by HeyGen)."""
        ep = endpoint("heygen_session_create")
        params = make_params(HeygenSessionCreateRequest, ep.path, avatar_id=avatar_id, voice_id=voice_id,
                             quality=quality, chat_session_id=chat_session_id)
        return self._client._request(ep, params, HeygenSession, idempotency_key=idempotency_key)

    def start(
        self, *, session_id: str, sdp: dict[str, Any], idempotency_key: str | NotGiven | None = NOT_GIVEN
    ) -> HeygenStatus:
        """POST /heygen_start.php: the client's SDP answer."""
        ep = endpoint("heygen_start")
        params = make_params(HeygenStartRequest, ep.path, session_id=session_id, sdp=sdp)
        return self._client._request(ep, params, HeygenStatus, idempotency_key=idempotency_key)

    def ice(self, *, session_id: str, candidate: dict[str, Any]) -> HeygenIceResponse:
        """POST /heygen_ice.php: one ICE candidate (adding the same one twice is harmless)."""
        ep = endpoint("heygen_ice")
        params = make_params(HeygenIceRequest, ep.path, session_id=session_id, candidate=candidate)
        return self._client._request(ep, params, HeygenIceResponse)

    def task(
        self, *, session_id: str, text: str, task_type: TaskType | None = None,
        idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> HeygenTask:
        """POST /heygen_task.php: the avatar speaks ``text`` (once, even when retried)."""
        ep = endpoint("heygen_task")
        params = make_params(HeygenTaskRequest, ep.path, session_id=session_id, text=text,
                             task_type=task_type)
        return self._client._request(ep, params, HeygenTask, idempotency_key=idempotency_key)

    def stop(self, *, session_id: str) -> HeygenStatus:
        """POST /heygen_stop.php."""
        ep = endpoint("heygen_stop")
        params = make_params(HeygenStopRequest, ep.path, session_id=session_id)
        return self._client._request(ep, params, HeygenStatus)


class AsyncHeygen(AsyncAPIResource):
    async def session(self) -> HeygenSession:
        return await self._client._request(endpoint("heygen_session"), EmptyRequest(), HeygenSession)

    async def create_session(
        self, *, avatar_id: str | None = None, voice_id: str | None = None, quality: Quality | None = None,
        chat_session_id: int | None = None, idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> HeygenSession:
        ep = endpoint("heygen_session_create")
        params = make_params(HeygenSessionCreateRequest, ep.path, avatar_id=avatar_id, voice_id=voice_id,
                             quality=quality, chat_session_id=chat_session_id)
        return await self._client._request(ep, params, HeygenSession, idempotency_key=idempotency_key)

    async def start(
        self, *, session_id: str, sdp: dict[str, Any], idempotency_key: str | NotGiven | None = NOT_GIVEN
    ) -> HeygenStatus:
        ep = endpoint("heygen_start")
        params = make_params(HeygenStartRequest, ep.path, session_id=session_id, sdp=sdp)
        return await self._client._request(ep, params, HeygenStatus, idempotency_key=idempotency_key)

    async def ice(self, *, session_id: str, candidate: dict[str, Any]) -> HeygenIceResponse:
        ep = endpoint("heygen_ice")
        params = make_params(HeygenIceRequest, ep.path, session_id=session_id, candidate=candidate)
        return await self._client._request(ep, params, HeygenIceResponse)

    async def task(
        self, *, session_id: str, text: str, task_type: TaskType | None = None,
        idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> HeygenTask:
        ep = endpoint("heygen_task")
        params = make_params(HeygenTaskRequest, ep.path, session_id=session_id, text=text,
                             task_type=task_type)
        return await self._client._request(ep, params, HeygenTask, idempotency_key=idempotency_key)

    async def stop(self, *, session_id: str) -> HeygenStatus:
        ep = endpoint("heygen_stop")
        params = make_params(HeygenStopRequest, ep.path, session_id=session_id)
        return await self._client._request(ep, params, HeygenStatus)
