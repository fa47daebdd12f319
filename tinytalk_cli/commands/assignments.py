"""`tinytalk assignments`: student → character assignments from and to the CSV files schools use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._context import get_ctx
from .._options import ClassOpt, DryRunOpt, JsonOpt, OutputOpt, SchoolOpt, YesOpt

if TYPE_CHECKING:
    from tinytalk_sdk.admin.assignments import ImportResult

app = typer.Typer(
    help="Student-assignment CSV: import (validate, plan, apply in one transaction) and export.\n\n"
    "Example: tinytalk assignments import class-3-2.csv --dry-run",
    no_args_is_help=True,
)

PLAN_COLUMNS = ["action", "row", "email", "character", "school", "class", "before"]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="Read the file in this encoding (cp949, euc-kr, utf-8, utf-8-sig, utf-16) "
                 "instead of detecting it."),
]


def _plan_rows(result: ImportResult, *, include_unchanged: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    groups: list[tuple[str, list[dict[str, Any]]]] = [
        ("add", result.added), ("change", result.changed), ("remove", result.removed)
    ]
    if include_unchanged:
        groups.append(("unchanged", result.unchanged))
    for action, items in groups:
        for item in items:
            before = item.get("before")
            rows.append({**item, "action": action,
                         "before": f"{before['character']} {before['school'] or ''}/{before['class'] or ''}"
                         if before else None})
    return rows


def _summary(result: ImportResult) -> str:
    c = result.counts
    text = f"added {c['added']}, changed {c['changed']}, unchanged {c['unchanged']}, removed {c['removed']}"
    if result.skipped_rows:
        text += f"; skipped {len(result.skipped_rows)} invalid row(s): " + ", ".join(map(str, result.skipped_rows))
    return text


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV/TSV file from Excel.", exists=True, dir_okay=False)],
    encoding: EncodingOpt = None,
    dry_run: DryRunOpt = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid rows and report the invalid ones.")
    ] = False,
    replace_class: Annotated[
        bool,
        typer.Option("--replace-class", help="Remove assignments in the file's school+class pairs that the file "
                     "does not list."),
    ] = False,
    show_unchanged: Annotated[bool, typer.Option("--show-unchanged", help="List unchanged rows too.")] = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Import a student-assignment CSV: every error at once, a plan, then one transaction.

    Header aliases: email/이메일/E-mail, student_id/학번, name/이름/성명, school/학교, class/반/학급,
    character/캐릭터. Exit code 4 when a row is invalid (nothing written unless --skip-invalid).

    Example: tinytalk assignments import 3-2반.csv --dry-run && tinytalk assignments import 3-2반.csv --yes
    """
    from tinytalk_sdk import ValidationError
    from tinytalk_sdk.admin.assignments import import_assignments

    from .._context import confirm
    from .._output import info, print_json, print_rows, warn

    app_ctx = get_ctx(ctx)
    engine = app_ctx.engine
    kwargs: dict[str, Any] = {"encoding": encoding, "skip_invalid": skip_invalid, "replace_class": replace_class,
                              "actor": app_ctx.actor}

    def report_errors(errors: list[Any]) -> None:
        for error in errors:
            info(f"  {error}")

    try:
        if replace_class and not dry_run and not yes:
            preview = import_assignments(engine, file, dry_run=True, **kwargs)
            if preview.removed and (skip_invalid or not preview.errors):  # a bad file fails below, unasked
                print_rows(_plan_rows(preview, include_unchanged=False), PLAN_COLUMNS, title="Plan")
                confirm(f"remove {len(preview.removed)} assignment(s) not in the file?", yes=yes)
        result = import_assignments(engine, file, dry_run=dry_run, **kwargs)
    except ValidationError as exc:
        if exc.errors:
            info(f"{file}: {len(exc.errors)} problem(s):")
            report_errors(exc.errors)
            if json_:
                print_json({"ok": False, "errors": [e.to_dict() if hasattr(e, "to_dict") else str(e)
                                                     for e in exc.errors]})
        raise
    info(f"{file}: encoding {result.encoding} ({result.encoding_source}), {result.delimiter}-separated, "
         f"{result.rows} row(s)")
    for message in result.warnings:
        warn(message)
    if result.errors:
        info(f"{len(result.errors)} problem(s){' (rows skipped)' if skip_invalid else ''}:")
        report_errors(result.errors)
    if json_:
        print_json(result.to_dict())
    elif dry_run or result.added or result.changed or result.removed:
        print_rows(_plan_rows(result, include_unchanged=show_unchanged), PLAN_COLUMNS,
                   title="Plan (dry run)" if dry_run else "Applied")
    info(("dry run, nothing written: " if dry_run else "imported: ") + _summary(result))
    if dry_run and result.errors and not skip_invalid:
        raise typer.Exit(4)


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    output: OutputOpt = None,
    encoding: Annotated[
        str, typer.Option("--encoding", help="utf-8-sig (Excel-friendly, default), cp949 or utf-8.")
    ] = "utf-8-sig",
    school: SchoolOpt = None,
    class_name: ClassOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Export assignments as a CSV Excel opens safely (BOM, formula-like cells neutralised with ').

    With --json: a JSON array of the same rows instead of the CSV.

    Example: tinytalk assignments export -o assignments.csv --encoding cp949
    """
    from tinytalk_sdk.admin.assignments import export_assignments, iter_assignments

    from .._files import open_output
    from .._output import info, print_json_stream

    engine = get_ctx(ctx).engine
    if json_:
        with open_output(output) as out:
            count = print_json_stream(iter_assignments(engine, school=school, class_name=class_name), out)
        info(f"exported {count} assignment(s) as JSON" + (f" to {output}" if output else ""))
        return
    with open_output(output, binary=True) as out:
        count = export_assignments(engine, out, encoding=encoding, school=school, class_name=class_name)
    info(f"exported {count} assignment(s) ({encoding})" + (f" to {output}" if output else ""))
