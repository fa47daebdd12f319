"""Raw rows to sums: the one aggregate both the rollup job and the report's open edge run over the raw table.

The database does the heavy part (``GROUP BY dims…, latency_ms`` with every sum); Python only folds the
latency rows of a group into a histogram, streaming, so memory holds one group at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ._sql import cost_sql, micros_sql

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Select, Table

    from ...pricing import PriceTable

# hour and day: no user dimension (their size is flat in rows and pupils); uday: per user and day.
GRAINS = ("hour", "day", "uday")
STEP = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1), "uday": dt.timedelta(days=1)}
_FORMAT = {"hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d 00:00:00", "uday": "%Y-%m-%d 00:00:00"}
# Per-user blocks above ``uday``: aligned runs of 2, 4, … 256 days counted from 1970-01-01, each the merge of
# its two halves one level down (a segment tree over days). Any range of whole days is at most two blocks per
# level, so a 90-day ``--by user`` report reads about ten blocks per pupil instead of ninety days.
USER_LEVELS = ("uday", "ud2", "ud4", "ud8", "ud16", "ud32", "ud64", "ud128", "ud256")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SUM_NAMES = ("calls", "errors", "input_tokens", "output_tokens", "characters", "audio_seconds", "session_minutes",
             "cost_micros", "costed", "stored")


def period_sql(grain: str, column: Any, dialect: str) -> ColumnElement[Any]:
    """The start of ``column``'s hour or day (UTC) as ``'YYYY-MM-DD HH:00:00'`` text, on both databases."""
    from sqlalchemy import func

    if dialect == "sqlite":
        return func.strftime(_FORMAT[grain], column)
    return func.date_format(column, _FORMAT[grain])


def parse_period(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


def floor_to(grain: str, value: dt.datetime) -> dt.datetime:
    value = value.astimezone(dt.UTC)
    if grain == "hour":
        return value.replace(minute=0, second=0, microsecond=0)
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def ceil_to(grain: str, value: dt.datetime) -> dt.datetime:
    floor = floor_to(grain, value)
    return floor if floor == value else floor + STEP[grain]


def block_start(level: int, day: dt.datetime) -> dt.datetime:
    """The first day of the level-``level`` block (``2**level`` days) holding ``day``."""
    n = (floor_to("day", day) - _EPOCH).days
    return _EPOCH + dt.timedelta(days=n - n % (1 << level))


def user_blocks(first: dt.datetime, last: dt.datetime) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """The whole days ``[first, last)`` as the fewest aligned blocks ``(grain, lo, hi)``, in order: from the
    left, the largest block that starts here and fits (at most two per level)."""
    a, b = (floor_to("day", first) - _EPOCH).days, (floor_to("day", last) - _EPOCH).days
    out: list[tuple[str, dt.datetime, dt.datetime]] = []
    top = len(USER_LEVELS) - 1
    while a < b:
        k = top
        while k > 0 and (a % (1 << k) or a + (1 << k) > b):
            k -= 1
        lo = _EPOCH + dt.timedelta(days=a)
        out.append((USER_LEVELS[k], lo, lo + dt.timedelta(days=1 << k)))
        a += 1 << k
    return out


def sum_columns(log: Table, cost: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    """The sums every usage aggregate takes over raw rows, labelled as :data:`SUM_NAMES`."""
    from sqlalchemy import Float, case, func, type_coerce

    return [
        func.count().label("calls"),
        func.sum(case((log.c.status != "ok", 1), else_=0)).label("errors"),
        func.sum(log.c.input_tokens).label("input_tokens"),
        func.sum(log.c.output_tokens).label("output_tokens"),
        func.sum(log.c.characters).label("characters"),
        type_coerce(func.sum(log.c.audio_seconds), Float).label("audio_seconds"),
        type_coerce(func.sum(log.c.session_minutes), Float).label("session_minutes"),
        func.sum(micros_sql(cost)).label("cost_micros"),
        # counts rather than CASEs over `cost`: SQLite would evaluate the price CASE once per mention
        func.count(cost).label("costed"),
        func.count(log.c.cost_usd).label("stored"),
    ]


def agg_select(log: Table, table: PriceTable, groups: Sequence[Any], where: Sequence[Any],
               from_: Any = None) -> Select[Any]:
    """``SELECT groups…, latency, sums… GROUP BY groups…, latency ORDER BY`` the same (free after the sort
    ``GROUP BY`` already does), so :func:`fold` can stream."""
    from sqlalchemy import and_, select

    cost = cost_sql(log, table)
    keys = [*groups, log.c.latency_ms]
    stmt = select(
        *groups,
        log.c.latency_ms.label("latency"),
        *sum_columns(log, cost),
    ).select_from(log if from_ is None else from_)
    if where:
        stmt = stmt.where(and_(*where))
    return stmt.group_by(*keys).order_by(*keys)


class Group:
    """The running sums of one group, and its latencies as ``(value, count)`` pairs."""

    __slots__ = ("counts", "latencies", "sums")

    def __init__(self) -> None:
        self.sums: list[Any] = [0] * len(SUM_NAMES)
        self.latencies: list[int] = []
        self.counts: list[int] = []

    def add_row(self, latency: Any, values: Sequence[Any]) -> None:
        sums = self.sums
        for i, v in enumerate(values):
            if v is not None:
                sums[i] += v
        if latency is not None:
            self.latencies.append(int(latency))
            self.counts.append(int(values[0]))

    def add_sums(self, values: Sequence[Any]) -> None:
        for i, v in enumerate(values):
            if v is not None:
                self.sums[i] += v

    def as_dict(self) -> dict[str, Any]:
        return dict(zip(SUM_NAMES, self.sums, strict=True))

    def latency_totals(self) -> tuple[int, int]:
        return sum(self.counts), sum(v * c for v, c in zip(self.latencies, self.counts, strict=True))


def fold(rows: Iterable[Sequence[Any]], n_keys: int) -> Iterator[tuple[tuple[Any, ...], Group]]:
    """Consecutive rows of :func:`agg_select` (ordered by group) folded into one :class:`Group` per key."""
    current: tuple[Any, ...] | None = None
    group = Group()
    for row in rows:
        key = tuple(row[:n_keys])
        if key != current:
            if current is not None:
                yield current, group
            current, group = key, Group()
        group.add_row(row[n_keys], row[n_keys + 1 :])
    if current is not None:
        yield current, group
