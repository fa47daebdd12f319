"""Fakes that tell the truth: OpenAI, ElevenLabs and HeyGen as one Starlette app on loopback.

Same paths, auth headers, status codes, JSON envelopes, error bodies and stream framing as the vendors
document (PROVIDERS.md), so that the official ``openai`` and ``elevenlabs`` packages run unchanged against
it through their base-URL options::

    OpenAI      {base}/v1          Authorization: Bearer <key>
    ElevenLabs  {base}             xi-api-key: <key>          (the package adds /v1/...)
    HeyGen      {base}             X-Api-Key: <key>

Scenarios (one-shot, per vendor) switch a response to a failure: set them in the app state
(``fake.state.push("openai", "rate_limit", retry_after=0.1)``) or per request with the header
``X-Fake-Scenario: rate_limit;retry_after=0.1``. Names: ``slow_first_token`` (``delay``),
``rate_limit`` (``retry_after``), ``quota`` (OpenAI insufficient_quota / ElevenLabs quota_exceeded),
``server_error``, ``malformed_chunk``, ``cut_stream`` (``after`` chunks), ``revoked_key``,
``concurrency_limit`` (HeyGen; also hit for real when ``state.heygen_limit`` sessions are open).

Payload shapes come from the recorded examples in ``tests/fixtures/vendors/*.json`` when the app is built
with ``payloads_dir``; the built-in copies below have the same shapes (a test keeps the two in step).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import json
import secrets
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import TinyTalkError

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = [
    "DEFAULT_PAYLOADS",
    "FakeState",
    "RunningFakeVendors",
    "Scenario",
    "build_app",
    "load_payloads",
    "start_fake_vendors",
]

STREAM_ONLY = frozenset({"slow_first_token", "malformed_chunk", "cut_stream"})
KNOWN_UTTERANCE = "I like to play soccer with my friends after school."

DEFAULT_PAYLOADS: dict[str, Any] = {
    "openai_transcription_verbose": {
        "task": "transcribe",
        "language": "english",
        "duration": 3.2,
        "text": KNOWN_UTTERANCE,
        "segments": [{"id": 0, "seek": 0, "start": 0.0, "end": 3.2, "text": " " + KNOWN_UTTERANCE,
                      "tokens": [50364, 286, 411, 281, 862, 15469, 50524], "temperature": 0.0,
                      "avg_logprob": -0.21, "compression_ratio": 0.92, "no_speech_prob": 0.01}],
        "usage": {"type": "duration", "seconds": 4},
    },
    "openai_chat_completion": {
        "id": "chatcmpl-AbC123",
        "object": "chat.completion",
        "created": 1732500000,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": {"role": "assistant", "content":
                     "Soccer is so much fun! Who is your best friend on the team?", "refusal": None},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 42, "completion_tokens": 15, "total_tokens": 57,
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                "accepted_prediction_tokens": 0,
                                                "rejected_prediction_tokens": 0}},
        "system_fingerprint": "fp_5f20662549",
    },
    "openai_errors": {
        "invalid_api_key": {"status": 401, "body": {"error": {
            "message": "Incorrect API key provided: {masked}. You can find your API key at "
                       "https://platform.openai.com/account/api-keys.",
            "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}},
        "rate_limit": {"status": 429, "body": {"error": {
            "message": "Rate limit reached for gpt-4o in organization org-fake on tokens per min (TPM): "
                       "Limit 30000, Used 29937, Requested 385. Please try again in 644ms. Visit "
                       "https://platform.openai.com/account/rate-limits to learn more.",
            "type": "tokens", "param": None, "code": "rate_limit_exceeded"}}},
        "quota": {"status": 429, "body": {"error": {
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}},
        "server_error": {"status": 500, "body": {"error": {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error", "param": None, "code": None}}},
    },
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
        "tier": "creator", "character_count": 12873, "character_limit": 100000,
        "can_extend_character_limit": True, "allowed_to_extend_character_limit": True,
        "next_character_count_reset_unix": 1735689600, "voice_limit": 30, "max_voice_add_edits": 95,
        "voice_add_edit_counter": 4, "professional_voice_limit": 1, "can_extend_voice_limit": False,
        "can_use_instant_voice_cloning": True, "can_use_professional_voice_cloning": True,
        "currency": "usd", "status": "active", "billing_period": "monthly_period",
        "character_refresh_period": "monthly_period", "has_open_invoices": False,
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
    "heygen_new": {
        "session_id": "{session_id}",
        "url": "wss://heygen-feapbkvq.livekit.cloud",
        "access_token": "{access_token}",
        "realtime_endpoint": "wss://webrtc-signaling.heygen.io/v2-alpha/interactive-avatar/session/{session_id}",
        "session_duration_limit": 600,
        "is_paid": True,
        "sdp": None,
        "ice_servers": None,
        "ice_servers2": None,
    },
    "heygen_avatars": [
        {"avatar_id": "Wayne_20240711", "created_at": 1720656000, "is_public": True, "status": "ACTIVE"},
        {"avatar_id": "Anna_public_3_20240108", "created_at": 1704672000, "is_public": True, "status": "ACTIVE"},
    ],
    "heygen_voices": {"voices": [
        {"voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54", "language": "English", "gender": "female",
         "name": "Rachel - Friendly", "preview_audio": "https://example.invalid/v1.mp3",
         "support_pause": True, "emotion_support": True},
        {"voice_id": "1bd001e7e50f421d891986aad5158bc8", "language": "English", "gender": "male",
         "name": "Paul - Natural", "preview_audio": "https://example.invalid/v2.mp3",
         "support_pause": True, "emotion_support": False},
    ]},
    "heygen_errors": {
        "unauthorized": {"status": 401, "body": {"code": 400112, "message": "Unauthorized"}},
        "invalid_credentials": {"status": 401, "body": {"code": 40009, "message": "Invalid credentials"}},
        "bad_state": {"status": 400, "body": {"code": 400006, "message": "Session is not in correct state"}},
        "missing_params": {"status": 400, "body": {"code": 40001, "message": "Missing required parameters"}},
        # The concurrency code is not confirmed by any source we could read (PROVIDERS.md §3).
        "concurrency_limit": {"status": 400, "body": {"code": 10004, "message": "Concurrent limit reached"}},
        "rate_limit": {"status": 429, "body": {"code": 400140, "message": "Rate limit exceeded"}},
        "server_error": {"status": 500, "body": {"code": 500000, "message": "Internal server error"}},
    },
}


def load_payloads(directory: Path | None = None) -> dict[str, Any]:
    """The built-in payloads, overridden by ``<directory>/<name>.json`` recordings when given."""
    payloads = copy.deepcopy(DEFAULT_PAYLOADS)
    if directory is not None:
        for path in sorted(Path(directory).glob("*.json")):
            payloads[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return payloads


@dataclass
class Scenario:
    name: str
    params: dict[str, str] = field(default_factory=dict)

    def num(self, key: str, default: float) -> float:
        try:
            return float(self.params.get(key, default))
        except ValueError:
            return default

    @classmethod
    def parse(cls, header: str) -> Scenario:
        name, *pairs = [p.strip() for p in header.split(";") if p.strip()]
        return cls(name, dict(p.split("=", 1) for p in pairs if "=" in p))


@dataclass
class FakeState:
    """What the fakes remember: one-shot scenarios, revoked keys, HeyGen sessions, a request log."""

    payloads: dict[str, Any] = field(default_factory=load_payloads)
    revoked: set[str] = field(default_factory=set)
    scenarios: dict[str, list[Scenario]] = field(default_factory=dict)
    transcripts: dict[str, str] = field(default_factory=dict)  # sha256 of audio → what it says
    heygen_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    heygen_tokens: set[str] = field(default_factory=set)
    heygen_limit: int = 3
    chunk_delay: float = 0.005
    log: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, vendor: str, name: str, *, times: int = 1, **params: Any) -> None:
        with self.lock:
            for _ in range(times):
                self.scenarios.setdefault(vendor, []).append(Scenario(name, {k: str(v) for k, v in params.items()}))

    def pop(self, vendor: str, request: Request, *, streaming: bool = True) -> Scenario | None:
        """The next scenario for this request. Stream-only scenarios wait for a streaming request."""
        header = request.headers.get("x-fake-scenario")
        if header:
            return Scenario.parse(header)
        with self.lock:
            queue = self.scenarios.get(vendor) or []
            for i, scenario in enumerate(queue):
                if streaming or scenario.name not in STREAM_ONLY:
                    return queue.pop(i)
            return None

    def know_audio(self, audio: bytes, text: str) -> None:
        """Tell the fake Whisper what a clip says (real Whisper transcribes espeak-ng speech exactly)."""
        self.transcripts[hashlib.sha256(audio).hexdigest()] = text

    def reset(self) -> None:
        with self.lock:
            self.revoked.clear()
            self.scenarios.clear()
            self.heygen_sessions.clear()
            self.heygen_tokens.clear()
            self.log.clear()

    def active_heygen(self) -> list[dict[str, Any]]:
        return [s for s in self.heygen_sessions.values() if s["status"] != "closed"]

    def calls(self, vendor: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        return [c for c in self.log if (vendor is None or c["vendor"] == vendor)
                and (path is None or c["path"].endswith(path))]


# ---- helpers -------------------------------------------------------------------------------------


def _mask(key: str) -> str:
    return f"{key[:5]}***…{key[-4:]}" if len(key) > 10 else "***"


def _tokens(text: str) -> int:
    return max(1, -(-len(text) // 4)) if text else 0


def _reply_for(state: FakeState) -> str:
    payload = state.payloads["openai_chat_completion"]
    return str(payload["choices"][0]["message"]["content"])


def _split_reply(text: str) -> list[str]:
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


def _openai_headers(request_id: str | None = None) -> dict[str, str]:
    return {
        "x-request-id": request_id or f"req_{secrets.token_hex(16)}",
        "openai-processing-ms": "42",
        "openai-version": "2020-10-01",
        "x-ratelimit-limit-requests": "5000",
        "x-ratelimit-limit-tokens": "30000",
        "x-ratelimit-remaining-requests": "4999",
        "x-ratelimit-remaining-tokens": "29500",
        "x-ratelimit-reset-requests": "12ms",
        "x-ratelimit-reset-tokens": "1s",
    }


# ---- the app -------------------------------------------------------------------------------------


def build_app(state: FakeState | None = None) -> Starlette:
    """The fake vendors as one ASGI app; ``app.state.fake`` is the :class:`FakeState`."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
    from starlette.routing import Route

    fake = state or FakeState()

    def logged(vendor: str, request: Request, status: int) -> None:
        fake.log.append({"vendor": vendor, "method": request.method, "path": request.url.path,
                         "status": status, "at": time.time()})

    # ---- OpenAI ----

    def openai_fail(request: Request, kind: str, scenario: Scenario | None = None,
                    key: str = "") -> Response:
        spec = copy.deepcopy(fake.payloads["openai_errors"][kind])
        body = spec["body"]
        body["error"]["message"] = body["error"]["message"].replace("{masked}", _mask(key))
        headers = _openai_headers()
        if kind == "rate_limit" and scenario is not None:
            # Whether OpenAI's 429 carries retry-after is unconfirmed (PROVIDERS.md §1): send it only when
            # the scenario asks, so the client's own backoff is exercised by default.
            if "retry_after" in scenario.params:
                headers["retry-after"] = scenario.params["retry_after"]
            headers["x-ratelimit-remaining-tokens"] = "0"
        logged("openai", request, spec["status"])
        return JSONResponse(body, status_code=spec["status"], headers=headers)

    def openai_auth(request: Request) -> tuple[str, Response | None]:
        auth = request.headers.get("authorization", "")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not key or key in fake.revoked:
            return key, openai_fail(request, "invalid_api_key", key=key)
        return key, None

    def openai_scenario_error(request: Request, scenario: Scenario | None, key: str) -> Response | None:
        if scenario is None:
            return None
        if scenario.name == "revoked_key":
            return openai_fail(request, "invalid_api_key", key=key)
        if scenario.name in ("rate_limit", "quota", "server_error"):
            return openai_fail(request, scenario.name, scenario, key)
        return None

    async def transcriptions(request: Request) -> Response:
        key, denied = openai_auth(request)
        if denied:
            return denied
        scenario = fake.pop("openai", request, streaming=False)
        failed = openai_scenario_error(request, scenario, key)
        if failed:
            return failed
        form = await request.form()
        upload = form.get("file")
        model = form.get("model")
        if upload is None or isinstance(upload, str) or not model:
            logged("openai", request, 400)
            missing = "file" if upload is None or isinstance(upload, str) else "model"
            return JSONResponse({"error": {"message": f"you must provide a {missing} parameter",
                                           "type": "invalid_request_error", "param": missing, "code": None}},
                                status_code=400, headers=_openai_headers())
        audio = await upload.read()
        from .speech import audio_duration

        duration = audio_duration(audio)
        if duration is None:
            logged("openai", request, 400)
            return JSONResponse({"error": {"message": "Invalid file format. Supported formats: ['flac', 'm4a', "
                                           "'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
                                           "type": "invalid_request_error", "param": None, "code": None}},
                                status_code=400, headers=_openai_headers())
        recorded = copy.deepcopy(fake.payloads["openai_transcription_verbose"])
        text = fake.transcripts.get(hashlib.sha256(audio).hexdigest(), recorded["text"])
        fmt = str(form.get("response_format") or "json")
        if str(model).startswith("gpt-4o") and fmt not in ("json", "text"):
            # PROVIDERS.md §1: gpt-4o-transcribe / -mini accept only json and text (message modelled).
            logged("openai", request, 400)
            return JSONResponse({"error": {"message": f"response_format '{fmt}' is not compatible with model "
                                           f"'{model}'. Use 'json' or 'text' instead.",
                                           "type": "invalid_request_error", "param": "response_format",
                                           "code": "unsupported_value"}},
                                status_code=400, headers=_openai_headers())
        logged("openai", request, 200)
        if fmt == "text":
            return PlainTextResponse(text + "\n", headers=_openai_headers())
        if fmt == "verbose_json":
            recorded.update(text=text, duration=round(duration, 2),
                            usage={"type": "duration", "seconds": max(1, round(duration))})
            recorded["segments"][0].update(end=round(duration, 2), text=" " + text)
            return JSONResponse(recorded, headers=_openai_headers())
        return JSONResponse({"text": text, "usage": {"type": "duration", "seconds": max(1, round(duration))}},
                            headers=_openai_headers())

    async def chat_completions(request: Request) -> Response:
        key, denied = openai_auth(request)
        if denied:
            return denied
        try:
            body = await request.json()
        except ValueError:
            logged("openai", request, 400)
            return JSONResponse({"error": {"message": "We could not parse the JSON body of your request.",
                                           "type": "invalid_request_error", "param": None, "code": None}},
                                status_code=400, headers=_openai_headers())
        scenario = fake.pop("openai", request, streaming=bool(isinstance(body, dict) and body.get("stream")))
        failed = openai_scenario_error(request, scenario, key)
        if failed:
            return failed
        messages = body.get("messages") or []
        if not body.get("model") or not messages:
            logged("openai", request, 400)
            param = "model" if not body.get("model") else "messages"
            return JSONResponse({"error": {"message": f"Missing required parameter: '{param}'.",
                                           "type": "invalid_request_error", "param": param,
                                           "code": "missing_required_parameter"}},
                                status_code=400, headers=_openai_headers())
        recorded = fake.payloads["openai_chat_completion"]
        model = recorded["model"] if body["model"] == "gpt-4o" else body["model"]
        reply = _reply_for(fake)
        pieces = _split_reply(reply)
        prompt_tokens = sum(_tokens(str(m.get("content") or "")) + 4 for m in messages) + 3
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(pieces),
                 "total_tokens": prompt_tokens + len(pieces),
                 "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                 "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                               "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}
        completion_id = f"chatcmpl-{secrets.token_urlsafe(21)}"
        created = int(time.time())
        logged("openai", request, 200)
        if not body.get("stream"):
            out = copy.deepcopy(recorded)
            out.update(id=completion_id, created=created, model=model, usage=usage)
            out["choices"][0]["message"]["content"] = reply
            return JSONResponse(out, headers=_openai_headers())
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def chunk(delta: dict[str, Any], finish: str | None = None, *, with_choice: bool = True,
                  usage_value: Any = None) -> str:
            data: dict[str, Any] = {
                "id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                "service_tier": "default", "system_fingerprint": recorded.get("system_fingerprint"),
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
                if with_choice else [],
            }
            if include_usage:
                data["usage"] = usage_value
            return "data: " + json.dumps(data, separators=(",", ":")) + "\n\n"

        async def events() -> AsyncIterator[str]:
            if scenario and scenario.name == "slow_first_token":
                await asyncio.sleep(scenario.num("delay", 1.0))
            yield chunk({"role": "assistant", "content": "", "refusal": None})
            cut_after = int(scenario.num("after", 3)) if scenario and scenario.name == "cut_stream" else -1
            for i, piece in enumerate(pieces):
                if i == cut_after:
                    raise ConnectionAbortedError("fake: stream cut mid-way")
                if scenario and scenario.name == "malformed_chunk" and i == 2:
                    yield 'data: {"id":"' + completion_id + '","object":"chat.completion.chunk","choi\n\n'
                if fake.chunk_delay:
                    await asyncio.sleep(fake.chunk_delay)
                yield chunk({"content": piece})
            yield chunk({}, "stop")
            if include_usage:
                yield chunk({}, with_choice=False, usage_value=usage)
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={**_openai_headers(), "cache-control": "no-cache"})

    async def models(request: Request) -> Response:
        _key, denied = openai_auth(request)
        if denied:
            return denied
        logged("openai", request, 200)
        return JSONResponse({"object": "list", "data": [
            {"id": mid, "object": "model", "created": 1715367049, "owned_by": "system"}
            for mid in ("gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-mini", "whisper-1")]}, headers=_openai_headers())

    # ---- ElevenLabs ----

    def eleven_fail(request: Request, kind: str) -> Response:
        spec = fake.payloads["elevenlabs_errors"][kind]
        headers = {"x-trace-id": secrets.token_hex(16), "server": "uvicorn"}
        if kind == "rate_limit":
            headers.update({"current-concurrent-requests": "5", "maximum-concurrent-requests": "5"})
        logged("elevenlabs", request, spec["status"])
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
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not str(body.get("text") or "").strip():
            logged("elevenlabs", request, 422)
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
        logged("elevenlabs", request, 200)

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
        logged("elevenlabs", request, 200)
        return JSONResponse(fake.payloads["elevenlabs_voices"])

    async def subscription(request: Request) -> Response:
        _scenario, denied = eleven_guard(request)
        if denied:
            return denied
        logged("elevenlabs", request, 200)
        return JSONResponse(fake.payloads["elevenlabs_subscription"])

    # ---- HeyGen ----

    def heygen_fail(request: Request, kind: str, retry_after: str | None = None) -> Response:
        spec = fake.payloads["heygen_errors"][kind]
        logged("heygen", request, spec["status"])
        headers = {"retry-after": retry_after} if retry_after else None
        return JSONResponse(spec["body"], status_code=spec["status"], headers=headers)

    def heygen_ok(request: Request, data: Any) -> Response:
        logged("heygen", request, 200)
        return JSONResponse({"code": 100, "message": "success", "data": data})

    def heygen_guard(request: Request) -> tuple[Scenario | None, Response | None]:
        key = request.headers.get("x-api-key", "")
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if key and key in fake.revoked:
            return None, heygen_fail(request, "unauthorized")
        if not key and token not in fake.heygen_tokens:
            return None, heygen_fail(request, "unauthorized")
        scenario = fake.pop("heygen", request, streaming=False)
        if scenario is not None:
            if scenario.name == "revoked_key":
                return scenario, heygen_fail(request, "unauthorized")
            if scenario.name in ("rate_limit", "server_error", "concurrency_limit"):
                return scenario, heygen_fail(request, scenario.name, scenario.params.get("retry_after"))
        return scenario, None

    async def heygen_body(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def session_or_fail(request: Request, body: dict[str, Any], *states: str) -> tuple[Any, Response | None]:
        sid = str(body.get("session_id") or "")
        if not sid:
            return None, heygen_fail(request, "missing_params")
        sess = fake.heygen_sessions.get(sid)
        if sess is None or (states and sess["status"] not in states):
            return None, heygen_fail(request, "bad_state")
        return sess, None

    async def hg_create_token(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        token = secrets.token_urlsafe(32)
        fake.heygen_tokens.add(token)
        logged("heygen", request, 200)
        return JSONResponse({"error": None, "data": {"token": token}})

    async def hg_new(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        body = await heygen_body(request)
        with fake.lock:
            if len(fake.active_heygen()) >= fake.heygen_limit:
                return heygen_fail(request, "concurrency_limit")
            sid = str(uuid.uuid4())
            fake.heygen_sessions[sid] = {"session_id": sid, "status": "new", "created_at": int(time.time()),
                                         "avatar_id": body.get("avatar_id"), "tasks": 0, "ice": 0}
        data = json.loads(json.dumps(fake.payloads["heygen_new"]).replace("{session_id}", sid)
                          .replace("{access_token}", "eyJ" + secrets.token_urlsafe(48)))
        return heygen_ok(request, data)

    async def hg_start(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        sess, failed = session_or_fail(request, await heygen_body(request), "new")
        if failed:
            return failed
        sess["status"] = "connected"
        return heygen_ok(request, None)

    async def hg_ice(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        body = await heygen_body(request)
        sess, failed = session_or_fail(request, body, "new", "connected")
        if failed:
            return failed
        sess["ice"] += 1
        return heygen_ok(request, None)

    async def hg_task(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        body = await heygen_body(request)
        if not body.get("text"):
            return heygen_fail(request, "missing_params")
        sess, failed = session_or_fail(request, body, "connected")
        if failed:
            return failed
        sess["tasks"] += 1
        # about 150 words a minute
        return heygen_ok(request, {"duration_ms": max(400, len(str(body["text"]).split()) * 400),
                                   "task_id": str(uuid.uuid4())})

    async def hg_interrupt(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        _sess, failed = session_or_fail(request, await heygen_body(request), "connected")
        return failed or heygen_ok(request, None)

    async def hg_stop(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        sess, failed = session_or_fail(request, await heygen_body(request), "new", "connected")
        if failed:
            return failed
        sess["status"] = "closed"
        sess["stopped_at"] = int(time.time())
        return heygen_ok(request, None)

    async def hg_list(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        sessions = [{"session_id": s["session_id"], "status": s["status"], "created_at": s["created_at"]}
                    for s in fake.active_heygen()]
        return heygen_ok(request, {"sessions": sessions})

    async def hg_avatars(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        return heygen_ok(request, fake.payloads["heygen_avatars"])

    async def hg_voices(request: Request) -> Response:
        _s, denied = heygen_guard(request)
        if denied:
            return denied
        logged("heygen", request, 200)
        return JSONResponse({"error": None, "data": fake.payloads["heygen_voices"]})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "vendors": ["openai", "elevenlabs", "heygen"]})

    routes = [
        Route("/v1/audio/transcriptions", transcriptions, methods=["POST"]),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/text-to-speech/{voice_id}/stream", tts, methods=["POST"]),
        Route("/v1/text-to-speech/{voice_id}/stream/with-timestamps", tts, methods=["POST"]),
        Route("/v1/voices", voices, methods=["GET"]),
        Route("/v1/user/subscription", subscription, methods=["GET"]),
        Route("/v1/streaming.create_token", hg_create_token, methods=["POST"]),
        Route("/v1/streaming.new", hg_new, methods=["POST"]),
        Route("/v1/streaming.start", hg_start, methods=["POST"]),
        Route("/v1/streaming.ice", hg_ice, methods=["POST"]),
        Route("/v1/streaming.task", hg_task, methods=["POST"]),
        Route("/v1/streaming.interrupt", hg_interrupt, methods=["POST"]),
        Route("/v1/streaming.stop", hg_stop, methods=["POST"]),
        Route("/v1/streaming.list", hg_list, methods=["GET"]),
        Route("/v1/streaming/avatar.list", hg_avatars, methods=["GET"]),
        Route("/v2/voices", hg_voices, methods=["GET"]),
        Route("/_fake/health", health, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.fake = fake
    return app


def _render_audio(text: str, fmt: str) -> tuple[bytes, str]:
    from ..providers.elevenlabs_provider import content_type_for
    from .speech import speak_mp3, speak_wav

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
    from ..providers.elevenlabs_provider import audio_seconds_for

    return audio_seconds_for(fmt, len(audio)) or 1.0


def _alignment(text: str, duration: float) -> dict[str, list[Any]]:
    """Even character timing over the audio: enough for lip-sync tests, honest about being a guess."""
    step = duration / max(len(text), 1)
    return {
        "characters": list(text),
        "character_start_times_seconds": [round(i * step, 3) for i in range(len(text))],
        "character_end_times_seconds": [round((i + 1) * step, 3) for i in range(len(text))],
    }


# ---- running it ------------------------------------------------------------------------------------


@dataclass
class RunningFakeVendors:
    """A fake-vendor server running in a background thread on loopback."""

    base_url: str
    state: FakeState
    _server: Any = field(repr=False, default=None)
    _thread: threading.Thread | None = field(repr=False, default=None)

    @property
    def openai_url(self) -> str:
        return self.base_url + "/v1"

    @property
    def elevenlabs_url(self) -> str:
        return self.base_url

    @property
    def heygen_url(self) -> str:
        return self.base_url

    def env(self, key: str = "sk-fake-0123456789abcdef") -> dict[str, str]:
        """Settings that point a profile's providers here (``TINYTALK_*`` variables)."""
        return {
            "TINYTALK_OPENAI_API_KEY": key,
            "TINYTALK_OPENAI_BASE_URL": self.openai_url,
            "TINYTALK_ELEVENLABS_API_KEY": "xi-fake-0123456789abcdef",
            "TINYTALK_ELEVENLABS_BASE_URL": self.elevenlabs_url,
            "TINYTALK_HEYGEN_API_KEY": "hg-fake-0123456789abcdef",
            "TINYTALK_HEYGEN_BASE_URL": self.heygen_url,
        }

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> RunningFakeVendors:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start_fake_vendors(
    *, host: str = "127.0.0.1", port: int = 0, payloads_dir: Path | None = None, state: FakeState | None = None,
) -> RunningFakeVendors:
    """Start the fakes under uvicorn in a daemon thread; returns once the port accepts connections."""
    import uvicorn

    fake = state or FakeState(payloads=load_payloads(payloads_dir))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(build_app(fake), log_level="critical", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="fake-vendors", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise TinyTalkError(f"the vendor fakes did not start on {host}:{bound_port}")
        time.sleep(0.01)
    return RunningFakeVendors(base_url=f"http://{host}:{bound_port}", state=fake, _server=server, _thread=thread)
