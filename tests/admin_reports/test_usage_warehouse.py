"""The warehouse path: a month-partitioned Parquet export, and DuckDB over it giving the SQL path's numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from tinytalk_sdk import ValidationError
from tinytalk_sdk.admin.usage import GROUPINGS, duckdb_report, export_parquet, rollup, usage_report
from tinytalk_sdk.admin.usage.export import PARQUET_COLUMNS

from ._usage_data import START, add_users, assert_same, insert_usage, usage_rows
from .conftest import as_json

RANGES = [(None, None), (START + dt.timedelta(days=20, hours=3, minutes=7), START + dt.timedelta(days=45))]


@pytest.fixture
def filled(engine: Engine) -> Engine:
    users = add_users(engine)
    # three calendar months (Nov, Dec, Jan) so the export has three partitions
    insert_usage(engine, usage_rows(1200, seed=21, users=users, days=70))
    return engine


def test_export_is_partitioned_by_month_with_typed_columns(filled: Engine, tmp_path: Path) -> None:
    out = tmp_path / "usage"
    done = export_parquet(filled, out, batch_rows=100)  # small batches: many row groups, bounded memory
    assert done.rows == 1200 and sorted(done.files) == ["2026-11", "2026-12", "2027-01"]
    assert sorted(p.name for p in out.iterdir()) == ["month=2026-11", "month=2026-12", "month=2027-01"]
    assert not list(tmp_path.glob(".usage.partial-*"))
    part = pq.ParquetFile(out / "month=2026-12" / "part-00000.parquet")
    schema = part.schema_arrow
    assert schema.names == list(PARQUET_COLUMNS)
    assert schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("cost_usd").type == pa.decimal128(12, 6)
    assert schema.field("id").type == pa.int64() and schema.field("latency_ms").type == pa.int32()
    assert part.metadata.num_row_groups > 1
    table = pq.read_table(out / "month=2026-12")
    assert all(t.month == 12 for t in table.column("created_at").to_pylist())
    assert sum(done.files.values()) == 1200


def test_export_refuses_a_folder_in_use(filled: Engine, tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ValidationError, match="not an empty folder"):
        export_parquet(filled, tmp_path / "busy")
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["keep.txt"]


@pytest.mark.parametrize("by", GROUPINGS)
def test_duckdb_over_the_export_equals_the_sql_path(filled: Engine, tmp_path: Path, by: str) -> None:
    export_parquet(filled, tmp_path / "pq")
    rollup(filled, settle_seconds=0)
    for start, end in RANGES:
        exact = usage_report(filled, by=by, start=start, end=end, exclude_tags=["qa"], exact=True)
        duck = duckdb_report(tmp_path / "pq", by=by, start=start, end=end, exclude_tags=["qa"],
                             labels_engine=filled)
        assert duck.source == "duckdb"
        assert_same(duck, exact, exact_percentiles=True)  # identical, percentiles included
        assert_same(usage_report(filled, by=by, start=start, end=end, exclude_tags=["qa"]), duck)


def test_cli_export_parquet_and_report_with_duckdb(cli: Any, filled: Engine, tmp_path: Path) -> None:
    out = tmp_path / "wh"
    exported = cli("usage", "export", "--format", "parquet", "-o", str(out), "--from", "2026-11-01",
                   "--to", "2027-02-01", "--json")
    assert exported.exit_code == 0, exported.stderr
    assert as_json(exported)["rows"] == 1200
    duck = cli("usage", "report", "--engine", "duckdb", "--from-parquet", str(out), "--from", "2026-11-01",
               "--to", "2027-02-01", "--by", "model", "--json")
    sql = cli("usage", "report", "--exact", "--from", "2026-11-01", "--to", "2027-02-01", "--by", "model",
              "--json")
    assert duck.exit_code == 0 and sql.exit_code == 0, duck.stderr + sql.stderr
    d, s = as_json(duck), as_json(sql)
    assert d["rows"] == s["rows"] and d["totals"] == s["totals"]
    assert d["source"]["engine"] == "duckdb" and s["source"]["engine"] == "raw"
    assert cli("usage", "export", "--format", "parquet").exit_code == 2  # no folder
    assert cli("usage", "report", "--engine", "duckdb").exit_code == 2  # no --from-parquet
    missing = cli("usage", "report", "--engine", "duckdb", "--from-parquet", str(tmp_path / "nope"))
    assert missing.exit_code != 0 and "no .parquet files" in missing.stderr
