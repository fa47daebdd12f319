"""client.sessions: create, resume, list, history, save, summarize."""

from __future__ import annotations

from .._base_client import NOT_GIVEN, NotGiven
from ..types import (
    ChatHistoryRequest,
    ChatHistoryResponse,
    CreateSessionRequest,
    ResponseMode,
    ResumeSessionRequest,
    SessionIdRequest,
    SessionListRequest,
    SessionListResponse,
    SessionResponse,
    SessionSaveRequest,
    SessionSummary,
    endpoint,
)
from ._base import AsyncAPIResource, SyncAPIResource, make_params

__all__ = ["AsyncSessions", "Sessions"]


class Sessions(SyncAPIResource):
    def create(
        self, *, title: str | None = None, persona_id: int | None = None, character_id: int | None = None,
        response_mode: ResponseMode | None = None, idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> SessionResponse:
        """POST /create_session.php (201). Retried safely: one Idempotency-Key per call."""
        ep = endpoint("create_session")
        params = make_params(CreateSessionRequest, ep.path, title=title, persona_id=persona_id,
                             character_id=character_id, response_mode=response_mode)
        return self._client._request(ep, params, SessionResponse, idempotency_key=idempotency_key)

    def resume(self, *, response_mode: ResponseMode | None = None) -> SessionResponse:
        """POST /resume_session.php: today's active session (created when there is none)."""
        ep = endpoint("resume_session")
        params = make_params(ResumeSessionRequest, ep.path, response_mode=response_mode)
        return self._client._request(ep, params, SessionResponse)

    def list(self, *, limit: int | None = None, offset: int | None = None) -> SessionListResponse:
        """GET /get_sessions.php, newest first."""
        ep = endpoint("get_sessions")
        params = make_params(SessionListRequest, ep.path, limit=limit, offset=offset)
        return self._client._request(ep, params, SessionListResponse)

    def history(
        self, *, session_id: int, limit: int | None = None, after_id: int | None = None
    ) -> ChatHistoryResponse:
        """GET /get_chat_history.php, oldest first."""
        ep = endpoint("get_chat_history")
        params = make_params(ChatHistoryRequest, ep.path, session_id=session_id, limit=limit,
                             after_id=after_id)
        return self._client._request(ep, params, ChatHistoryResponse)

    def save(self, *, session_id: int, title: str | None = None) -> SessionResponse:
        """POST /session_save.php: marks the session saved (repeating it changes nothing)."""
        ep = endpoint("session_save")
        params = make_params(SessionSaveRequest, ep.path, session_id=session_id, title=title)
        return self._client._request(ep, params, SessionResponse)

    def summarize(
        self, *, session_id: int, idempotency_key: str | NotGiven | None = NOT_GIVEN
    ) -> SessionSummary:
        """POST /session_summarize.php: a GPT summary, stored on the session."""
        ep = endpoint("session_summarize")
        params = make_params(SessionIdRequest, ep.path, session_id=session_id)
        return self._client._request(ep, params, SessionSummary, idempotency_key=idempotency_key)


class AsyncSessions(AsyncAPIResource):
    async def create(
        self, *, title: str | None = None, persona_id: int | None = None, character_id: int | None = None,
        response_mode: ResponseMode | None = None, idempotency_key: str | NotGiven | None = NOT_GIVEN,
    ) -> SessionResponse:
        ep = endpoint("create_session")
        params = make_params(CreateSessionRequest, ep.path, title=title, persona_id=persona_id,
                             character_id=character_id, response_mode=response_mode)
        return await self._client._request(ep, params, SessionResponse, idempotency_key=idempotency_key)

    async def resume(self, *, response_mode: ResponseMode | None = None) -> SessionResponse:
        ep = endpoint("resume_session")
        params = make_params(ResumeSessionRequest, ep.path, response_mode=response_mode)
        return await self._client._request(ep, params, SessionResponse)

    async def list(self, *, limit: int | None = None, offset: int | None = None) -> SessionListResponse:
        ep = endpoint("get_sessions")
        params = make_params(SessionListRequest, ep.path, limit=limit, offset=offset)
        return await self._client._request(ep, params, SessionListResponse)

    async def history(
        self, *, session_id: int, limit: int | None = None, after_id: int | None = None
    ) -> ChatHistoryResponse:
        ep = endpoint("get_chat_history")
        params = make_params(ChatHistoryRequest, ep.path, session_id=session_id, limit=limit,
                             after_id=after_id)
        return await self._client._request(ep, params, ChatHistoryResponse)

    async def save(self, *, session_id: int, title: str | None = None) -> SessionResponse:
        ep = endpoint("session_save")
        params = make_params(SessionSaveRequest, ep.path, session_id=session_id, title=title)
        return await self._client._request(ep, params, SessionResponse)

    async def summarize(
        self, *, session_id: int, idempotency_key: str | NotGiven | None = NOT_GIVEN
    ) -> SessionSummary:
        ep = endpoint("session_summarize")
        params = make_params(SessionIdRequest, ep.path, session_id=session_id)
        return await self._client._request(ep, params, SessionSummary, idempotency_key=idempotency_key)
