"""ElevenLabs through the official ``elevenlabs`` package: streaming TTS (optionally with character
timestamps, which drive Live2D lip-sync), the voice list and the subscription (quota) check.

The package does not retry streams, so opening a stream (up to its first chunk) goes through our one
retry policy (``_retry``). One usage row per TTS call, written when the stream is finished or abandoned:
characters, audio seconds (from the bytes and the output format's bit rate), time to first byte.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._exceptions import ProviderError
from ._adapter import VendorAdapter
from ._errors import elevenlabs_error, http_error
from ._retry import RetryPolicy, retrying
from .base import CallContext, TtsStream, UsageEntry, UsageRecorder

if TYPE_CHECKING:
    from elevenlabs.client import ElevenLabs

__all__ = [
    "DEFAULT_MODEL_ID",
    "DEFAULT_OUTPUT_FORMAT",
    "DEFAULT_VOICE_ID",
    "ElevenLabsProvider",
    "audio_seconds_for",
    "content_type_for",
]

DEFAULT_MODEL_ID = "eleven_flash_v2_5"
DEFAULT_OUTPUT_FORMAT = "mp3_44100_128"
DEFAULT_VOICE_ID = "21m00Tcm4TlvDq8ikWAM"  # "Rachel", a premade voice every account has


def content_type_for(output_format: str) -> str:
    codec = output_format.split("_", 1)[0]
    return {
        "mp3": "audio/mpeg",
        "pcm": "audio/pcm",
        "ulaw": "audio/basic",
        "alaw": "audio/basic",
        "opus": "audio/opus",
        "wav": "audio/wav",
    }.get(codec, "application/octet-stream")


def audio_seconds_for(output_format: str, n_bytes: int) -> float | None:
    """Duration of ``n_bytes`` of audio in ``output_format`` (mp3: constant bit rate; pcm: 16-bit mono)."""
    parts = output_format.split("_")
    try:
        if parts[0] == "mp3" and len(parts) >= 3:
            return round(n_bytes * 8 / (int(parts[2]) * 1000), 3)
        if parts[0] == "pcm":
            return round(n_bytes / (2 * int(parts[1])), 3)
        if parts[0] in ("ulaw", "alaw"):
            return round(n_bytes / int(parts[1]), 3)
    except (IndexError, ValueError, ZeroDivisionError):
        return None
    return None


class ElevenLabsProvider(VendorAdapter):
    """Text-to-speech for the pipeline (implements ``TextToSpeech``)."""

    name = "elevenlabs"
    service = "elevenlabs"
    key_setting = "elevenlabs_api_key"

    def __init__(
        self,
        *,
        api_key: str | None,
        recorder: UsageRecorder | None = None,
        base_url: str | None = None,
        voice_id: str | None = None,
        model_id: str = DEFAULT_MODEL_ID,
        output_format: str = DEFAULT_OUTPUT_FORMAT,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        profile: str = "default",
    ) -> None:
        super().__init__(api_key=api_key, recorder=recorder, base_url=base_url, timeout=timeout, profile=profile)
        self.voice_id = voice_id or DEFAULT_VOICE_ID
        self.model_id = model_id
        self.output_format = output_format
        self.retry = retry or RetryPolicy()
        self._client: ElevenLabs | None = None

    def __repr__(self) -> str:
        return f"ElevenLabsProvider(base_url={self.base_url!r}, voice_id={self.voice_id!r})"

    @property
    def client(self) -> ElevenLabs:
        if self._client is None:
            from elevenlabs.client import ElevenLabs

            kwargs: dict[str, Any] = {"api_key": self._api_key, "timeout": self.timeout}
            if self.base_url:
                kwargs["base_url"] = self.base_url.rstrip("/")
            self._client = ElevenLabs(**kwargs)
        return self._client

    # ---- TTS -----------------------------------------------------------------------------------

    def stream(
        self,
        text: str,
        *,
        voice_id: str | None = None,
        model_id: str | None = None,
        output_format: str | None = None,
        with_timestamps: bool = False,
        ctx: CallContext | None = None,
    ) -> TtsStream:
        """Audio in chunks. The usage row is written when ``chunks`` is exhausted or closed.

        With ``with_timestamps`` the character alignment is merged into ``TtsStream.alignment`` as the
        chunks arrive (complete once the stream is read).
        """
        fmt = output_format or self.output_format
        out = TtsStream(content_type=content_type_for(fmt), chunks=iter(()),
                        alignment={"characters": [], "character_start_times_seconds": [],
                                   "character_end_times_seconds": []} if with_timestamps else None)
        out.chunks = self._chunks(text, voice_id or self.voice_id, model_id or self.model_id, fmt,
                                  with_timestamps, ctx, out)
        return out

    def _chunks(
        self, text: str, voice_id: str, model_id: str, fmt: str, with_timestamps: bool,
        ctx: CallContext | None, out: TtsStream,
    ) -> Iterator[bytes]:
        with self.recorder.call("elevenlabs", "tts", model=model_id, ctx=ctx) as entry, ExitStack() as stack:
            started = time.perf_counter()
            raw = self.client.text_to_speech.with_raw_response
            opener = raw.stream_with_timestamps if with_timestamps else raw.stream

            def open_stream() -> tuple[Any, Any, Any]:
                inner = ExitStack()
                try:
                    response = inner.enter_context(
                        _mapped(entry, lambda: opener(voice_id, text=text, model_id=model_id, output_format=fmt))
                    )
                    iterator = iter(response.data)
                    first = _first(entry, iterator)  # errors arrive here or at enter
                except BaseException:
                    inner.close()
                    raise
                return inner, response, (first, iterator)

            inner, response, (first, iterator) = retrying(open_stream, policy=self.retry)
            stack.push(inner)
            # Billed once the request is accepted (a stream cut later still costs its characters);
            # a refused request (4xx/5xx) costs nothing.
            entry.characters = len(text)
            headers = response.headers
            entry.http_status = response.status_code
            entry.request_id = headers.get("request-id") or headers.get("x-trace-id")
            n_bytes = 0

            def pieces() -> Iterator[Any]:
                if first is not _END:
                    yield first
                yield from _guarded(entry, iterator)

            for piece in pieces():
                data = _audio_of(piece, out) if with_timestamps else piece
                if data:
                    entry.mark_first_byte(started)
                    n_bytes += len(data)
                    yield data
            if n_bytes == 0:
                raise ProviderError("TTS stream returned no audio", provider="elevenlabs", code="empty_audio")
            entry.audio_seconds = audio_seconds_for(fmt, n_bytes)

    def synthesize(self, text: str, **kwargs: Any) -> tuple[bytes, TtsStream]:
        """The whole audio at once (reads the stream)."""
        tts = self.stream(text, **kwargs)
        return b"".join(tts.chunks), tts

    # ---- account -------------------------------------------------------------------------------

    def voices(self, *, ctx: CallContext | None = None) -> list[dict[str, Any]]:
        with self.recorder.call("elevenlabs", "voices", ctx=ctx) as entry:
            entry.cost_usd = Decimal(0)  # account calls are free
            raw = _call(entry, lambda: self.client.voices.with_raw_response.get_all())
            entry.http_status = raw.status_code
            return [
                {"voice_id": v.voice_id, "name": v.name, "category": v.category,
                 "labels": dict(v.labels or {}), "preview_url": v.preview_url}
                for v in raw.data.voices
            ]

    def subscription(self, *, ctx: CallContext | None = None) -> dict[str, Any]:
        """Plan and character quota: what ``tinytalk doctor`` uses as a cheap reachability check."""
        with self.recorder.call("elevenlabs", "subscription", ctx=ctx) as entry:
            entry.cost_usd = Decimal(0)
            raw = _call(entry, lambda: self.client.user.subscription.with_raw_response.get())
            entry.http_status = raw.status_code
            sub = raw.data
            return {"tier": sub.tier, "status": sub.status, "character_count": sub.character_count,
                    "character_limit": sub.character_limit}


_END = object()


def _first(entry: UsageEntry, iterator: Iterator[Any]) -> Any:
    with _mapped_block(entry):
        return next(iterator, _END)


def _guarded(entry: UsageEntry, iterator: Iterator[Any]) -> Iterator[Any]:
    with _mapped_block(entry, mid_stream=True):
        yield from iterator


def _audio_of(piece: Any, out: TtsStream) -> bytes:
    """One ``/stream/with-timestamps`` line: decode its audio, append its alignment to ``out``."""
    alignment = getattr(piece, "alignment", None)
    if alignment is not None and out.alignment is not None:
        out.alignment["characters"].extend(alignment.characters or [])
        out.alignment["character_start_times_seconds"].extend(alignment.character_start_times_seconds or [])
        out.alignment["character_end_times_seconds"].extend(alignment.character_end_times_seconds or [])
    b64 = getattr(piece, "audio_base_64", None) or getattr(piece, "audio_base64", None)
    return base64.b64decode(b64) if b64 else b""


class _mapped:
    """Enter the package's stream context manager with its exceptions mapped to ProviderError."""

    def __init__(self, entry: UsageEntry, make: Any) -> None:
        self.entry = entry
        self.make = make
        self.cm: Any = None

    def __enter__(self) -> Any:
        with _mapped_block(self.entry):
            self.cm = self.make()
            return self.cm.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        with _mapped_block(self.entry, mid_stream=True):
            return self.cm.__exit__(*exc) if self.cm is not None else None


def _call(entry: UsageEntry, fn: Any) -> Any:
    with _mapped_block(entry):
        return fn()


class _mapped_block:
    def __init__(self, entry: UsageEntry, *, mid_stream: bool = False) -> None:
        self.entry = entry
        self.mid_stream = mid_stream

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc is None or isinstance(exc, (ProviderError, GeneratorExit, KeyboardInterrupt, SystemExit)):
            return
        from elevenlabs.core.api_error import ApiError

        if isinstance(exc, ApiError):
            self.entry.http_status = exc.status_code
            headers = dict(exc.headers or {})
            self.entry.request_id = headers.get("request-id") or headers.get("x-trace-id")
            raise elevenlabs_error(exc.status_code, headers, exc.body) from None
        mapped = http_error("elevenlabs", exc, mid_stream=self.mid_stream)
        if mapped is not None:
            raise mapped from None
        if isinstance(exc, ValueError):  # json / pydantic: a body the package could not parse
            raise ProviderError(f"malformed answer ({exc.__class__.__name__})", provider="elevenlabs",
                                code="bad_response") from None
