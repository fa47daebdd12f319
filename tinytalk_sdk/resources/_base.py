"""What every resource (auth, sessions, …) shares: its client, and turning keywords into a request model."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic

from .._base_client import AsyncAPIClient, SyncAPIClient
from .._exceptions import ValidationError
from ..types._base import RequestModel

__all__ = ["AsyncAPIResource", "SyncAPIResource", "make_params"]

_ReqT = TypeVar("_ReqT", bound=RequestModel)


def make_params(model: type[_ReqT], endpoint: str, **values: Any) -> _ReqT:
    """The request model from the keywords that were given (None = not given, the server's default).

    A bad value is the caller's mistake: a ValidationError naming every field, before anything is sent.
    """
    try:
        return model(**{k: v for k, v in values.items() if v is not None})
    except pydantic.ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or '?'}: {e['msg']}" for e in exc.errors()
        ]
        raise ValidationError(f"{endpoint}: invalid request: " + "; ".join(problems), errors=problems) from None


class SyncAPIResource:
    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client


class AsyncAPIResource:
    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client
