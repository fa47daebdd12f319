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
import itertools
import math
import re
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .._exceptions import ProviderError
from .base import CallContext, ChatResult, ChatTurn, Transcript, TtsStream, UsageRecorder
from .bundle import AvatarSession, AvatarStop, AvatarTask, Providers

__all__ = [
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


# ---- the tutor -----------------------------------------------------------------------------------

# Common errors of young learners: (pattern, replacement, why). Applied in order, case-insensitively.
_CORRECTIONS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(p, re.IGNORECASE), r, why)
    for p, r, why in [
        (r"\bgoed\b", "went", "irregular past tense"),
        (r"\beated\b", "ate", "irregular past tense"),
        (r"\brunned\b", "ran", "irregular past tense"),
        (r"\bbuyed\b", "bought", "irregular past tense"),
        (r"\bcatched\b", "caught", "irregular past tense"),
        (r"\bteached\b", "taught", "irregular past tense"),
        (r"\bthinked\b", "thought", "irregular past tense"),
        (r"\bswimmed\b", "swam", "irregular past tense"),
        (r"\bwinned\b", "won", "irregular past tense"),
        (r"\bsleeped\b", "slept", "irregular past tense"),
        (r"\bdrinked\b", "drank", "irregular past tense"),
        (r"\bmaked\b", "made", "irregular past tense"),
        (r"\bchilds\b", "children", "irregular plural"),
        (r"\bmouses\b", "mice", "irregular plural"),
        (r"\bfoots\b", "feet", "irregular plural"),
        (r"\btooths\b", "teeth", "irregular plural"),
        (r"\bmore better\b", "better", "comparative"),
        (r"\bi is\b", "I am", "subject-verb agreement"),
        (r"\bi are\b", "I am", "subject-verb agreement"),
        (r"\bi has\b", "I have", "subject-verb agreement"),
        (r"\b(he|she|it) don't\b", r"\1 doesn't", "subject-verb agreement"),
        (r"\b(he|she|it) have\b", r"\1 has", "subject-verb agreement"),
        (r"\b(he|she|it) go\b", r"\1 goes", "subject-verb agreement"),
        (r"\b(he|she|it) like\b", r"\1 likes", "subject-verb agreement"),
        (r"\b(he|she|it) are\b", r"\1 is", "subject-verb agreement"),
        (r"\b(they|we|you) was\b", r"\1 were", "subject-verb agreement"),
    ]
]
_GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening))\b", re.IGNORECASE)
_FOLLOW_UPS = [
    "What else did you do today?",
    "Can you tell me more about it?",
    "How did that make you feel?",
    "Who was with you?",
    "What is your favourite part?",
]
SUMMARY_MARKER = "summarize"


def correct_sentence(sentence: str) -> tuple[str, list[tuple[str, str, str]]]:
    """Apply the correction rules; return the corrected sentence and the (wrong, right, why) triples."""
    fixes: list[tuple[str, str, str]] = []
    out = sentence
    for pattern, repl, why in _CORRECTIONS:
        for match in pattern.finditer(out):
            fixes.append((match.group(0), match.expand(repl), why))
        out = pattern.sub(repl, out)
    out = re.sub(r"\bi\b", "I", out)  # the pronoun, once the rules ran
    if out and out[0].islower():
        out = out[0].upper() + out[1:]
    return out, fixes


def estimate_tokens(text: str) -> int:
    """About four characters per token, as OpenAI's rule of thumb for English."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


def _student_lines(turns: list[str]) -> list[str]:
    """The learner's sentences: ``user: …`` lines of a transcript turn, or the turns themselves."""
    lines: list[str] = []
    for turn in turns:
        tagged = [ln for ln in turn.splitlines() if re.match(r"^\s*(user|assistant)\s*:", ln, re.IGNORECASE)]
        if not tagged:
            lines.append(turn)
        lines.extend(ln.split(":", 1)[1].strip() for ln in tagged if ln.strip().lower().startswith("user"))
    return [ln for ln in lines if ln]


def _stable_pick(options: list[str], key: str) -> str:
    return options[zlib.crc32(key.encode("utf-8")) % len(options)]


class TutorChat:
    """A deterministic English tutor. ``reply`` returns the answer and the emotion it shows."""

    name = "tutor"
    service = "offline"
    model = "offline-tutor"
    records_usage = True  # writes its own usage row through self.recorder

    def __init__(self, *, chunk_delay: float = 0.0, recorder: UsageRecorder | None = None) -> None:
        self.recorder = recorder or UsageRecorder()
        self.chunk_delay = chunk_delay  # seconds between streamed words (0 in tests)

    def reply(self, messages: list[ChatTurn]) -> tuple[str, str]:
        system = " ".join(m.content for m in messages if m.role == "system").lower()
        user_turns = [m.content for m in messages if m.role == "user"]
        if SUMMARY_MARKER in system:
            return self._summary(_student_lines(user_turns)), "thinking"
        last = (user_turns[-1] if user_turns else "").strip()
        corrected, fixes = correct_sentence(last.rstrip(".!"))
        if fixes:
            text = f'Good try! We say: "{corrected}." Can you say it again?'
            if "->" in system:  # feedback mode: one "original -> corrected: why" line per mistake
                text += "".join(f"\n{wrong} -> {right}: {why}" for wrong, right, why in fixes)
            return text, "review"
        if not last:
            return "I am listening. Can you say something in English?", "thinking"
        if _GREETING.match(last):
            return "Hello! Great to see you. What did you do today?", "praise"
        if last.endswith("?"):
            return "That is a good question! Let me think. What do you think?", "thinking"
        if len(last.split()) < 3:
            return "Let me think. Can you say that in a full sentence?", "thinking"
        return f"Great sentence! {_stable_pick(_FOLLOW_UPS, last)}", "praise"

    def _summary(self, user_turns: list[str]) -> str:
        if not user_turns:
            return "No conversation yet."
        fixes = [pair for turn in user_turns for pair in correct_sentence(turn)[1]]
        words = sorted({w.lower() for turn in user_turns for w in re.findall(r"[A-Za-z']+", turn)})
        parts = [f"The student said {len(user_turns)} sentence{'s' if len(user_turns) != 1 else ''}."]
        if fixes:
            parts.append("Corrections: " + "; ".join(f'"{a}" → "{b}"' for a, b, _why in fixes) + ".")
        else:
            parts.append("No grammar mistakes found.")
        parts.append(f"Words used: {len(words)}.")
        return " ".join(parts)

    def _result(self, messages: list[ChatTurn], text: str, result: ChatResult | None) -> ChatResult:
        result = result if result is not None else ChatResult(text="")
        result.text = text
        result.input_tokens = sum(estimate_tokens(m.content) + 4 for m in messages)
        result.output_tokens = estimate_tokens(text)
        result.model = self.model
        result.finish_reason = "stop"
        return result

    def stream(
        self, messages: list[ChatTurn], *, model: str | None = None, temperature: float | None = None,
        ctx: CallContext | None = None, result: ChatResult | None = None,
    ) -> Iterator[str]:
        started = time.perf_counter()
        with self.recorder.call(self.service, "chat_stream", model=self.model, ctx=ctx) as entry:
            text, _emotion = self.reply(messages)
            sent: list[str] = []
            try:
                # GPT-4o sends a token or two per chunk; a word with its leading space is close enough.
                for i, word in enumerate(text.split(" ")):
                    if self.chunk_delay:
                        time.sleep(self.chunk_delay)
                    piece = word if i == 0 else " " + word
                    entry.mark_first_byte(started)
                    sent.append(piece)
                    yield piece
            finally:
                # On an early close the usage row counts what was actually sent.
                done = self._result(messages, "".join(sent), result)
                entry.input_tokens, entry.output_tokens = done.input_tokens, done.output_tokens

    def complete(
        self, messages: list[ChatTurn], *, model: str | None = None, temperature: float | None = None,
        ctx: CallContext | None = None, operation: str = "chat",
    ) -> ChatResult:
        with self.recorder.call(self.service, operation, model=self.model, ctx=ctx) as entry:
            text, _emotion = self.reply(messages)
            done = self._result(messages, text, None)
            entry.input_tokens, entry.output_tokens = done.input_tokens, done.output_tokens
        return done


class FakeAvatar:
    """HeyGen-like streaming sessions kept in memory; ids are deterministic (a counter)."""

    name = "fake-avatar"
    service = "offline"
    model = "fake-avatar"
    records_usage = True  # writes its own usage row through self.recorder

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, recorder: UsageRecorder | None = None
    ) -> None:
        self.recorder = recorder or UsageRecorder()
        self.clock = clock
        self._counter = itertools.count(1)
        self._tasks = itertools.count(1)
        self._lock = threading.Lock()
        self.sessions: dict[str, dict[str, Any]] = {}

    def _get(self, session_id: str, *states: str) -> dict[str, Any]:
        session = self.sessions.get(session_id)
        if session is None:
            raise ProviderError(f"unknown session '{session_id}'", provider="offline", status=404,
                                code="session_not_found")
        if states and session["state"] not in states:
            raise ProviderError(f"session '{session_id}' is {session['state']}", provider="offline",
                                status=400, code="session_state")
        return session

    def create_session(
        self, *, avatar_id: str | None = None, voice_id: str | None = None, quality: str | None = None,
        ctx: CallContext | None = None,
    ) -> AvatarSession:
        with self.recorder.call(self.service, "heygen_new", model=self.model, ctx=ctx), self._lock:
            session_id = f"offline-{next(self._counter):06d}"
            self.sessions[session_id] = {"state": "new", "created": self.clock(), "started": None,
                                         "ice": 0, "tasks": 0, "avatar_id": avatar_id or "offline-avatar"}
        return AvatarSession(
            session_id=session_id, avatar_id=avatar_id or "offline-avatar",
            url="wss://offline.invalid/livekit", access_token=f"offline-token-{session_id}",
            session_duration_limit=600, extra={"quality": quality or "medium", "voice_id": voice_id},
        )

    def start_session(
        self, session_id: str, *, sdp: dict[str, Any] | None = None, ctx: CallContext | None = None
    ) -> dict[str, Any]:
        with self.recorder.call(self.service, "heygen_start", model=self.model, ctx=ctx), self._lock:
            session = self._get(session_id, "new")
            session["state"], session["started"] = "started", self.clock()
        if sdp:
            return {"sdp": {"type": "answer", "sdp": "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=offline\r\n"}}
        return {}

    def send_ice(self, session_id: str, candidate: dict[str, Any], *, ctx: CallContext | None = None) -> None:
        with self.recorder.call(self.service, "heygen_ice", model=self.model, ctx=ctx), self._lock:
            self._get(session_id, "new", "started")["ice"] += 1

    def speak(
        self, session_id: str, text: str, *, task_type: str = "repeat", ctx: CallContext | None = None
    ) -> AvatarTask:
        with self.recorder.call(self.service, "heygen_task", model=self.model, ctx=ctx) as entry, self._lock:
            entry.characters = len(text)
            self._get(session_id, "started")["tasks"] += 1
            task = f"task-{next(self._tasks):06d}"
        # About 150 words a minute, the pace of the HeyGen voices.
        return AvatarTask(task_id=task, duration_ms=max(400, len(text.split()) * 400))

    def stop_session(self, session_id: str, *, ctx: CallContext | None = None) -> AvatarStop:
        with self.recorder.call(self.service, "heygen_stop", model=self.model, ctx=ctx) as entry, self._lock:
            session = self._get(session_id, "new", "started")
            session["state"] = "stopped"
            began = session["started"] if session["started"] is not None else session["created"]
            stop = AvatarStop(session_id=session_id, duration_seconds=round(max(0.0, self.clock() - began), 3))
            entry.session_minutes = stop.session_minutes
        return stop


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
