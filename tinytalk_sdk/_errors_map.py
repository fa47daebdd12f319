"""Map what went wrong on the wire to the toolkit's error tree, in one place.

* :func:`make_status_error`: an HTTP answer >= 400 → AuthenticationError / APINotFoundError /
  APIValidationError (400, 413, 422) / RateLimitError / ServerError / APIStatusError, or APIResponseError
  when the body is not the contract's JSON error (shared hosting answers HTML error pages).
* :func:`map_transport_error`: an httpx transport exception → APIConnectionError / APITimeoutError.

Every error names the method and endpoint, carries status and request id, and its message goes
through :func:`redact` with the client's token, so the token never shows up.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ._exceptions import (
    APIConnectionError,
    APIError,
    APINotFoundError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    APIValidationError,
    AuthenticationError,
    AuthThrottledError,
    RateLimitError,
    ServerError,
)
from ._redact import redact
from ._retry import Failure, parse_retry_after

__all__ = ["classify_transport_error", "decode_json", "make_status_error", "map_transport_error"]


def _snippet(content: bytes, limit: int = 80) -> str:
    text = content[:400].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


def _redact_obj(value: Any, secrets: tuple[str, ...]) -> Any:
    """The error body kept on the exception, with every string redacted (a server may echo headers)."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: _redact_obj(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_obj(v, secrets) for v in value]
    return value


def decode_json(
    content: bytes, *, content_type: str, method: str, path: str, status: int, request_id: str | None,
    secrets: tuple[str, ...] = (),
) -> Any:
    """The JSON body, or APIResponseError naming what came instead (HTML page, empty body, garbage)."""
    where = f"{method} {path}"
    kind = content_type.partition(";")[0].strip() or "no content type"
    try:
        if not content.strip():
            raise ValueError("empty")
        return json.loads(content)
    except ValueError:
        if "html" in kind or content.lstrip()[:1] == b"<":
            what = f"an HTML page ({kind})"
            hint = "the web server answered instead of the API (wrong base URL, or a hosting error page)"
        elif not content.strip():
            what, hint = "an empty body", None
        else:
            what, hint = f"{kind} that is not JSON", None
        raise APIResponseError(
            redact(f"{where} answered {status} with {what} instead of JSON: {_snippet(content)!r}", secrets),
            endpoint=path, method=method, status=status, request_id=request_id, hint=hint,
        ) from None


def make_status_error(
    *, method: str, path: str, status: int, headers: httpx.Headers, content: bytes,
    secrets: tuple[str, ...] = (),
) -> APIError:
    request_id = headers.get("x-request-id")
    where = f"{method} {path}"
    try:
        body = _redact_obj(decode_json(
            content, content_type=headers.get("content-type", ""), method=method, path=path, status=status,
            request_id=request_id, secrets=secrets,
        ), secrets)
    except APIResponseError as exc:  # returned, not raised: the caller still retries on the status
        return exc
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return APIResponseError(
            redact(f"{where} answered {status} without the contract's error object: {_snippet(content)!r}",
                   secrets),
            endpoint=path, method=method, status=status, request_id=request_id, body=body,
        )
    code = str(error.get("code") or "error")
    message = str(error.get("message") or "").strip() or code
    fields = error.get("fields") if isinstance(error.get("fields"), dict) else None
    text = f"{where}: {status} {code}: {message}"
    field_errors = [f"{k}: {v}" for k, v in (fields or {}).items()]
    if field_errors:
        text += " (" + "; ".join(field_errors) + ")"
    text = redact(text, secrets)
    common: dict[str, Any] = {
        "endpoint": path, "method": method, "status": status, "request_id": request_id, "body": body,
    }
    err: APIStatusError
    if status in (401, 403):
        hint = "log in again: `tinytalk api login`" if status == 401 else None
        err = AuthenticationError(text, hint=hint, **common)
    elif status == 404:
        err = APINotFoundError(text, **common)
    elif status in (400, 422):
        err = APIValidationError(text, errors=[redact(e, secrets) for e in field_errors], **common)
    elif status == 413:  # too large for this server: the caller's to fix, like a 422 (the text names the limit)
        err = APIValidationError(text, errors=[redact(e, secrets) for e in field_errors],
                                 hint="send a smaller file (shorten or compress the recording)", **common)
    elif status == 429:
        retry_after = parse_retry_after(headers.get("retry-after"))
        if code == "too_many_attempts":  # a login/registration lockout, not a busy server
            err = AuthThrottledError(text, retry_after=retry_after, hint=_throttle_hint(retry_after), **common)
        else:
            err = RateLimitError(text, retry_after=retry_after, **common)
    elif status >= 500:
        err = ServerError(text, **common)
    else:
        err = APIStatusError(text, **common)
    err.code = code  # type: ignore[attr-defined]
    return err


def _throttle_hint(retry_after: float | None) -> str:
    wait = f"wait {round(retry_after)} s" if retry_after is not None else "wait"
    return f"{wait} before trying again; an admin can lift the lock with `tinytalk members unlock EMAIL`"


def classify_transport_error(exc: httpx.TransportError) -> Failure:
    """``connect`` only when the request provably never left (no connection was made)."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return "connect"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    return "dropped"


def map_transport_error(
    exc: httpx.TransportError, *, method: str, path: str, base_url: str, secrets: tuple[str, ...] = ()
) -> APIConnectionError:
    detail = redact(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, secrets)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"{method} {path}: timed out ({detail})", endpoint=path, method=method,
            hint="raise the timeout (timeout=…) or check the server",
        )
    failure = classify_transport_error(exc)
    what = "could not connect to" if failure == "connect" else "lost the connection to"
    return APIConnectionError(
        redact(f"{method} {path}: {what} {base_url} ({detail})", secrets), endpoint=path, method=method,
        hint="is the server running? (`tinytalk serve`)" if failure == "connect" else None,
    )
