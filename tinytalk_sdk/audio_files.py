"""Make a saved audio file what its name says: ``speak -o answer.mp3`` gets MP3 bytes whatever the provider sent.

The TTS endpoint answers in the provider's format (the offline provider: WAV; ElevenLabs: MP3). When the
file's extension asks for another format, :func:`match_extension` converts it with libsndfile (soundfile:
WAV, MP3, OGG/Vorbis, FLAC); when it cannot, the file keeps its bytes and is renamed to the extension of what
it holds, and the result says so. Never two files, never a file whose name lies about its content.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SavedAudio", "match_extension"]

# extension -> (content types that already match, libsndfile format, subtype)
_FORMATS: dict[str, tuple[frozenset[str], str, str | None]] = {
    ".mp3": (frozenset({"audio/mpeg", "audio/mp3", "audio/mpeg3"}), "MP3", "MPEG_LAYER_III"),
    ".wav": (frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"}), "WAV", "PCM_16"),
    ".ogg": (frozenset({"audio/ogg", "audio/vorbis"}), "OGG", "VORBIS"),
    ".flac": (frozenset({"audio/flac", "audio/x-flac"}), "FLAC", "PCM_16"),
}


@dataclass(frozen=True)
class SavedAudio:
    path: Path
    content_type: str
    converted_from: str | None = None  # the content type the server sent, when the file was converted
    renamed_from: Path | None = None  # the asked-for name, when the file could not be converted

    @property
    def bytes(self) -> int:
        return self.path.stat().st_size


def _suffix_for(content_type: str) -> str | None:
    return next((ext for ext, (types, _f, _s) in _FORMATS.items() if content_type in types), None)


def match_extension(path: Path, content_type: str) -> SavedAudio:
    """Convert ``path`` (holding ``content_type``) to the format its extension names, or rename it."""
    content_type = content_type.lower()
    wanted = _FORMATS.get(path.suffix.lower())
    if wanted is None or content_type in wanted[0]:
        return SavedAudio(path, content_type)  # unknown extension (the user's choice) or already right
    types, fmt, subtype = wanted
    try:
        import soundfile

        data, rate = soundfile.read(str(path), dtype="float32")
        buf = io.BytesIO()
        soundfile.write(buf, data, rate, format=fmt, subtype=subtype)
    except Exception:  # libsndfile cannot read the source or has no encoder for the target
        ext = _suffix_for(content_type) or ".bin"
        target = path.with_suffix(ext)
        os.replace(path, target)
        return SavedAudio(target, content_type, renamed_from=path)
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    part.write_bytes(buf.getvalue())
    os.replace(part, path)
    return SavedAudio(path, sorted(types)[0] if fmt != "MP3" else "audio/mpeg", converted_from=content_type)
