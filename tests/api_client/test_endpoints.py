"""Every endpoint through the SDK against the real local server (uvicorn on loopback), sync and async,
on SQLite and MariaDB; every answer validated against schemas/api/ on the way; retry scenarios against
the server's fault injection."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tinytalk_sdk import (
    APIConnectionError,
    APINotFoundError,
    APIResponseError,
    APIStatusError,
    APIValidationError,
    AuthenticationError,
    RateLimitError,
)
from tinytalk_sdk._client import AsyncTinyTalk, TinyTalk
from tinytalk_sdk._retry import RetryPolicy
from tinytalk_sdk._streaming import DeltaEvent, DoneEvent

from ._validating import AsyncValidatingTransport, ValidatingTransport

FAST = RetryPolicy(max_retries=3, initial_delay=0.01, jitter=0.0, deadline=20.0)
EVERY_STEM = {
    "auth_register", "auth_login", "auth_logout", "auth_me", "auth_profile", "create_session",
    "resume_session", "get_sessions", "get_chat_history", "session_save", "session_summarize", "stt_upload",
    "gpt_feedback", "elevenlabs_tts_stream", "heygen_session", "heygen_start", "heygen_ice", "heygen_task",
    "heygen_stop", "get_app_config", "get_character", "get_user_character", "health", "cleanup_uploads",
}


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)], scope="module")
def server(request: pytest.FixtureRequest) -> Any:
    name = "api_server" if request.param == "sqlite" else "api_server_mariadb"
    srv = request.getfixturevalue(name)
    _seed_character(srv.engine_url)
    return srv


def _engine(url: str) -> Any:
    from tinytalk_sdk.db import make_engine

    return make_engine(url)


def _seed_character(url: str) -> None:
    """A default character with its seven emotions (the admin commands are another area's)."""
    from sqlalchemy import select

    from tinytalk_sdk.db import transaction
    from tinytalk_sdk.db.models import EMOTIONS, AiCharacter, CharacterEmotion

    engine = _engine(url)
    try:
        with transaction(engine) as s:
            if s.scalar(select(AiCharacter).where(AiCharacter.code == "sdk-hana")) is None:
                char = AiCharacter(code="sdk-hana", name="Hana", is_default=True, is_active=True,
                                   model_url="/assets/live2d/hana/hana.model3.json")
                s.add(char)
                s.flush()
                for i, emotion in enumerate(EMOTIONS):
                    s.add(CharacterEmotion(character_id=char.id, emotion=emotion, motion_group="Idle",
                                           motion_index=i, loop=emotion == "idle"))
    finally:
        engine.dispose()


def _assign(url: str, user_id: int, code: str) -> None:
    from sqlalchemy import select

    from tinytalk_sdk.db import transaction
    from tinytalk_sdk.db.models import AiCharacter, StudentCharacterAssignment

    engine = _engine(url)
    try:
        with transaction(engine) as s:
            char_id = s.scalar(select(AiCharacter.id).where(AiCharacter.code == code))
            s.add(StudentCharacterAssignment(user_id=user_id, character_id=char_id, assigned_by="sdk-test"))
    finally:
        engine.dispose()


def _count(url: str, sql: str, **params: Any) -> int:
    from sqlalchemy import text

    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def seen() -> list[str]:
    return []


@pytest.fixture
def client(server: Any, seen: list[str]) -> Iterator[TinyTalk]:
    http = httpx.Client(transport=ValidatingTransport(seen), timeout=30)
    with TinyTalk(base_url=server.base_url, http_client=http, retry_policy=FAST) as c:
        yield c
    http.close()


def _email() -> str:
    return f"kid-{uuid.uuid4().hex[:10]}@example.com"


def test_every_endpoint_sync(client: TinyTalk, server: Any, seen: list[str], tmp_path: Path) -> None:
    assert client.ops.health().status == "ok"
    assert client.config.app().avatar_provider in ("heygen", "replika")
    email = _email()
    reg = client.auth.register(email=email, pin="4321", name="Kid")
    assert len(reg.token) == 64 and client.token == reg.token and reg.user.email == email
    login = client.auth.login(email=email, pin="4321")
    assert login.token != reg.token
    assert client.auth.me().user.email == email
    assert client.auth.update_profile(nickname="kiddo", level="A1").user.nickname == "kiddo"

    created = client.sessions.create(title="Day 1", response_mode="text").session
    assert created.title == "Day 1" and created.status == "active"
    resumed = client.sessions.resume()
    assert resumed.session.id == created.id and resumed.resumed is True

    with client.pipeline.chat_stream(session_id=created.id, message="I goed to school") as stream:
        events = list(stream)
    assert isinstance(events[0], DeltaEvent) and isinstance(events[-1], DoneEvent)
    done = events[-1]
    assert done.text == "".join(e.text for e in events if isinstance(e, DeltaEvent))
    assert done.usage and done.usage.output_tokens > 0 and done.message_id
    assert stream.ttft is not None and stream.total_time is not None and stream.ttft <= stream.total_time

    history = client.sessions.history(session_id=created.id)
    assert [m.role for m in history.messages][-2:] == ["user", "assistant"]
    assert history.messages[-1].content == done.text
    page = client.sessions.list(limit=5)
    assert page.total == 1 and [s.id for s in page.sessions] == [created.id]  # a fresh user, one session
    assert client.sessions.save(session_id=created.id, title="Day 1 saved").session.status == "saved"
    assert client.sessions.summarize(session_id=created.id).summary

    fb = client.pipeline.feedback(message="I goed to school", session_id=created.id)
    assert fb.text and fb.corrections and fb.corrections[0].corrected == "went"

    out = tmp_path / "speech.wav"
    progress: list[tuple[int, int]] = []
    speech = client.pipeline.speak(text="hello, how are you today", to=out,
                                   progress=lambda d, t: progress.append((d, t)))
    assert speech.content_type.startswith("audio/") and out.stat().st_size == speech.bytes_written > 1000
    assert progress and progress[-1][0] == speech.bytes_written
    sent: list[int] = []
    heard = client.pipeline.transcribe(out, session_id=created.id, language="en",
                                       progress=lambda d, t: sent.append(d))
    assert heard.duration_seconds and heard.duration_seconds > 0.5
    assert sent[-1] == out.stat().st_size

    hg = client.heygen.create_session(quality="low", chat_session_id=created.id)
    assert client.heygen.session().session_id == hg.session_id
    assert client.heygen.start(session_id=hg.session_id, sdp={"type": "answer", "sdp": "v=0"}).status
    assert client.heygen.ice(session_id=hg.session_id, candidate={"candidate": "c", "sdpMid": "0"}).accepted
    assert client.heygen.task(session_id=hg.session_id, text="Hello!").task_id
    assert client.heygen.stop(session_id=hg.session_id).status == "stopped"

    char = client.config.character(code="sdk-hana").character
    assert char.code == "sdk-hana" and len(char.emotions) == 7
    _assign(server.engine_url, reg.user.id, "sdk-hana")
    mine = client.config.user_character()
    assert mine.character is not None and mine.character.code == "sdk-hana" and mine.source == "assignment"
    _check_cleanup_dry_run(server, lambda: client.ops.cleanup_uploads(token=server.cleanup_token, dry_run=True))

    assert client.auth.logout().revoked is True and client.token is None
    client.token = login.token
    with pytest.raises(AuthenticationError) as info:
        client.auth.me()
    assert info.value.status == 401 and info.value.request_id

    assert {s.split(":")[0] for s in seen} >= EVERY_STEM, EVERY_STEM - set(seen)
    assert {"gpt_stream:delta", "gpt_stream:done"} <= set(seen)


def _check_cleanup_dry_run(server: Any, call: Any) -> None:
    """A dry run counts exactly the files past the 30-day default and deletes none of them."""
    import os
    import time

    old = server.uploads_dir / "2001" / "01" / f"old-{uuid.uuid4().hex}.webm"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(b"x" * 123)
    past = time.time() - 40 * 86400
    os.utime(old, (past, past))
    try:
        cutoff = time.time() - 30 * 86400
        stale = [p for p in server.uploads_dir.rglob("*")
                 if p.is_file() and not p.is_symlink() and p.stat().st_mtime < cutoff]
        fresh = [p for p in server.uploads_dir.rglob("*") if p.is_file() and p not in stale]
        assert fresh, "this test's own upload (transcribe) should be on disk and recent"
        dry = call()
        assert dry.dry_run is True and dry.deleted_files == len(stale) >= 1
        assert dry.freed_bytes == sum(p.stat().st_size for p in stale)
        assert old.exists() and all(p.exists() for p in fresh)  # dry run: nothing removed
    finally:
        old.unlink(missing_ok=True)


def test_every_endpoint_async(server: Any, tmp_path: Path) -> None:
    seen: list[str] = []

    async def main() -> None:
        http = httpx.AsyncClient(transport=AsyncValidatingTransport(seen), timeout=30)
        async with AsyncTinyTalk(base_url=server.base_url, http_client=http, retry_policy=FAST) as c:
            assert (await c.ops.health()).status == "ok"
            await c.config.app()
            email = _email()
            await c.auth.register(email=email, pin="1111", name="Async Kid")
            await c.auth.login(email=email, pin="1111")
            assert (await c.auth.me()).user.email == email
            await c.auth.update_profile(locale="en")
            sid = (await c.sessions.create(title="async")).session.id
            assert (await c.sessions.resume()).session.id == sid
            stream = await c.pipeline.chat_stream(session_id=sid, message="Hello, I like apples")
            async with stream:
                done = await stream.until_done()
            assert done.text and stream.ttft is not None
            assert len((await c.sessions.history(session_id=sid)).messages) >= 2
            assert (await c.sessions.list()).total == 1  # a fresh user; resume reused the session
            await c.sessions.save(session_id=sid)
            await c.sessions.summarize(session_id=sid)
            await c.pipeline.feedback(message="She go to school", session_id=sid)
            out = tmp_path / "a.wav"
            spoken = await c.pipeline.speak(text="good morning", to=out)
            assert out.stat().st_size == spoken.bytes_written > 1000
            heard = await c.pipeline.transcribe(out, session_id=sid)
            assert heard.duration_seconds and heard.duration_seconds > 0.3
            hg = await c.heygen.create_session()
            await c.heygen.session()
            await c.heygen.start(session_id=hg.session_id, sdp={"type": "answer", "sdp": "v=0"})
            await c.heygen.ice(session_id=hg.session_id, candidate={"candidate": "c"})
            await c.heygen.task(session_id=hg.session_id, text="Hi", task_type="talk")
            assert (await c.heygen.stop(session_id=hg.session_id)).status == "stopped"
            await c.config.character()
            await c.config.user_character()
            dry = await c.ops.cleanup_uploads(token=server.cleanup_token, dry_run=True)
            assert dry.dry_run is True  # counts and deletion are checked exactly in the sync test
            assert (await c.auth.logout()).revoked is True and c.token is None
        await http.aclose()

    asyncio.run(main())
    assert {s.split(":")[0] for s in seen} >= EVERY_STEM


def test_server_errors_are_typed(client: TinyTalk, seen: list[str]) -> None:
    email = _email()
    client.auth.register(email=email, pin="2222", name="Dup")
    with pytest.raises(APIStatusError) as dup:
        client.auth.register(email=email, pin="2222", name="Dup")
    assert dup.value.status == 409 and email not in (client.token or "")
    with pytest.raises(AuthenticationError):
        client.auth.login(email=email, pin="9999")
    client.auth.login(email=email, pin="2222")
    with pytest.raises(APINotFoundError) as nf:
        client.sessions.history(session_id=987654321)
    assert nf.value.endpoint == "/get_chat_history.php" and nf.value.request_id
    bad = TinyTalk(base_url=client.base_url, token="0" * 64, max_retries=0)
    with pytest.raises(AuthenticationError) as info:
        bad.auth.me()
    assert "0" * 64 not in str(info.value)
    bad.close()
    assert all(s.endswith(":error") or s in EVERY_STEM for s in seen)


def test_server_validation_fields(server: Any) -> None:
    # The SDK validates first; go around it to see the server's 422 fields mapped onto APIValidationError.
    from tinytalk_sdk._errors_map import make_status_error

    r = httpx.post(server.base_url + "/auth_register.php", json={"email": "nope", "pin": "1", "name": ""})
    err = make_status_error(method="POST", path="/auth_register.php", status=r.status_code, headers=r.headers,
                            content=r.content)
    assert isinstance(err, APIValidationError) and err.status == 422
    assert any(e.startswith("pin:") for e in err.errors) and any(e.startswith("email:") for e in err.errors)


# --- retries against the fault-injection modes ------------------------------------------------------


def _logged_in(server: Any, **kwargs: Any) -> TinyTalk:
    c = TinyTalk(base_url=server.base_url, retry_policy=kwargs.pop("retry_policy", FAST), **kwargs)
    c.auth.register(email=_email(), pin="3333", name="Retry")
    return c


def test_reads_recover_from_503_429_and_drops(server: Any) -> None:
    c = _logged_in(server)
    sleeps: list[float] = []
    c._sleep = sleeps.append
    with server.faults("get_sessions.php:503:1,get_sessions.php:429=1:1"):
        assert c.sessions.list().total == 0
    assert sleeps == [0.01, 1.0]  # backoff, then the server's Retry-After
    with server.faults("auth_me.php:drop:1"):
        assert c.auth.me().user.name == "Retry"
    c.close()


def test_read_recovers_from_a_stall(server: Any) -> None:
    c = _logged_in(server, timeout=httpx.Timeout(0.5, connect=2.0))
    with server.faults("health.php:stall=1.5:1"):
        assert c.ops.health().status == "ok"
    c.close()


def test_rate_limit_gives_up_when_retries_run_out(server: Any) -> None:
    c = _logged_in(server, max_retries=1)
    c._sleep = lambda d: None
    with server.faults("get_sessions.php:429=2:*"), pytest.raises(RateLimitError) as info:
        c.sessions.list()
    assert info.value.retry_after == 2.0
    c.close()


def _sessions_of(server: Any, title: str) -> int:
    return _count(server.engine_url, "SELECT COUNT(*) FROM chat_sessions WHERE title = :t", t=title)


def test_dropped_create_session_with_key_makes_exactly_one_row(server: Any) -> None:
    c = _logged_in(server)
    title = f"keyed-{uuid.uuid4().hex[:8]}"
    with server.faults("create_session.php:drop_after_commit:1"):
        got = c.sessions.create(title=title)
    assert got.session.title == title
    assert _sessions_of(server, title) == 1
    assert _count(server.engine_url, "SELECT COUNT(*) FROM chat_sessions WHERE id = :i AND idempotency_key "
                  "IS NOT NULL", i=got.session.id) == 1
    c.close()


def test_dropped_create_session_without_key_raises_and_does_not_resend(server: Any) -> None:
    c = _logged_in(server)
    title = f"unkeyed-{uuid.uuid4().hex[:8]}"
    with server.faults("create_session.php:drop_after_commit:2"), pytest.raises(APIConnectionError) as info:
        c.sessions.create(title=title, idempotency_key=None)
    assert "lost the connection" in str(info.value)
    # The server did the work once; a resend would have hit the second drop and made a second row.
    assert _sessions_of(server, title) == 1
    c.close()


def test_create_session_503_with_key_is_retried_once(server: Any) -> None:
    c = _logged_in(server)
    title = f"busy-{uuid.uuid4().hex[:8]}"
    with server.faults("create_session.php:503:1"):
        c.sessions.create(title=title)
    assert _sessions_of(server, title) == 1
    c.close()


def test_truncated_chat_stream_is_an_error(server: Any) -> None:
    c = _logged_in(server)
    sid = c.sessions.create(title="stream").session.id
    with server.faults("gpt_stream.php:drop_after_headers:1"), pytest.raises(APIResponseError,
                                                                             match="ended before `done`"):
        c.pipeline.chat_stream(session_id=sid, message="Hello there my friend").until_done()
    c.close()
