"""The report every path returns (raw SQL, rollups, DuckDB), and the arithmetic that turns sums into its rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ._sql import _day, _int, usd

# The sums every path computes per group, by these names.
METRIC_SUMS = ("calls", "errors", "input_tokens", "output_tokens", "characters", "audio_seconds",
               "session_minutes", "cost_micros", "costed", "stored")


@dataclass
class UsageReport:
    """One report: rows per group, totals, the price table that filled missing costs, and where it came from.

    ``source`` is ``raw`` (one SQL pass over api_usage_logs, exact percentiles), ``rollups`` (closed periods
    from api_usage_rollups, the open edge from the raw table; percentiles within ``percentile_error``) or
    ``duckdb`` (a Parquet export).
    """

    by: str
    start: dt.datetime | None
    end: dt.datetime | None
    price_table: str
    price_table_source: str
    stored_price_tables: list[str] = field(default_factory=list)
    excluded_tags: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    source: str = "raw"
    source_note: str | None = None
    watermark: int | None = None
    percentile_error: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "from": self.start,
            "to": self.end,
            "price_table": {"version": self.price_table, "source": self.price_table_source,
                            "stored_versions": self.stored_price_tables},
            "excluded_tags": self.excluded_tags,
            "source": {"engine": self.source, "note": self.source_note, "rollup_watermark": self.watermark,
                       "percentile_max_relative_error": self.percentile_error},
            "rows": self.rows,
            "totals": self.totals,
        }


def make_row(by: str, key: Any, sums: dict[str, Any], p50: Any, p95: Any, p99: Any,
             email: str | None = None) -> dict[str, Any]:
    """One report row from a group's sums (the ``METRIC_SUMS`` names) and its percentiles."""
    row: dict[str, Any] = {by: _day(key) if by == "day" and key is not None else key}
    if by == "user":
        row["email"] = email
    calls = _int(sums.get("calls"))
    row.update(
        calls=calls,
        errors=_int(sums.get("errors")),
        input_tokens=_int(sums.get("input_tokens")),
        output_tokens=_int(sums.get("output_tokens")),
        characters=_int(sums.get("characters")),
        audio_minutes=round(float(sums.get("audio_seconds") or 0) / 60, 3),
        session_minutes=round(float(sums.get("session_minutes") or 0), 3),
        latency_p50_ms=None if p50 is None else int(p50),
        latency_p95_ms=None if p95 is None else int(p95),
        latency_p99_ms=None if p99 is None else int(p99),
        cost_usd=usd(sums.get("cost_micros")),
        estimated_calls=_int(sums.get("costed")) - _int(sums.get("stored")),
        uncosted_calls=calls - _int(sums.get("costed")),
    )
    return row


def fill_totals(report: UsageReport) -> None:
    from decimal import Decimal

    sums = ("calls", "errors", "input_tokens", "output_tokens", "characters", "estimated_calls", "uncosted_calls")
    report.totals = {k: sum(r[k] for r in report.rows) for k in sums}
    report.totals["audio_minutes"] = round(sum(r["audio_minutes"] for r in report.rows), 3)
    report.totals["session_minutes"] = round(sum(r["session_minutes"] for r in report.rows), 3)
    report.totals["cost_usd"] = sum((r["cost_usd"] for r in report.rows), Decimal("0.000000"))


def sort_key(value: Any) -> tuple[int, Any]:
    """Groups in the order the raw query's ``ORDER BY`` gives them on SQLite: NULL first, then by value."""
    return (0, "") if value is None else (1, value)
