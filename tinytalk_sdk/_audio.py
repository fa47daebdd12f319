"""Streaming a TTS answer to disk or a writer, chunk by chunk (never the whole body in memory)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from ._exceptions import APIResponseError, TinyTalkError, ValidationError

__all__ = ["CHUNK_SIZE", "AudioSink", "SpeechResult", "Writer", "check_audio_response", "part_path", "total_length"]

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


class AudioSink:
    """Where a TTS answer goes, chunk by chunk: the part of ``speak`` that both clients share.

    Checks the response is audio, writes to ``to`` (a path, through a ``.part`` file renamed by
    :meth:`finish`; or any writer), reports ``progress(written, total)``. :meth:`abort` removes the part
    file. Only reading the body (``iter_bytes`` / ``aiter_bytes``) is left to the sync and async callers.
    """

    def __init__(
        self, response: httpx.Response, to: str | os.PathLike[str] | Writer,
        progress: Callable[[int, int], None] | None, *, method: str, path: str,
    ) -> None:
        self.content_type = check_audio_response(response, method=method, path=path)
        self.total = total_length(response)
        self.written = 0
        self.request_id = response.headers.get("x-request-id")
        self.target = Path(to) if isinstance(to, str | os.PathLike) else None
        self._part = part_path(self.target) if self.target else None
        try:
            self._fh = self._part.open("wb") if self._part else None
        except OSError as exc:  # a missing folder or no permission: named, not a raw OSError
            raise ValidationError(f"{self.target}: cannot write the audio ({exc.strerror or exc})") from None
        self._writer: Writer = self._fh if self._fh else to  # type: ignore[assignment]
        self._progress = progress

    def write(self, chunk: bytes) -> None:
        try:
            self._writer.write(chunk)
        except OSError as exc:  # disk full, a closed writer: the run stops with the file named
            raise TinyTalkError(f"{self.target or 'writer'}: writing the audio failed ({exc.strerror or exc})"
                                ) from None
        self.written += len(chunk)
        if self._progress:
            self._progress(self.written, self.total)

    def finish(self) -> SpeechResult:
        if self._fh:
            self._fh.close()
        if self._part and self.target:
            self._part.replace(self.target)
        return SpeechResult(self.written, self.content_type, self.target, self.request_id)

    def abort(self) -> None:
        if self._fh:
            self._fh.close()
        if self._part:
            self._part.unlink(missing_ok=True)
