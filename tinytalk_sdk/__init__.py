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
    CheckFailedError,
    ConfigError,
    ConflictError,
    DatabaseError,
    MissingCredentialError,
    NotFoundError,
    ProviderError,
    PublishError,
    RateLimitError,
    SchemaDriftError,
    ServerError,
    TinyTalkError,
    ValidationError,
)
from ._redact import mask, redact
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APINotFoundError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "APIValidationError",
    "AbortedError",
    "AuthenticationError",
    "CheckFailedError",
    "ConfigError",
    "ConflictError",
    "DatabaseError",
    "MissingCredentialError",
    "NotFoundError",
    "ProviderError",
    "PublishError",
    "RateLimitError",
    "SchemaDriftError",
    "ServerError",
    "TinyTalkError",
    "ValidationError",
    "__version__",
    "mask",
    "redact",
]
