"""`tinytalk db`: create, migrate, inspect and check the profile's database.

Thin over :mod:`tinytalk_sdk.db.migrate`, :mod:`tinytalk_sdk.db.drift` and :mod:`tinytalk_sdk.db.seed`.
SQLAlchemy and Alembic load inside the commands, never at import (``tinytalk --help`` stays fast).
"""

from __future__ import annotations

from typing import Annotated

import typer

from .._context import get_ctx, output_format
from .._options import CsvOpt, DryRunOpt, JsonOpt, YesOpt

app = typer.Typer(
    help="Database: init, upgrade, status, check (drift against the models), stamp, map, adopt.\n\n"
    "Example: tinytalk --profile prod db check --json",
    no_args_is_help=True,
)

_FINDING_COLUMNS = ["kind", "table", "column", "index", "expected", "actual", "message"]


@app.command("init")
def init(
    ctx: typer.Context,
    example_data: Annotated[
        bool, typer.Option("--example-data", help="Also load the demo personas, admin, students, settings.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Create the database if missing, migrate it to head, optionally load example data.

    Safe to run again: migrations already applied and example rows already present are skipped.

    Example: tinytalk db init --example-data
    """
    from tinytalk_sdk.db.migrate import create_database_if_missing, status, upgrade
    from tinytalk_sdk.db.seed import load_example_data

    from .._output import info, print_json

    engine = get_ctx(ctx).engine
    created = create_database_if_missing(engine)
    applied = upgrade(engine)
    added = load_example_data(engine) if example_data else None
    st = status(engine)
    if json_:
        print_json({"created": created, "applied": applied, "example_data": added, "status": st})
        return
    info(f"database {st['database']}: {'created' if created else 'exists'}")
    info(f"migrations applied: {', '.join(applied) if applied else 'none (already at head)'}; at {st['current']}")
    if added is not None:
        info("example data added: " + ", ".join(f"{k} {v}" for k, v in added.items()))


@app.command("upgrade")
def upgrade_(
    ctx: typer.Context,
    revision: Annotated[str, typer.Option("--revision", "-r", help="Target revision.")] = "head",
    dry_run: DryRunOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Apply the migrations up to a revision (default: head).

    Example: tinytalk db upgrade --dry-run
    """
    from tinytalk_sdk.db.migrate import status, upgrade

    from .._output import info, print_json

    engine = get_ctx(ctx).engine
    if dry_run:
        st = status(engine)
        if json_:
            print_json({"dry_run": True, "would_apply": st["pending"], "current": st["current"]})
        else:
            info(f"would apply: {', '.join(st['pending']) or 'nothing (at head)'}; nothing changed")
        return
    applied = upgrade(engine, revision)
    st = status(engine)
    if json_:
        print_json({"applied": applied, "current": st["current"], "head": st["head"]})
    else:
        info(f"applied: {', '.join(applied) or 'nothing (already there)'}; now at {st['current']}")


@app.command("status")
def status_(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the database's schema revision, the newest shipped revision, and what is pending.

    Example: tinytalk db status --json
    """
    from tinytalk_sdk.db.migrate import status

    from .._output import print_record

    st = status(get_ctx(ctx).engine)
    record = {**st, "pending": st["pending"] if json_ else ", ".join(st["pending"]) or "-"}
    print_record(record, fmt=output_format(json_))


@app.command("check")
def check(ctx: typer.Context, json_: JsonOpt = False, csv_: CsvOpt = False) -> None:
    """Compare the database with the models and list every drift; changes nothing.

    Exit code 0 when clean, 8 when drift is found (findings on stdout, one summary line on stderr).

    Example: tinytalk --profile prod db check --json | jq '.findings[] | .message'
    """
    from tinytalk_sdk import SchemaDriftError
    from tinytalk_sdk.db.drift import check_drift

    from .._output import info, print_rows

    report = check_drift(get_ctx(ctx).engine)
    rows = [f.to_dict() for f in report.findings]
    if json_ or csv_ or rows:
        print_rows(rows, _FINDING_COLUMNS, fmt=output_format(json_, csv_), title="schema drift",
                   json_payload=report.to_dict())
    if not report.ok:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report.summary().items()))
        raise SchemaDriftError(
            f"{len(report.findings)} drift findings in {report.database} ({counts})",
            hint="the findings list what differs; on the PHP-made database: `tinytalk db map suggest`, "
            "then `tinytalk db adopt --plan` (docs/production-database.md)",
        )
    if report.mapped:
        info(f"no drift: {report.database} matches the models through the schema map; "
             f"{len(report.accepted)} differences kept for PHP (`--json` lists them with the reason)")
        return
    info(f"no drift: {report.database} matches the models")


@app.command("stamp")
def stamp_(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Revision to record, usually head.")] = "head",
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Record a revision as applied without running it: adopt a database made by the PHP backend.

    Run `tinytalk db check` first: stamping a database that drifts hides the drift from `db upgrade`.

    Example: tinytalk --profile prod db check && tinytalk --profile prod db stamp head --yes
    """
    from tinytalk_sdk.db.migrate import check_revision, current, head, stamp

    from .._context import confirm
    from .._output import info, print_json

    check_revision(revision)  # a typo fails before --dry-run claims it would record it
    engine = get_ctx(ctx).engine
    target = head() if revision == "head" else revision
    before = current(engine)
    if dry_run:
        if json_:
            print_json({"dry_run": True, "current": before, "would_stamp": target})
        else:
            info(f"would record revision {target} (now {before or 'none'}); nothing changed")
        return
    confirm(f"record revision {target} as applied without running it?", yes=yes)
    stamp(engine, target)
    if json_:
        print_json({"stamped": target, "previous": before})
    else:
        info(f"recorded revision {target} (was {before or 'none'})")


def _register_adoption() -> None:
    from .db_adopt import adopt, map_app

    app.add_typer(map_app, name="map")
    app.command("adopt")(adopt)


_register_adoption()
