"""Vendor errors → :class:`ProviderError`, at the boundary, one line each, never a secret.

Each function takes what the vendor sent (status, headers, decoded body) and knows that vendor's error
envelope (PROVIDERS.md): OpenAI ``{"error": {message, type, code}}``, ElevenLabs
``{"detail": {status, message}}``, HeyGen ``{"code": int, "message": str}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .._exceptions import ProviderError
from .._redact import redact
from ._retry import parse_retry_after

__all__ = [
    "connection_error",
    "elevenlabs_error",
    "heygen_error",
    "http_error",
    "liveavatar_error",
    "one_line",
    "openai_error",
]

_HINTS = {
    401: "check the key: `tinytalk config set {setting}` (a revoked key must be replaced)",
    429: "rate limited: wait and retry, or lower the concurrency",
}


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _as_dict(body: Any) -> dict[str, Any]:
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {"message": body}
    return body if isinstance(body, dict) else {}


def _hint(status: int | None, setting: str) -> str | None:
    template = _HINTS.get(status or 0)
    return template.format(setting=setting) if template else None


def _vendor_error(
    provider: str, status: int | None, headers: Mapping[str, str], code: str, message: str
) -> ProviderError:
    """The one shape of a refused vendor call: status, vendor code, message, Retry-After and a hint."""
    return ProviderError(
        one_line(f"HTTP {status} {code}: {message}"),
        provider=provider,
        status=status,
        code=code[:64],
        retry_after=parse_retry_after(headers),
        hint=_hint(status, f"{provider}_api_key"),
    )


def openai_error(status: int | None, headers: Mapping[str, str], body: Any) -> ProviderError:
    data = _as_dict(body)
    err = data.get("error", data)
    err = err if isinstance(err, dict) else {"message": str(err)}
    code = err.get("code") or err.get("type") or (f"http_{status}" if status else "error")
    message = err.get("message") or f"HTTP {status}"
    return _vendor_error("openai", status, headers, str(code), str(message))


def elevenlabs_error(status: int | None, headers: Mapping[str, str], body: Any) -> ProviderError:
    data = _as_dict(body)
    detail = data.get("detail", data)
    if isinstance(detail, list):  # FastAPI validation errors (422)
        code, message = "validation_error", "; ".join(str(d.get("msg", d)) for d in detail if d)
    elif isinstance(detail, dict):
        code = str(detail.get("status") or detail.get("code") or f"http_{status}")
        message = str(detail.get("message") or f"HTTP {status}")
    else:
        code, message = f"http_{status}", str(detail or f"HTTP {status}")
    return _vendor_error("elevenlabs", status, headers, code, message)


def heygen_error(status: int | None, headers: Mapping[str, str], body: Any) -> ProviderError:
    data = _as_dict(body)
    err = data.get("error")
    if isinstance(err, dict):  # the newer developers.heygen.com envelope
        code, message = str(err.get("code") or status), str(err.get("message") or "")
    else:
        code = str(data.get("code") or f"http_{status}")
        message = str(data.get("message") or err or f"HTTP {status}")
    return _vendor_error("heygen", status, headers, code, message)


def liveavatar_error(status: int | None, headers: Mapping[str, str], body: Any) -> ProviderError:
    """LiveAvatar: the ``{code, data, message}`` envelope, or FastAPI's 422 ``{"detail": [{loc, msg}]}``."""
    data = _as_dict(body)
    detail = data.get("detail")
    if isinstance(detail, list):
        parts = [f"{'.'.join(str(p) for p in d.get('loc', []) if p != 'body')}: {d.get('msg')}"
                 for d in detail if isinstance(d, dict)]
        code, message = "validation_error", "; ".join(parts) or "validation error"
    elif isinstance(detail, str):  # FastAPI's own HTTPException body
        code, message = f"http_{status}", detail
    else:
        code = str(data.get("code") or f"http_{status}")
        message = str(data.get("message") or f"HTTP {status}")
    return _vendor_error("liveavatar", status, headers, code, message)


def http_error(provider: str, exc: BaseException, *, mid_stream: bool = False) -> ProviderError | None:
    """An ``httpx`` failure of our own requests (HeyGen, ElevenLabs streams) as a ProviderError.

    None for anything that is not an ``httpx.HTTPError``. ``mid_stream``: the answer had started, so a
    broken connection is a cut stream (not retried), not an unreachable API.
    """
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return connection_error(provider, exc, timeout=True)
    if isinstance(exc, httpx.HTTPError):
        if mid_stream:
            return ProviderError(f"stream broke off ({exc.__class__.__name__})", provider=provider,
                                 code="stream_cut")
        return connection_error(provider, exc)
    return None


def connection_error(provider: str, exc: BaseException, *, timeout: bool = False) -> ProviderError:
    kind = "timeout" if timeout else "connection_error"
    detail = one_line(str(exc) or exc.__class__.__name__, 160)
    return ProviderError(
        f"could not reach the API ({kind}: {detail})",
        provider=provider,
        code=kind,
        hint="check the network and the base URL setting",
    )
