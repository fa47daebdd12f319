"""After a run: remove the throw-away user, tag what the server left untagged, delete the clips it kept."""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .._exceptions import TinyTalkError
from .targets import ApiTarget, Target

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["remove_test_user", "remove_uploads"]


def remove_uploads(urls: list[str], uploads_dir: Path | None) -> int:
    """Delete the clips ``stt_upload`` kept (``…/uploads/2026/12/x.wav``) when they are in ``uploads_dir``.

    Only a file at exactly the URL's path under the folder is deleted (the name holds a random part, so a
    remote server's clip never matches a local file); anything outside the folder is ignored.
    """
    if uploads_dir is None:
        return 0
    root = Path(uploads_dir).resolve()
    removed = 0
    for url in urls:
        parts = PurePosixPath(unquote(urlsplit(url).path)).parts
        if "uploads" not in parts:
            continue
        relative = parts[len(parts) - parts[::-1].index("uploads"):]
        path = root.joinpath(*relative).resolve()
        if relative and path.is_relative_to(root) and path.is_file():
            path.unlink()
            removed += 1
    return removed


def remove_test_user(target: Target, engine: Engine | None, *, started_at: dt.datetime, tag: str,
                     uploads_dir: Path | None = None) -> str:
    """Delete the run's user (sessions, messages and tokens cascade) and its kept clips; one line back."""
    if not isinstance(target, ApiTarget):
        return "nothing to clean up"
    if target.user_id is None:
        return "no test user was created"
    if engine is None:
        with suppress(TinyTalkError):
            target.client.auth.logout()
        return f"logged out; test user {target.user_id} kept (no database access)"
    from sqlalchemy import delete, func, select, update

    from ..db.models import ApiUsageLog, User
    from ..db.session import transaction

    with transaction(engine) as session:
        # The server tagged the run's usage rows (X-TinyTalk-Tag). Fallback for a server that predates the
        # header: tag the rows it left untagged (they outlive the user: no foreign key). Then delete the
        # user; sessions, messages and tokens go with it (ON DELETE CASCADE).
        # (SQLite may hand a deleted user's id to the next one: only this run's rows are looked at.)
        since = started_at - dt.timedelta(seconds=1)
        mine = (ApiUsageLog.user_id == target.user_id, ApiUsageLog.created_at >= since)
        by_server = int(session.scalar(select(func.count()).select_from(ApiUsageLog)
                                       .where(*mine, ApiUsageLog.tag == tag)) or 0)
        result: Any = session.execute(update(ApiUsageLog).where(*mine, ApiUsageLog.tag.is_(None))
                                      .values(tag=tag))
        tagged = int(result.rowcount or 0)
        session.execute(delete(User).where(User.id == target.user_id))
    # The messages pointing at the clips are gone now: the files would be orphans in `storage report`.
    # (Database first, files second: a file that cannot be deleted is an orphan, never a dangling message.)
    removed = remove_uploads(target.uploads, uploads_dir)
    how = f"{by_server} usage row(s) tagged '{tag}' by the server"
    if tagged:
        how += f", {tagged} untagged row(s) tagged here"
    if removed:
        how += f", {removed} uploaded clip(s) deleted"
    return f"test user {target.user_id} deleted, {how}"
