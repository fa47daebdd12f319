"""`tinytalk personas`: AI personas, their prompt history, and personas as code (export / apply).

Thin: parse → ``tinytalk_sdk.admin.personas`` → render. Heavy imports stay inside the commands.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .._context import confirm, get_ctx, output_format
from .._options import CsvOpt, DryRunOpt, JsonOpt, YesOpt, given

if TYPE_CHECKING:
    from tinytalk_sdk.admin.personas import ApplyPlan

__all__ = ["app"]

app = typer.Typer(
    help="AI personas: system prompts with a full history, optimistic locking, and export/apply as YAML.\n\n"
    "Example: tinytalk personas edit tiny --reason 'shorter answers'",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="Persona name (e.g. tiny).")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", "-m", help="Why: stored in prompt_history.")]
PromptFileOpt = Annotated[
    Path | None,
    typer.Option("--prompt-file", "-f", help="Read the prompt from this UTF-8 file ('-' = stdin) "
                 "instead of opening $EDITOR.", allow_dash=True),
]
ExpectOpt = Annotated[
    int | None,
    typer.Option("--expect-version", help="Fail with a conflict unless the stored version is still N."),
]
DisplayNameOpt = Annotated[str | None, typer.Option("--display-name", help="Name shown in the app.")]
DescriptionOpt = Annotated[str | None, typer.Option("--description", help="Description for admins.")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Chat model (default gpt-4o).")]
TemperatureOpt = Annotated[float | None, typer.Option("--temperature", help="0..2.")]
AvatarOpt = Annotated[str | None, typer.Option("--heygen-avatar-id", help="HeyGen avatar of the persona.")]
VoiceOpt = Annotated[str | None, typer.Option("--voice-id", help="ElevenLabs voice of the persona.")]
DefaultOpt = Annotated[
    bool | None, typer.Option("--default/--no-default", help="Make it the default persona (only one is).")
]


def _read_prompt_file(path: Path) -> str:
    from tinytalk_sdk import ValidationError

    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ValidationError(f"{path}: is a folder; --prompt-file takes a text file") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path}: not UTF-8 text (save it as UTF-8)") from None
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read ({exc.strerror})") from None


def _editor_command() -> list[str]:
    import shlex

    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")


def _edit_in_editor(text: str, *, label: str) -> str:
    """Open $VISUAL/$EDITOR on a temp file holding ``text``; return what was saved."""
    import subprocess
    import tempfile

    from tinytalk_sdk import AbortedError, ValidationError

    fd, name = tempfile.mkstemp(prefix=f"tinytalk-{label}-", suffix=".txt")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        command = [*_editor_command(), str(path)]
        try:
            code = subprocess.run(command, check=False).returncode
        except FileNotFoundError:
            raise ValidationError(
                f"editor '{command[0]}' not found", hint="set $EDITOR, or use --prompt-file"
            ) from None
        if code != 0:
            raise AbortedError(f"editor exited with status {code}; nothing changed")
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)


def _print_diff(diff: str) -> None:
    """A unified diff on stdout; coloured only on a TTY without NO_COLOR."""
    from .._output import out_console, stdout_is_tty

    if not diff:
        return
    if stdout_is_tty() and not os.environ.get("NO_COLOR"):
        from rich.text import Text

        console = out_console()
        styles = {"+": "green", "-": "red", "@": "cyan"}
        for line in diff.splitlines():
            style = "bold" if line.startswith(("+++", "---")) else styles.get(line[:1])
            console.print(Text(line, style=style or ""), soft_wrap=True)
        return
    sys.stdout.write(diff if diff.endswith("\n") else diff + "\n")
    sys.stdout.flush()


@app.command("list")
def list_(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Include archived personas.")] = False,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """List personas (active ones unless --all).

    Example: tinytalk personas list --all --json
    """
    from tinytalk_sdk.admin import personas

    from .._output import print_rows

    app_ctx = get_ctx(ctx)
    rows = [p.to_dict(prompt=False) for p in personas.list_personas(app_ctx.engine, include_archived=all_)]
    print_rows(rows, ["name", "display_name", "version", "model", "temperature", "status", "is_default",
                      "prompt_lines", "updated_at"], fmt=output_format(json_, csv_), title="Personas")


@app.command("show")
def show(ctx: typer.Context, name: NameArg, json_: JsonOpt = False) -> None:
    """Show one persona with its full prompt.

    Example: tinytalk personas show tiny
    """
    from tinytalk_sdk.admin import personas

    from .._output import print_json, print_record

    persona = personas.get_persona(get_ctx(ctx).engine, name)
    if json_:
        print_json(persona.to_dict())
        return
    record = persona.to_dict(prompt=False)
    print_record(record)
    sys.stdout.write("\n" + persona.system_prompt + ("" if persona.system_prompt.endswith("\n") else "\n"))


@app.command("create")
def create(
    ctx: typer.Context,
    name: NameArg,
    prompt_file: PromptFileOpt = None,
    display_name: DisplayNameOpt = None,
    description: DescriptionOpt = None,
    model: ModelOpt = None,
    temperature: TemperatureOpt = None,
    heygen_avatar_id: AvatarOpt = None,
    voice_id: VoiceOpt = None,
    default: DefaultOpt = None,
    reason: ReasonOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Create a persona at version 1 (the prompt from --prompt-file, else $EDITOR).

    Example: tinytalk personas create tiny --display-name "Tiny 선생님" --prompt-file tiny.txt
    """
    from tinytalk_sdk import AbortedError
    from tinytalk_sdk.admin import personas

    from .._output import info, print_json

    app_ctx = get_ctx(ctx)
    if prompt_file is not None:
        prompt = _read_prompt_file(prompt_file)
    else:
        prompt = _edit_in_editor("", label=name)
        if not prompt.strip():
            raise AbortedError("empty prompt; nothing created")
    persona = personas.create_persona(
        app_ctx.engine, name=name, system_prompt=prompt, actor=app_ctx.actor, reason=reason,
        display_name=display_name,
        **given(description=description, model=model, temperature=temperature,
                  heygen_avatar_id=heygen_avatar_id, voice_id=voice_id, is_default=default),
    )
    if json_:
        print_json(persona.to_dict())
    else:
        info(f"created persona '{persona.name}' v{persona.version}")


@app.command("edit")
def edit(
    ctx: typer.Context,
    name: NameArg,
    prompt_file: PromptFileOpt = None,
    expect_version: ExpectOpt = None,
    reason: ReasonOpt = None,
    display_name: DisplayNameOpt = None,
    description: DescriptionOpt = None,
    model: ModelOpt = None,
    temperature: TemperatureOpt = None,
    heygen_avatar_id: AvatarOpt = None,
    voice_id: VoiceOpt = None,
    default: DefaultOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Change a persona's prompt ($EDITOR, or --prompt-file) and/or its settings.

    A prompt change makes a new version and a prompt_history row. The edit is based on the version
    read when the editor opened (or --expect-version): if someone saved in between, nothing is
    written and the command exits 6.

    Example: EDITOR=nano tinytalk personas edit tiny --reason "ask more questions"
    """
    from tinytalk_sdk.admin import personas

    from .._output import info, print_json

    app_ctx = get_ctx(ctx)
    fields = given(display_name=display_name, description=description, model=model, temperature=temperature,
                     heygen_avatar_id=heygen_avatar_id, voice_id=voice_id, is_default=default)
    current = personas.get_persona(app_ctx.engine, name)
    base = current.version if expect_version is None else expect_version
    prompt: str | None = None
    if prompt_file is not None:
        prompt = _read_prompt_file(prompt_file)
    elif not fields:
        prompt = _edit_in_editor(current.system_prompt, label=f"{name}-v{current.version}")
        if prompt.replace("\r\n", "\n") == current.system_prompt:
            prompt = None
    updated = personas.update_persona(app_ctx.engine, name, actor=app_ctx.actor, system_prompt=prompt,
                                      expect_version=base, reason=reason, **fields)
    if json_:
        print_json({**updated.to_dict(), "changed": updated != current})
    elif updated.version != current.version:
        info(f"persona '{name}': v{current.version} → v{updated.version}")
    elif updated != current:
        info(f"persona '{name}': settings changed (prompt still v{updated.version})")
    else:
        info(f"persona '{name}': no change")


@app.command("archive")
def archive(
    ctx: typer.Context,
    name: NameArg,
    restore: Annotated[bool, typer.Option("--restore", help="Bring an archived persona back.")] = False,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Archive a persona (hidden from the app, history kept), or --restore it.

    Example: tinytalk personas archive old-coach --yes
    """
    from tinytalk_sdk.admin import personas

    from .._output import info, print_json

    app_ctx = get_ctx(ctx)
    current = personas.get_persona(app_ctx.engine, name)
    target = "active" if restore else "archived"
    if dry_run or current.status == target:
        if json_:
            print_json({**current.to_dict(prompt=False), "dry_run": dry_run,
                        "would_change": current.status != target})
        else:
            info(f"persona '{name}' is {current.status}" + ("" if current.status == target else
                                                             f"; would become {target} (dry run)"))
        return
    confirm(f"{'Restore' if restore else 'Archive'} persona '{name}'?", yes=yes)
    updated = personas.archive_persona(app_ctx.engine, name, actor=app_ctx.actor, restore=restore)
    if json_:
        print_json(updated.to_dict(prompt=False))
    else:
        info(f"persona '{name}' is now {updated.status}")


@app.command("history")
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

    from .._output import print_rows

    versions = personas.persona_history(get_ctx(ctx).engine, name)
    rows = [v.to_dict(prompts=prompts) for v in versions]
    print_rows(rows, ["version", "created_at", "changed_by", "reason", "prompt_chars"],
               fmt=output_format(json_, csv_), title=f"History of {name}")


@app.command("diff")
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

    from .._output import info, print_json

    engine = get_ctx(ctx).engine
    newer = new if new is not None else str(personas.get_persona(engine, name).version)
    text = personas.diff_versions(engine, name, old, newer, context=context)
    if json_:
        print_json({"name": name, "old": personas.parse_version(old), "new": personas.parse_version(newer),
                    "diff": text})
        return
    if not text:
        info("no differences")
    _print_diff(text)


@app.command("rollback")
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

    from .._output import info, print_json

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
            _print_diff(text)
        return
    if not json_:
        _print_diff(text)
    confirm(f"Roll '{name}' back to the prompt of v{number} (as v{current.version + 1})?", yes=yes)
    updated = personas.rollback_persona(
        app_ctx.engine, name, number, actor=app_ctx.actor, reason=reason,
        expect_version=current.version if expect_version is None else expect_version,
    )
    if json_:
        print_json(updated.to_dict(prompt=False))
    else:
        info(f"persona '{name}': v{current.version} → v{updated.version} (prompt of v{number})")


@app.command("export")
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

    from .._output import info, print_json

    files = personas.export_personas(get_ctx(ctx).engine, directory, include_archived=not active_only)
    if json_:
        print_json({"directory": str(directory), "files": [str(f) for f in files]})
    else:
        for f in files:
            sys.stdout.write(f"{f}\n")
        info(f"exported {len(files)} persona(s) to {directory}")


def _show_plan(plan: ApplyPlan) -> None:
    from .._output import info

    for change in plan.changes:
        if change.action == "unchanged":
            continue
        info(f"{change.action}: {change.name}")
        for key, (old, new) in change.fields.items():
            info(f"  {key}: {old!r} → {new!r}")
        _print_diff(change.prompt_diff)
    counts = plan.counts()
    info(", ".join(f"{n} {a}" for a, n in counts.items()))


@app.command("apply")
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

    from .._output import info, print_json

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
