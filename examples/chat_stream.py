"""Chat with the tutor, printing the answer as it streams.

    TINYTALK_API_URL=http://127.0.0.1:8787/api python examples/chat_stream.py "I goed to the park"
"""

from __future__ import annotations

import sys

from _common import API_URL, EMAIL, PIN

from tinytalk_sdk import DeltaEvent, DoneEvent, ErrorEvent, TinyTalk

message = sys.argv[1] if len(sys.argv) > 1 else "Hello! I goed to the park yesterday."

with TinyTalk(base_url=API_URL) as client:
    client.auth.login(email=EMAIL, pin=PIN)
    session = client.sessions.resume().session
    with client.pipeline.chat_stream(session_id=session.id, message=message) as stream:
        for event in stream:
            if isinstance(event, DeltaEvent):
                print(event.text, end="", flush=True)
            elif isinstance(event, DoneEvent):
                print()
                usage = event.usage
                print(f"[message {event.message_id}, emotion {event.emotion}, "
                      f"tokens {usage.input_tokens if usage else '?'}+{usage.output_tokens if usage else '?'}]")
            elif isinstance(event, ErrorEvent):
                sys.exit(f"stream failed: {event.code}: {event.message}")
    print(f"[first token after {stream.ttft or 0:.3f}s, total {stream.total_time or 0:.3f}s]")
