"""`tinytalk storage`: voice uploads by age and size, orphans both ways, and the clean-up of old files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._context import confirm, get_ctx, output_format
from .._options import CsvOpt, DryRunOpt, JsonOpt, YesOpt

__all__ = ["app"]

app = typer.Typer(
    help="Voice storage: report uploads by age and size (database vs folder), clean old uploads.\n\n"
    "Example: tinytalk storage clean --older-than 30d --dry-run",
    no_args_is_help=True,
)

DirOpt = Annotated[
    Path | None,
    typer.Option("--uploads-dir", help="Uploads folder (default: setting uploads_dir, else <data dir>/uploads)."),
]
PrefixOpt = Annotated[
    str | None,
    typer.Option("--url-prefix", help="Public URL of the folder (https://host/uploads/); default: match by "
                 "the end of the URL path."),
]


def _size(n: int) -> str:
    from .._output import human_size

    return human_size(n)


@app.command("report")
def report(
    ctx: typer.Context,
    uploads_dir: DirOpt = None,
    url_prefix: PrefixOpt = None,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
) -> None:
    """Voice uploads by age bucket and size, from chat_messages and the uploads folder, with orphans.

    Example: tinytalk storage report --json
    """
    from tinytalk_sdk.admin import storage

    from .._output import info, print_json, print_rows, warn

    app_ctx = get_ctx(ctx)
    folder = uploads_dir or storage.uploads_dir(app_ctx.config)
    result = storage.storage_report(app_ctx.engine, folder, url_prefix=url_prefix)
    if json_:
        print_json(result.to_dict())
        return
    print_rows([b.to_dict() for b in result.buckets], ["age", "db_messages", "db_bytes", "files", "file_bytes"],
               fmt=output_format(False, csv_), title=f"Voice uploads ({folder})")
    if not result.folder_exists:
        warn(f"{folder} does not exist: only the database side is reported")
    info(f"database: {result.db_messages} message(s) with audio, {_size(result.db_bytes)}; "
         f"folder: {result.files} file(s), {_size(result.file_bytes)}; matched {result.matched}")
    info(f"missing files (URL with no file): {result.missing_files}")
    for example in result.missing_examples[:5]:
        info(f"  message {example['message_id']}: {example['audio_url']}")
    info(f"orphan files (no message): {result.orphan_files}, {_size(result.orphan_bytes)}")
    for rel in result.orphan_examples[:5]:
        info(f"  {rel}")


@app.command("clean")
def clean(
    ctx: typer.Context,
    older_than: Annotated[str, typer.Option("--older-than", help="Age by file time: 30d, 12h, 2w.")],
    uploads_dir: DirOpt = None,
    url_prefix: PrefixOpt = None,
    keep_urls: Annotated[
        bool, typer.Option("--keep-urls", help="Leave chat_messages.audio_url as it is (default: set NULL).")
    ] = False,
    dry_run: DryRunOpt = False,
    yes: YesOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Delete upload files older than --older-than and clear the audio URLs that pointed to them.

    The toolkit's side of cleanup_uploads.php. Statistics (audio_bytes, audio_seconds) are kept.

    Example: tinytalk storage clean --older-than 30d --yes
    """
    from tinytalk_sdk.admin import storage
    from tinytalk_sdk.admin._when import parse_duration

    from .._output import info, print_json

    app_ctx = get_ctx(ctx)
    age = parse_duration(older_than, field="--older-than")
    folder = uploads_dir or storage.uploads_dir(app_ctx.config)
    plan = storage.clean_uploads(app_ctx.engine, folder, older_than=age, dry_run=True, keep_urls=keep_urls,
                                 url_prefix=url_prefix)
    summary = (f"{plan.deleted_files} file(s), {_size(plan.freed_bytes)} older than {older_than} in {folder}"
               f" ({plan.orphans_deleted} orphan(s)); {plan.urls_cleared} audio URL(s) to clear")
    result = plan
    plan.dry_run = dry_run
    if dry_run or plan.deleted_files == 0:
        if not json_:
            info(("would delete " if dry_run else "nothing to delete: ") + summary)
            for rel in plan.files[:20]:
                info(f"  {rel}")
    else:
        confirm(f"Delete {summary}?", yes=yes)
        result = storage.clean_uploads(app_ctx.engine, folder, older_than=age, keep_urls=keep_urls,
                                       url_prefix=url_prefix, now=plan.cutoff + age)
        if not json_:
            info(f"deleted {result.deleted_files} file(s), freed {_size(result.freed_bytes)}, "
                 f"cleared {result.urls_cleared} URL(s)")
            for failure in result.failed:
                info(f"  could not delete {failure}")
    if json_:
        print_json(result.to_dict())
    if result.failed:
        from tinytalk_sdk import TinyTalkError

        raise TinyTalkError(f"{len(result.failed)} file(s) could not be deleted: {result.failed[0]}")
