"""``usage report`` from rollups: closed periods from ``api_usage_rollups``, the open edge from the raw table.

For a range ``[start, end)`` the whole days are read from ``day`` buckets and the whole hours around them
from ``hour`` buckets (per-user and per-school reports: whole days from the per-user blocks, which carry the
user: ``uday`` and aligned 2…256-day blocks, at most two per level, see ``_agg.user_blocks``), and from the
raw table only what rollups cannot hold: the partial periods at both ends, and rows with
``id`` above the watermark (new rows, and late rows of old periods) inside the covered span. Rollups are
exactly the rows ``id <= watermark`` (rollup.py), so the parts never overlap or miss a row, and every sum
equals the raw computation. Percentiles come from the merged histograms (≤ 2 % relative error, histogram.py).

Everything is read in one snapshot (a read transaction), so a rollup committing mid-report cannot count a
row twice. The report falls back to the raw path (and says why in ``source_note``) when there are no
rollups yet, when they were priced with another price table, or when the range holds no whole period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..._exceptions import ValidationError
from ...pricing import PriceTable, load_price_table
from ._agg import Group, agg_select, ceil_to, floor_to, fold, parse_period, user_blocks
from ._model import UsageReport, fill_totals, make_row, sort_key
from ._sql import (
    GROUPINGS,
    _day,
    _filters,
    _key,
    _reading,
    _tables,
    hex_concat,
    lift_concat_limit,
    price_fingerprint,
    rollup_tables,
    usd,
)
from .raw import PERCENTILES, email_labels, raw_cost_by_day, raw_report

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, Table


def _by_user(keys: Sequence[str]) -> bool:
    return any(k in ("user", "school") for k in keys)


Segment = tuple[str, dt.datetime | None, dt.datetime | None]


def _plan(keys: Sequence[str], start: dt.datetime | None, end: dt.datetime | None
          ) -> tuple[list[Segment], dt.datetime | None, dt.datetime | None] | None:
    """The rollup segments ``(grain, lo, hi)`` covering ``[start, end)`` and the span they cover; the rest of
    the range is the raw open edge. Whole days come from day buckets, the whole hours around them from hour
    buckets; per-user reports have only day buckets. None when no whole period fits."""
    d0 = ceil_to("day", start) if start is not None else None
    d1 = floor_to("day", end) if end is not None else None
    days = d0 is None or d1 is None or d0 < d1
    if _by_user(keys):
        return ([("uday", d0, d1)], d0, d1) if days else None
    h0 = ceil_to("hour", start) if start is not None else None
    h1 = floor_to("hour", end) if end is not None else None
    if h0 is not None and h1 is not None and h0 >= h1:
        return None
    if not days:
        return [("hour", h0, h1)], h0, h1
    segments: list[Segment] = [("day", d0, d1)]
    if h0 is not None and d0 is not None and h0 < d0:
        segments.append(("hour", h0, d0))
    if h1 is not None and d1 is not None and d1 < h1:
        segments.append(("hour", d1, h1))
    return segments, h0, h1


def _norm(name: str, value: Any) -> Any:
    if name == "day":
        return None if value is None else _day(value)
    if name == "user":
        return None if value in (None, 0) else int(value)
    return value


def _rollup_key(name: str, r: Table, users: Table) -> Any:
    from sqlalchemy import func

    return {"service": r.c.service, "model": r.c.model, "day": func.date(r.c.period_start),
            "user": r.c.user_id, "school": func.coalesce(users.c.school, "")}[name]


class _Groups:
    """The report's groups: sums per group, and where their latency histograms are (stored blobs, or dense
    histograms of raw rows), merged at the end in one vectorised pass."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = keys
        self.index: dict[tuple[Any, ...], int] = {}
        self.seen: dict[tuple[Any, ...], int] = {}
        self.sums: list[Group] = []
        self.blob_groups: list[int] = []
        self.blobs: list[bytes] = []
        # the open edge's raw latencies: value ``edge_values[i]`` seen ``edge_counts[i]`` times in a group
        self.edge_groups: list[int] = []
        self.edge_values: list[int] = []
        self.edge_counts: list[int] = []

    def at(self, raw_key: tuple[Any, ...]) -> int:
        found = self.seen.get(raw_key)  # the key as the database spelled it: most rows stop here
        if found is None:
            key = tuple(_norm(n, v) for n, v in zip(self.keys, raw_key, strict=True))
            found = self.index.get(key)
            if found is None:
                found = self.index[key] = len(self.sums)
                self.sums.append(Group())
            self.seen[raw_key] = found
        return found

    def percentiles(self) -> list[list[Any]]:
        from .histogram import group_percentiles

        return group_percentiles(len(self.sums), self.blob_groups, self.blobs,
                                 (self.edge_groups, self.edge_values, self.edge_counts), PERCENTILES)


def _blocks(conn: Connection, segments: list[Segment]) -> list[Segment]:
    """``segments`` with each ``uday`` span replaced by the per-user blocks covering it (an open end is
    closed at the first or last ``uday`` row: every rolled-up row lies between them)."""
    from sqlalchemy import func, select

    r, _state = rollup_tables()
    out: list[Segment] = []
    for grain, lo, hi in segments:
        if grain != "uday":
            out.append((grain, lo, hi))
            continue
        if lo is None or hi is None:
            first, last = conn.execute(select(func.min(r.c.period_start), func.max(r.c.period_start))
                                       .where(r.c.grain == "uday")).one()
            if first is None:
                continue
            lo = lo or parse_period(first)
            hi = hi or parse_period(last) + dt.timedelta(days=1)
        out.extend(user_blocks(lo, hi))
    return out


def _collect(conn: Connection, keys: Sequence[str], *, start: dt.datetime | None, end: dt.datetime | None,
             exclude_tags: Sequence[str], services: Sequence[str] | None, table: PriceTable,
             watermark: int, segments: list[Segment], lo: dt.datetime | None, hi: dt.datetime | None
             ) -> tuple[_Groups, set[str]]:
    from sqlalchemy import and_, case, func, or_, select

    log, users = _tables()
    r, _state = rollup_tables()
    groups = _Groups(keys)
    versions: set[str] = set()
    n = len(keys)

    # 1. Whole periods from the rollups, every segment in one query: sums in SQL, and every bucket's histogram
    # bytes concatenated per group by the database, so Python sees one row per group, not per bucket.
    source = r.outerjoin(users, users.c.id == r.c.user_id) if "school" in keys else r
    rkeys = [_rollup_key(k, r, users).label(f"k{i}") for i, k in enumerate(keys)]
    periods = []
    for grain, seg_lo, seg_hi in _blocks(conn, segments):
        conds: list[Any] = [r.c.grain == grain]
        if seg_lo is not None:
            conds.append(r.c.period_start >= seg_lo)
        if seg_hi is not None:
            conds.append(r.c.period_start < seg_hi)
        periods.append(and_(*conds))
    if periods:
        where: list[Any] = [or_(*periods)]
        if exclude_tags:
            where.append(or_(r.c.tag == "", r.c.tag.not_in(list(exclude_tags))))
        if services:
            where.append(r.c.service.in_(list(services)))
        sums = select(
            *rkeys, func.sum(r.c.calls), func.sum(case((r.c.status != "ok", r.c.calls), else_=0)),
            func.sum(r.c.input_tokens), func.sum(r.c.output_tokens), func.sum(r.c.characters),
            func.sum(r.c.audio_seconds), func.sum(r.c.session_minutes), func.sum(r.c.cost_micros),
            func.sum(r.c.costed_calls), func.sum(r.c.stored_calls), hex_concat(r.c.latency_hist, conn.dialect.name),
        ).select_from(source).where(*where).group_by(*rkeys)
        for row in conn.execute(sums):
            gid = groups.at(tuple(row[:n]))
            groups.sums[gid].add_sums(
                [None if v is None else (float(v) if i in (5, 6) else int(v)) for i, v in enumerate(row[n:-1])])
            groups.blob_groups.append(gid)
            groups.blobs.append(bytes.fromhex(row[-1] or ""))
        versions.update(v for (v,) in conn.execute(select(r.c.price_table).where(*where, r.c.price_table != "")
                                                   .distinct()))

    # 2. The open edge from the raw table: partial periods at both ends, and rows above the watermark.
    dialect = conn.dialect.name
    parts: list[list[Any]] = []
    if start is not None and lo is not None and start < lo:
        parts.append(_filters(log, start, lo, exclude_tags, services, dialect))
    if end is not None and hi is not None and hi < end:
        parts.append(_filters(log, hi, end, exclude_tags, services, dialect))
    parts.append([log.c.id > watermark, *_filters(log, lo, hi, exclude_tags, services, dialect,
                                                   time_index=False)])
    raw_keys: list[Any] = []
    join_users = False
    for i, k in enumerate(keys):
        expr, needs = _key(k, log, users, dialect)
        raw_keys.append(expr.label(f"k{i}"))
        join_users = join_users or needs
    from_ = log.outerjoin(users, users.c.id == log.c.user_id) if join_users else None
    for part in parts:
        stmt = agg_select(log, table, [*raw_keys, func.coalesce(log.c.price_table, "")], part, from_)
        for key, group in fold(conn.execute(stmt), n + 1):
            if key[n]:
                versions.add(str(key[n]))
            gid = groups.at(tuple(key[:n]))
            groups.sums[gid].add_sums(group.sums)
            groups.edge_groups.extend([gid] * len(group.latencies))
            groups.edge_values.extend(group.latencies)
            groups.edge_counts.extend(group.counts)
    return groups, versions


def _rollup_state(conn: Connection, table: PriceTable) -> tuple[int | None, str | None]:
    """``(watermark, None)`` when the rollups can answer with ``table``'s prices, else ``(None, why)``."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    _r, state = rollup_tables()
    try:
        row = conn.execute(select(state.c.last_id, state.c.price_table, state.c.price_fingerprint)
                           .where(state.c.id == 1)).first()
    except SQLAlchemyError:
        conn.rollback()
        return None, "no rollup tables (`tinytalk db upgrade` adds them): computed from raw rows"
    if row is None or not row.last_id:
        return None, "no rollups yet (`tinytalk usage rollup`): computed from raw rows"
    if row.price_fingerprint != price_fingerprint(table):
        return None, (f"rollups were priced with table {row.price_table} (or laid out by an older toolkit), this "
                      f"report uses other prices ({table.version}): computed from raw rows; `tinytalk usage "
                      f"rollup` rebuilds them")
    return int(row.last_id), None


def _from_rollups(engine: Engine, keys: Sequence[str], *, start: dt.datetime | None, end: dt.datetime | None,
                  exclude_tags: Sequence[str], services: Sequence[str] | None, table: PriceTable
                  ) -> tuple[_Groups, set[str], int, dict[Any, str]] | str:
    """The groups from rollups + open edge, or the reason the raw path must answer instead."""
    plan = _plan(keys, start, end)
    if plan is None:
        return f"the range holds no whole {'day' if _by_user(keys) else 'hour'}: computed from raw rows"
    segments, lo, hi = plan
    with _reading(engine) as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # one snapshot for the watermark, the rollups and the edge
        lift_concat_limit(conn)
        watermark, why = _rollup_state(conn, table)
        if watermark is None:
            return why or "no rollups"
        groups, versions = _collect(conn, keys, start=start, end=end, exclude_tags=exclude_tags,
                                    services=services, table=table, watermark=watermark, segments=segments,
                                    lo=lo, hi=hi)
        labels: dict[Any, str] = {}
        if "user" in keys:
            _log, users = _tables()
            labels = email_labels(conn, users, sorted(k[0] for k in groups.index if k[0] is not None))
    return groups, versions, watermark, labels


def usage_report(
    engine: Engine,
    *,
    by: str = "service",
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    exclude_tags: Sequence[str] = (),
    services: Sequence[str] | None = None,
    price_table: PriceTable | None = None,
    exact: bool = False,
) -> UsageReport:
    """Calls, errors, tokens, characters, audio minutes, latency p50/p95/p99 and cost per group.

    From rollups where they can answer (percentiles within 2 %), else — or with ``exact=True`` — from one
    exact pass over the raw rows. ``report.source`` / ``source_note`` say which and why.
    """
    from .histogram import MAX_RELATIVE_ERROR

    if by not in GROUPINGS:
        raise ValidationError(f"--by '{by}': choose one of {', '.join(GROUPINGS)}")
    table = price_table or load_price_table()
    why = "--exact: computed from raw rows"
    if not exact:
        found = _from_rollups(engine, (by,), start=start, end=end, exclude_tags=exclude_tags, services=services,
                              table=table)
        if not isinstance(found, str):
            groups, versions, watermark, labels = found
            report = UsageReport(
                by=by, start=start, end=end, price_table=table.version, price_table_source=table.source,
                stored_price_tables=sorted(versions), excluded_tags=list(exclude_tags), source="rollups",
                watermark=watermark, percentile_error=MAX_RELATIVE_ERROR,
            )
            pcts = groups.percentiles()
            for key in sorted(groups.index, key=lambda k: sort_key(k[0])):
                gid = groups.index[key]
                p50, p95, p99 = pcts[gid]
                report.rows.append(make_row(by, key[0], groups.sums[gid].as_dict(), p50, p95, p99,
                                            labels.get(key[0])))
            fill_totals(report)
            return report
        why = found
    report = raw_report(engine, by=by, start=start, end=end, exclude_tags=exclude_tags, services=services,
                        price_table=table)
    report.source_note = why
    return report


def cost_by_day(
    engine: Engine,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    exclude_tags: Sequence[str] = (),
    price_table: PriceTable | None = None,
    exact: bool = False,
) -> list[dict[str, Any]]:
    """``[{"day": "2026-11-01", "service": "openai", "cost_usd": Decimal}]`` for charts (rollups when they
    can answer, like :func:`usage_report`)."""
    table = price_table or load_price_table()
    if not exact:
        found = _from_rollups(engine, ("day", "service"), start=start, end=end, exclude_tags=exclude_tags,
                              services=None, table=table)
        if not isinstance(found, str):
            groups = found[0]
            return [{"day": day, "service": service,
                     "cost_usd": usd(groups.sums[groups.index[(day, service)]].as_dict()["cost_micros"])}
                    for day, service in sorted(groups.index, key=lambda k: (sort_key(k[0]), sort_key(k[1])))]
    return raw_cost_by_day(engine, start=start, end=end, exclude_tags=exclude_tags, price_table=table)
