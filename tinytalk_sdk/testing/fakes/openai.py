"""The OpenAI fake: Whisper transcriptions, chat completions (SSE streaming), models.

Mounted under ``{base}/v1``, ``Authorization: Bearer <key>``; the official ``openai`` package runs unchanged
against it (``OpenAI(base_url=fake.openai_url)``). Answers validate against openai's own pydantic types
(tests/providers/test_fake_answers.py).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ._server import KNOWN_UTTERANCE, FakeState, Scenario, bearer, mask

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

__all__ = ["PAYLOADS", "VENDOR", "routes"]

VENDOR = "openai"

PAYLOADS: dict[str, Any] = {
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
}


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


def routes(fake: FakeState) -> list[Route]:
    """The OpenAI endpoints over ``fake``."""
    from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
    from starlette.routing import Route

    def openai_fail(request: Request, kind: str, scenario: Scenario | None = None,
                    key: str = "") -> Response:
        spec = copy.deepcopy(fake.payloads["openai_errors"][kind])
        body = spec["body"]
        body["error"]["message"] = body["error"]["message"].replace("{masked}", mask(key))
        headers = _openai_headers()
        if kind == "rate_limit" and scenario is not None:
            # Whether OpenAI's 429 carries retry-after is unconfirmed (PROVIDERS.md §1): send it only when
            # the scenario asks, so the client's own backoff is exercised by default.
            if "retry_after" in scenario.params:
                headers["retry-after"] = scenario.params["retry_after"]
            headers["x-ratelimit-remaining-tokens"] = "0"
        fake.logged("openai", request, spec["status"])
        return JSONResponse(body, status_code=spec["status"], headers=headers)

    def openai_auth(request: Request) -> tuple[str, Response | None]:
        key = bearer(request)
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
            fake.logged("openai", request, 400)
            missing = "file" if upload is None or isinstance(upload, str) else "model"
            return JSONResponse({"error": {"message": f"you must provide a {missing} parameter",
                                           "type": "invalid_request_error", "param": missing, "code": None}},
                                status_code=400, headers=_openai_headers())
        audio = await upload.read()
        from ..speech import audio_duration

        duration = audio_duration(audio)
        if duration is None:
            fake.logged("openai", request, 400)
            return JSONResponse({"error": {"message": "Invalid file format. Supported formats: ['flac', 'm4a', "
                                           "'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
                                           "type": "invalid_request_error", "param": None, "code": None}},
                                status_code=400, headers=_openai_headers())
        recorded = copy.deepcopy(fake.payloads["openai_transcription_verbose"])
        text = fake.transcripts.get(hashlib.sha256(audio).hexdigest(), recorded["text"])
        fmt = str(form.get("response_format") or "json")
        if str(model).startswith("gpt-4o") and fmt not in ("json", "text"):
            # PROVIDERS.md §1: gpt-4o-transcribe / -mini accept only json and text (message modelled).
            fake.logged("openai", request, 400)
            return JSONResponse({"error": {"message": f"response_format '{fmt}' is not compatible with model "
                                           f"'{model}'. Use 'json' or 'text' instead.",
                                           "type": "invalid_request_error", "param": "response_format",
                                           "code": "unsupported_value"}},
                                status_code=400, headers=_openai_headers())
        fake.logged("openai", request, 200)
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
            fake.logged("openai", request, 400)
            return JSONResponse({"error": {"message": "We could not parse the JSON body of your request.",
                                           "type": "invalid_request_error", "param": None, "code": None}},
                                status_code=400, headers=_openai_headers())
        scenario = fake.pop("openai", request, streaming=bool(isinstance(body, dict) and body.get("stream")))
        failed = openai_scenario_error(request, scenario, key)
        if failed:
            return failed
        messages = body.get("messages") or []
        if not body.get("model") or not messages:
            fake.logged("openai", request, 400)
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
        fake.logged("openai", request, 200)
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
        fake.logged("openai", request, 200)
        return JSONResponse({"object": "list", "data": [
            {"id": mid, "object": "model", "created": 1715367049, "owned_by": "system"}
            for mid in ("gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-mini", "whisper-1")]}, headers=_openai_headers())

    return [
        Route("/v1/audio/transcriptions", transcriptions, methods=["POST"]),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
    ]
