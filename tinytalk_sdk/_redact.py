"""Keep secrets out of text: one function that every printer, logger and error message can call."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["mask", "redact", "register_secret"]

_known: set[str] = set()

# Shapes of secrets we meet even when they were never registered: OpenAI keys, bearer tokens,
# ElevenLabs/HeyGen keys in headers, passwords inside database URLs.
_PATTERNS = [
    (re.compile(r"sk-[A-Za-z0-9_\-]{8,}"), lambda m: mask(m.group(0))),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]{8,}"), lambda m: m.group(1) + "***"),
    (re.compile(r"(?i)((?:xi-api-key|x-api-key|authorization)\s*[:=]\s*)\S+"), lambda m: m.group(1) + "***"),
    (re.compile(r"(://[^:/@\s]+:)([^@\s]+)(@)"), lambda m: m.group(1) + "***" + m.group(3)),
]


def mask(secret: str) -> str:
    """``sk-abcdef…wxyz`` → ``sk-…wxyz``: enough to recognise a key, not to use it."""
    if not secret:
        return ""
    if len(secret) <= 8:
        return "***"
    prefix = secret[:3] if secret.startswith("sk-") else ""
    return f"{prefix}…{secret[-4:]}"


def register_secret(value: str | None) -> None:
    """Remember a secret value so that :func:`redact` removes it wherever it shows up."""
    if value and len(value) >= 4:
        _known.add(value)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with every known or recognisable secret masked."""
    for value in sorted({*_known, *(s for s in secrets if s)}, key=len, reverse=True):
        if value in text:
            text = text.replace(value, mask(value))
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text
