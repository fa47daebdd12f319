"""Parse the times admins type: ``2025-03-01``, ``2025-03-01T08:00``, ``7d`` ago; durations ``30d``."""

from __future__ import annotations

import datetime as dt
import re

from .._exceptions import ValidationError

__all__ = ["check_range", "parse_duration", "parse_instant"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(text: str, *, field: str = "duration") -> dt.timedelta:
    """``30d`` → 30 days. Units: s, m (minutes), h, d, w."""
    match = _DURATION.match(text or "")
    if not match:
        raise ValidationError(f"{field}: '{text}' is not a duration (e.g. 30d, 12h, 2w)")
    return dt.timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def parse_instant(
    text: str | dt.datetime | dt.date | None,
    *,
    field: str = "time",
    end: bool = False,
    now: dt.datetime | None = None,
) -> dt.datetime | None:
    """An aware UTC datetime from an ISO date/datetime or a duration meaning "that long ago".

    A bare date is the start of that UTC day, or with ``end=True`` the start of the next one, so that
    ``--to 2025-03-31`` includes the whole day (ranges are half-open: ``from <= t < to``).
    """
    if text is None or text == "":
        return None
    if isinstance(text, dt.datetime):
        return text if text.tzinfo else text.replace(tzinfo=dt.UTC)
    if isinstance(text, dt.date):
        day = dt.datetime(text.year, text.month, text.day, tzinfo=dt.UTC)
        return day + dt.timedelta(days=1) if end else day
    raw = text.strip()
    if _DURATION.match(raw):
        return (now or dt.datetime.now(dt.UTC)) - parse_duration(raw, field=field)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            return parse_instant(dt.date.fromisoformat(raw), field=field, end=end)
        except ValueError:
            raise ValidationError(f"{field}: '{text}' is not a date") from None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{field}: '{text}' is not a date, datetime or duration (e.g. 2025-03-01, 7d)"
        ) from None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def check_range(
    start: dt.datetime | None, end: dt.datetime | None, *, fields: str = "--from/--to",
    given: tuple[str | None, str | None] | None = None,
) -> None:
    """An empty range (start at or after end) is a mistake, not "no results": say which fields.

    ``given`` is what the user typed, shown instead of the parsed instants (a date as --to means the end of
    that day, which would look like a different date in the message).
    """
    if start is not None and end is not None and start >= end:
        shown = given if given and all(given) else (start.isoformat(), end.isoformat())
        raise ValidationError(f"{fields}: empty date range: {shown[0]} is not before {shown[1]}")
