"""The offline tutor: a small rule-based English tutor for the local server and the tests.

Echo-with-correction for common child errors ("I goed" → "I went"), praise otherwise, streamed word by word
like GPT-4o with estimated token counts. Re-exported by :mod:`tinytalk_sdk.providers.offline`.
"""

from __future__ import annotations

import math
import re
import time
import zlib
from collections.abc import Iterator

from .base import CallContext, ChatResult, ChatTurn, UsageRecorder

__all__ = ["SUMMARY_MARKER", "TutorChat", "correct_sentence", "estimate_tokens"]

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
