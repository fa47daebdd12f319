"""Raw ``api_usage_logs`` rows out: CSV or JSON streams, and a Parquet dataset for warehouses.

Every path streams (a server-side cursor on MariaDB, ``yield_per``), so memory stays flat on millions of rows.
The Parquet dataset is hive-partitioned by month (``month=2026-11/part-00000.parquet``) with typed columns,
written into a temporary sibling folder and renamed into place, so a reader never sees half an export.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..._exceptions import ConfigError, ValidationError
from ...csvsafe import csv_writer
from ._sql import _SIX, USAGE_EXPORT_COLUMNS, _filters, _reading, _tables

if TYPE_CHECKING:
    from sqlalchemy import Engine

# The Parquet file carries the pupil's school (joined at export time) so a warehouse can group by school
# without the users table; e-mails stay out (personal data does not belong in an analytics export).
PARQUET_COLUMNS = (*USAGE_EXPORT_COLUMNS, "school")
WAREHOUSE_HINT = "install the warehouse extra: pip install 'tinytalk[warehouse]' (pyarrow, duckdb)"


def _export_rows(
    engine: Engine, start: dt.datetime | None, end: dt.datetime | None, exclude_tags: Sequence[str],
    *, with_school: bool = False, yield_per: int = 5000,
) -> Iterator[Sequence[Any]]:
    from sqlalchemy import and_, select

    log, users = _tables()
    cols: list[Any] = [log.c[c] for c in USAGE_EXPORT_COLUMNS]
    stmt = select(*cols, users.c.school) if with_school else select(*cols)
    if with_school:
        stmt = stmt.select_from(log.outerjoin(users, users.c.id == log.c.user_id))
    stmt = stmt.order_by(log.c.id)
    conds = _filters(log, start, end, exclude_tags, None, engine.dialect.name)
    if conds:
        stmt = stmt.where(and_(*conds))
    with _reading(engine) as conn:
        # stream_results: a server-side cursor on MariaDB, so memory stays flat on millions of rows
        result = conn.execution_options(stream_results=True, yield_per=yield_per).execute(stmt)
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


def parquet_schema() -> Any:
    """The Arrow schema of the export: the database's types, times as UTC microsecond timestamps."""
    import pyarrow as pa

    text, i32, i64 = pa.string(), pa.int32(), pa.int64()
    return pa.schema([
        ("id", i64), ("created_at", pa.timestamp("us", tz="UTC")), ("service", text), ("operation", text),
        ("model", text), ("user_id", i64), ("session_id", i64), ("input_tokens", i32), ("output_tokens", i32),
        ("characters", i32), ("audio_seconds", pa.float64()), ("session_minutes", pa.float64()),
        ("latency_ms", i32), ("ttfb_ms", i32), ("status", text), ("http_status", pa.int16()),
        ("error_code", text), ("cost_usd", pa.decimal128(12, 6)), ("price_table", text), ("request_id", text),
        ("tag", text), ("school", text),
    ])


def import_pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ConfigError("Parquet export needs pyarrow, which is not installed", hint=WAREHOUSE_HINT) from None
    return pyarrow


@dataclass
class ParquetExport:
    """What :func:`export_parquet` wrote: rows, and files per month partition."""

    path: Path
    rows: int = 0
    files: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "rows": self.rows, "months": self.files}


def _month(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m") if value.tzinfo else value.strftime("%Y-%m")


def export_parquet(
    engine: Engine,
    out_dir: str | Path,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    exclude_tags: Sequence[str] = (),
    batch_rows: int = 50_000,
) -> ParquetExport:
    """Write rows as a Parquet dataset partitioned by month (hive style). Memory: about ``batch_rows`` rows.

    ``out_dir`` must not exist yet (or be empty): an export is written beside it and renamed into place.
    """
    pa = import_pyarrow()
    import pyarrow.parquet as pq

    target = Path(out_dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ValidationError(f"--output {target}: exists and is not an empty folder; choose a new folder")
    schema = parquet_schema()
    partial = target.parent / f".{target.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    result = ParquetExport(target)
    writers: dict[str, Any] = {}
    buffers: dict[str, list[list[Any]]] = {}
    buffered = 0
    n_cols = len(PARQUET_COLUMNS)

    def flush() -> None:
        nonlocal buffered
        for month, columns in buffers.items():
            if not columns[0]:
                continue
            if month not in writers:
                folder = partial / f"month={month}"
                folder.mkdir()
                writers[month] = pq.ParquetWriter(folder / "part-00000.parquet", schema, compression="zstd")
                result.files[month] = 0
            writers[month].write_table(pa.Table.from_arrays(
                [pa.array(col, type=schema.field(i).type) for i, col in enumerate(columns)], schema=schema))
            result.files[month] += len(columns[0])
            for col in columns:
                col.clear()
        buffered = 0

    try:
        for row in _export_rows(engine, start, end, exclude_tags, with_school=True, yield_per=batch_rows):
            values = list(row)
            created = values[1]
            if isinstance(created, dt.datetime) and created.tzinfo is None:
                values[1] = created = created.replace(tzinfo=dt.UTC)
            cost = values[17]
            if cost is not None:  # SQLite hands back a float-made Decimal; the column holds 6 places
                values[17] = Decimal(str(cost)).quantize(_SIX)
            columns = buffers.setdefault(_month(created), [[] for _ in range(n_cols)])
            for i in range(n_cols):
                columns[i].append(values[i])
            buffered += 1
            result.rows += 1
            if buffered >= batch_rows:
                flush()
        flush()
    except BaseException:
        for writer in writers.values():
            writer.close()
        shutil.rmtree(partial, ignore_errors=True)
        raise
    for writer in writers.values():
        writer.close()
    if target.exists():
        target.rmdir()
    os.replace(partial, target)
    return result
