"""`tinytalk db map suggest|show` and `tinytalk db adopt`: meet the database the PHP backend made.

Thin over :mod:`tinytalk_sdk.db.map_suggest`, :mod:`tinytalk_sdk.db.adopt_plan` and
:mod:`tinytalk_sdk.db.adopt_apply`. The order an admin follows is in docs/production-database.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from .._context import get_ctx
from .._options import JsonOpt, OutputOpt, YesOpt

map_app = typer.Typer(
    help="The schema map: which live column holds each model column (PHP-made database).\n\n"
    "Example: tinytalk --profile prod db map suggest --write",
    no_args_is_help=True,
)


@map_app.command("suggest")
def suggest(
    ctx: typer.Context,
    write: Annotated[bool, typer.Option("--write", help="Store the suggestion as the profile's [schema].")] = False,
    json_: JsonOpt = False,
) -> None:
    """Read the live database and propose a map, one reason per line, as TOML to paste (or --write).

    Columns the toolkit needs that the database lacks are listed as "to add" (`db adopt` adds them).

    Example: tinytalk --profile prod db map suggest > schema.toml
    """
    import sys

    from tinytalk_sdk.config import write_schema
    from tinytalk_sdk.db.map_suggest import suggest_map

    from .._output import info, print_json

    app_ctx = get_ctx(ctx)
    found = suggest_map(app_ctx.engine)
    if json_:
        print_json(found.to_dict())
    else:
        sys.stdout.write(found.to_toml(app_ctx.config.profile))
    mapped = sum(len(t.mapped) for t in found.tables)
    to_add = sum(len(t.to_add) for t in found.tables)
    if write:
        path = write_schema(app_ctx.config, found.schema())
        info(f"schema map written to [profiles.{app_ctx.config.profile}.schema] in {path}")
    info(f"{mapped} columns mapped, {to_add} to add; next: `tinytalk db adopt --plan`")


@map_app.command("show")
def show(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the profile's schema map: model column, live column, kind (renamed, derived).

    Example: tinytalk --profile prod db map show --json
    """
    from tinytalk_sdk.db.schema_map import parse_schema_map

    from .._context import output_format
    from .._output import info, print_rows

    config = get_ctx(ctx).config
    smap = parse_schema_map(config.schema, source=str(config.path))
    rows: list[dict[str, str | None]] = []
    for table, cols in sorted(smap.names.items()):
        rows += [{"table": table, "column": c, "live": live, "kind": "renamed" if live != c else "same",
                  "from": None} for c, live in sorted(cols.items())]
    for table, derived in sorted(smap.derived.items()):
        rows += [{"table": table, "column": c, "live": c, "kind": f"derived ({d.transform})", "from": d.source}
                 for c, d in sorted(derived.items())]
    print_rows(rows, ["table", "column", "live", "kind", "from"], fmt=output_format(json_), title="schema map",
               json_payload={"profile": config.profile, "present": smap.present, "map": smap.to_dict(),
                             "columns": rows})
    if not smap.present:
        info(f"profile '{config.profile}' has no [schema] map: the database is read with the models' names")


def adopt(
    ctx: typer.Context,
    plan: Annotated[bool, typer.Option("--plan", help="Write the SQL of the plan; change nothing.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Back up, then run the plan step by step.")] = False,
    engine_step: Annotated[bool, typer.Option("--engine", help="Opt in: MyISAM tables to InnoDB.")] = False,
    charset_step: Annotated[bool, typer.Option("--charset", help="Opt in: tables to utf8mb4.")] = False,
    backup_dir: Annotated[Path | None, typer.Option("--backup-dir", help="Where the backup goes "
                                                    "(default: <data dir>/backups).", file_okay=False)] = None,
    output: OutputOpt = None,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Bring a mapped PHP-made MySQL database up to what the toolkit needs, additively.

    --plan writes the SQL (adds nullable columns, indexes, the toolkit's tables; never drops, renames,
    narrows or retypes a PHP column). --apply backs up first, runs each step once (journaled: run it again
    to resume after a kill), then stamps the schema revision so `db check` is clean.

    Example: tinytalk --profile prod db adopt --plan -o adopt.sql && tinytalk --profile prod db adopt --apply
    """
    from tinytalk_sdk import ConfigError, ValidationError
    from tinytalk_sdk.config import data_dir
    from tinytalk_sdk.db.adopt_apply import apply_adoption
    from tinytalk_sdk.db.adopt_plan import plan_adoption

    from .._context import confirm
    from .._files import write_text_file
    from .._output import info, print_json, warn

    if plan == apply:
        raise ValidationError("choose one of --plan and --apply")
    app_ctx = get_ctx(ctx)
    config = app_ctx.config
    if config.schema is None:
        raise ConfigError(f"profile '{config.profile}' has no [schema] map, so adoption would add PHP's own "
                          "columns again under the toolkit's names",
                          hint=f"run `tinytalk --profile {config.profile} db map suggest --write` and review it")
    engine = app_ctx.engine
    steps = plan_adoption(engine, engine_upgrade=engine_step, charset_upgrade=charset_step)
    if plan:
        if output is not None:
            write_text_file(output, steps.to_sql())
            info(f"plan written to {output}")
        if json_:
            print_json(steps.to_dict())
        elif output is None:
            typer.echo(steps.to_sql(), nl=False)
        opt_in = [s for s in steps.steps if s.opt_in]
        info(f"{len(steps.steps)} steps ({len(opt_in)} opt-in); run `tinytalk db adopt --apply` to carry them out")
        return
    warn("MySQL does not run DDL in transactions: each step commits on its own; a stopped run resumes where "
         "it stopped when you run it again")
    confirm(f"adopt {steps.database}: {len(steps.steps)} steps, backup first?", yes=yes)
    folder = backup_dir or data_dir(config.env) / "backups"
    pause = float(os.environ.get("TINYTALK_ADOPT_STEP_PAUSE") or 0)  # to watch a run (or kill one in a test)

    def progress(step: object, status: str) -> None:
        if not json_:
            info(f"  {status:<7} {getattr(step, 'id', step)}")

    result = apply_adoption(engine, steps, backup_dir=folder, step_pause=pause, on_step=progress)
    if json_:
        print_json(result.to_dict())
    info(f"backup: {result.backup} ({result.backup_method})")
    info(f"adopted {result.database}: {len(result.ran)} steps ran, {len(result.already)} already done"
         + (" (resumed)" if result.resumed else "") + f"; at revision {steps.head}; next: `tinytalk db check`")
