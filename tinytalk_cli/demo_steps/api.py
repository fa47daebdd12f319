"""Demo step `api`: a pupil's turn through the local API server with the SDK.

Log in → resume today's session → stream a chat answer → speak it (espeak-ng) → transcribe that audio
(pocketsphinx) → show the rows the server wrote (messages, usage logs).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from . import DemoEnv

__all__ = ["run"]

EMAIL, PIN = "minjun.kim@example.com", "1234"  # an example student of tinytalk_sdk.db.seed


def run(env: DemoEnv) -> None:
    from rich.table import Table
    from sqlalchemy import func, select

    from tinytalk_sdk import DeltaEvent, DoneEvent, TinyTalk
    from tinytalk_sdk.db.models import ApiUsageLog, ChatMessage

    api_url = env.facts.get("api_url")
    if not api_url:
        env.say("(no API server: skipped)")
        return
    work = Path(tempfile.mkdtemp(prefix="tinytalk-demo-api-"))
    env.on_close(lambda: shutil.rmtree(work, ignore_errors=True))
    with TinyTalk(base_url=api_url) as client:
        me = client.auth.login(email=EMAIL, pin=PIN)
        env.say(f"logged in as {EMAIL} (token stored hashed on the server; user id {me.user.id})")
        config = client.config.app()
        env.say(f"get_app_config.php → avatar_provider={config.avatar_provider}")
        session = client.sessions.resume().session
        env.say(f"today's session: #{session.id}")

        message = "Yesterday I goed to the park with my friends."
        env.say(f'pupil: "{message}"')
        parts: list[str] = []
        done: DoneEvent | None = None
        with client.pipeline.chat_stream(session_id=session.id, message=message) as stream:
            for event in stream:
                if isinstance(event, DeltaEvent):
                    parts.append(event.text)
                elif isinstance(event, DoneEvent):
                    done = event
        answer = "".join(parts)
        env.say(f'tutor (streamed, {len(parts)} chunks, first after {stream.ttft or 0:.3f}s): "{answer}"')
        env.say(f"emotion for the avatar: {done.emotion if done else '?'}")

        if not env.missing_engine("espeak-ng", step="api", what="TTS of the answer and STT of that audio"):
            audio = work / "answer.wav"
            spoken = client.pipeline.speak(text=answer, to=audio, session_id=session.id)
            env.say(f"TTS: {spoken.bytes_written} bytes of {spoken.content_type} → {audio}")

            heard = client.pipeline.transcribe(audio, session_id=session.id)
            env.say(f'STT of that audio (pocketsphinx, offline, rough on synthetic speech): "{heard.text}"')
        env.facts["api_session_id"] = session.id

    engine = env.app.engine
    with engine.connect() as conn:
        messages = conn.execute(
            select(ChatMessage.role, ChatMessage.content).where(ChatMessage.session_id == session.id)
            .order_by(ChatMessage.id)
        ).all()
        usage = conn.execute(
            select(ApiUsageLog.service, ApiUsageLog.operation, ApiUsageLog.model, func.count(),
                   func.sum(ApiUsageLog.latency_ms))
            .where(ApiUsageLog.session_id == session.id)
            .group_by(ApiUsageLog.service, ApiUsageLog.operation, ApiUsageLog.model)
        ).all()
    table = Table(title=f"chat_messages of session #{session.id}")
    table.add_column("role")
    table.add_column("content")
    for role, content in messages:
        table.add_row(role, content[:90])
    env.show(table)
    table = Table(title="api_usage_logs written for it")
    for col in ("service", "operation", "model", "calls", "latency ms"):
        table.add_column(col)
    for row in usage:
        table.add_row(*(str(v) for v in row))
    env.show(table)
    env.facts["api_messages"] = len(messages)
    env.facts["api_usage_rows"] = sum(int(r[3]) for r in usage)
