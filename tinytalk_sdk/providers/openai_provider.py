"""OpenAI through the official ``openai`` package: Whisper STT, GPT-4o streaming chat, feedback, summary.

The package does the HTTP (``httpx2``) and its own retries (408/409/429/5xx, ``Retry-After`` up to its cap);
this adapter turns its results into our types, fills one usage row per logical call (retries included)
and maps its exceptions to :class:`ProviderError`. A stream that ends without ``finish_reason`` or without
the usage chunk, or breaks mid-way, keeps the partial text in ``result`` and raises ``stream_cut``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import ProviderError
from ._adapter import VendorAdapter
from ._errors import connection_error, one_line, openai_error
from .base import CallContext, ChatResult, ChatTurn, Transcript, UsageEntry, UsageRecorder

if TYPE_CHECKING:
    import openai

__all__ = ["DEFAULT_CHAT_MODEL", "DEFAULT_STT_MODEL", "OpenAIProvider"]

DEFAULT_CHAT_MODEL = "gpt-4o"
DEFAULT_STT_MODEL = "whisper-1"

FEEDBACK_PROMPT = (
    "You are a kind English tutor for children. Reply in one or two short sentences, then list any "
    "mistakes in the learner's sentence as 'original -> corrected: why'."
)
SUMMARY_PROMPT = "Summarise this English practice conversation for a parent in three short sentences."


class OpenAIProvider(VendorAdapter):
    """Speech-to-text and chat for the pipeline (implements ``SpeechToText`` and ``ChatModel``)."""

    name = "openai"
    service = "openai"
    key_setting = "openai_api_key"

    def __init__(
        self,
        *,
        api_key: str | None,
        recorder: UsageRecorder | None = None,
        base_url: str | None = None,
        chat_model: str = DEFAULT_CHAT_MODEL,
        stt_model: str = DEFAULT_STT_MODEL,
        timeout: float = 60.0,
        max_retries: int = 2,
        profile: str = "default",
    ) -> None:
        super().__init__(api_key=api_key, recorder=recorder, base_url=base_url, timeout=timeout, profile=profile)
        self.chat_model = chat_model
        self.stt_model = stt_model
        self.max_retries = max_retries
        self._client: openai.OpenAI | None = None

    def __repr__(self) -> str:  # never the key
        return f"OpenAIProvider(base_url={self.base_url!r}, chat_model={self.chat_model!r})"

    @property
    def client(self) -> Any:  # openai.OpenAI; Any because its overloads cannot see our **kwargs
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                api_key=self._api_key,
                base_url=self.base_url or None,
                timeout=self.timeout,
                max_retries=self.max_retries,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def models(self, *, ctx: CallContext | None = None) -> list[str]:
        """The model ids the key can use (GET /v1/models): a free reachability and key check."""
        with self.recorder.call("openai", "models", ctx=ctx) as entry, _mapped(entry):
            entry.cost_usd = Decimal(0)
            raw = self.client.models.with_raw_response.list()
            entry.http_status = raw.status_code
            entry.request_id = raw.headers.get("x-request-id")
            return [m.id for m in raw.parse()]

    # ---- speech to text ----------------------------------------------------------------------

    def transcribe(
        self, audio: Path, *, language: str | None = "en", ctx: CallContext | None = None
    ) -> Transcript:
        with self.recorder.call("openai", "stt", model=self.stt_model, ctx=ctx) as entry, _mapped(entry):
            with Path(audio).open("rb") as fh:
                raw = self.client.audio.transcriptions.with_raw_response.create(
                    file=(Path(audio).name, fh),
                    model=self.stt_model,
                    # gpt-4o-transcribe / -mini answer 400 to verbose_json (json/text only): no duration then.
                    response_format="json" if self.stt_model.startswith("gpt-4o") else "verbose_json",
                    **({"language": language} if language else {}),
                )
            entry.http_status = raw.status_code
            entry.request_id = raw.headers.get("x-request-id")
            parsed: Any = raw.parse()
            duration = getattr(parsed, "duration", None)
            entry.audio_seconds = float(duration) if duration is not None else None
            return Transcript(
                text=str(parsed.text).strip(),
                language=getattr(parsed, "language", None),
                duration_seconds=entry.audio_seconds,
                extra={"segments": len(getattr(parsed, "segments", None) or [])},
            )

    # ---- chat ----------------------------------------------------------------------------------

    def stream(
        self,
        messages: list[ChatTurn],
        *,
        model: str | None = None,
        temperature: float | None = None,
        ctx: CallContext | None = None,
        result: ChatResult | None = None,
    ) -> Iterator[str]:
        """Yield text deltas. ``result`` gets the text (partial on failure), tokens and finish reason."""
        model = model or self.chat_model
        result = result if result is not None else ChatResult(text="")
        result.model = model
        parts: list[str] = []
        with self.recorder.call("openai", "chat_stream", model=model, ctx=ctx) as entry:
            started = time.perf_counter()
            try:
                with _mapped(entry):
                    stream = self.client.chat.completions.create(
                        model=model,
                        messages=[{"role": m.role, "content": m.content} for m in messages],
                        stream=True,
                        stream_options={"include_usage": True},
                        **({"temperature": temperature} if temperature is not None else {}),
                    )
                    entry.http_status = stream.response.status_code
                    entry.request_id = stream.response.headers.get("x-request-id")
                    saw_usage = False
                    try:
                        for chunk in stream:
                            if chunk.usage is not None:
                                saw_usage = True
                                entry.input_tokens = chunk.usage.prompt_tokens
                                entry.output_tokens = chunk.usage.completion_tokens
                            for choice in chunk.choices:
                                if choice.finish_reason:
                                    result.finish_reason = choice.finish_reason
                                delta = choice.delta.content if choice.delta else None
                                if delta:
                                    entry.mark_first_byte(started)
                                    parts.append(delta)
                                    yield delta
                    finally:
                        stream.close()
                    if result.finish_reason is None or not saw_usage:
                        raise ProviderError(
                            "chat stream ended before its last chunk "
                            f"(finish_reason={result.finish_reason}, usage={'yes' if saw_usage else 'no'})",
                            provider="openai",
                            code="stream_cut",
                        )
            finally:
                result.text = "".join(parts)
                if entry.output_tokens is None and parts:
                    # Cut before the usage chunk: OpenAI still bills what it generated. Estimate it
                    # (about one token per chunk, four characters per prompt token) so the cost is not lost.
                    entry.output_tokens = len(parts)
                    entry.input_tokens = sum(-(-len(m.content) // 4) + 4 for m in messages) + 3
                result.input_tokens = entry.input_tokens
                result.output_tokens = entry.output_tokens

    def complete(
        self,
        messages: list[ChatTurn],
        *,
        model: str | None = None,
        temperature: float | None = None,
        ctx: CallContext | None = None,
        operation: str = "chat",
    ) -> ChatResult:
        model = model or self.chat_model
        with self.recorder.call("openai", operation, model=model, ctx=ctx) as entry, _mapped(entry):
            raw = self.client.chat.completions.with_raw_response.create(
                model=model,
                messages=[{"role": m.role, "content": m.content} for m in messages],
                **({"temperature": temperature} if temperature is not None else {}),
            )
            entry.http_status = raw.status_code
            entry.request_id = raw.headers.get("x-request-id")
            completion = raw.parse()
            if completion.usage is not None:
                entry.input_tokens = completion.usage.prompt_tokens
                entry.output_tokens = completion.usage.completion_tokens
            choice = completion.choices[0] if completion.choices else None
            return ChatResult(
                text=(choice.message.content or "") if choice else "",
                input_tokens=entry.input_tokens,
                output_tokens=entry.output_tokens,
                model=completion.model or model,
                finish_reason=choice.finish_reason if choice else None,
            )

    def feedback(self, message: str, *, ctx: CallContext | None = None, model: str | None = None) -> ChatResult:
        """Non-streaming answer plus corrections of the learner's sentence (gpt_feedback.php)."""
        turns = [ChatTurn("system", FEEDBACK_PROMPT), ChatTurn("user", message)]
        return self.complete(turns, model=model, ctx=ctx, operation="feedback")

    def summarize(
        self, history: list[ChatTurn], *, ctx: CallContext | None = None, model: str | None = None
    ) -> ChatResult:
        """A short summary of a saved session (session_summarize.php)."""
        transcript = "\n".join(f"{t.role}: {t.content}" for t in history if t.role != "system")
        turns = [ChatTurn("system", SUMMARY_PROMPT), ChatTurn("user", transcript)]
        return self.complete(turns, model=model, ctx=ctx, operation="summary")


@contextmanager
def _mapped(entry: UsageEntry) -> Iterator[None]:
    """Translate the openai package's exceptions to ProviderError (and note status / request id)."""
    import openai

    try:
        yield
    except openai.APIStatusError as exc:
        entry.http_status = exc.status_code
        entry.request_id = exc.request_id
        # the package hands over the inner {"message", "type", "code"} object as exc.body
        body = {"error": exc.body} if isinstance(exc.body, dict) and "error" not in exc.body else exc.body
        raise openai_error(exc.status_code, dict(exc.response.headers), body) from None
    except openai.APITimeoutError as exc:
        raise connection_error("openai", exc, timeout=True) from None
    except openai.APIConnectionError as exc:
        cause = exc.__cause__ or exc
        raise ProviderError(
            f"chat stream broke off ({one_line(str(cause) or cause.__class__.__name__, 120)})"
            if entry.ttfb_ms is not None else f"could not reach the API ({one_line(str(cause), 120)})",
            provider="openai",
            code="stream_cut" if entry.ttfb_ms is not None else "connection_error",
        ) from None
    except openai.APIError as exc:  # an error event inside a 200 stream
        body = exc.body if isinstance(exc.body, dict) else {}
        raise ProviderError(one_line(exc.message), provider="openai",
                            code=str(body.get("code") or body.get("type") or "stream_error")) from None
    except json.JSONDecodeError:
        raise ProviderError("malformed chunk in the chat stream (not JSON)", provider="openai",
                            code="malformed_chunk") from None
