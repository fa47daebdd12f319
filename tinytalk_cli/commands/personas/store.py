"""`tinytalk personas list | show | create | edit | archive`: the personas themselves, prompts in $EDITOR or a file."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..._context import confirm, get_ctx, output_format
from ..._options import CsvOpt, DryRunOpt, JsonOpt, YesOpt, given
from ._common import ExpectOpt, NameArg, ReasonOpt

PromptFileOpt = Annotated[
    Path | None,
    typer.Option("--prompt-file", "-f", help="Read the prompt from this UTF-8 file ('-' = stdin) "
                 "instead of opening $EDITOR.", allow_dash=True),
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

    from ..._output import print_rows

    app_ctx = get_ctx(ctx)
    rows = [p.to_dict(prompt=False) for p in personas.list_personas(app_ctx.engine, include_archived=all_)]
    print_rows(rows, ["name", "display_name", "version", "model", "temperature", "status", "is_default",
                      "prompt_lines", "updated_at"], fmt=output_format(json_, csv_), title="Personas")


def show(ctx: typer.Context, name: NameArg, json_: JsonOpt = False) -> None:
    """Show one persona with its full prompt.

    Example: tinytalk personas show tiny
    """
    from tinytalk_sdk.admin import personas

    from ..._output import print_json, print_record

    persona = personas.get_persona(get_ctx(ctx).engine, name)
    if json_:
        print_json(persona.to_dict())
        return
    record = persona.to_dict(prompt=False)
    print_record(record)
    sys.stdout.write("\n" + persona.system_prompt + ("" if persona.system_prompt.endswith("\n") else "\n"))


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

    from ..._output import info, print_json

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

    from ..._output import info, print_json

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

    from ..._output import info, print_json

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

