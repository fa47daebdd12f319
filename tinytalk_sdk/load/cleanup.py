"""After a load run: delete every test user it created (found by the run's e-mail prefix), tag what the
server left untagged, and delete the clips the server kept for them.

The pupils may have run on other machines (distributed mode) and a Ctrl-C may have cut them short, so the
clean-up does not trust a list of ids: it sweeps ``load-<run_id>+…@tinytalk.invalid`` in the database.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..pipeline import remove_uploads

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["remove_test_users"]


def remove_test_users(engine: Engine | None, *, email_prefix: str, started_at: dt.datetime, tag: str,
                      uploads_dir: Path | None = None) -> dict[str, Any]:
    """Delete the run's users (sessions, messages, tokens cascade); one summary back."""
    if engine is None:
        return {"users_deleted": 0, "note": "test users kept (no database access): they were logged out"}
    from sqlalchemy import delete, func, select, update

    from ..db.models import ApiUsageLog, ChatMessage, ChatSession, User
    from ..db.session import transaction

    pattern = email_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "+%@tinytalk.invalid"
    since = started_at - dt.timedelta(seconds=1)
    with transaction(engine) as session:
        ids = list(session.scalars(select(User.id).where(User.email.like(pattern, escape="\\"))))
        if not ids:
            return {"users_deleted": 0, "rows_tagged_by_server": 0, "rows_tagged_here": 0, "clips_deleted": 0,
                    "note": "no test user to delete"}
        urls = [u for u in session.scalars(
            select(ChatMessage.audio_url).join(ChatSession, ChatMessage.session_id == ChatSession.id)
            .where(ChatSession.user_id.in_(ids), ChatMessage.audio_url.is_not(None))) if u]
        mine = (ApiUsageLog.user_id.in_(ids), ApiUsageLog.created_at >= since)
        by_server = int(session.scalar(select(func.count()).select_from(ApiUsageLog)
                                       .where(*mine, ApiUsageLog.tag == tag)) or 0)
        result: Any = session.execute(update(ApiUsageLog).where(*mine, ApiUsageLog.tag.is_(None)).values(tag=tag))
        tagged = int(result.rowcount or 0)
        session.execute(delete(User).where(User.id.in_(ids)))
    # database first, files second: a clip that cannot be deleted is an orphan, never a dangling message
    removed = remove_uploads(urls, uploads_dir)
    note = f"{len(ids)} test user(s) deleted, {by_server} usage row(s) tagged '{tag}' by the server"
    note += (f", {tagged} tagged here" if tagged else "") + (f", {removed} clip(s) deleted" if removed else "")
    return {"users_deleted": len(ids), "rows_tagged_by_server": by_server, "rows_tagged_here": tagged,
            "clips_deleted": removed, "note": note}
