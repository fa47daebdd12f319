"""`tinytalk api`: the TinyTalk API from a terminal, over the SDK's TinyTalk client.

The base URL is the profile's ``api_url`` (default: the local server ``http://127.0.0.1:8787/api``);
the token is the profile's ``api_token``, stored by ``tinytalk api login``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._context import get_ctx, output_format
from .._options import CsvOpt, JsonOpt

if TYPE_CHECKING:
    from tinytalk_sdk._client import TinyTalk

app = typer.Typer(
    help="Call the TinyTalk API (login, sessions, chat, speech, config, health).\n\n"
    "Example: tinytalk api login --email minjun.kim@example.com",
    no_args_is_help=True,
)
sessions_app = typer.Typer(
    help="Chat sessions of the logged-in user.\n\nExample: tinytalk api sessions list --json",
    no_args_is_help=True,
)
app.add_typer(sessions_app, name="sessions")

DEFAULT_API_URL = "http://127.0.0.1:8787/api"



def _client(ctx: typer.Context, *, need_token: bool = True) -> TinyTalk:
    from tinytalk_sdk._client import TinyTalk
    from tinytalk_sdk._exceptions import MissingCredentialError

    cfg = get_ctx(ctx).config
    token = cfg.get("api_token")
    if need_token and not token:
        raise MissingCredentialError("api_token", profile=cfg.profile,
                                     hint="log in first: `tinytalk api login --email …`")
    return TinyTalk(base_url=cfg.get("api_url") or DEFAULT_API_URL, token=token)


def _dump(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(mode="json"))


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar on stderr (silent when stderr is not a terminal)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from .._output import err_console

    console = err_console()
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield update


@app.command()
def login(
    ctx: typer.Context,
    email: Annotated[str, typer.Option("--email", "-e", help="Account e-mail.", prompt=True)],
    pin_stdin: Annotated[bool, typer.Option("--pin-stdin", help="Read the PIN from stdin.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Log in and store the token in the profile (the PIN is asked without echo).

    Example: echo 1234 | tinytalk api login --email minjun.kim@example.com --pin-stdin
    """
    from tinytalk_sdk.config import write_setting

    if pin_stdin or not sys.stdin.isatty():
        pin = sys.stdin.readline().strip()
    else:
        pin = typer.prompt("PIN", hide_input=True, err=True)
    client = _client(ctx, need_token=False)
    with client:
        result = client.auth.login(email=email, pin=pin)
    cfg = get_ctx(ctx).config
    where = write_setting(cfg, "api_token", result.token)
    from .._output import info, print_record

    info(f"logged in as {result.user.email}; token stored in the {where} of profile '{cfg.profile}'")
    record = {"user_id": result.user.id, "email": result.user.email, "name": result.user.name,
              "expires_at": result.expires_at}
    print_record(record, fmt=output_format(json_))


@app.command()
def logout(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Revoke the stored token and forget it.

    Example: tinytalk api logout
    """
    from tinytalk_sdk.config import write_setting

    from .._output import print_record

    with _client(ctx) as client:
        result = client.auth.logout()
    write_setting(get_ctx(ctx).config, "api_token", None)
    print_record(_dump(result), fmt=output_format(json_))


@app.command()
def me(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """The logged-in user.

    Example: tinytalk api me --json
    """
    from .._output import print_record

    with _client(ctx) as client:
        print_record(_dump(client.auth.me().user), fmt=output_format(json_))


SESSION_COLUMNS = ["id", "session_date", "status", "title", "response_mode", "message_count", "created_at"]


@sessions_app.command("list")
def sessions_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many (1-100).")] = 20,
    offset: Annotated[int, typer.Option(help="Skip this many (newest first).")] = 0,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """List sessions, newest first.

    Example: tinytalk api sessions list --limit 5 --csv
    """
    from .._output import print_rows

    with _client(ctx) as client:
        page = client.sessions.list(limit=limit, offset=offset)
    rows = [_dump(s) for s in page.sessions]
    print_rows(rows, SESSION_COLUMNS, fmt=output_format(json_, csv_), title=f"{page.total} sessions")


@sessions_app.command("history")
def sessions_history(
    ctx: typer.Context,
    session_id: Annotated[int, typer.Argument(help="Session id.")],
    limit: Annotated[int, typer.Option(help="How many messages (1-500).")] = 100,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """Messages of one session, oldest first.

    Example: tinytalk api sessions history 12 --json
    """
    from .._output import print_rows

    with _client(ctx) as client:
        history = client.sessions.history(session_id=session_id, limit=limit)
    rows = [_dump(m) for m in history.messages]
    print_rows(rows, ["id", "role", "content", "emotion", "created_at"], fmt=output_format(json_, csv_),
               json_payload=_dump(history) if json_ else None)


def _print_session(result: Any, json_: bool) -> None:
    from .._output import print_record

    record = _dump(result.session)
    if result.resumed is not None:
        record["resumed"] = result.resumed
    print_record(record, fmt=output_format(json_))


@sessions_app.command("create")
def sessions_create(
    ctx: typer.Context,
    title: Annotated[str | None, typer.Option(help="Session title.")] = None,
    mode: Annotated[str | None, typer.Option("--mode", help="text | audio | video")] = None,
    json_: JsonOpt = False,
) -> None:
    """Create a chat session (retried safely with an idempotency key).

    Example: tinytalk api sessions create --title "Day 1" --mode text
    """
    with _client(ctx) as client:
        _print_session(client.sessions.create(title=title, response_mode=mode), json_)  # type: ignore[arg-type]


@sessions_app.command("resume")
def sessions_resume(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Today's session (created when there is none).

    Example: tinytalk api sessions resume --json
    """
    with _client(ctx) as client:
        _print_session(client.sessions.resume(), json_)


@sessions_app.command("save")
def sessions_save(
    ctx: typer.Context,
    session_id: Annotated[int, typer.Argument(help="Session id.")],
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Mark a session saved.

    Example: tinytalk api sessions save 12
    """
    with _client(ctx) as client:
        _print_session(client.sessions.save(session_id=session_id, title=title), json_)


@sessions_app.command("summarize")
def sessions_summarize(
    ctx: typer.Context, session_id: Annotated[int, typer.Argument(help="Session id.")], json_: JsonOpt = False
) -> None:
    """A GPT summary of a session (stored on it).

    Example: tinytalk api sessions summarize 12
    """
    from .._output import print_record

    with _client(ctx) as client:
        print_record(_dump(client.sessions.summarize(session_id=session_id)), fmt=output_format(json_))


@app.command()
def chat(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What the learner says.")],
    session: Annotated[int | None, typer.Option("--session", "-s",
                                                 help="Session id (default: today's session).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="One JSON event per line on stdout.")] = False,
) -> None:
    """Chat with streaming: tokens appear as they arrive.

    Example: tinytalk api chat "I goed to school" --session 12
    """
    from tinytalk_sdk._exceptions import ServerError
    from tinytalk_sdk._streaming import DeltaEvent, DoneEvent, ErrorEvent

    from .._output import info

    with _client(ctx) as client:
        session_id = session if session is not None else client.sessions.resume().session.id
        with client.pipeline.chat_stream(session_id=session_id, message=text) as stream:
            for event in stream:
                if json_:
                    sys.stdout.write(json.dumps(event.model_dump(mode="json"), ensure_ascii=False) + "\n")
                elif isinstance(event, DeltaEvent):
                    sys.stdout.write(event.text)
                elif isinstance(event, DoneEvent):
                    sys.stdout.write("\n")
                sys.stdout.flush()
                if isinstance(event, ErrorEvent):
                    raise ServerError(f"POST /gpt_stream.php: the stream failed: {event.code}: {event.message}",
                                      endpoint="/gpt_stream.php", method="POST")
        if not json_ and stream.ttft is not None and stream.total_time is not None:
            info(f"session {session_id} · first token {stream.ttft * 1000:.0f} ms · "
                 f"total {stream.total_time * 1000:.0f} ms")


@app.command()
def transcribe(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="wav, mp3, m4a, webm or ogg; at most 25 MB.")],
    session: Annotated[int | None, typer.Option("--session", "-s", help="Save as a message here.")] = None,
    language: Annotated[str | None, typer.Option(help="Language hint, e.g. en.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Upload audio and print what was recognised.

    Example: tinytalk api transcribe hello.wav --json
    """
    from .._output import print_record

    with _client(ctx) as client, _progress(f"uploading {file.name}") as progress:
        result = client.pipeline.transcribe(file, session_id=session, language=language, progress=progress)
    if json_:
        print_record(_dump(result), fmt=output_format(json_))
    else:
        sys.stdout.write(result.text + "\n")


@app.command()
def speak(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Text to speak.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Audio file to write.")],
    voice: Annotated[str | None, typer.Option("--voice", help="Voice id.")] = None,
    session: Annotated[int | None, typer.Option("--session", "-s", help="Session id (usage log).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Text to speech, streamed to a file in the format its extension names (.mp3, .wav, .ogg, .flac: converted
    when the server sends another one).

    Example: tinytalk api speak "Great job!" -o praise.mp3
    """
    from tinytalk_sdk.audio_files import match_extension

    from .._output import info, print_record, warn

    with _client(ctx) as client, _progress(f"downloading {output.name}") as progress:
        result = client.pipeline.speak(text=text, to=output, voice_id=voice, session_id=session,
                                       progress=progress)
    saved = match_extension(output, result.content_type)  # -o x.mp3 holds MP3, whatever the provider sent
    record = {"path": str(saved.path), "bytes": saved.bytes, "content_type": saved.content_type,
              "received_content_type": result.content_type, "converted_from": saved.converted_from}
    if saved.renamed_from is not None:
        warn(f"cannot convert {result.content_type} to {output.suffix}: wrote {saved.path} instead of {output}")
    if json_:
        print_record(record, fmt=output_format(json_))
    elif saved.converted_from:
        info(f"wrote {saved.bytes} bytes of {saved.content_type} to {saved.path} "
             f"(converted from the {saved.converted_from} the server sent)")
    else:
        info(f"wrote {saved.bytes} bytes of {saved.content_type} to {saved.path}")


@app.command("config")
def app_config(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """The app configuration (avatar provider, flags, default character).

    Example: tinytalk api config --json
    """
    from .._output import print_record

    with _client(ctx, need_token=False) as client:
        cfg = client.config.app()
    record = _dump(cfg)
    if not json_ and cfg.default_character is not None:
        record["default_character"] = cfg.default_character.code
    print_record(record, fmt=output_format(json_))


@app.command()
def character(
    ctx: typer.Context,
    id_: Annotated[int | None, typer.Option("--id", help="Character id.")] = None,
    code: Annotated[str | None, typer.Option(help="Character code.")] = None,
    mine: Annotated[bool, typer.Option("--mine", help="The character assigned to me.")] = False,
    json_: JsonOpt = False,
) -> None:
    """A character with its emotion motions (default: the default character).

    Example: tinytalk api character --code hana --json
    """
    from .._output import print_record, print_rows

    with _client(ctx) as client:
        if mine:
            got = client.config.user_character()
            char = got.character
        else:
            char = client.config.character(id=id_, code=code).character
    if json_:
        print_record(_dump(char) if char else {}, fmt=output_format(json_))
        return
    if char is None:
        from .._output import info

        info("no character assigned")
        return
    print_rows([_dump(e) for e in char.emotions], ["emotion", "motion_group", "motion_index", "expression",
                                                    "loop"], title=f"{char.code}: {char.name}")


@app.command()
def health(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """API health (no login needed).

    Example: tinytalk api health --json
    """
    from .._output import print_record

    with _client(ctx, need_token=False) as client:
        print_record(_dump(client.ops.health()), fmt=output_format(json_))
