"""Real speech for tests and smoke runs: espeak-ng WAV, MP3 through sox (or libsndfile), word error rate."""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
from pathlib import Path

from .._exceptions import ProviderError

__all__ = ["audio_duration", "speak_mp3", "speak_wav", "word_error_rate", "write_wav"]


def _fix_sizes(wav: bytes) -> bytes:
    # espeak-ng --stdout cannot seek back into a pipe, so the RIFF and data sizes are placeholders.
    if len(wav) < 44 or wav[:4] != b"RIFF":
        return wav
    out = bytearray(wav)
    out[4:8] = (len(wav) - 8).to_bytes(4, "little")
    pos = 12
    while pos + 8 <= len(out):
        size = int.from_bytes(out[pos + 4:pos + 8], "little")
        if bytes(out[pos:pos + 4]) == b"data":
            out[pos + 4:pos + 8] = (len(out) - pos - 8).to_bytes(4, "little")
            break
        pos += 8 + size
    return bytes(out)


@functools.lru_cache(maxsize=64)
def speak_wav(text: str, *, voice: str = "en-us", rate: int = 150) -> bytes:
    """``text`` spoken by espeak-ng as a 22.05 kHz mono WAV; a short tone when espeak-ng is missing."""
    binary = shutil.which("espeak-ng")
    if binary:
        proc = subprocess.run([binary, "-v", voice, "-s", str(rate), "--stdin", "--stdout"],
                              input=text.encode("utf-8"), capture_output=True, timeout=60, check=False)
        if proc.returncode == 0 and proc.stdout[:4] == b"RIFF":
            return _fix_sizes(proc.stdout)
    return _tone(max(0.5, len(text.split()) * 0.35))


def _tone(seconds: float, rate: int = 22050) -> bytes:
    import numpy as np
    import soundfile

    t = np.arange(int(seconds * rate)) / rate
    buf = io.BytesIO()
    soundfile.write(buf, 0.2 * np.sin(2 * np.pi * 220 * t), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


@functools.lru_cache(maxsize=64)
def speak_mp3(text: str, *, bitrate_kbps: int = 128, sample_rate: int = 44100) -> bytes:
    """``text`` as a constant-bit-rate MP3 (sox with libsox-fmt-mp3, else libsndfile's encoder)."""
    wav = speak_wav(text)
    sox = shutil.which("sox")
    if sox:
        proc = subprocess.run([sox, "-t", "wav", "-", "-t", "mp3", "-r", str(sample_rate), "-c", "1",
                               "-C", str(bitrate_kbps), "-"], input=wav, capture_output=True, timeout=60,
                              check=False)
        if proc.returncode == 0 and proc.stdout:
            return proc.stdout
    try:
        import soundfile

        data, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
        buf = io.BytesIO()
        soundfile.write(buf, data, rate, format="MP3")
        return buf.getvalue()
    except Exception as exc:  # libsndfile without MP3 support
        raise ProviderError("cannot encode MP3: install sox and libsox-fmt-mp3", provider="fake",
                            code="no_mp3_encoder") from exc


def audio_duration(data: bytes) -> float | None:
    """Seconds of audio in a WAV/MP3/OGG held in memory, or None."""
    try:
        import soundfile

        return float(soundfile.info(io.BytesIO(data)).duration)
    except Exception:  # not audio libsndfile understands
        return None


def write_wav(text: str, path: Path) -> Path:
    path.write_bytes(speak_wav(text))
    return path


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, by edit distance over words."""
    ref, hyp = _words(reference), _words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return round(prev[-1] / len(ref), 4)
