"""Voice storage: what the push-to-talk uploads weigh, how old they are, and the clean-up of old ones.

Two sources, compared both ways (docs/admin-operations.md):

- the database: ``chat_messages.audio_url`` / ``audio_bytes`` / ``created_at``;
- the uploads folder (setting ``uploads_dir``, default ``<data dir>/uploads``).

A URL matches a file when the URL's path ends with the file's path relative to the folder
(``https://host/uploads/voice/2025/a.webm`` ↔ ``<uploads>/voice/2025/a.webm`` or ``<uploads>/a.webm``), or,
with ``url_prefix``, when the URL is ``url_prefix + relative path``. Files no message points to are
*orphan files*; messages whose file is gone are *missing files*.

Clean-up (the toolkit's side of ``cleanup_uploads.php``) deletes files whose modification time is older
than the cut-off (file age, as the PHP cron job judges it) and sets ``audio_url`` to NULL on the messages
that pointed to them, keeping ``audio_bytes``/``audio_seconds`` for statistics. The database is committed
first, then the files are deleted: a file that cannot be deleted is only an orphan for the next run,
never a message pointing at nothing.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from .._exceptions import ValidationError
from ._stream import stream_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..config import Config

__all__ = [
    "AGE_BUCKETS",
    "AgeBucket",
    "CleanResult",
    "StorageReport",
    "UploadFile",
    "clean_uploads",
    "scan_uploads",
    "storage_report",
    "uploads_dir",
]

# (label, lower bound in days); a bucket runs to the next bound.
AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("<1d", 0), ("1-7d", 1), ("7-30d", 7), ("30-90d", 30), (">90d", 90),
)
# Lists in a report show this many examples; counts and byte totals are always complete.
EXAMPLES = 20


def uploads_dir(config: Config) -> Path:
    """The ``uploads_dir`` setting, else ``<data dir>/uploads``."""
    from ..config import data_dir

    configured = config.get("uploads_dir")
    return Path(configured).expanduser() if configured else data_dir(config.env) / "uploads"


def _bucket(age: dt.timedelta) -> str:
    days = age.total_seconds() / 86400
    label = AGE_BUCKETS[0][0]
    for name, lower in AGE_BUCKETS:
        if days >= lower:
            label = name
    return label


@dataclass(frozen=True)
class UploadFile:
    relpath: str  # POSIX, relative to the uploads folder
    size: int
    mtime: dt.datetime


def scan_uploads(folder: Path) -> dict[str, UploadFile]:
    """Every regular file under ``folder`` (hidden files and symlinks skipped), by relative path."""
    out: dict[str, UploadFile] = {}
    if not folder.is_dir():
        return out
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            path = Path(root, name)
            if path.is_symlink():
                continue
            st = path.stat()
            rel = path.relative_to(folder).as_posix()
            out[rel] = UploadFile(rel, st.st_size, dt.datetime.fromtimestamp(st.st_mtime, dt.UTC))
    return out


def _match(url: str, files: dict[str, UploadFile], url_prefix: str | None) -> str | None:
    """The relative path of the file ``url`` points to, or None."""
    if url_prefix:
        if not url.startswith(url_prefix):
            return None
        rel = unquote(url[len(url_prefix):].split("?", 1)[0]).lstrip("/")
        return rel if rel in files else None
    path = unquote(urlparse(url).path if "://" in url else url.split("?", 1)[0])
    parts = PurePosixPath(path.lstrip("/")).parts
    for i in range(len(parts)):
        candidate = "/".join(parts[i:])
        if candidate in files:
            return candidate
    return None


def _iter_audio_rows(engine: Engine, *, batch: int = 5000) -> Iterator[tuple[int, str, int | None, Any]]:
    from sqlalchemy import select

    from ..db.models import ChatMessage

    stmt = (
        select(ChatMessage.id, ChatMessage.audio_url, ChatMessage.audio_bytes, ChatMessage.created_at)
        .where(ChatMessage.audio_url.is_not(None), ChatMessage.audio_url != "")
        .order_by(ChatMessage.id)
    )
    for row in stream_rows(engine, stmt, batch=batch):
        yield row[0], row[1] or "", row[2], row[3]


@dataclass
class AgeBucket:
    label: str
    db_messages: int = 0
    db_bytes: int = 0
    files: int = 0
    file_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"age": self.label, "db_messages": self.db_messages, "db_bytes": self.db_bytes,
                "files": self.files, "file_bytes": self.file_bytes}


@dataclass
class StorageReport:
    uploads_dir: str
    folder_exists: bool
    buckets: list[AgeBucket]
    db_messages: int = 0
    db_bytes: int = 0
    files: int = 0
    file_bytes: int = 0
    matched: int = 0
    missing_files: int = 0  # messages whose URL points to no file in the folder
    missing_examples: list[dict[str, Any]] = field(default_factory=list)
    orphan_files: int = 0  # files no message points to
    orphan_bytes: int = 0
    orphan_examples: list[str] = field(default_factory=list)
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def to_dict(self) -> dict[str, Any]:
        return {
            "uploads_dir": self.uploads_dir,
            "folder_exists": self.folder_exists,
            "generated_at": self.generated_at,
            "totals": {"db_messages": self.db_messages, "db_bytes": self.db_bytes, "files": self.files,
                       "file_bytes": self.file_bytes, "matched": self.matched},
            "buckets": [b.to_dict() for b in self.buckets],
            "missing_files": {"count": self.missing_files, "examples": self.missing_examples},
            "orphan_files": {"count": self.orphan_files, "bytes": self.orphan_bytes,
                             "examples": self.orphan_examples},
        }


def storage_report(
    engine: Engine, folder: Path | str, *, url_prefix: str | None = None, now: dt.datetime | None = None
) -> StorageReport:
    """Voice uploads by age bucket and size, from the database and the folder, with orphans both ways.

    Messages are streamed; memory grows with the number of *files* (listed once), not of messages.
    """
    now = now or dt.datetime.now(dt.UTC)
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise ValidationError(f"{root}: not a folder (the uploads folder must be a directory)")
    files = scan_uploads(root)
    buckets = {label: AgeBucket(label) for label, _ in AGE_BUCKETS}
    report = StorageReport(uploads_dir=str(root), folder_exists=root.is_dir(), buckets=list(buckets.values()),
                           generated_at=now)
    for f in files.values():
        b = buckets[_bucket(now - f.mtime)]
        b.files += 1
        b.file_bytes += f.size
        report.files += 1
        report.file_bytes += f.size
    referenced: set[str] = set()
    for msg_id, url, size, created in _iter_audio_rows(engine):
        b = buckets[_bucket(now - created)] if created else buckets[AGE_BUCKETS[-1][0]]
        b.db_messages += 1
        b.db_bytes += size or 0
        report.db_messages += 1
        report.db_bytes += size or 0
        rel = _match(url, files, url_prefix)
        if rel is None:
            report.missing_files += 1
            if len(report.missing_examples) < EXAMPLES:
                report.missing_examples.append({"message_id": msg_id, "audio_url": url})
        else:
            report.matched += 1
            referenced.add(rel)
    for rel in sorted(files):
        if rel not in referenced:
            report.orphan_files += 1
            report.orphan_bytes += files[rel].size
            if len(report.orphan_examples) < EXAMPLES:
                report.orphan_examples.append(rel)
    return report


@dataclass
class CleanResult:
    """What a clean-up deleted (or, with ``dry_run``, would delete). Field names follow cleanup_uploads.php."""

    uploads_dir: str
    cutoff: dt.datetime
    dry_run: bool
    deleted_files: int = 0
    freed_bytes: int = 0
    urls_cleared: int = 0
    orphans_deleted: int = 0
    failed: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"uploads_dir": self.uploads_dir, "cutoff": self.cutoff, "dry_run": self.dry_run,
                "deleted_files": self.deleted_files, "freed_bytes": self.freed_bytes,
                "urls_cleared": self.urls_cleared, "orphans_deleted": self.orphans_deleted,
                "failed": self.failed, "files": self.files}


def clean_uploads(
    engine: Engine,
    folder: Path | str,
    *,
    older_than: dt.timedelta,
    dry_run: bool = False,
    keep_urls: bool = False,
    url_prefix: str | None = None,
    now: dt.datetime | None = None,
) -> CleanResult:
    """Delete upload files older than ``older_than`` (by modification time) and clear their URLs.

    ``keep_urls`` leaves ``audio_url`` as it was (for a folder that is only a local mirror).
    """
    from sqlalchemy import update

    from ..db import transaction
    from ..db.models import ChatMessage

    if older_than.total_seconds() <= 0:
        raise ValidationError("--older-than must be more than zero")
    root = Path(folder)
    if not root.is_dir():
        raise ValidationError(f"{root}: uploads folder does not exist",
                              hint="set it with `tinytalk config set uploads_dir DIR`")
    now = now or dt.datetime.now(dt.UTC)
    cutoff = now - older_than
    files = scan_uploads(root)
    old = {rel: f for rel, f in files.items() if f.mtime < cutoff}
    result = CleanResult(uploads_dir=str(root), cutoff=cutoff, dry_run=dry_run)
    result.files = sorted(old)
    result.deleted_files = len(old)
    result.freed_bytes = sum(f.size for f in old.values())
    to_clear: list[int] = []
    referenced: set[str] = set()
    for msg_id, url, _size, _created in _iter_audio_rows(engine):
        rel = _match(url, files, url_prefix)
        if rel is not None:
            referenced.add(rel)
            if rel in old:
                to_clear.append(msg_id)
    result.orphans_deleted = sum(1 for rel in old if rel not in referenced)
    result.urls_cleared = 0 if keep_urls else len(to_clear)
    if dry_run:
        return result
    if to_clear and not keep_urls:
        with transaction(engine) as session:
            for start in range(0, len(to_clear), 500):  # bounded IN lists on both databases
                chunk = to_clear[start:start + 500]
                session.execute(
                    update(ChatMessage).where(ChatMessage.id.in_(chunk)).values(audio_url=None)
                    .execution_options(synchronize_session=False)
                )
    for rel in result.files:
        try:
            (root / rel).unlink()
        except FileNotFoundError:
            pass  # gone already: the goal is reached
        except OSError as exc:
            result.failed.append(f"{rel}: {exc.strerror or exc.__class__.__name__}")
            result.deleted_files -= 1
            result.freed_bytes -= old[rel].size
    _prune_empty_dirs(root)
    return result


def _prune_empty_dirs(root: Path) -> None:
    # Date folders (uploads/2025/01/) left empty by the clean-up go too; the root itself stays.
    for current, _dirs, _files in sorted(os.walk(root), key=lambda t: len(t[0]), reverse=True):
        path = Path(current)
        if path != root and not any(path.iterdir()):
            path.rmdir()
