"""The sweep after a load run, on SQLite and MariaDB: only this run's users go, with their clips; rows stay."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from tinytalk_sdk.load import LOAD_TAG, remove_test_users

if TYPE_CHECKING:
    from sqlalchemy import Engine


def test_sweep_deletes_only_this_runs_users_tags_their_rows_and_deletes_their_clips(
    engine: Engine, tmp_path: Path,
) -> None:
    from sqlalchemy import select

    from tinytalk_sdk.db.models import ApiUsageLog, ChatMessage, ChatSession, User
    from tinytalk_sdk.db.session import transaction

    started = dt.datetime.now(dt.UTC)
    uploads = tmp_path / "uploads"
    (uploads / "2026" / "12").mkdir(parents=True)
    emails = ["load-run1+a1@tinytalk.invalid", "load-run1+b2@tinytalk.invalid",  # this run
              "load-run2+c3@tinytalk.invalid", "load-run1x+d4@tinytalk.invalid",  # another run, a lookalike
              "load_run1+e5@tinytalk.invalid", "kim@school.example"]  # '_' is no wildcard; a real pupil
    ids: dict[str, int] = {}
    with transaction(engine) as session:
        for i, email in enumerate(emails):
            user = User(email=email, pin_hash="x", name=f"u{i}")
            session.add(user)
            session.flush()
            ids[email] = user.id
            chat = ChatSession(user_id=user.id, session_date=started.date(), title="load test")
            session.add(chat)
            session.flush()
            clip = uploads / "2026" / "12" / f"clip-{i}.wav"
            clip.write_bytes(b"RIFF")
            session.add(ChatMessage(session_id=chat.id, role="user", content="hi",
                                    audio_url=f"http://127.0.0.1:1/uploads/2026/12/{clip.name}"))
            session.add(ApiUsageLog(service="openai", operation="stt", user_id=user.id, status="ok",
                                    tag=LOAD_TAG if i == 0 else None))
    summary = remove_test_users(engine, email_prefix="load-run1", started_at=started, tag=LOAD_TAG,
                                uploads_dir=uploads)
    assert summary["users_deleted"] == 2 and summary["clips_deleted"] == 2
    assert summary["rows_tagged_by_server"] == 1 and summary["rows_tagged_here"] == 1
    with transaction(engine) as session:
        left = set(session.scalars(select(User.email)))
        tags = {row.user_id: row.tag for row in session.scalars(select(ApiUsageLog))}
    assert left == set(emails[2:])
    assert sorted(p.name for p in (uploads / "2026" / "12").iterdir()) == [f"clip-{i}.wav" for i in range(2, 6)]
    # the run's rows outlive its users (no foreign key), tagged; the others untouched
    assert [tags[ids[e]] for e in emails] == ["load", "load", None, None, None, None]
    assert remove_test_users(engine, email_prefix="load-run1", started_at=started, tag=LOAD_TAG,
                             uploads_dir=uploads)["users_deleted"] == 0
    assert "no database access" in remove_test_users(None, email_prefix="load-run1", started_at=started,
                                                     tag=LOAD_TAG)["note"]
