"""The one error tree of the TinyTalk toolkit.

Every error the SDK raises derives from :class:`TinyTalkError`. The CLI maps each class to an exit code
through :attr:`TinyTalkError.exit_code` (one place: ``tinytalk_cli.main``)::

    TinyTalkError                      1  anything else that went wrong
    ├── ConfigError                    3  unknown profile, malformed TOML, missing setting or key
    │   └── MissingCredentialError     3  a secret the command needs is not configured
    ├── ValidationError                4  bad input: setting value, CSV rows, Live2D findings, request fields
    │   └── EncodingError              4  a CSV file that does not decode in one encoding (names the row)
    ├── NotFoundError                  5  the thing named does not exist
    ├── ConflictError                  6  someone else changed it first (optimistic locking), duplicates
    ├── DatabaseError                  7  the database cannot be reached or refused the statement
    │   └── SchemaDriftError           8  `db check` found drift between models and database
    ├── APIError                       9  the TinyTalk HTTP API (see tinytalk_sdk._client)
    │   ├── APIConnectionError            could not reach (connection refused, DNS, dropped)
    │   │   └── APITimeoutError
    │   ├── APIResponseError              the server answered something that is not the contract
    │   └── APIStatusError                the server refused: status, body, request id
    │       ├── AuthenticationError  401/403
    │       ├── APINotFoundError     404   (also a NotFoundError)
    │       ├── APIValidationError   400/422 (also a ValidationError)
    │       ├── RateLimitError       429   (retry_after)
    │       │   └── AuthThrottledError 429 too_many_attempts: login/registration locked (not retried)
    │       └── ServerError          5xx
    ├── ProviderError                10 OpenAI / ElevenLabs / HeyGen / LiveAvatar (names the provider)
    │   └── RoomError                     LiveAvatar's LiveKit room (provider "livekit")
    │       ├── RoomRefusedError          nothing listens there, or the server refused the connection
    │       ├── RoomTokenError            the client token is malformed, expired, lacks grants, or got a 401
    │       └── RoomTimeoutError          no answer in time
    ├── PublishError                 11 CDN publishing
    │   └── PublishLeaseError        11 another publisher holds the character's lease (names its version)
    ├── CheckFailedError             12 a smoke stage or a QA threshold failed
    │   └── LoadThresholdError       14 a load-test threshold (p95, failure rate) was crossed
    └── AbortedError                 13 the user declined a confirmation (or no TTY and no --yes)

Messages are one line, name the file / row / field / endpoint at fault, and never contain a secret:
use :func:`tinytalk_sdk.redact` on anything that could hold one.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "APIConnectionError",
    "APIError",
    "APINotFoundError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "APIValidationError",
    "AbortedError",
    "AuthThrottledError",
    "AuthenticationError",
    "CheckFailedError",
    "ConfigError",
    "ConflictError",
    "DatabaseError",
    "EncodingError",
    "LoadThresholdError",
    "MissingCredentialError",
    "NotFoundError",
    "ProviderError",
    "PublishError",
    "PublishLeaseError",
    "RateLimitError",
    "RoomError",
    "RoomRefusedError",
    "RoomTimeoutError",
    "RoomTokenError",
    "SchemaDriftError",
    "ServerError",
    "TinyTalkError",
    "ValidationError",
]


class TinyTalkError(Exception):
    """Root of every error the toolkit raises on purpose."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(TinyTalkError):
    exit_code = 3


class MissingCredentialError(ConfigError):
    """A secret is needed and not configured. ``setting`` names it (``openai_api_key``)."""

    def __init__(self, setting: str, *, profile: str = "default", hint: str | None = None) -> None:
        env = "TINYTALK_" + setting.upper()
        super().__init__(
            f"missing setting '{setting}' for profile '{profile}'",
            hint=hint or f"set it with `tinytalk config set {setting}` or the {env} environment variable",
        )
        self.setting = setting
        self.profile = profile


class ValidationError(TinyTalkError):
    """Bad input. ``errors`` lists every problem found, not just the first."""

    exit_code = 4

    def __init__(self, message: str, *, errors: list[Any] | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.errors: list[Any] = list(errors or [])


class EncodingError(ValidationError):
    """A CSV file that does not decode completely in one encoding; ``row``/``line`` of the first bad one."""

    def __init__(
        self, message: str, *, encoding: str | None, row: int | None, line: int | None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.encoding = encoding
        self.row = row
        self.line = line


class NotFoundError(TinyTalkError):
    exit_code = 5


class ConflictError(TinyTalkError):
    exit_code = 6


class DatabaseError(TinyTalkError):
    exit_code = 7


class SchemaDriftError(DatabaseError):
    exit_code = 8


class APIError(TinyTalkError):
    """An error talking to the TinyTalk API. Carries the endpoint and method, never the token."""

    exit_code = 9

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        method: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        body: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.endpoint = endpoint
        self.method = method
        self.status = status
        self.request_id = request_id
        self.body = body


class APIConnectionError(APIError):
    pass


class APITimeoutError(APIConnectionError):
    pass


class APIResponseError(APIError):
    """The server answered, but not with the contract (HTML instead of JSON, truncated stream, …)."""


class APIStatusError(APIError):
    pass


class AuthenticationError(APIStatusError):
    pass


class APINotFoundError(APIStatusError, NotFoundError):
    exit_code = 9


class APIValidationError(APIStatusError, ValidationError):
    exit_code = 9

    def __init__(self, message: str, **kwargs: Any) -> None:
        errors = kwargs.pop("errors", None)
        APIStatusError.__init__(self, message, **kwargs)
        self.errors = list(errors or [])


class RateLimitError(APIStatusError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class AuthThrottledError(RateLimitError):
    """Too many failed logins (or registrations) for this account or address: locked for ``retry_after``
    seconds. The SDK does not retry it (a retry would count as one more attempt)."""


class ServerError(APIStatusError):
    pass


class ProviderError(TinyTalkError):
    """An outside provider failed. ``provider`` is ``openai``, ``elevenlabs`` or ``heygen``."""

    exit_code = 10

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(f"{provider}: {message}", hint=hint)
        self.provider = provider
        self.status = status
        self.code = code
        self.retry_after = retry_after


class RoomError(ProviderError):
    """The LiveKit room of a LiveAvatar session could not be used (``code`` says why)."""

    code_name = "room_error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, provider="livekit", code=self.code_name, hint=hint)


class RoomRefusedError(RoomError):
    code_name = "room_refused"


class RoomTokenError(RoomError):
    code_name = "room_bad_token"


class RoomTimeoutError(RoomError):
    code_name = "room_timeout"


class PublishError(TinyTalkError):
    exit_code = 11


class PublishLeaseError(PublishError):
    """Another publisher holds the character's lease: ``holder`` and the ``version`` it is publishing."""

    def __init__(
        self, message: str, *, holder: str | None, version: str | None, expires_at: str | None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.holder = holder
        self.version = version
        self.expires_at = expires_at


class CheckFailedError(TinyTalkError):
    exit_code = 12


class AbortedError(TinyTalkError):
    exit_code = 13


class LoadThresholdError(CheckFailedError):
    """``qa load``: the class did not hold (a p95 or failure-rate threshold crossed); its own exit code so
    CI tells "the platform is too slow" from "the test could not run"."""

    exit_code = 14
