"""The SQL both report paths share: tables, filters, group keys, and the price table as a SQL ``CASE``.

Cost: a row's stored ``cost_usd`` (estimated when the call was logged, with the table version in
``price_table``) wins; rows without one are priced in SQL from the current price table (a ``CASE`` over
service and model built from :class:`~tinytalk_sdk.pricing.PriceTable`). Costs are summed as integer
micro-dollars (each row's cost is already rounded to 6 decimals): exact on SQLite too, where ``NUMERIC`` is a
float, so raw, rollup and DuckDB totals agree to the last digit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from ..._exceptions import DatabaseError, ValidationError
from ..._redact import redact
from ...pricing import PriceTable, Rates

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Connection, Engine, Table

GROUPINGS = ("service", "day", "user", "school", "model")
USAGE_EXPORT_COLUMNS = (
    "id", "created_at", "service", "operation", "model", "user_id", "session_id", "input_tokens",
    "output_tokens", "characters", "audio_seconds", "session_minutes", "latency_ms", "ttfb_ms", "status",
    "http_status", "error_code", "cost_usd", "price_table", "request_id", "tag",
)
_SIX = Decimal("0.000001")
MICROS = 1_000_000


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

    from ...db.models import ApiUsageLog, User

    return cast(Table, ApiUsageLog.__table__), cast(Table, User.__table__)


def rollup_tables() -> tuple[Table, Table]:
    """``(api_usage_rollups, api_usage_rollup_state)``."""
    from sqlalchemy import Table

    from ...db.models import ApiUsageRollup, ApiUsageRollupState

    return cast(Table, ApiUsageRollup.__table__), cast(Table, ApiUsageRollupState.__table__)


# Bumped when what the rollup rows mean changes (2: the per-user blocks above ``uday``): it is part of the
# fingerprint, so rollups of an older layout are never read, and the next ``usage rollup`` rebuilds them.
ROLLUP_LAYOUT = 2


def price_fingerprint(table: PriceTable) -> str:
    """A digest of every rate and of :data:`ROLLUP_LAYOUT`: rollups built under one are only read by reports
    on the same prices and layout."""
    parts = [f"layout {ROLLUP_LAYOUT}", table.version, table.currency]
    for service in sorted(table.rates):
        for model in sorted(table.rates[service]):
            parts.append(f"{service}/{model}={table.rates[service][model]!r}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def hex_concat(column: Any, dialect: str) -> ColumnElement[Any]:
    """The ``GROUP_CONCAT`` of ``column``'s bytes as hex (which both engines' GROUP_CONCAT carry intact), so a
    group's stored histograms travel as one value. MariaDB caps it at ``group_concat_max_len``: lift it on the
    connection (:func:`lift_concat_limit`)."""
    from sqlalchemy import func, literal_column

    if dialect == "sqlite":
        return func.group_concat(func.hex(column), "")
    table = column.table.name
    return literal_column(f"GROUP_CONCAT(HEX({table}.{column.name}) SEPARATOR '')")


def lift_concat_limit(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":  # the 1 MB default would cut a group's histograms short
        conn.exec_driver_sql("SET SESSION group_concat_max_len = 4294967295")


_COST_SQL: dict[tuple[int, str], Any] = {}


def cost_sql(log: Table, table: PriceTable) -> ColumnElement[Any]:
    """A row's cost: stored, else priced from ``table`` (NULL when neither). Built once per price table: the
    ``CASE`` has a branch per model, and reports build it several times."""
    from sqlalchemy import func

    key = (id(log), price_fingerprint(table))
    found = _COST_SQL.get(key)
    if found is None:
        if len(_COST_SQL) > 16:
            _COST_SQL.clear()
        found = _COST_SQL[key] = func.coalesce(log.c.cost_usd, price_sql(log, table))
    return cast("ColumnElement[Any]", found)


def micros_sql(cost: Any) -> ColumnElement[Any]:
    """``cost`` (rounded to 6 decimals) as integer micro-dollars: ``SUM`` over it is exact on every engine."""
    from sqlalchemy import BigInteger, func
    from sqlalchemy import cast as sql_cast

    return sql_cast(func.round(cost * MICROS), BigInteger)


def usd(micros: Any) -> Decimal:
    return (Decimal(int(micros or 0)) / MICROS).quantize(_SIX)


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


def _instant(value: dt.datetime, dialect: str) -> Any:
    """A time bound for ``created_at``. SQLite compares times as text, and PHP-made rows carry no fraction
    (``'… 08:00:00'``) or a short one (``'.000'``), which sort *before* SQLAlchemy's ``'… 08:00:00.000000'``:
    a whole-second bound is given without a fraction, so every spelling of that instant falls on the same side
    (and on the side ``strftime`` puts it, as the rollups do)."""
    if dialect == "sqlite" and value.microsecond == 0:
        from sqlalchemy import String, literal

        return literal(_text(value), String)
    return value


def _text(value: dt.datetime) -> str:
    """``value`` as SQLite holds it (SQLAlchemy's format), a whole second without a fraction (see _instant)."""
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S") + (f".{value.microsecond:06d}" if value.microsecond else "")


def _filters(
    log: Table, start: dt.datetime | None, end: dt.datetime | None, exclude_tags: Sequence[str],
    services: Sequence[str] | None, dialect: str = "", *, time_index: bool = True,
) -> list[Any]:
    """WHERE conditions. ``time_index=False`` keeps SQLite off the ``created_at`` index when another
    condition is far narrower (``id > watermark``): its planner would otherwise walk the whole time range."""
    from sqlalchemy import String, literal, or_

    conds: list[Any] = []
    created: Any = log.c.created_at
    if dialect == "sqlite" and not time_index:
        created = log.c.created_at.op("||", return_type=String)(literal(""))
        if start is not None:
            conds.append(created >= literal(_text(start), String))
        if end is not None:
            conds.append(created < literal(_text(end), String))
    else:
        if start is not None:
            conds.append(created >= _instant(start, dialect))
        if end is not None:
            conds.append(created < _instant(end, dialect))
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


