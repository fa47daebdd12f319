"""`tinytalk conversations`: sessions by user, date and persona; transcripts; a streaming JSONL export."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from .._context import get_ctx, output_format
from .._options import CsvOpt, JsonOpt, OutputOpt

if TYPE_CHECKING:
    from tinytalk_sdk.admin.conversations import ConversationFilter, Transcript

__all__ = ["app"]

app = typer.Typer(
    help="Conversations: list sessions, read a transcript, export messages as JSON Lines.\n\n"
    "Example: tinytalk conversations list --user kim@school.kr --from 7d",
    no_args_is_help=True,
)

UserOpt = Annotated[str | None, typer.Option("--user", "-u", help="Member id or email.")]
PersonaOpt = Annotated[str | None, typer.Option("--persona", help="Persona name.")]
FromOpt = Annotated[str | None, typer.Option("--from", help="At or after (2025-03-01, or 7d for 7 days ago).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Before (a date includes that whole day).")]


def _filter(ctx: typer.Context, user: str | None, persona: str | None, date_from: str | None,
            date_to: str | None) -> ConversationFilter:
    """The filter, with a --user that names no member reported as not found (exit 5), not as no rows."""
    from tinytalk_sdk.admin.conversations import ConversationFilter, check_filter

    flt = ConversationFilter(user=user, persona=persona, date_from=date_from, date_to=date_to)
    check_filter(get_ctx(ctx).engine, flt)
    return flt


@app.command("list")
def list_(
    ctx: typer.Context,
    user: UserOpt = None,
    persona: PersonaOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="At most this many sessions (0 = all).")] = 100,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """List conversation sessions, newest first.

    Example: tinytalk conversations list --persona tiny --from 2025-03-01 --to 2025-03-31 --csv
    """
    from tinytalk_sdk.admin import conversations

    from .._output import print_rows

    sessions = conversations.list_sessions(get_ctx(ctx).engine, _filter(ctx, user, persona, date_from, date_to),
                                           limit=limit or None)
    print_rows([s.to_dict() for s in sessions],
               ["id", "created_at", "user_email", "persona", "title", "status", "response_mode", "messages"],
               fmt=output_format(json_, csv_), title="Conversations")


def _render(transcript: Transcript) -> str:
    from .._output import json_default

    s = transcript.session
    who = {"user": s.user_name or s.user_email or f"user {s.user_id}",
           "assistant": s.persona or "tutor", "system": "system"}
    lines = [
        f"Conversation {s.id} · {s.user_name or ''} <{s.user_email}> · persona {s.persona or '-'}",
        f"started {json_default(s.created_at) if s.created_at else '-'} · {s.status} · {s.response_mode}"
        f" · {len(transcript.messages)} message(s)",
        "",
    ]
    for m in transcript.messages:
        when = json_default(m.created_at) if m.created_at else "-"
        extra = f" ({m.emotion})" if m.emotion else ""
        lines.append(f"[{when}] {who.get(m.role, m.role)}{extra}:")
        lines.extend("    " + line for line in (m.content.splitlines() or [""]))
        if m.audio_url:
            seconds = f" {m.audio_seconds:.1f}s" if m.audio_seconds else ""
            lines.append(f"    audio{seconds}: {m.audio_url}")
    return "\n".join(lines) + "\n"


@app.command("show")
def show(
    ctx: typer.Context,
    session_id: Annotated[int, typer.Argument(help="Conversation (chat session) id.")],
    json_: JsonOpt = False,
) -> None:
    """Print a readable transcript: who said what, when, with audio URLs.

    Example: tinytalk conversations show 1234
    """
    from tinytalk_sdk.admin import conversations

    from .._output import print_json

    transcript = conversations.get_transcript(get_ctx(ctx).engine, session_id)
    if json_:
        print_json(transcript.to_dict())
        return
    sys.stdout.write(_render(transcript))


@app.command("export")
def export(
    ctx: typer.Context,
    user: UserOpt = None,
    persona: PersonaOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="JSON Lines, one message per line (the default).")] = True,
    json_: Annotated[bool, typer.Option("--json", help="One JSON array instead of JSON Lines.")] = False,
    output: OutputOpt = None,
    batch: Annotated[int, typer.Option("--batch", help="Rows fetched per round trip.", min=1)] = 1000,
) -> None:
    """Export messages as JSON Lines (or --json: an array), streamed: constant memory on millions of rows.

    Example: tinytalk conversations export --jsonl --from 2025-03-01 -o march.jsonl
    """
    from tinytalk_sdk.admin import conversations

    from .._files import open_output
    from .._output import info

    flt = _filter(ctx, user, persona, date_from, date_to)
    fmt = "json" if json_ else "jsonl"
    engine = get_ctx(ctx).engine
    with open_output(output, newline="\n") as out:
        count = conversations.export_messages(engine, out, flt, fmt=fmt, batch=batch)
    info(f"exported {count} message(s)" + (f" to {output}" if output else ""))
