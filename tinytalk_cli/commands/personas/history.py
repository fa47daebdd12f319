"""`tinytalk personas history | diff | rollback`: a persona's prompt versions, compared and brought back."""

from __future__ import annotations

from typing import Annotated

import typer

from ..._context import confirm, get_ctx, output_format
from ..._options import CsvOpt, DryRunOpt, JsonOpt, YesOpt
from ._common import ExpectOpt, NameArg, ReasonOpt, print_diff


def history(
    ctx: typer.Context,
    name: NameArg,
    prompts: Annotated[bool, typer.Option("--prompts", help="Include the prompt texts (JSON).")] = False,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """List the prompt versions of a persona: who, when, why.

    Example: tinytalk personas history tiny --json
    """
    from tinytalk_sdk.admin import personas

    from ..._output import print_rows

    versions = personas.persona_history(get_ctx(ctx).engine, name)
    rows = [v.to_dict(prompts=prompts) for v in versions]
    print_rows(rows, ["version", "created_at", "changed_by", "reason", "prompt_chars"],
               fmt=output_format(json_, csv_), title=f"History of {name}")


def diff(
    ctx: typer.Context,
    name: NameArg,
    old: Annotated[str, typer.Argument(help="Older version (v3).")],
    new: Annotated[str | None, typer.Argument(help="Newer version (default: the current one).")] = None,
    context: Annotated[int, typer.Option("--context", "-U", min=0, help="Lines of context.")] = 3,
    json_: JsonOpt = False,
) -> None:
    """Unified diff of a persona's prompt between two versions (coloured on a terminal).

    Example: tinytalk personas diff tiny v3 v5
    """
    from tinytalk_sdk.admin import personas

    from ..._output import info, print_json

    engine = get_ctx(ctx).engine
    newer = new if new is not None else str(personas.get_persona(engine, name).version)
    text = personas.diff_versions(engine, name, old, newer, context=context)
    if json_:
        print_json({"name": name, "old": personas.parse_version(old), "new": personas.parse_version(newer),
                    "diff": text})
        return
    if not text:
        info("no differences")
    print_diff(text)


def rollback(
    ctx: typer.Context,
    name: NameArg,
    version: Annotated[str, typer.Argument(help="The version whose prompt comes back (v3).")],
    expect_version: ExpectOpt = None,
    reason: ReasonOpt = None,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Make a new version whose prompt equals an old one (history is never rewritten).

    Example: tinytalk personas rollback tiny v3 --reason "v4 confused the kids" --yes
    """
    from tinytalk_sdk.admin import personas

    from ..._output import info, print_json

    app_ctx = get_ctx(ctx)
    current = personas.get_persona(app_ctx.engine, name)
    number = personas.parse_version(version)
    text = personas.diff_versions(app_ctx.engine, name, current.version, number)
    if dry_run:
        if json_:
            print_json({"name": name, "from": current.version, "to_prompt_of": number, "dry_run": True,
                        "diff": text})
        else:
            info(f"would make v{current.version + 1} of '{name}' with the prompt of v{number} (dry run)")
            print_diff(text)
        return
    if not json_:
        print_diff(text)
    confirm(f"Roll '{name}' back to the prompt of v{number} (as v{current.version + 1})?", yes=yes)
    updated = personas.rollback_persona(
        app_ctx.engine, name, number, actor=app_ctx.actor, reason=reason,
        expect_version=current.version if expect_version is None else expect_version,
    )
    if json_:
        print_json(updated.to_dict(prompt=False))
    else:
        info(f"persona '{name}': v{current.version} → v{updated.version} (prompt of v{number})")

