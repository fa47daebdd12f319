"""``usage report --engine duckdb --from-parquet DIR``: the exact report over a Parquet export, in DuckDB.

The statements are the raw SQL path's own (raw.py), compiled to plain SQL text with the prices inlined, and
run against views named like the tables: ``api_usage_logs`` over ``DIR/month=*/…parquet`` and ``users`` made
of the export's ``(user_id, school)``. So the numbers are the SQL path's, by construction and by test.
DuckDB is an optional extra (``pip install 'tinytalk[warehouse]'``), imported only here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._exceptions import ConfigError, ValidationError
from ...pricing import PriceTable, load_price_table
from ._model import UsageReport
from ._sql import GROUPINGS, _reading, _tables
from .export import WAREHOUSE_HINT
from .raw import build_report, email_labels, raw_statements

if TYPE_CHECKING:
    from sqlalchemy import Engine, Select


def _sql(stmt: Select[Any]) -> str:
    from sqlalchemy.dialects import postgresql

    # PostgreSQL's spelling is DuckDB's; "named" so '%' in LIKE patterns is not doubled for a driver.
    return str(stmt.compile(dialect=postgresql.dialect(paramstyle="named"),
                            compile_kwargs={"literal_binds": True}))


def _connect(folder: Path) -> Any:
    try:
        import duckdb
    except ImportError:
        raise ConfigError("--engine duckdb needs the duckdb package, which is not installed",
                          hint=WAREHOUSE_HINT) from None
    if not folder.is_dir() or not any(folder.glob("**/*.parquet")):
        raise ValidationError(f"--from-parquet {folder}: no .parquet files there (make them with "
                              "`tinytalk usage export --format parquet -o DIR`)")
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    pattern = str(folder / "**" / "*.parquet").replace("'", "''")
    # created_at as naive UTC, the same values the SQL path compares against.
    con.execute("CREATE VIEW api_usage_logs AS SELECT * EXCLUDE (created_at, month), "
                "CAST(created_at AS TIMESTAMP) AS created_at "
                f"FROM read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)")
    con.execute("CREATE VIEW users AS SELECT DISTINCT user_id AS id, school, CAST(NULL AS VARCHAR) AS email "
                "FROM api_usage_logs WHERE user_id IS NOT NULL")
    return con


def duckdb_report(
    parquet_dir: str | Path,
    *,
    by: str = "service",
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    exclude_tags: Sequence[str] = (),
    services: Sequence[str] | None = None,
    price_table: PriceTable | None = None,
    labels_engine: Engine | None = None,
) -> UsageReport:
    """The usage report computed by DuckDB over a Parquet export (exact percentiles, like ``--exact``).

    The export has no e-mails; with ``labels_engine`` the ``--by user`` rows are labelled from that database.
    """
    if by not in GROUPINGS:
        raise ValidationError(f"--by '{by}': choose one of {', '.join(GROUPINGS)}")
    table = price_table or load_price_table()
    con = _connect(Path(parquet_dir))
    try:
        agg, pct, versions = raw_statements(by, start=start, end=end, exclude_tags=exclude_tags,
                                            services=services, table=table, dialect="duckdb")
        cur = con.execute(_sql(agg))
        names = [d[0] for d in cur.description]
        agg_rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        pct_rows = {row[0]: tuple(row[1:]) for row in con.execute(_sql(pct)).fetchall()}
        stored = sorted(str(v) for (v,) in con.execute(_sql(versions)).fetchall())
    finally:
        con.close()
    labels: dict[Any, str] = {}
    if by == "user" and labels_engine is not None:
        _log, users = _tables()
        with _reading(labels_engine) as conn:
            labels = email_labels(conn, users, (r["k"] for r in agg_rows))
    report = build_report(by, start, end, exclude_tags, table, agg_rows, pct_rows, stored, labels)
    report.source = "duckdb"
    report.source_note = f"DuckDB over {parquet_dir}"
    return report
