"""Streaming a TTS answer to disk or a writer, chunk by chunk (never the whole body in memory)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from ._exceptions import APIResponseError

__all__ = ["CHUNK_SIZE", "SpeechResult", "Writer", "check_audio_response", "part_path"]

CHUNK_SIZE = 64 * 1024


class Writer(Protocol):
    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True)
class SpeechResult:
    bytes_written: int
    content_type: str
    path: Path | None = None
    request_id: str | None = None


def check_audio_response(response: httpx.Response, *, method: str, path: str) -> str:
    """The audio content type, or APIResponseError (a JSON or HTML body where audio was promised)."""
    content_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if not content_type.startswith("audio/"):
        raise APIResponseError(
            f"{method} {path}: expected an audio/* body, got {content_type or 'no content type'}",
            endpoint=path, method=method, status=response.status_code,
            request_id=response.headers.get("x-request-id"),
        )
    return content_type


def part_path(target: Path) -> Path:
    """Write next to the target and rename at the end, so a failed download leaves no half file."""
    return target.with_name(f".{target.name}.{os.getpid()}.part")


def total_length(response: httpx.Response) -> int:
    try:
        return int(response.headers.get("content-length", "0"))
    except ValueError:
        return 0
