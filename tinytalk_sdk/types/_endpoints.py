"""The 25 endpoints (26 routes: heygen_session answers GET and POST) in one table.

One source for the SDK's resources, the retry matrix (docs/retries.md), the schema generator
(scripts/gen_schemas.py) and the local server's routing.

``retry``:

* ``"idempotent"`` — a read, or a write whose repeat changes nothing more (logout, save, stop):
  retried on connection errors, timeouts, 408/429/5xx.
* ``"key"`` — not idempotent by itself; the SDK sends one ``Idempotency-Key`` per logical call and
  the server replays the first answer, so it is retried like an idempotent call.
* ``"never"`` — not idempotent and no key (a streamed body cannot be replayed): retried only when the
  request provably never reached the server (connect error before sending); see tinytalk_sdk._retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ._base import EmptyRequest, RequestModel, ResponseModel
from .auth import AuthToken, LoginRequest, LogoutResponse, ProfileUpdateRequest, RegisterRequest, UserResponse
from .config import AppConfig, CharacterRequest, CharacterResponse, UserCharacterResponse
from .heygen import (
    HeygenIceRequest,
    HeygenIceResponse,
    HeygenSession,
    HeygenSessionCreateRequest,
    HeygenStartRequest,
    HeygenStatus,
    HeygenStopRequest,
    HeygenTask,
    HeygenTaskRequest,
)
from .ops import CleanupRequest, CleanupResult, Health
from .pipeline import (
    ChatStreamRequest,
    DoneData,
    FeedbackRequest,
    FeedbackResponse,
    SpeakRequest,
    TranscribeRequest,
    Transcription,
)
from .sessions import (
    ChatHistoryRequest,
    ChatHistoryResponse,
    CreateSessionRequest,
    ResumeSessionRequest,
    SessionIdRequest,
    SessionListRequest,
    SessionListResponse,
    SessionResponse,
    SessionSaveRequest,
    SessionSummary,
)

__all__ = ["ENDPOINTS", "Endpoint", "RetryClass", "endpoint"]

RetryClass = Literal["idempotent", "key", "never"]
BodyKind = Literal["json", "query", "multipart", "none"]


@dataclass(frozen=True)
class Endpoint:
    name: str  # unique route name; the schema stem is ``path`` without "/" and ".php"
    path: str
    method: Literal["GET", "POST"]
    area: str
    request: type[RequestModel]
    response: type[ResponseModel] | None  # None: the body is not JSON (audio)
    body: BodyKind
    retry: RetryClass
    auth: bool = True
    status: int = 200  # success status
    stream: Literal["sse", "audio"] | None = None

    @property
    def stem(self) -> str:
        return self.path.strip("/").removesuffix(".php")


def _e(*args: object, **kwargs: object) -> Endpoint:
    return Endpoint(*args, **kwargs)  # type: ignore[arg-type]


ENDPOINTS: tuple[Endpoint, ...] = (
    # auth
    _e("auth_register", "/auth_register.php", "POST", "auth", RegisterRequest, AuthToken, "json", "key",
       auth=False, status=201),
    _e("auth_login", "/auth_login.php", "POST", "auth", LoginRequest, AuthToken, "json", "key", auth=False),
    _e("auth_logout", "/auth_logout.php", "POST", "auth", EmptyRequest, LogoutResponse, "json", "idempotent"),
    _e("auth_me", "/auth_me.php", "GET", "auth", EmptyRequest, UserResponse, "none", "idempotent"),
    _e("auth_profile", "/auth_profile.php", "POST", "auth", ProfileUpdateRequest, UserResponse, "json",
       "idempotent"),
    # sessions
    _e("create_session", "/create_session.php", "POST", "sessions", CreateSessionRequest, SessionResponse,
       "json", "key", status=201),
    _e("resume_session", "/resume_session.php", "POST", "sessions", ResumeSessionRequest, SessionResponse,
       "json", "idempotent"),
    _e("get_sessions", "/get_sessions.php", "GET", "sessions", SessionListRequest, SessionListResponse,
       "query", "idempotent"),
    _e("get_chat_history", "/get_chat_history.php", "GET", "sessions", ChatHistoryRequest,
       ChatHistoryResponse, "query", "idempotent"),
    _e("session_save", "/session_save.php", "POST", "sessions", SessionSaveRequest, SessionResponse, "json",
       "idempotent"),
    _e("session_summarize", "/session_summarize.php", "POST", "sessions", SessionIdRequest, SessionSummary,
       "json", "key"),
    # pipeline
    _e("stt_upload", "/stt_upload.php", "POST", "pipeline", TranscribeRequest, Transcription, "multipart",
       "key"),
    _e("gpt_stream", "/gpt_stream.php", "POST", "pipeline", ChatStreamRequest, DoneData, "json", "never",
       stream="sse"),
    _e("gpt_feedback", "/gpt_feedback.php", "POST", "pipeline", FeedbackRequest, FeedbackResponse, "json",
       "key"),
    _e("elevenlabs_tts_stream", "/elevenlabs_tts_stream.php", "POST", "pipeline", SpeakRequest, None, "json",
       "never", stream="audio"),
    # heygen
    _e("heygen_session", "/heygen_session.php", "GET", "heygen", EmptyRequest, HeygenSession, "none",
       "idempotent"),
    _e("heygen_session_create", "/heygen_session.php", "POST", "heygen", HeygenSessionCreateRequest,
       HeygenSession, "json", "key"),
    _e("heygen_start", "/heygen_start.php", "POST", "heygen", HeygenStartRequest, HeygenStatus, "json", "key"),
    _e("heygen_ice", "/heygen_ice.php", "POST", "heygen", HeygenIceRequest, HeygenIceResponse, "json",
       "idempotent"),
    _e("heygen_task", "/heygen_task.php", "POST", "heygen", HeygenTaskRequest, HeygenTask, "json", "key"),
    _e("heygen_stop", "/heygen_stop.php", "POST", "heygen", HeygenStopRequest, HeygenStatus, "json",
       "idempotent"),
    # config
    _e("get_app_config", "/get_app_config.php", "GET", "config", EmptyRequest, AppConfig, "none",
       "idempotent", auth=False),
    _e("get_character", "/get_character.php", "GET", "config", CharacterRequest, CharacterResponse, "query",
       "idempotent"),
    _e("get_user_character", "/get_user_character.php", "GET", "config", EmptyRequest,
       UserCharacterResponse, "none", "idempotent"),
    # ops
    _e("health", "/health.php", "GET", "ops", EmptyRequest, Health, "none", "idempotent", auth=False),
    _e("cleanup_uploads", "/cleanup_uploads.php", "GET", "ops", CleanupRequest, CleanupResult, "query",
       "idempotent", auth=False),
)

_BY_NAME = {e.name: e for e in ENDPOINTS}


def endpoint(name: str) -> Endpoint:
    """The endpoint called ``name`` (``"create_session"``); KeyError names the unknown one."""
    return _BY_NAME[name]
