"""Offline providers: deterministic, and real where they can be.

* :class:`EspeakTTS` speaks with **espeak-ng** into a real WAV (``audio/wav``), streamed in chunks.
* :class:`PocketSphinxSTT` recognises speech for real with **pocketsphinx** (en-US model from the wheel),
  after resampling to 16 kHz mono. It is rough, especially on synthetic speech, and it never returns a
  transcript the audio did not produce: silence gives ``""``.
* :class:`TutorChat` is a small rule-based English tutor: echo-with-correction for common child errors
  ("I goed" → "I went"), praise otherwise, streamed word by word like GPT-4o with estimated token counts.
* :class:`FakeAvatar` keeps HeyGen-style streaming sessions in memory and measures their minutes.

Like the OpenAI / ElevenLabs adapters, each provider records its own calls through its ``recorder``
(service ``offline``): one ``api_usage_logs`` row per call. ``make_offline_providers()`` without a recorder
keeps rows in memory; the server rebinds such recorders to its database (see ``bundle``).
"""

from __future__ import annotations

import io
import re
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._exceptions import ProviderError
from .base import CallContext, Transcript, TtsStream, UsageRecorder
from .bundle import Providers
from .offline_avatar import FakeAvatar
from .offline_tutor import SUMMARY_MARKER, TutorChat, correct_sentence, estimate_tokens

__all__ = [
    "SUMMARY_MARKER",
    "EspeakTTS",
    "FakeAvatar",
    "PocketSphinxSTT",
    "Runner",
    "TutorChat",
    "correct_sentence",
    "estimate_tokens",
    "make_offline_providers",
    "wav_duration",
]

# (args, stdin) -> stdout; raises ProviderError. Tests inject a fake to check the command line.
Runner = Callable[[list[str], bytes], bytes]


def _run(args: list[str], stdin: bytes) -> bytes:
    try:
        proc = subprocess.run(args, input=stdin, capture_output=True, timeout=60, check=False)
    except FileNotFoundError:
        raise ProviderError(
            f"{args[0]} is not installed", provider="offline", code="not_installed",
            hint="apt-get install espeak-ng",
        ) from None
    except subprocess.TimeoutExpired:
        raise ProviderError(f"{args[0]} timed out", provider="offline", code="timeout") from None
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()
        raise ProviderError(
            f"{args[0]} exited with {proc.returncode}: {detail[0] if detail else 'no message'}",
            provider="offline", code="tts_failed",
        )
    return proc.stdout


def _fix_wav_sizes(wav: bytes) -> bytes:
    """espeak-ng --stdout writes placeholder sizes (it cannot seek a pipe); write the real ones."""
    if len(wav) < 44 or wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise ProviderError("espeak-ng did not produce a WAV", provider="offline", code="tts_failed")
    out = bytearray(wav)
    out[4:8] = (len(wav) - 8).to_bytes(4, "little")
    pos = 12
    while pos + 8 <= len(out):
        chunk, size = bytes(out[pos:pos + 4]), int.from_bytes(out[pos + 4:pos + 8], "little")
        if chunk == b"data":
            out[pos + 4:pos + 8] = (len(out) - pos - 8).to_bytes(4, "little")
            break
        pos += 8 + size
    return bytes(out)


def wav_duration(wav: bytes) -> float | None:
    """Seconds of audio in a PCM WAV held in memory (``None`` when it is not one)."""
    try:
        import soundfile

        info = soundfile.info(io.BytesIO(wav))
    except Exception:  # not a WAV soundfile can read: no duration
        return None
    return float(info.duration)


class EspeakTTS:
    """Text-to-speech with espeak-ng. ``voice_id`` may name an espeak voice (``en``, ``en-us``)."""

    name = "espeak-ng"
    service = "offline"
    model = "espeak-ng"
    records_usage = True  # writes its own usage row through self.recorder

    def __init__(
        self, *, voice: str = "en", rate: int = 160, binary: str = "espeak-ng", runner: Runner | None = None,
        chunk_size: int = 16384, recorder: UsageRecorder | None = None,
    ) -> None:
        self.recorder = recorder or UsageRecorder()
        self.voice = voice
        self.rate = rate
        self.binary = binary
        self.runner = runner or _run
        self.chunk_size = chunk_size

    def command(self, voice: str) -> list[str]:
        # Text goes through stdin so that a text starting with "-" is never read as an option.
        return [self.binary, "-v", voice, "-s", str(self.rate), "--stdin", "--stdout"]

    def synthesize(self, text: str, *, voice_id: str | None = None) -> bytes:
        if not text.strip():
            raise ProviderError("nothing to say: empty text", provider="offline", code="empty_text")
        voice = voice_id if voice_id and re.fullmatch(r"[a-z]{2,3}(-[a-z0-9-]{1,20})?", voice_id) else self.voice
        return _fix_wav_sizes(self.runner(self.command(voice), text.encode("utf-8")))

    def stream(
        self, text: str, *, voice_id: str | None = None, model_id: str | None = None,
        output_format: str | None = None, with_timestamps: bool = False, ctx: CallContext | None = None,
    ) -> TtsStream:
        with self.recorder.call(self.service, "tts", model=self.model, ctx=ctx) as entry:
            entry.characters = len(text)
            wav = self.synthesize(text, voice_id=voice_id)
            entry.audio_seconds = wav_duration(wav)
        size = self.chunk_size
        return TtsStream(content_type="audio/wav", chunks=(wav[i:i + size] for i in range(0, len(wav), size)))


def _to_16k_mono(path: Path) -> tuple[bytes, float]:
    """Read any format soundfile knows (wav, mp3, ogg, flac), mix to mono, resample to 16 kHz int16."""
    import numpy as np
    import soundfile

    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile raises LibsndfileError/RuntimeError/TypeError
        raise ProviderError(
            f"cannot decode {path.suffix or 'audio'} offline ({exc.__class__.__name__}); "
            "wav, mp3 and ogg work", provider="offline", code="unsupported_audio",
        ) from None
    mono = data.mean(axis=1)
    duration = len(mono) / float(rate) if rate else 0.0
    target = 16000
    if rate != target and len(mono):
        if rate > target:
            # Low-pass below the new Nyquist before decimating, or high frequencies fold into speech.
            cutoff = 0.5 * target / rate * 0.9
            taps = np.arange(101) - 50
            kernel = 2 * cutoff * np.sinc(2 * cutoff * taps) * np.hamming(101)
            mono = np.convolve(mono, kernel / kernel.sum(), mode="same")
        count = round(len(mono) * target / rate)
        mono = np.interp(np.arange(count) * (rate / target), np.arange(len(mono)), mono)
    pcm = (np.clip(mono, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    return pcm, duration


def _has_voice(pcm: bytes, *, threshold: float = 0.01, min_frames: int = 5) -> bool:
    """True when at least ``min_frames`` 20 ms frames are louder than ``threshold`` RMS (-40 dBFS)."""
    import numpy as np

    samples = np.frombuffer(pcm, dtype="<i2").astype("float32") / 32768.0
    frames = len(samples) // 320
    if frames == 0:
        return False
    rms = np.sqrt(np.mean(np.square(samples[: frames * 320].reshape(frames, 320)), axis=1))
    return int(np.count_nonzero(rms > threshold)) >= min_frames


class PocketSphinxSTT:
    """Speech-to-text with pocketsphinx's bundled US-English model. One decoder, used under a lock."""

    name = "pocketsphinx"
    service = "offline"
    model = "pocketsphinx-en-us"
    records_usage = True  # writes its own usage row through self.recorder

    # Loading the model takes 0.3-3 s: one decoder per process, shared by every instance (under a lock,
    # since a decoder holds one utterance at a time).
    _shared_decoder: Any = None
    _lock = threading.Lock()

    def __init__(self, *, recorder: UsageRecorder | None = None) -> None:
        self.recorder = recorder or UsageRecorder()

    @classmethod
    def _get_decoder(cls) -> Any:
        try:
            from pocketsphinx import Decoder
        except ImportError:
            raise ProviderError(
                "pocketsphinx is not installed", provider="offline", code="not_installed",
                hint="pip install pocketsphinx",
            ) from None
        if cls._shared_decoder is None:
            cls._shared_decoder = Decoder(samprate=16000, loglevel="FATAL")
        return cls._shared_decoder

    def transcribe(self, audio: Path, *, language: str | None = "en", ctx: CallContext | None = None
                   ) -> Transcript:
        with self.recorder.call(self.service, "stt", model=self.model, ctx=ctx) as entry:
            if language and not language.lower().startswith("en"):
                raise ProviderError(
                    f"language '{language}' is not available offline (English only)", provider="offline",
                    code="unsupported_language",
                )
            pcm, duration = _to_16k_mono(Path(audio))
            entry.audio_seconds = round(duration, 3)
            if not _has_voice(pcm):
                # pocketsphinx "hears" a word in pure silence; no energy means nothing was said.
                return Transcript(text="", language="en", duration_seconds=round(duration, 3))
            with self._lock:
                decoder = self._get_decoder()
                decoder.start_utt()
                decoder.process_raw(pcm, full_utt=True)
                decoder.end_utt()
                hyp = decoder.hyp()
                text = hyp.hypstr.strip() if hyp is not None else ""
        return Transcript(text=text, language="en", duration_seconds=round(duration, 3))


def make_offline_providers(
    *, recorder: UsageRecorder | None = None, tts_runner: Runner | None = None,
    avatar_clock: Callable[[], float] | None = None, chunk_delay: float = 0.0,
) -> Providers:
    """The offline bundle: espeak-ng, pocketsphinx, the tutor and the fake avatar, sharing one recorder."""
    recorder = recorder or UsageRecorder()
    return Providers(
        stt=PocketSphinxSTT(recorder=recorder),
        chat=TutorChat(chunk_delay=chunk_delay, recorder=recorder),
        tts=EspeakTTS(runner=tts_runner, recorder=recorder),
        avatar=FakeAvatar(clock=avatar_clock or time.monotonic, recorder=recorder),
    )
