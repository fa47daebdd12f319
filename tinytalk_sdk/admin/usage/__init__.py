"""Usage and cost analytics over ``api_usage_logs`` (docs/usage-and-costs.md).

- :func:`usage_report` / :func:`cost_by_day`: from rollups where they can answer, else one exact SQL pass
  (``exact=True`` forces it) — ``report.py``, ``raw.py``;
- :func:`rollup`: keep ``api_usage_rollups`` fresh from an id watermark — ``rollup.py``;
  :class:`RollupThread` does it in the background of the local server — ``background.py``;
- :func:`export_usage` (CSV), :func:`iter_usage` (rows as dicts), :func:`export_parquet` (a month-partitioned
  Parquet dataset) — ``export.py``; :func:`duckdb_report`: the same report over such a dataset — ``duck.py``.
"""

from __future__ import annotations

from ._model import UsageReport
from ._sql import GROUPINGS, USAGE_EXPORT_COLUMNS, _reading
from .background import RollupThread
from .duck import duckdb_report
from .export import ParquetExport, export_parquet, export_usage, iter_usage
from .report import cost_by_day, usage_report
from .rollup import RollupResult, rollup

__all__ = [
    "GROUPINGS",
    "USAGE_EXPORT_COLUMNS",
    "ParquetExport",
    "RollupResult",
    "RollupThread",
    "UsageReport",
    "cost_by_day",
    "duckdb_report",
    "export_parquet",
    "export_usage",
    "iter_usage",
    "rollup",
    "usage_report",
]

_ = _reading  # the dashboard reads through the same connection helper
