"""TinyTalk SDK: everything a script can import to run the TinyTalk Study platform.

Light at import: heavy modules (SQLAlchemy, openai, …) load on first use in the submodules.
"""

from ._exceptions import (
    AbortedError,
    APIConnectionError,
    APIError,
    APINotFoundError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    APIValidationError,
    AuthenticationError,
    AuthThrottledError,
    CheckFailedError,
    ConfigError,
    ConflictError,
    DatabaseError,
    EncodingError,
    LoadThresholdError,
    MissingCredentialError,
    NotFoundError,
    ProviderError,
    PublishError,
    PublishLeaseError,
    RateLimitError,
    RoomError,
    RoomRefusedError,
    RoomTimeoutError,
    RoomTokenError,
    SchemaDriftError,
    ServerError,
    TinyTalkError,
    ValidationError,
)
from ._redact import mask, redact
from ._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from . import types
    from ._audio import SpeechResult
    from ._client import AsyncTinyTalk, TinyTalk
    from ._retry import RetryPolicy
    from ._streaming import AsyncChatStream, ChatStream, DeltaEvent, DoneEvent, ErrorEvent

# The HTTP client pulls in httpx and pydantic: load it on first use so `import tinytalk_sdk` (and the CLI's
# start-up) stays light.
_LAZY = {
    "TinyTalk": "._client",
    "AsyncTinyTalk": "._client",
    "RetryPolicy": "._retry",
    "SpeechResult": "._audio",
    "ChatStream": "._streaming",
    "AsyncChatStream": "._streaming",
    "DeltaEvent": "._streaming",
    "DoneEvent": "._streaming",
    "ErrorEvent": "._streaming",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    if name == "types":
        import importlib

        return importlib.import_module(".types", __name__)
    raise AttributeError(f"module 'tinytalk_sdk' has no attribute {name!r}")


__all__ = [
    "APIConnectionError",
    "APIError",
    "APINotFoundError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "APIValidationError",
    "AbortedError",
    "AsyncChatStream",
    "AsyncTinyTalk",
    "AuthThrottledError",
    "AuthenticationError",
    "ChatStream",
    "CheckFailedError",
    "ConfigError",
    "ConflictError",
    "DatabaseError",
    "DeltaEvent",
    "DoneEvent",
    "EncodingError",
    "ErrorEvent",
    "LoadThresholdError",
    "MissingCredentialError",
    "NotFoundError",
    "ProviderError",
    "PublishError",
    "PublishLeaseError",
    "RateLimitError",
    "RetryPolicy",
    "RoomError",
    "RoomRefusedError",
    "RoomTimeoutError",
    "RoomTokenError",
    "SchemaDriftError",
    "ServerError",
    "SpeechResult",
    "TinyTalk",
    "TinyTalkError",
    "ValidationError",
    "__version__",
    "mask",
    "redact",
    "types",
]
