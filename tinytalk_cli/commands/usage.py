"""`tinytalk usage`: provider usage and estimated cost from api_usage_logs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._context import get_ctx, output_format
from .._options import CsvOpt, JsonOpt

if TYPE_CHECKING:
    from tinytalk_sdk.pricing import PriceTable

    from .._context import AppContext

app = typer.Typer(
    help="Provider usage and estimated cost (api_usage_logs): report, rollup, export.\n\n"
    "Example: tinytalk usage report --from 2026-11-01 --by day --exclude-tag smoke",
    no_args_is_help=True,
)

FromOpt = Annotated[
    str | None, typer.Option("--from", help="Start (inclusive): 2026-11-01, 2026-11-01T08:00 or 7d (ago). "
                             "Default: 30d.")
]
ToOpt = Annotated[str | None, typer.Option("--to", help="End: a date includes that whole day. Default: now.")]
ExcludeTagOpt = Annotated[
    list[str] | None, typer.Option("--exclude-tag", help="Leave out rows with this tag (e.g. smoke); repeatable.")
]
METRICS = ["calls", "errors", "input_tokens", "output_tokens", "characters", "audio_minutes", "session_minutes",
           "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "cost_usd"]
ENGINES = ("sql", "duckdb")


def _range(start: str | None, end: str | None) -> tuple[Any, Any]:
    from tinytalk_sdk.admin._when import check_range, parse_instant

    first, last = parse_instant(start or "30d", field="--from"), parse_instant(end, field="--to", end=True)
    check_range(first, last, given=(start or "30d", end))
    return first, last


def _price_table(app_ctx: AppContext, path: Path | None) -> PriceTable:
    from tinytalk_sdk.pricing import load_price_table

    return load_price_table(path or app_ctx.config.get("price_table"))


@app.command("report")
def report_cmd(
    ctx: typer.Context,
    start: FromOpt = None,
    end: ToOpt = None,
    by: Annotated[str, typer.Option("--by", help="Group by service, day, user, school or model.")] = "service",
    exclude_tag: ExcludeTagOpt = None,
    service: Annotated[list[str] | None, typer.Option("--service", help="Only this service; repeatable.")] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Also draw cost per day per service to a .png or .svg file.")
    ] = None,
    price_table: Annotated[
        Path | None, typer.Option("--price-table", help="Price table TOML (default: setting price_table, "
                                  "else the built-in one).")
    ] = None,
    exact: Annotated[
        bool, typer.Option("--exact", help="Compute from the raw rows (exact percentiles), not the rollups.")
    ] = False,
    engine: Annotated[
        str, typer.Option("--engine", help="sql (the database; rollups where they answer) or duckdb "
                          "(a Parquet export, with --from-parquet).")
    ] = "sql",
    from_parquet: Annotated[
        Path | None, typer.Option("--from-parquet", help="Folder of a Parquet usage export (for --engine duckdb).",
                                  file_okay=False)
    ] = None,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """Calls, errors, tokens, characters, audio minutes, latency p50/p95/p99 and estimated cost per group.

    Stored costs are used; rows without one are priced from the price table the report names. Closed hours
    (days for --by user/school) come from the rollups (`usage rollup`), the rest from the raw rows;
    percentiles are then within 2 % of exact. --exact reads only raw rows.

    Example: tinytalk usage report --from 2026-11-01 --to 2026-11-30 --by school --chart cost.png
    """
    from tinytalk_sdk.admin.usage import GROUPINGS, cost_by_day, usage_report

    from .._output import info, print_json, print_rows, stdout_is_tty

    if by not in GROUPINGS:
        raise typer.BadParameter(f"choose one of {', '.join(GROUPINGS)}", param_hint="--by")
    if engine not in ENGINES:
        raise typer.BadParameter(f"choose one of {', '.join(ENGINES)}", param_hint="--engine")
    if (engine == "duckdb") != (from_parquet is not None):
        raise typer.BadParameter("--engine duckdb and --from-parquet DIR go together", param_hint="--engine")
    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        # checked before the report is printed: a failing command writes nothing to stdout
        from tinytalk_sdk import ValidationError

        raise ValidationError(f"--chart {chart}: use a .png or .svg file name")
    fmt = output_format(json_, csv_)
    app_ctx = get_ctx(ctx)
    table = _price_table(app_ctx, price_table)
    first, last = _range(start, end)
    tags = exclude_tag or []
    if from_parquet is not None:
        from tinytalk_sdk.admin.usage import duckdb_report

        report = duckdb_report(from_parquet, by=by, start=first, end=last, exclude_tags=tags, services=service,
                               price_table=table, labels_engine=app_ctx.engine if by == "user" else None)
    else:
        report = usage_report(app_ctx.engine, by=by, start=first, end=last, exclude_tags=tags,
                              services=service, price_table=table, exact=exact)
    columns = [by, *(["email"] if by == "user" else []), *METRICS]
    if json_:
        print_json(report.to_dict())
    else:
        print_rows(report.rows, columns, fmt=fmt, title=f"Usage by {by}")
    stored = ", ".join(report.stored_price_tables) or "none"
    info(f"price table {table.version} ({table.source}) for rows without a stored cost; stored costs used "
         f"tables: {stored}. Total ${report.totals['cost_usd']:.2f} over {report.totals['calls']} call(s)"
         + (f"; {report.totals['uncosted_calls']} call(s) with no price" if report.totals["uncosted_calls"] else ""))
    info(f"source: {report.source}" + (f" ({report.source_note})" if report.source_note else "")
         + (f"; percentiles within {report.percentile_error:.0%}" if report.percentile_error else ""))
    points = None
    if from_parquet is not None:
        return  # the chart and sparkline read the database; a warehouse run stays on its files
    if chart is not None:
        from tinytalk_sdk.admin.usage_chart import render_chart

        points = cost_by_day(app_ctx.engine, start=first, end=last, exclude_tags=tags, price_table=table,
                             exact=exact)
        render_chart(points, chart)
        info(f"chart written to {chart}")
    if not json_ and not csv_ and stdout_is_tty():
        from tinytalk_sdk.admin.usage_chart import series_by_service, sparkline

        if points is None:
            points = cost_by_day(app_ctx.engine, start=first, end=last, exclude_tags=tags, price_table=table,
                                 exact=exact)
        days, series = series_by_service(points)
        if days:
            daily = [sum(values[i] for values in series.values()) for i in range(len(days))]
            info(f"cost/day {days[0]} {sparkline(daily)} {days[-1]}")


@app.command("rollup")
def rollup_cmd(
    ctx: typer.Context,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Raw rows (ids) per transaction: a kill loses at most one.")
    ] = 1_000_000,
    settle: Annotated[
        float, typer.Option("--settle-seconds", min=0, help="Leave rows younger than this to the next run "
                            "(in-flight inserts on MariaDB).")
    ] = 60.0,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Drop the rollups and aggregate everything again.")
    ] = False,
    price_table: Annotated[
        Path | None, typer.Option("--price-table", help="Price table TOML for rows without a stored cost "
                                  "(default: setting price_table, else the built-in one).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Bring the usage rollups up to date from the last watermark (incremental and idempotent).

    Safe from cron every few minutes and when two runs overlap (the second waits, then finds little to do);
    resumable after a kill. Late rows re-aggregate the hours and days they fall in. `tinytalk serve` does
    the same in the background.

    Example: */5 * * * * tinytalk usage rollup --json
    """
    from tinytalk_sdk.admin.usage import rollup

    from .._output import info, print_json

    app_ctx = get_ctx(ctx)
    result = rollup(app_ctx.engine, price_table=_price_table(app_ctx, price_table), batch_size=batch_size,
                    settle_seconds=settle, rebuild=rebuild)
    if json_:
        print_json(result.to_dict())
    info(f"rolled up {result.rows} row(s) in {result.batches} batch(es), {result.buckets} bucket(s) written; "
         f"watermark id {result.watermark}" + (" (rebuilt)" if result.rebuilt else "")
         + f" in {result.seconds:.1f} s")


FORMATS = ("csv", "json", "parquet")


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    start: FromOpt = None,
    end: ToOpt = None,
    exclude_tag: ExcludeTagOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout); for parquet a new "
                                  "folder.")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv (default), json or parquet.")] = None,
    csv_: Annotated[bool, typer.Option("--csv", help="CSV with a header row (the default).")] = True,
    json_: JsonOpt = False,
) -> None:
    """Stream raw api_usage_logs rows as CSV, JSON, or a Parquet dataset (constant memory).

    Parquet: a folder partitioned by month (month=2026-11/part-00000.parquet), typed columns plus the pupil's
    school, for DuckDB, ClickHouse, BigQuery or Spark, and for the DuckDB engine of the usage report.

    Example: tinytalk usage export --csv --from 2026-11-01 -o usage-november.csv
    """
    from tinytalk_sdk.admin.usage import export_usage, iter_usage

    from .._output import info, print_json, print_json_stream

    chosen = fmt or ("json" if json_ else "csv")
    if chosen not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    app_ctx = get_ctx(ctx)
    first, last = _range(start, end)
    if chosen == "parquet":
        from tinytalk_sdk.admin.usage import export_parquet

        if output is None:
            raise typer.BadParameter("parquet needs a folder to write", param_hint="--output")
        done = export_parquet(app_ctx.engine, output, start=first, end=last, exclude_tags=exclude_tag or [])
        if json_:
            print_json(done.to_dict())
        info(f"exported {done.rows} usage row(s) as Parquet to {output} ({len(done.files)} month(s))")
        return
    if output is not None and output.is_dir():
        raise typer.BadParameter(f"{output} is a folder; give a file name", param_hint="--output")
    from .._files import open_output

    with open_output(output) as out:
        if chosen == "json":
            count = print_json_stream(iter_usage(app_ctx.engine, start=first, end=last,
                                                 exclude_tags=exclude_tag or []), out)
        else:
            count = export_usage(app_ctx.engine, out, start=first, end=last, exclude_tags=exclude_tag or [])
    info(f"exported {count} usage row(s)" + (" as JSON" if chosen == "json" else "")
         + (f" to {output}" if output else ""))
