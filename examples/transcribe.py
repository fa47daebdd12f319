"""Upload a recording and print what the server heard.

    TINYTALK_API_URL=http://127.0.0.1:8787/api python examples/transcribe.py hello.wav
"""

from __future__ import annotations

import sys

from _common import API_URL, EMAIL, PIN

from tinytalk_sdk import TinyTalk

path = sys.argv[1]


def progress(sent: int, total: int) -> None:
    print(f"\ruploading {sent * 100 // max(total, 1)}%", end="", file=sys.stderr, flush=True)


with TinyTalk(base_url=API_URL) as client:
    client.auth.login(email=EMAIL, pin=PIN)
    result = client.pipeline.transcribe(path, language="en", progress=progress)
    print(file=sys.stderr)
    print(f"text: {result.text!r}")
    print(f"language: {result.language}, duration: {result.duration_seconds}s")
