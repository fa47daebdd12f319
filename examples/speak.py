"""Turn text into speech, streamed to a file.

    TINYTALK_API_URL=http://127.0.0.1:8787/api python examples/speak.py "Great job!" praise.wav
"""

from __future__ import annotations

import sys

from _common import API_URL, EMAIL, PIN

from tinytalk_sdk import TinyTalk

text = sys.argv[1] if len(sys.argv) > 1 else "Great job! You said that very well."
out = sys.argv[2] if len(sys.argv) > 2 else "speech.audio"

with TinyTalk(base_url=API_URL) as client:
    client.auth.login(email=EMAIL, pin=PIN)
    result = client.pipeline.speak(text=text, to=out)
    print(f"wrote {result.bytes_written} bytes of {result.content_type} to {out}")
