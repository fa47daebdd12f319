"""Voice storage: report by age and size with orphans both ways; clean-up with dry-run."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from tests.admin.conftest import add_message, add_session, add_user, db_dump, now
from tinytalk_sdk import ValidationError
from tinytalk_sdk.admin import storage as S
from tinytalk_sdk.db import transaction
from tinytalk_sdk.db.models import ChatMessage

if TYPE_CHECKING:
    from sqlalchemy import Engine

URL = "https://tinytalkstudy.com/uploads/voice/"


def _file(folder: Path, rel: str, size: int, age_days: float) -> Path:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * size)
    stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(days=age_days)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def voice(engine: Engine, uploads: Path) -> dict[str, int]:
    t = now()
    session = add_session(engine, add_user(engine))

    def msg(rel: str, size: int, age: float) -> int:
        return add_message(engine, session, "user", "audio", created_at=t - dt.timedelta(days=age),
                           audio_url=URL + rel, audio_bytes=size)

    ids = {
        "new": msg("2025/new.webm", 100, 0.2),
        "week": msg("2025/week.webm", 200, 3),
        "old": msg("2025/old.webm", 400, 45),
        "gone": msg("2025/gone.webm", 800, 100),  # the file was deleted by hand: missing
    }
    add_message(engine, session, "assistant", "text only", created_at=t)
    _file(uploads, "2025/new.webm", 100, 0.2)
    _file(uploads, "2025/week.webm", 200, 3)
    _file(uploads, "2025/old.webm", 400, 45)
    _file(uploads, "stray/orphan-old.m4a", 1000, 60)  # no message points at these
    _file(uploads, "orphan-new.m4a", 50, 0.1)
    _file(uploads, ".keep", 0, 400)  # hidden: ignored
    return ids


def test_report(engine: Engine, uploads: Path, voice: dict[str, int]) -> None:
    report = S.storage_report(engine, uploads)
    buckets = {b.label: b for b in report.buckets}
    assert (report.db_messages, report.db_bytes, report.files, report.file_bytes) == (4, 1500, 5, 1750)
    assert (buckets["<1d"].db_messages, buckets["<1d"].files, buckets["<1d"].file_bytes) == (1, 2, 150)
    assert (buckets["1-7d"].db_bytes, buckets["30-90d"].files, buckets[">90d"].db_messages) == (200, 2, 1)
    assert report.matched == 3
    assert report.missing_files == 1 and report.missing_examples[0]["audio_url"].endswith("gone.webm")
    assert (report.orphan_files, report.orphan_bytes) == (2, 1050)
    assert report.orphan_examples == ["orphan-new.m4a", "stray/orphan-old.m4a"]
    prefixed = S.storage_report(engine, uploads, url_prefix=URL)
    assert prefixed.matched == 3
    wrong_prefix = S.storage_report(engine, uploads, url_prefix="https://other/")
    assert wrong_prefix.matched == 0 and wrong_prefix.orphan_files == 5


def test_report_without_folder(engine: Engine, tmp_path: Path, voice: dict[str, int]) -> None:
    report = S.storage_report(engine, tmp_path / "absent")
    assert not report.folder_exists and report.db_messages == 4 and report.missing_files == 4


def test_clean_dry_run_then_apply(engine: Engine, uploads: Path, voice: dict[str, int]) -> None:
    before = db_dump(engine)
    files_before = sorted(p.relative_to(uploads).as_posix() for p in uploads.rglob("*") if p.is_file())
    dry = S.clean_uploads(engine, uploads, older_than=dt.timedelta(days=30), dry_run=True)
    assert dry.files == ["2025/old.webm", "stray/orphan-old.m4a"]
    assert (dry.deleted_files, dry.freed_bytes, dry.urls_cleared, dry.orphans_deleted) == (2, 1400, 1, 1)
    assert db_dump(engine) == before
    assert sorted(p.relative_to(uploads).as_posix() for p in uploads.rglob("*") if p.is_file()) == files_before

    done = S.clean_uploads(engine, uploads, older_than=dt.timedelta(days=30))
    assert (done.deleted_files, done.freed_bytes, done.urls_cleared, done.failed) == (2, 1400, 1, [])
    assert not (uploads / "2025/old.webm").exists() and not (uploads / "stray").exists()
    assert (uploads / "2025/week.webm").exists() and (uploads / ".keep").exists()
    with transaction(engine) as s:
        rows = {r[0]: r[1] for r in s.execute(select(ChatMessage.id, ChatMessage.audio_url))}
        old_bytes = s.scalar(select(ChatMessage.audio_bytes).where(ChatMessage.id == voice["old"]))
    assert rows[voice["old"]] is None and old_bytes == 400  # URL cleared, statistics kept
    assert rows[voice["gone"]] == URL + "2025/gone.webm"  # not ours to judge: the file was not found
    again = S.clean_uploads(engine, uploads, older_than=dt.timedelta(days=30))
    assert again.deleted_files == 0


def test_clean_keep_urls(engine: Engine, uploads: Path, voice: dict[str, int]) -> None:
    done = S.clean_uploads(engine, uploads, older_than=dt.timedelta(days=2), keep_urls=True)
    assert done.deleted_files == 3 and done.urls_cleared == 0
    with transaction(engine) as s:
        assert s.scalar(select(ChatMessage.audio_url).where(ChatMessage.id == voice["week"])) is not None


def test_clean_bad_input(engine: Engine, tmp_path: Path, voice: dict[str, int]) -> None:
    before = db_dump(engine)
    with pytest.raises(ValidationError, match="does not exist"):
        S.clean_uploads(engine, tmp_path / "absent", older_than=dt.timedelta(days=30))
    with pytest.raises(ValidationError):
        S.clean_uploads(engine, tmp_path, older_than=dt.timedelta(0))
    assert db_dump(engine) == before
