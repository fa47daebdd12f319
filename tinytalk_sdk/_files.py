"""Local checks of an audio file before it is uploaded, and a file wrapper that reports progress.

Checked before sending (a 25 MB upload that the server refuses wastes a child's mobile data): the file
exists and is a file, is not empty, is at most 25 MB (Whisper's limit), has an accepted extension, and
its first bytes are that format's magic.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ._exceptions import ValidationError
from .types.pipeline import AUDIO_FORMATS, MAX_UPLOAD_BYTES

__all__ = ["AudioFile", "ProgressFile", "check_audio_file", "sniff_audio_format"]

CONTENT_TYPES = {
    "wav": "audio/wav", "mp3": "audio/mpeg", "m4a": "audio/mp4", "webm": "audio/webm", "ogg": "audio/ogg",
}

Progress = Callable[[int, int], None]


def sniff_audio_format(head: bytes) -> str | None:
    """The format the first bytes announce, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[:4] == b"OggS":
        return "ogg"
    return None


@dataclass(frozen=True)
class AudioFile:
    path: Path
    size: int
    format: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def check_audio_file(path: str | os.PathLike[str], *, max_bytes: int = MAX_UPLOAD_BYTES) -> AudioFile:
    p = Path(path)
    if not p.exists():
        raise ValidationError(f"{p}: no such file")
    if not p.is_file():
        raise ValidationError(f"{p}: not a file")
    try:
        size = p.stat().st_size
        with p.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:  # unreadable (permissions): the caller's to fix, not a raw OSError
        raise ValidationError(f"{p}: cannot read the file ({exc.strerror or exc.__class__.__name__})") from None
    if size == 0:
        raise ValidationError(f"{p}: the file is empty")
    if size > max_bytes:
        raise ValidationError(
            f"{p}: {size / 1_048_576:.1f} MB is over the {max_bytes // 1_048_576} MB upload limit",
            hint="shorten or compress the recording",
        )
    ext = p.suffix.lower().lstrip(".")
    if ext not in AUDIO_FORMATS:
        raise ValidationError(
            f"{p}: unsupported audio format '.{ext}' (accepted: {', '.join(AUDIO_FORMATS)})"
        )
    found = sniff_audio_format(head)
    if found != ext:
        what = f"a {found} file" if found else "not a recognisable audio file"
        raise ValidationError(f"{p}: the extension says {ext} but the content is {what}")
    return AudioFile(p, size, ext)


class ProgressFile:
    """A read-only binary file that calls ``progress(sent, total)`` as httpx reads it for multipart."""

    def __init__(self, fh: BinaryIO, total: int, progress: Progress | None) -> None:
        self._fh = fh
        self._total = total
        self._progress = progress
        self._sent = 0
        self.name = fh.name if isinstance(getattr(fh, "name", None), str) else "upload"

    def read(self, size: int = -1) -> bytes:
        chunk = self._fh.read(size)
        self._sent += len(chunk)
        if self._progress is not None and chunk:
            self._progress(self._sent, self._total)
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        pos = self._fh.seek(offset, whence)
        if pos == 0:
            self._sent = 0  # a retry re-reads the file from the start
        return pos

    def tell(self) -> int:
        return self._fh.tell()

    def fileno(self) -> int:
        return self._fh.fileno()

    def close(self) -> None:
        self._fh.close()
