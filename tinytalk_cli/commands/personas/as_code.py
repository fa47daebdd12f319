"""`tinytalk personas export | apply`: personas as code, one YAML file per persona, applied in one transaction."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..._context import confirm, get_ctx
from ..._options import DryRunOpt, JsonOpt, YesOpt
from ._common import ReasonOpt, print_diff

if TYPE_CHECKING:
    from tinytalk_sdk.admin.personas import ApplyPlan


def export(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder for <name>.yaml files (made if missing).")],
    active_only: Annotated[bool, typer.Option("--active-only", help="Skip archived personas.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Write one YAML file per persona (prompt as a block scalar: readable diffs in git).

    Example: tinytalk personas export prompts/ && git diff prompts/
    """
    from tinytalk_sdk.admin import personas

    from ..._output import info, print_json

    files = personas.export_personas(get_ctx(ctx).engine, directory, include_archived=not active_only)
    if json_:
        print_json({"directory": str(directory), "files": [str(f) for f in files]})
    else:
        for f in files:
            sys.stdout.write(f"{f}\n")
        info(f"exported {len(files)} persona(s) to {directory}")


def _show_plan(plan: ApplyPlan) -> None:
    from ..._output import info

    for change in plan.changes:
        if change.action == "unchanged":
            continue
        info(f"{change.action}: {change.name}")
        for key, (old, new) in change.fields.items():
            info(f"  {key}: {old!r} → {new!r}")
        print_diff(change.prompt_diff)
    counts = plan.counts()
    info(", ".join(f"{n} {a}" for a, n in counts.items()))


def apply(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder of <name>.yaml files (from `personas export`).")],
    prune: Annotated[bool, typer.Option("--prune", help="Archive active personas with no file.")] = False,
    reason: ReasonOpt = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Make the database match a folder of persona files, in one transaction; shows the diff first.

    Example: tinytalk personas apply prompts/ --prune --dry-run
    """
    from tinytalk_sdk.admin import personas

    from ..._output import info, print_json

    app_ctx = get_ctx(ctx)
    plan = personas.plan_apply(app_ctx.engine, directory, prune=prune)
    if not json_:
        _show_plan(plan)
    if plan.is_noop or dry_run:
        if json_:
            print_json({**plan.to_dict(), "dry_run": dry_run})
        elif plan.is_noop:
            info("nothing to change")
        return
    changed = sum(1 for c in plan.changes if c.action != "unchanged")
    confirm(f"Apply {changed} persona change(s) from {directory}?", yes=yes)
    result = personas.apply_personas(app_ctx.engine, directory, actor=app_ctx.actor, prune=prune,
                                     reason=reason, plan=plan)
    if json_:
        print_json({**result.to_dict(), "dry_run": False})
    else:
        info(f"applied {changed} change(s)")
