"""The ElevenLabs fake: streaming TTS (raw audio and newline-delimited JSON with timestamps), voices,
subscription.

``xi-api-key: <key>``; the official ``elevenlabs`` package adds ``/v1/...`` to ``fake.elevenlabs_url``. Audio
is real espeak-ng speech in the asked ``output_format``. Answers validate against elevenlabs' own pydantic
types (tests/providers/test_fake_answers.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ._server import FakeState, Scenario, json_object

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

__all__ = ["PAYLOADS", "VENDOR", "routes"]

VENDOR = "elevenlabs"

PAYLOADS: dict[str, Any] = {
    "elevenlabs_voices": {"voices": [
        {"voice_id": "21m00Tcm4TlvDq8ikWAM", "name": "Rachel", "category": "premade",
         "labels": {"accent": "american", "gender": "female", "age": "young"},
         "description": "Calm young female voice", "preview_url": "https://example.invalid/rachel.mp3",
         "settings": None},
        {"voice_id": "pNInz6obpgDQGcFmaJgB", "name": "Adam", "category": "premade",
         "labels": {"accent": "american", "gender": "male", "age": "middle aged"},
         "description": "Deep male voice", "preview_url": "https://example.invalid/adam.mp3", "settings": None},
    ]},
    "elevenlabs_subscription": {
        # GET /v1/user/subscription: every field elevenlabs' own `Subscription` model requires (2.x SDK),
        # usage-based billing on without a cap (`max_credit_limit_extension`: "unlimited", or a credit count).
        "tier": "creator", "character_count": 12873, "character_limit": 100000,
        "max_credit_limit_extension": "unlimited",
        "can_extend_character_limit": True, "allowed_to_extend_character_limit": True,
        "next_character_count_reset_unix": 1735689600, "voice_slots_used": 4, "professional_voice_slots_used": 0,
        "professional_voice_slots_used_in_workspace": 0, "voice_limit": 30, "max_voice_add_edits": 95,
        "voice_add_edit_counter": 4, "professional_voice_limit": 1, "can_extend_voice_limit": False,
        "can_use_instant_voice_cloning": True, "can_use_professional_voice_cloning": True,
        "currency": "usd", "current_overage": {"amount": "0.00", "currency": "usd"}, "status": "active",
        "billing_period": "monthly_period", "character_refresh_period": "monthly_period",
        "open_invoices": [], "has_open_invoices": False,
    },
    "elevenlabs_errors": {
        "invalid_api_key": {"status": 401, "body": {"detail": {"status": "invalid_api_key",
                                                               "message": "Invalid API key"}}},
        "quota": {"status": 401, "body": {"detail": {"status": "quota_exceeded", "message":
                  "This request exceeds your quota of 10000. You have 0 credits remaining, while 91 "
                  "credits are required for this request."}}},
        "rate_limit": {"status": 429, "body": {"detail": {"status": "too_many_concurrent_requests", "message":
                       "Too many concurrent requests. Your current subscription is associated with a maximum "
                       "of 5 concurrent requests (running in parallel)."}}},
        "server_error": {"status": 500, "body": {"detail": {"status": "system_busy", "message":
                         "We are experiencing heavy traffic, please try again later."}}},
    },
}


def routes(fake: FakeState) -> list[Route]:
    """The ElevenLabs endpoints over ``fake``."""
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    def eleven_fail(request: Request, kind: str) -> Response:
        spec = fake.payloads["elevenlabs_errors"][kind]
        headers = {"x-trace-id": secrets.token_hex(16), "server": "uvicorn"}
        if kind == "rate_limit":
            headers.update({"current-concurrent-requests": "5", "maximum-concurrent-requests": "5"})
        fake.logged("elevenlabs", request, spec["status"])
        return JSONResponse(spec["body"], status_code=spec["status"], headers=headers)

    def eleven_guard(request: Request, streaming: bool = False) -> tuple[Scenario | None, Response | None]:
        key = request.headers.get("xi-api-key", "")
        if not key or key in fake.revoked:
            return None, eleven_fail(request, "invalid_api_key")
        scenario = fake.pop("elevenlabs", request, streaming=streaming)
        if scenario is not None:
            if scenario.name == "revoked_key":
                return scenario, eleven_fail(request, "invalid_api_key")
            if scenario.name in ("rate_limit", "quota", "server_error"):
                response = eleven_fail(request, scenario.name)
                if scenario.name == "rate_limit" and "retry_after" in scenario.params:
                    response.headers["retry-after"] = scenario.params["retry_after"]
                return scenario, response
        return scenario, None

    async def tts(request: Request) -> Response:
        scenario, denied = eleven_guard(request, streaming=True)
        if denied:
            return denied
        body = await json_object(request)
        if body is None or not str(body.get("text") or "").strip():
            fake.logged("elevenlabs", request, 422)
            return JSONResponse({"detail": [{"type": "missing", "loc": ["body", "text"], "msg": "Field required",
                                             "input": body}]}, status_code=422)
        text = str(body["text"])
        fmt = request.query_params.get("output_format", "mp3_44100_128")
        audio, content_type = await asyncio.to_thread(_render_audio, text, fmt)
        with_timestamps = request.url.path.endswith("/with-timestamps")
        headers = {"request-id": secrets.token_hex(10), "x-trace-id": secrets.token_hex(16),
                   "x-character-count": str(len(text)), "server": "uvicorn"}
        size = 4096
        parts = [audio[i:i + size] for i in range(0, len(audio), size)] or [b""]
        cut_after = int(scenario.num("after", 1)) if scenario and scenario.name == "cut_stream" else -1
        fake.logged("elevenlabs", request, 200)

        async def audio_chunks() -> AsyncIterator[bytes]:
            if scenario and scenario.name == "slow_first_token":
                await asyncio.sleep(scenario.num("delay", 1.0))
            for i, part in enumerate(parts):
                if i == cut_after:
                    raise ConnectionAbortedError("fake: stream cut mid-way")
                if fake.chunk_delay:
                    await asyncio.sleep(fake.chunk_delay)
                yield part

        if not with_timestamps:
            return StreamingResponse(audio_chunks(), media_type=content_type, headers=headers)

        duration = _duration_of(audio, fmt)
        alignment = _alignment(text, duration)
        n = len(parts)
        per = -(-len(text) // n)

        async def lines() -> AsyncIterator[bytes]:
            i = 0
            async for part in audio_chunks():
                lo, hi = i * per, min((i + 1) * per, len(text))
                piece = {key: values[lo:hi] for key, values in alignment.items()} if lo < len(text) else None
                line = {"audio_base64": base64.b64encode(part).decode("ascii"),
                        "alignment": piece, "normalized_alignment": piece}
                i += 1
                yield (json.dumps(line) + "\n").encode("utf-8")

        return StreamingResponse(lines(), media_type="application/json", headers=headers)

    async def voices(request: Request) -> Response:
        _scenario, denied = eleven_guard(request)
        if denied:
            return denied
        fake.logged("elevenlabs", request, 200)
        return JSONResponse(fake.payloads["elevenlabs_voices"])

    async def subscription(request: Request) -> Response:
        _scenario, denied = eleven_guard(request)
        if denied:
            return denied
        fake.logged("elevenlabs", request, 200)
        return JSONResponse(fake.payloads["elevenlabs_subscription"])

    return [
        Route("/v1/text-to-speech/{voice_id}/stream", tts, methods=["POST"]),
        Route("/v1/text-to-speech/{voice_id}/stream/with-timestamps", tts, methods=["POST"]),
        Route("/v1/voices", voices, methods=["GET"]),
        Route("/v1/user/subscription", subscription, methods=["GET"]),
    ]


def _render_audio(text: str, fmt: str) -> tuple[bytes, str]:
    from ...providers.elevenlabs_provider import content_type_for
    from ..speech import speak_mp3, speak_wav

    parts = fmt.split("_")
    if parts[0] == "mp3":
        rate = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 44100
        kbps = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 128
        return speak_mp3(text, bitrate_kbps=kbps, sample_rate=rate), content_type_for(fmt)
    if parts[0] == "pcm":
        import io

        import numpy as np
        import soundfile

        rate = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 16000
        data, src = soundfile.read(io.BytesIO(speak_wav(text)), dtype="float32")
        count = round(len(data) * rate / src)
        resampled = np.interp(np.arange(count) * (src / rate), np.arange(len(data)), data)
        return (np.clip(resampled, -1, 1) * 32767).astype("<i2").tobytes(), content_type_for(fmt)
    return speak_wav(text), "audio/wav"


def _duration_of(audio: bytes, fmt: str) -> float:
    from ...providers.elevenlabs_provider import audio_seconds_for

    return audio_seconds_for(fmt, len(audio)) or 1.0


def _alignment(text: str, duration: float) -> dict[str, list[Any]]:
    """Even character timing over the audio: enough for lip-sync tests, honest about being a guess."""
    step = duration / max(len(text), 1)
    return {
        "characters": list(text),
        "character_start_times_seconds": [round(i * step, 3) for i in range(len(text))],
        "character_end_times_seconds": [round((i + 1) * step, 3) for i in range(len(text))],
    }
