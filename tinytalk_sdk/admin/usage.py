"""Usage and cost reports over ``api_usage_logs``, computed in SQL on MariaDB and SQLite alike.

Aggregation is a ``GROUP BY`` in the database, never a loop over rows in Python. Latency percentiles use
window functions both databases have (MariaDB ≥ 10.2, SQLite ≥ 3.25): ``ROW_NUMBER()`` and ``COUNT(*)`` over
each group, and the nearest-rank percentile is the smallest latency whose rank satisfies
``rank * 100 >= p * n`` (integer arithmetic, so no ``CEIL`` which SQLite may lack).

Cost: a row's stored ``cost_usd`` (estimated when the call was logged, with the table version in
``price_table``) wins; rows without one are priced in SQL from the current price table (a ``CASE`` over
service and model built from :class:`~tinytalk_sdk.pricing.PriceTable`), so the report stays one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, cast

from .._exceptions import DatabaseError, ValidationError
from .._redact import redact
from ..csvsafe import csv_writer
from ..pricing import PriceTable, Rates, load_price_table

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Connection, Engine, Select, Table

__all__ = [
    "GROUPINGS",
    "USAGE_EXPORT_COLUMNS",
    "UsageReport",
    "cost_by_day",
    "export_usage",
    "usage_report",
]

GROUPINGS = ("service", "day", "user", "school", "model")
USAGE_EXPORT_COLUMNS = (
    "id", "created_at", "service", "operation", "model", "user_id", "session_id", "input_tokens",
    "output_tokens", "characters", "audio_seconds", "session_minutes", "latency_ms", "ttfb_ms", "status",
    "http_status", "error_code", "cost_usd", "price_table", "request_id", "tag",
)
_SIX = Decimal("0.000001")


@dataclass
class UsageReport:
    """One report: rows per group, totals, and the price table that filled missing costs."""

    by: str
    start: dt.datetime | None
    end: dt.datetime | None
    price_table: str
    price_table_source: str
    stored_price_tables: list[str] = field(default_factory=list)
    excluded_tags: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "from": self.start,
            "to": self.end,
            "price_table": {"version": self.price_table, "source": self.price_table_source,
                            "stored_versions": self.stored_price_tables},
            "excluded_tags": self.excluded_tags,
            "rows": self.rows,
            "totals": self.totals,
        }


@contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    """A connection for read-only queries; driver errors become :class:`DatabaseError` (no secrets)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            yield conn
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        detail = (str(orig) if orig is not None else str(exc)).splitlines()[0]
        # the migration hint only fits a missing table, not a server that does not answer
        missing_table = "no such table" in detail or "doesn't exist" in detail
        raise DatabaseError(f"database {engine.url.render_as_string(hide_password=True)}: {redact(detail)}",
                            hint="`tinytalk db upgrade` creates missing tables" if missing_table else None) from None


def _tables() -> tuple[Table, Table]:
    from sqlalchemy import Table

    from ..db.models import ApiUsageLog, User

    return cast(Table, ApiUsageLog.__table__), cast(Table, User.__table__)


def _num(value: Decimal) -> Any:
    from sqlalchemy import literal_column

    # A literal with a decimal point: exact DECIMAL arithmetic on MariaDB, and never SQLite integer division.
    text = format(value.normalize(), "f")
    return literal_column(text if "." in text else text + ".0")


def _rate_sql(log: Table, rates: Rates) -> ColumnElement[Any]:
    from sqlalchemy import case, func

    def z(col: Any) -> Any:
        return func.coalesce(col, 0)

    parts: list[Any] = []
    if rates.input_per_1m_tokens is not None:
        parts.append(z(log.c.input_tokens) * _num(rates.input_per_1m_tokens / 1_000_000))
    if rates.output_per_1m_tokens is not None:
        parts.append(z(log.c.output_tokens) * _num(rates.output_per_1m_tokens / 1_000_000))
    if rates.per_audio_minute is not None:
        audio = z(log.c.audio_seconds) * _num((rates.per_audio_minute / 60).quantize(Decimal("1e-12")))
        if rates.has_token_prices:  # same rule as Rates.cost: minutes only when the row has no tokens
            audio = case((z(log.c.input_tokens) + z(log.c.output_tokens) > 0, _num(Decimal(0))), else_=audio)
        parts.append(audio)
    if rates.per_1k_characters is not None:
        parts.append(z(log.c.characters) * _num(rates.per_1k_characters / 1000))
    per_minute = rates.session_minute_price  # credits (LiveAvatar) folded in, as Rates.cost does
    if per_minute is not None:
        minutes: Any = log.c.session_minutes
        if rates.min_session_minutes is not None:
            minimum = _num(rates.min_session_minutes)
            minutes = case((log.c.session_minutes < minimum, minimum), else_=log.c.session_minutes)
        parts.append(case((log.c.session_minutes > 0, minutes * _num(per_minute)),
                          else_=_num(Decimal(0))))
    if not parts:
        return cast("ColumnElement[Any]", _num(Decimal(0)))
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return cast("ColumnElement[Any]", func.round(total, 6))


def _like_prefix(model: str) -> str:
    return model.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%"


def price_sql(log: Table, table: PriceTable) -> ColumnElement[Any]:
    """A SQL expression giving a row's cost from ``table`` (NULL for an unknown model): the SQL twin of
    :meth:`PriceTable.lookup` + :meth:`Rates.cost`."""
    from sqlalchemy import and_, case, null

    # Exact names first (cheap equality; most rows stop here), then dated snapshots by prefix, longest key
    # first, then each service's "*" fallback: the same order of precedence as PriceTable.lookup.
    exact: list[tuple[Any, Any]] = []
    prefix: list[tuple[Any, Any]] = []
    fallback: list[tuple[Any, Any]] = []
    for service, models in table.rates.items():
        for model in sorted((m for m in models if m != "*"), key=len, reverse=True):
            rate = _rate_sql(log, models[model])
            exact.append((and_(log.c.service == service, log.c.model == model), rate))
            prefix.append((and_(log.c.service == service, log.c.model.like(_like_prefix(model), escape="\\")), rate))
        if "*" in models:
            fallback.append((log.c.service == service, _rate_sql(log, models["*"])))
    whens = exact + prefix + fallback
    if not whens:
        return cast("ColumnElement[Any]", null())
    return case(*whens, else_=null())


def _filters(
    log: Table, start: dt.datetime | None, end: dt.datetime | None, exclude_tags: Sequence[str],
    services: Sequence[str] | None,
) -> list[Any]:
    from sqlalchemy import or_

    conds: list[Any] = []
    if start is not None:
        conds.append(log.c.created_at >= start)
    if end is not None:
        conds.append(log.c.created_at < end)
    if exclude_tags:
        conds.append(or_(log.c.tag.is_(None), log.c.tag.not_in(list(exclude_tags))))
    if services:
        conds.append(log.c.service.in_(list(services)))
    return conds


def _key(by: str, log: Table, users: Table, dialect: str = "") -> tuple[Any, bool]:
    """The GROUP BY expression for ``by`` and whether it needs ``users`` joined.

    On SQLite a bare indexed column makes the planner walk the (service, created_at) or (user_id, created_at)
    index to avoid a sort, fetching every row through it: five times slower than a table scan and a
    temporary B-tree over a million rows. Wrapping the column in a no-op expression keeps the scan.
    """
    from sqlalchemy import func

    if by == "service":
        return (log.c.service.concat("") if dialect == "sqlite" else log.c.service), False
    if by == "model":
        return func.coalesce(log.c.model, ""), False
    if by == "day":
        return func.date(log.c.created_at), False
    if by == "user":
        return (log.c.user_id + 0 if dialect == "sqlite" else log.c.user_id), False
    if by == "school":
        return func.coalesce(users.c.school, ""), True
    raise ValidationError(f"--by '{by}': choose one of {', '.join(GROUPINGS)}")


def _dec(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(_SIX)


def _int(value: Any) -> int:
    return int(value or 0)


def _day(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def usage_report(
    engine: Engine,
    *,
    by: str = "service",
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    exclude_tags: Sequence[str] = (),
    services: Sequence[str] | None = None,
    price_table: PriceTable | None = None,
) -> UsageReport:
    """Calls, errors, tokens, characters, audio minutes, latency p50/p95 and cost per group, in SQL."""
    from sqlalchemy import Float, and_, case, func, select, type_coerce

    log, users = _tables()
    table = price_table or load_price_table()
    key, join_users = _key(by, log, users, engine.dialect.name)
    conds = _filters(log, start, end, exclude_tags, services)
    where = and_(*conds) if conds else None

    def base(stmt: Select[Any]) -> Select[Any]:
        if join_users:
            stmt = stmt.select_from(log.outerjoin(users, users.c.id == log.c.user_id))
        else:
            stmt = stmt.select_from(log)
        return stmt.where(where) if where is not None else stmt

    estimated = price_sql(log, table)
    cost = func.coalesce(log.c.cost_usd, estimated)
    agg = base(
        select(
            key.label("k"),
            func.count().label("calls"),
            func.sum(case((log.c.status != "ok", 1), else_=0)).label("errors"),
            func.sum(log.c.input_tokens).label("input_tokens"),
            func.sum(log.c.output_tokens).label("output_tokens"),
            func.sum(log.c.characters).label("characters"),
            type_coerce(func.sum(log.c.audio_seconds), Float).label("audio_seconds"),
            type_coerce(func.sum(log.c.session_minutes), Float).label("session_minutes"),
            type_coerce(func.sum(cost), Float).label("cost"),
            # counts rather than CASEs over `cost`: SQLite would evaluate the price CASE once per mention
            func.count(cost).label("costed"),
            func.count(log.c.cost_usd).label("stored"),
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
        func.min(case((ranked.c.rn * 100 >= ranked.c.n * 50, ranked.c.latency))).label("p50"),
        func.min(case((ranked.c.rn * 100 >= ranked.c.n * 95, ranked.c.latency))).label("p95"),
    ).group_by(ranked.c.k)

    versions_stmt = base(select(log.c.price_table).where(log.c.price_table.is_not(None)).distinct())

    with _reading(engine) as conn:
        agg_rows = conn.execute(agg).all()
        pct_rows = {r.k: (r.p50, r.p95) for r in conn.execute(pct)}
        stored = sorted(str(v) for (v,) in conn.execute(versions_stmt))
        labels: dict[Any, str] = {}
        if by == "user":
            ids = [r.k for r in agg_rows if r.k is not None]
            for start_i in range(0, len(ids), 500):
                chunk = ids[start_i : start_i + 500]
                for uid, email in conn.execute(select(users.c.id, users.c.email).where(users.c.id.in_(chunk))):
                    labels[uid] = email

    report = UsageReport(
        by=by, start=start, end=end, price_table=table.version, price_table_source=table.source,
        stored_price_tables=stored, excluded_tags=list(exclude_tags),
    )
    for r in agg_rows:
        p50, p95 = pct_rows.get(r.k, (None, None))
        key_value: Any = _day(r.k) if by == "day" else r.k
        row: dict[str, Any] = {by: key_value}
        if by == "user":
            row["email"] = labels.get(r.k)
        row.update(
            calls=_int(r.calls),
            errors=_int(r.errors),
            input_tokens=_int(r.input_tokens),
            output_tokens=_int(r.output_tokens),
            characters=_int(r.characters),
            audio_minutes=round(float(r.audio_seconds or 0) / 60, 3),
            session_minutes=round(float(r.session_minutes or 0), 3),
            latency_p50_ms=None if p50 is None else int(p50),
            latency_p95_ms=None if p95 is None else int(p95),
            cost_usd=_dec(r.cost) or Decimal("0.000000"),
            estimated_calls=_int(r.costed) - _int(r.stored),
            uncosted_calls=_int(r.calls) - _int(r.costed),
        )
        report.rows.append(row)
    sums = ("calls", "errors", "input_tokens", "output_tokens", "characters", "estimated_calls", "uncosted_calls")
    report.totals = {k: sum(r[k] for r in report.rows) for k in sums}
    report.totals["audio_minutes"] = round(sum(r["audio_minutes"] for r in report.rows), 3)
    report.totals["session_minutes"] = round(sum(r["session_minutes"] for r in report.rows), 3)
    report.totals["cost_usd"] = sum((r["cost_usd"] for r in report.rows), Decimal("0.000000"))
    return report


def cost_by_day(
    engine: Engine,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    exclude_tags: Sequence[str] = (),
    price_table: PriceTable | None = None,
) -> list[dict[str, Any]]:
    """``[{"day": "2026-11-01", "service": "openai", "cost_usd": Decimal}]`` for charts, one GROUP BY."""
    from sqlalchemy import Float, and_, func, select, type_coerce

    log, _users = _tables()
    table = price_table or load_price_table()
    day = func.date(log.c.created_at)
    cost = func.coalesce(log.c.cost_usd, price_sql(log, table))
    stmt = select(day.label("day"), log.c.service, type_coerce(func.sum(cost), Float).label("cost"))
    conds = _filters(log, start, end, exclude_tags, None)
    if conds:
        stmt = stmt.where(and_(*conds))
    stmt = stmt.group_by(day, log.c.service).order_by(day, log.c.service)
    with _reading(engine) as conn:
        return [
            {"day": _day(r.day), "service": r.service, "cost_usd": _dec(r.cost) or Decimal("0.000000")}
            for r in conn.execute(stmt)
        ]


def _export_rows(
    engine: Engine, start: dt.datetime | None, end: dt.datetime | None, exclude_tags: Sequence[str]
) -> Iterator[Sequence[Any]]:
    from sqlalchemy import and_, select

    log, _users = _tables()
    stmt = select(*(log.c[c] for c in USAGE_EXPORT_COLUMNS)).order_by(log.c.id)
    conds = _filters(log, start, end, exclude_tags, None)
    if conds:
        stmt = stmt.where(and_(*conds))
    with _reading(engine) as conn:
        # stream_results: a server-side cursor on MariaDB, so memory stays flat on millions of rows
        result = conn.execution_options(stream_results=True, yield_per=5000).execute(stmt)
        yield from result


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return "" if value is None else value


def iter_usage(
    engine: Engine,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    exclude_tags: Sequence[str] = (),
) -> Iterator[dict[str, Any]]:
    """Yield raw ``api_usage_logs`` rows as dicts, streaming (constant memory)."""
    for row in _export_rows(engine, start, end, exclude_tags):
        yield dict(zip(USAGE_EXPORT_COLUMNS, row, strict=True))


def export_usage(
    engine: Engine,
    out: IO[str],
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    exclude_tags: Sequence[str] = (),
) -> int:
    """Stream ``api_usage_logs`` rows as CSV (header first). Returns the number of rows written."""
    writer = csv_writer(out)
    writer.writerow(USAGE_EXPORT_COLUMNS)
    count = 0
    rows: Iterable[Sequence[Any]] = _export_rows(engine, start, end, exclude_tags)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        count += 1
    return count
