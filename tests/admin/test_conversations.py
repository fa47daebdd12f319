"""Conversations: listing filters, transcripts, and the JSONL export's constant memory."""

from __future__ import annotations

import datetime as dt
import io
import json
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.admin.conftest import add_message, add_messages_bulk, add_persona, add_session, add_user, now
from tinytalk_sdk import NotFoundError, ValidationError
from tinytalk_sdk.admin import conversations as C

if TYPE_CHECKING:
    from sqlalchemy import Engine


@pytest.fixture
def chats(engine: Engine) -> dict[str, int]:
    t = now()
    kim = add_user(engine, "kim@a.kr", name="김민준")
    lee = add_user(engine, "lee@a.kr", name="이서연")
    tiny = add_persona(engine, "tiny")
    coach = add_persona(engine, "coach")
    s1 = add_session(engine, kim, persona_id=tiny, created_at=t - dt.timedelta(days=3), title="Animals")
    s2 = add_session(engine, kim, persona_id=coach, created_at=t - dt.timedelta(hours=2))
    s3 = add_session(engine, lee, persona_id=tiny, created_at=t - dt.timedelta(hours=1))
    add_message(engine, s1, "user", "I like 고양이.", created_at=t - dt.timedelta(days=3),
                audio_url="https://tinytalkstudy.com/uploads/voice/a1.webm", audio_seconds=2.5)
    add_message(engine, s1, "assistant", "Cats are great! 고양이 = cat.",
                created_at=t - dt.timedelta(days=3) + dt.timedelta(seconds=3), emotion="praise")
    add_message(engine, s2, "user", "Hello", created_at=t - dt.timedelta(hours=2))
    return {"kim": kim, "lee": lee, "s1": s1, "s2": s2, "s3": s3}


def test_list_filters(engine: Engine, chats: dict[str, int]) -> None:
    def ids(**kw: object) -> list[int]:
        return [s.id for s in C.list_sessions(engine, C.ConversationFilter(**kw))]  # type: ignore[arg-type]

    assert ids() == [chats["s3"], chats["s2"], chats["s1"]]  # newest first
    assert ids(user="kim@a.kr") == [chats["s2"], chats["s1"]]
    assert ids(user=str(chats["lee"])) == [chats["s3"]]
    assert ids(persona="tiny") == [chats["s3"], chats["s1"]]
    assert ids(date_from="1d") == [chats["s3"], chats["s2"]]
    assert ids(date_to="1d", user="kim@a.kr") == [chats["s1"]]
    assert ids(user="nobody@a.kr") == []
    s1 = C.list_sessions(engine, C.ConversationFilter(session_id=chats["s1"]))[0]
    assert (s1.messages, s1.persona, s1.user_email, s1.title) == (2, "tiny", "kim@a.kr", "Animals")
    with pytest.raises(ValidationError, match="empty date range"):
        ids(date_from="2025-02-01", date_to="2025-01-01")


def test_transcript(engine: Engine, chats: dict[str, int]) -> None:
    t = C.get_transcript(engine, chats["s1"])
    assert [(m.role, m.content) for m in t.messages] == [
        ("user", "I like 고양이."), ("assistant", "Cats are great! 고양이 = cat.")]
    assert t.messages[0].audio_url == "https://tinytalkstudy.com/uploads/voice/a1.webm"
    assert t.messages[0].created_at is not None and t.messages[0].created_at.tzinfo is not None
    assert t.session.user_name == "김민준"
    with pytest.raises(NotFoundError):
        C.get_transcript(engine, 424242)


def test_jsonl_export_filters(engine: Engine, chats: dict[str, int]) -> None:
    out = io.StringIO()
    assert C.export_jsonl(engine, out, C.ConversationFilter(user="kim@a.kr"), batch=1) == 3
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["content"] for r in records] == ["I like 고양이.", "Cats are great! 고양이 = cat.", "Hello"]
    assert records[0]["persona"] == "tiny" and records[0]["user_email"] == "kim@a.kr"
    assert records[0]["created_at"].endswith("Z")


def _export_peak(engine: Engine, path: Path, batch: int) -> tuple[int, int]:
    tracemalloc.start()
    try:
        with path.open("w", encoding="utf-8") as fh:
            count = C.export_jsonl(engine, fh, batch=batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


_RSS_PROBE = """
import io, os, resource, sys
from tinytalk_sdk.db import make_engine
from tinytalk_sdk.admin import conversations as C
engine = make_engine(sys.argv[1])
C.export_jsonl(engine, io.StringIO(), C.ConversationFilter(date_to="2000-01-01"))  # warm-up: imports, pool
with open(os.devnull, "w") as sink:
    warm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    count = C.export_jsonl(engine, sink, batch=1000)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(count, warm, peak)
"""


def test_jsonl_streaming_memory_is_bounded_sqlite(sqlite_engine: Engine, tmp_path: Path) -> None:
    """200k messages (~68 MB of JSONL) exported in a fresh process: its peak RSS grows by a few MB only.

    (tracemalloc would measure Python allocations directly, but makes this export 7x slower; measured
    once by hand: 0.6 MB peak for the 200k messages.)
    """
    import subprocess
    import sys

    user = add_user(sqlite_engine)
    session = add_session(sqlite_engine, user)
    add_messages_bulk(sqlite_engine, session, 200_000)
    sqlite_engine.dispose()
    proc = subprocess.run([sys.executable, "-c", _RSS_PROBE, str(sqlite_engine.url)],
                          capture_output=True, text=True, timeout=120, check=True)
    count, warm_kb, peak_kb = map(int, proc.stdout.split())
    assert count == 200_000
    # Holding the rows would take well over 100 MB; one 1000-row batch is ~1 MB.
    assert peak_kb - warm_kb < 15_000, f"RSS grew {(peak_kb - warm_kb) / 1000:.1f} MB"


def test_jsonl_export_peak_allocation(sqlite_engine: Engine, tmp_path: Path) -> None:
    """Python allocations (tracemalloc) stay the same for 2k and 20k messages: nothing accumulates."""
    user = add_user(sqlite_engine)
    session = add_session(sqlite_engine, user)
    add_messages_bulk(sqlite_engine, session, 2_000)
    _, small = _export_peak(sqlite_engine, tmp_path / "a.jsonl", batch=500)
    add_messages_bulk(sqlite_engine, session, 18_000)
    count, large = _export_peak(sqlite_engine, tmp_path / "b.jsonl", batch=500)
    assert count == 20_000
    assert large < small * 1.5 + 200_000, (small, large)


@pytest.mark.mariadb
def test_jsonl_streaming_uses_server_side_cursor_on_mariadb(mariadb: object, tmp_path: Path) -> None:
    from tests._mariadb import MariaDB
    from tinytalk_sdk.db import make_engine
    from tinytalk_sdk.db.migrate import upgrade

    assert isinstance(mariadb, MariaDB)
    url = mariadb.create_database()
    eng = make_engine(url)
    try:
        upgrade(eng)
        user = add_user(eng)
        session = add_session(eng, user)
        add_messages_bulk(eng, session, 30_000)
        count, peak = _export_peak(eng, tmp_path / "out.jsonl", batch=500)
        assert count == 30_000
        # Measured: ~0.4-1.6 MB streaming; 25 MB when the 30k rows are fetched at once.
        assert peak < 6_000_000, f"peak {peak / 1e6:.1f} MB"
        with eng.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=10).exec_driver_sql("SELECT 1")
            assert type(result.cursor).__name__ == "SSCursor"
            result.close()
    finally:
        eng.dispose()
        mariadb.drop_database(url.rsplit("/", 1)[1].split("?")[0])
