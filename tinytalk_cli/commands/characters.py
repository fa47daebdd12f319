"""`tinytalk characters`: AI characters and their seven emotion motions."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .._context import get_ctx, output_format
from .._options import CsvOpt, JsonOpt, given

app = typer.Typer(
    help="AI characters (ai_characters + character_emotions): list, show, create, update, check.\n\n"
    "Example: tinytalk characters check --json",
    no_args_is_help=True,
)

LIST_COLUMNS = ["id", "code", "name", "is_active", "is_default", "emotions_with_motion", "complete", "missing"]

MotionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--motion",
        "-m",
        help="EMOTION=GROUP[:INDEX] or EMOTION=URL; repeatable (idle, listening, thinking, speaking, "
        "praise, review, error).",
    ),
]


def _motions(specs: list[str] | None) -> dict[str, Any]:
    from tinytalk_sdk.admin.characters import parse_motion

    return dict(parse_motion(s) for s in specs or [])


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    incomplete: Annotated[bool, typer.Option("--incomplete", help="Only characters missing a motion.")] = False,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """List characters and how many of the 7 emotions have a motion.

    Example: tinytalk characters list --csv
    """
    from tinytalk_sdk.admin.characters import list_characters

    from .._output import print_rows

    rows = list_characters(get_ctx(ctx).engine, incomplete_only=incomplete)
    print_rows(rows, LIST_COLUMNS, fmt=output_format(json_, csv_), title="Characters")


@app.command("show")
def show_cmd(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Character code or id.")],
    json_: JsonOpt = False,
) -> None:
    """Show one character with its seven emotion slots.

    Example: tinytalk characters show haru --json
    """
    from tinytalk_sdk.admin.characters import get_character

    from .._output import print_json, print_record, print_rows

    record = get_character(get_ctx(ctx).engine, ref)
    if json_:
        print_json(record)
        return
    emotions = record.pop("emotions")
    print_record(record)
    print_rows(emotions, ["emotion", "motion_group", "motion_index", "motion_url", "expression", "has_motion"],
               title="Emotions")


@app.command("create")
def create_cmd(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Unique code the app uses (e.g. haru).")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    description: Annotated[str | None, typer.Option(help="Free text.")] = None,
    persona_id: Annotated[int | None, typer.Option("--persona-id", help="ai_personas.id it talks as.")] = None,
    model_url: Annotated[str | None, typer.Option("--model-url", help="URL of the .model3.json.")] = None,
    thumbnail_url: Annotated[str | None, typer.Option("--thumbnail-url")] = None,
    voice_id: Annotated[str | None, typer.Option("--voice-id", help="TTS voice.")] = None,
    default: Annotated[bool, typer.Option("--default", help="Make it the default character.")] = False,
    motion: MotionOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Create a character, optionally with emotion motions.

    Example: tinytalk characters create haru --name Haru -m idle=Idle:0 -m speaking=Talk:1
    """
    from tinytalk_sdk.admin.characters import create_character

    from .._output import info, print_json, print_record

    record = create_character(
        get_ctx(ctx).engine,
        code=code,
        name=name,
        motions=_motions(motion),
        **given(description=description, persona_id=persona_id, model_url=model_url,
                  thumbnail_url=thumbnail_url, voice_id=voice_id),
        is_default=default,
    )
    if json_:
        print_json(record)
        return
    record.pop("emotions")
    print_record(record)
    if not record["complete"]:
        info(f"incomplete: no motion for {', '.join(record['missing'])}")


@app.command("update")
def update_cmd(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="Character code or id.")],
    name: Annotated[str | None, typer.Option("--name")] = None,
    description: Annotated[str | None, typer.Option()] = None,
    persona_id: Annotated[int | None, typer.Option("--persona-id")] = None,
    model_url: Annotated[str | None, typer.Option("--model-url")] = None,
    thumbnail_url: Annotated[str | None, typer.Option("--thumbnail-url")] = None,
    voice_id: Annotated[str | None, typer.Option("--voice-id")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive", help="Show it in the app.")] = None,
    default: Annotated[bool | None, typer.Option("--default", help="Make it the default character.")] = None,
    motion: MotionOpt = None,
    remove_motion: Annotated[
        list[str] | None, typer.Option("--remove-motion", help="Delete an emotion's row; repeatable.")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Change a character's fields or emotion motions (one transaction).

    Example: tinytalk characters update haru -m praise=Happy:2 --inactive
    """
    from tinytalk_sdk.admin.characters import update_character

    from .._output import print_json, print_record

    record = update_character(
        get_ctx(ctx).engine,
        ref,
        motions=_motions(motion),
        remove_emotions=remove_motion,
        **given(name=name, description=description, persona_id=persona_id, model_url=model_url,
                  thumbnail_url=thumbnail_url, voice_id=voice_id, is_active=active, is_default=default),
    )
    if json_:
        print_json(record)
        return
    record.pop("emotions")
    print_record(record)


@app.command("check")
def check_cmd(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List characters missing a motion for any of the 7 emotions; exit code 4 when any is incomplete.

    Example: tinytalk characters check --json || echo "fix the characters first"
    """
    from tinytalk_sdk.admin.characters import check_characters

    from .._output import info, print_json, print_rows

    result = check_characters(get_ctx(ctx).engine)
    if json_:
        print_json(result)
    elif result["incomplete"]:
        print_rows(result["incomplete"], ["id", "code", "name", "missing"], title="Incomplete characters")
    if not json_:
        info(f"{result['checked']} checked, {len(result['incomplete'])} incomplete")
    if not result["ok"]:
        raise typer.Exit(4)  # ValidationError's code: the data is not fit for the app
