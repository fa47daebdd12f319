"""``usage report`` from rollups: closed periods from ``api_usage_rollups``, the open edge from the raw table.

For a range ``[start, end)`` and a grain (``hour`` for service/model/day, ``day`` for user/school, whose
buckets carry the user), the whole periods ``[ceil(start), floor(end))`` are read from rollups, and from the
raw table only what rollups cannot hold: the partial periods at both ends, and rows with ``id`` above the
watermark (new rows, and late rows of old periods) inside the whole periods. Rollups are exactly the rows
``id <= watermark`` (rollup.py), so the parts never overlap or miss a row, and every sum equals the raw
computation. Percentiles come from the merged histograms (≤ 2 % relative error, histogram.py).

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
from ._agg import Group, agg_select, ceil_to, floor_to, fold
from ._model import UsageReport, fill_totals, make_row, sort_key
from ._sql import GROUPINGS, _day, _filters, _key, _reading, _tables, price_fingerprint, rollup_tables, usd
from .raw import PERCENTILES, email_labels, raw_cost_by_day, raw_report

if TYPE_CHECKING:
    import numpy as np
    from sqlalchemy import Connection, Engine, Table


def _grain(keys: Sequence[str]) -> str:
    return "day" if any(k in ("user", "school") for k in keys) else "hour"


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


class _Acc:
    """Sums, rollup histogram blobs and raw histograms of one report group."""

    __slots__ = ("blobs", "group", "hists")

    def __init__(self) -> None:
        self.group = Group()
        self.blobs: list[bytes] = []
        self.hists: list[np.ndarray] = []

    def percentiles(self) -> list[Any]:
        from .histogram import decode, percentiles

        hist = decode(self.blobs)
        for extra in self.hists:
            hist = hist + extra
        return percentiles(hist, PERCENTILES)


def _collect(conn: Connection, keys: Sequence[str], *, start: dt.datetime | None, end: dt.datetime | None,
             exclude_tags: Sequence[str], services: Sequence[str] | None, table: PriceTable,
             watermark: int, lo: dt.datetime | None, hi: dt.datetime | None
             ) -> tuple[dict[tuple[Any, ...], _Acc], set[str]]:
    from sqlalchemy import and_, case, func, or_, select

    log, users = _tables()
    r, _state = rollup_tables()
    groups: dict[tuple[Any, ...], _Acc] = {}
    versions: set[str] = set()

    def acc(raw_key: Sequence[Any]) -> _Acc:
        key = tuple(_norm(n, v) for n, v in zip(keys, raw_key, strict=True))
        found = groups.get(key)
        if found is None:
            found = groups[key] = _Acc()
        return found

    # 1. Whole periods from the rollups: sums in SQL, histograms as stored blobs.
    joined = any(k == "school" for k in keys)
    source = r.outerjoin(users, users.c.id == r.c.user_id) if joined else r
    rkeys = [_rollup_key(k, r, users).label(f"k{i}") for i, k in enumerate(keys)]
    conds: list[Any] = [r.c.grain == _grain(keys)]
    if lo is not None:
        conds.append(r.c.period_start >= lo)
    if hi is not None:
        conds.append(r.c.period_start < hi)
    if exclude_tags:
        conds.append(or_(r.c.tag == "", r.c.tag.not_in(list(exclude_tags))))
    if services:
        conds.append(r.c.service.in_(list(services)))
    where = and_(*conds)
    sums = select(
        *rkeys, func.sum(r.c.calls), func.sum(case((r.c.status != "ok", r.c.calls), else_=0)),
        func.sum(r.c.input_tokens), func.sum(r.c.output_tokens), func.sum(r.c.characters),
        func.sum(r.c.audio_seconds), func.sum(r.c.session_minutes), func.sum(r.c.cost_micros),
        func.sum(r.c.costed_calls), func.sum(r.c.stored_calls),
    ).select_from(source).where(where).group_by(*rkeys)
    n = len(keys)
    for row in conn.execute(sums):
        acc(row[:n]).group.add_sums([None if v is None else (float(v) if i in (5, 6) else int(v))
                                     for i, v in enumerate(row[n:])])
    for row in conn.execution_options(yield_per=10_000).execute(
            select(*rkeys, r.c.latency_hist).select_from(source).where(where)):
        acc(row[:n]).blobs.append(bytes(row[n]))
    versions.update(v for (v,) in conn.execute(select(r.c.price_table).where(where, r.c.price_table != "")
                                               .distinct()))

    # 2. The open edge from the raw table: partial periods at both ends, and rows above the watermark.
    parts: list[list[Any]] = []
    if start is not None and lo is not None and start < lo:
        parts.append(_filters(log, start, lo, exclude_tags, services))
    if end is not None and hi is not None and hi < end:
        parts.append(_filters(log, hi, end, exclude_tags, services))
    parts.append([log.c.id > watermark, *_filters(log, lo, hi, exclude_tags, services)])
    dialect = conn.dialect.name
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
            target = acc(key[:n])
            target.group.add_sums(group.sums)
            target.hists.append(group.hist())
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
        return None, (f"rollups were priced with table {row.price_table}, this report uses other prices "
                      f"({table.version}): computed from raw rows; `tinytalk usage rollup` re-prices them")
    return int(row.last_id), None


def _span(grain: str, start: dt.datetime | None, end: dt.datetime | None
          ) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    lo = ceil_to(grain, start) if start is not None else None
    hi = floor_to(grain, end) if end is not None else None
    if lo is not None and hi is not None and lo >= hi:
        return None
    return lo, hi


def _from_rollups(engine: Engine, keys: Sequence[str], *, start: dt.datetime | None, end: dt.datetime | None,
                  exclude_tags: Sequence[str], services: Sequence[str] | None, table: PriceTable
                  ) -> tuple[dict[tuple[Any, ...], _Acc], set[str], int, dict[Any, str]] | str:
    """The groups from rollups + open edge, or the reason the raw path must answer instead."""
    span = _span(_grain(keys), start, end)
    if span is None:
        return f"the range holds no whole {_grain(keys)}: computed from raw rows"
    with _reading(engine) as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # one snapshot for the watermark, the rollups and the edge
        watermark, why = _rollup_state(conn, table)
        if watermark is None:
            return why or "no rollups"
        groups, versions = _collect(conn, keys, start=start, end=end, exclude_tags=exclude_tags,
                                    services=services, table=table, watermark=watermark, lo=span[0], hi=span[1])
        labels: dict[Any, str] = {}
        if "user" in keys:
            _log, users = _tables()
            labels = email_labels(conn, users, sorted(k[0] for k in groups if k[0] is not None))
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
            for key in sorted(groups, key=lambda k: sort_key(k[0])):
                acc = groups[key]
                p50, p95, p99 = acc.percentiles()
                report.rows.append(make_row(by, key[0], acc.group.as_dict(), p50, p95, p99, labels.get(key[0])))
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
            return [{"day": day, "service": service, "cost_usd": usd(groups[(day, service)].group.as_dict()
                                                                        ["cost_micros"])}
                    for day, service in sorted(groups, key=lambda k: (sort_key(k[0]), sort_key(k[1])))]
    return raw_cost_by_day(engine, start=start, end=end, exclude_tags=exclude_tags, price_table=table)
