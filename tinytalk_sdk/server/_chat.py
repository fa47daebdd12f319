"""Calling providers from endpoints: usage rows, provider errors → contract errors, emotions."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .._exceptions import ProviderError
from .._redact import redact
from ..providers.base import ChatResult, ChatTurn
from ._responses import ApiError

if TYPE_CHECKING:
    from ._call import Call

__all__ = ["api_error_of", "complete", "detect_emotion", "provider_errors"]

_REVIEW = re.compile(r"\b(we say|you can say|should say|try again|say it again|instead of|correct(ion)?)\b", re.I)
_PRAISE = re.compile(r"\b(great|good job|well done|excellent|awesome|perfect|nice|hello|hi)\b", re.I)


def detect_emotion(reply: str) -> str:
    """The character state a reply shows: ``review`` for a correction, ``praise``, else ``thinking``.

    Works on the offline tutor's replies (which it was written against) and on GPT's alike.
    """
    if _REVIEW.search(reply):
        return "review"
    if _PRAISE.search(reply):
        return "praise"
    return "thinking"


def api_error_of(exc: ProviderError) -> ApiError:
    code = exc.code or ""
    message = redact(exc.message)
    if code == "unsupported_audio":
        return ApiError(415, "unsupported_media_type", message)
    if code == "unsupported_language":
        return ApiError(422, "validation_failed", message, fields={"language": message})
    if code in ("empty_text", "empty_audio"):
        return ApiError(422, "validation_failed", message, fields={"text": message})
    if exc.status == 404 or code == "session_not_found":
        return ApiError(404, "avatar_session_not_found", message)
    if code == "session_state":
        return ApiError(409, "avatar_session_state", message)
    headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if exc.retry_after else None
    return ApiError(503, "provider_error", message, headers=headers)


@contextmanager
def provider_errors() -> Iterator[None]:
    try:
        yield
    except ProviderError as exc:
        raise api_error_of(exc) from None


def _takes_operation(fn: object) -> bool:
    try:
        return "operation" in inspect.signature(fn).parameters  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def complete(call: Call, messages: list[ChatTurn], *, operation: str, session_id: int | None) -> ChatResult:
    """A non-streaming chat call, one usage row (``chat`` / ``feedback`` / ``summary``)."""
    chat = call.state.providers.chat
    ctx = call.ctx(session_id)
    with provider_errors(), call.usage(chat, operation, session_id=session_id) as entry:
        if _takes_operation(chat.complete):
            result = chat.complete(messages, ctx=ctx, operation=operation)  # type: ignore[call-arg]
        else:
            result = chat.complete(messages, ctx=ctx)
        entry.input_tokens, entry.output_tokens = result.input_tokens, result.output_tokens
        entry.model = result.model or entry.model
    return result
