"""Base classes of every request and response model, and the JSON envelope the API wraps them in.

Requests forbid unknown fields (a typo in a caller's keyword is a bug to report, not to send); responses
allow them (a newer server may add fields, and an older SDK must keep working and keep the data).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "EmptyRequest",
    "ErrorBody",
    "ErrorEnvelope",
    "RequestModel",
    "ResponseModel",
    "SuccessEnvelope",
    "Usage",
]


# Every integer a request carries (ids, limits, years) fits a signed 64-bit column: a bigger one is a 422,
# not an OverflowError from the database driver.
_INT64 = (-(2**63), 2**63 - 1)


class RequestModel(BaseModel):
    """What a client sends (JSON body, query string or multipart form fields)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _fits_int64(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and not _INT64[0] <= value <= _INT64[1]:
            raise ValueError("integer out of range (64-bit)")
        return value


class ResponseModel(BaseModel):
    """The ``data`` object of a successful answer; unknown fields are kept (``model_extra``)."""

    model_config = ConfigDict(extra="allow")


class EmptyRequest(RequestModel):
    """Endpoints that take no input (``auth_me.php``, ``health.php``, …)."""


class Usage(ResponseModel):
    """Tokens a GPT call consumed (what ``api_usage_logs`` records)."""

    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)


class ErrorBody(ResponseModel):
    code: str = Field(description="snake_case machine code, e.g. unauthorized, validation_failed")
    message: str = Field(description="one line for people")
    fields: dict[str, str] | None = Field(default=None, description="field -> message (422)")


class SuccessEnvelope(ResponseModel):
    success: Literal[True] = True
    data: Any = None


class ErrorEnvelope(ResponseModel):
    success: Literal[False] = False
    error: ErrorBody
