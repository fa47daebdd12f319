"""The exact report: one pass over ``api_usage_logs`` in SQL (``usage report --exact``, and the fallback).

Aggregation is a ``GROUP BY`` in the database, never a loop over rows in Python. Latency percentiles use
window functions both databases have (MariaDB ≥ 10.2, SQLite ≥ 3.25): ``ROW_NUMBER()`` and ``COUNT(*)`` over
each group, and the nearest-rank percentile is the smallest latency whose rank satisfies
``rank * 100 >= p * n`` (integer arithmetic, so no ``CEIL`` which SQLite may lack).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ...pricing import PriceTable, load_price_table
from ._agg import sum_columns
from ._model import UsageReport, fill_totals, make_row
from ._sql import _day, _filters, _key, _reading, _tables, cost_sql, micros_sql, usd

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, Select, Table

PERCENTILES = (50, 95, 99)


def email_labels(conn: Connection, users: Table, ids: Iterable[Any]) -> dict[Any, str]:
    """``{user id: email}`` for the ids that exist, 500 per query."""
    from sqlalchemy import select

    wanted = [i for i in ids if i is not None]
    labels: dict[Any, str] = {}
    for start_i in range(0, len(wanted), 500):
        chunk = wanted[start_i : start_i + 500]
        for uid, email in conn.execute(select(users.c.id, users.c.email).where(users.c.id.in_(chunk))):
            labels[uid] = email
    return labels


def raw_statements(
    by: str, *, start: dt.datetime | None, end: dt.datetime | None, exclude_tags: Sequence[str],
    services: Sequence[str] | None, table: PriceTable, dialect: str,
) -> tuple[Select[Any], Select[Any], Select[Any]]:
    """The exact report's three statements: sums per group, percentiles per group, stored price tables.
    Plain SQL any engine with window functions runs (the DuckDB path compiles them too)."""
    from sqlalchemy import and_, case, func, select

    log, users = _tables()
    key, join_users = _key(by, log, users, dialect)
    conds = _filters(log, start, end, exclude_tags, services, dialect)
    where = and_(*conds) if conds else None

    def base(stmt: Select[Any]) -> Select[Any]:
        if join_users:
            stmt = stmt.select_from(log.outerjoin(users, users.c.id == log.c.user_id))
        else:
            stmt = stmt.select_from(log)
        return stmt.where(where) if where is not None else stmt

    cost = cost_sql(log, table)
    agg = base(
        select(
            key.label("k"),
            *sum_columns(log, cost),
        ).group_by(key)
    ).order_by(key)

    # Percentiles: rank latencies inside each group (window functions), then pick by nearest rank.
    ranked = base(
        select(
            key.label("k"),
            log.c.latency_ms.label("latency"),
            func.row_number().over(partition_by=key, order_by=log.c.latency_ms).label("rn"),
            func.count().over(partition_by=key).label("n"),
        ).where(log.c.latency_ms.is_not(None))
    ).subquery("ranked")
    pct = select(
        ranked.c.k,
        *(func.min(case((ranked.c.rn * 100 >= ranked.c.n * p, ranked.c.latency))).label(f"p{p}")
          for p in PERCENTILES),
    ).group_by(ranked.c.k)

    versions = base(select(log.c.price_table).where(log.c.price_table.is_not(None)).distinct())
    return agg, pct, versions


def build_report(by: str, start: dt.datetime | None, end: dt.datetime | None, exclude_tags: Sequence[str],
                 table: PriceTable, agg_rows: Iterable[dict[str, Any]], pct_rows: dict[Any, tuple[Any, ...]],
                 stored: list[str], labels: dict[Any, str]) -> UsageReport:
    report = UsageReport(
        by=by, start=start, end=end, price_table=table.version, price_table_source=table.source,
        stored_price_tables=stored, excluded_tags=list(exclude_tags),
    )
    for r in agg_rows:
        p50, p95, p99 = pct_rows.get(r["k"], (None, None, None))
        report.rows.append(make_row(by, r["k"], r, p50, p95, p99, labels.get(r["k"])))
    fill_totals(report)
    return report


def raw_report(
    engine: Engine,
    *,
    by: str = "service",
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    exclude_tags: Sequence[str] = (),
    services: Sequence[str] | None = None,
    price_table: PriceTable | None = None,
) -> UsageReport:
    """Calls, errors, tokens, characters, audio minutes, exact latency p50/p95/p99 and cost per group."""
    table = price_table or load_price_table()
    agg, pct, versions_stmt = raw_statements(by, start=start, end=end, exclude_tags=exclude_tags,
                                             services=services, table=table, dialect=engine.dialect.name)
    _log, users = _tables()
    with _reading(engine) as conn:
        agg_rows = [dict(r._mapping) for r in conn.execute(agg)]
        pct_rows = {r.k: (r.p50, r.p95, r.p99) for r in conn.execute(pct)}
        stored = sorted(str(v) for (v,) in conn.execute(versions_stmt))
        labels = email_labels(conn, users, (r["k"] for r in agg_rows)) if by == "user" else {}
    return build_report(by, start, end, exclude_tags, table, agg_rows, pct_rows, stored, labels)


def raw_cost_by_day(
    engine: Engine,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    exclude_tags: Sequence[str] = (),
    price_table: PriceTable | None = None,
) -> list[dict[str, Any]]:
    """``[{"day": "2026-11-01", "service": "openai", "cost_usd": Decimal}]`` for charts, one GROUP BY."""
    from sqlalchemy import and_, func, select

    log, _users = _tables()
    table = price_table or load_price_table()
    day = func.date(log.c.created_at)
    stmt = select(day.label("day"), log.c.service, func.sum(micros_sql(cost_sql(log, table))).label("cost"))
    conds = _filters(log, start, end, exclude_tags, None, engine.dialect.name)
    if conds:
        stmt = stmt.where(and_(*conds))
    stmt = stmt.group_by(day, log.c.service).order_by(day, log.c.service)
    with _reading(engine) as conn:
        return [{"day": _day(r.day), "service": r.service, "cost_usd": usd(r.cost)} for r in conn.execute(stmt)]
