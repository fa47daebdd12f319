"""`tinytalk live2d preview | lipsync | publish | versions | rollback | prune` (docs/publishing.md).

Registered on the `live2d` group by :func:`register`. Thin: parse → call ``live2d_tools`` / ``tinytalk_sdk.cdn``
→ render. Heavy modules are imported inside the commands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._context import confirm, get_ctx, output_format
from .._options import CsvOpt, DryRunOpt, JsonOpt, YesOpt

if TYPE_CHECKING:
    from tinytalk_sdk.cdn import Backend
    from tinytalk_sdk.config import Config

__all__ = ["default_cdn_url", "register"]

CharacterArg = Annotated[str, typer.Argument(help="Character code.")]
ToOpt = Annotated[
    str | None,
    typer.Option(
        "--to",
        help="Where to publish: file://DIR, sftp://user@host[:port]/path or s3://bucket/prefix. "
        "Default: the profile's cdn_url, else file://<data dir>/cdn.",
    ),
]


WaitOpt = Annotated[
    bool,
    typer.Option("--wait", help="If another publisher holds the character's lease, wait for it (up to the "
                 "lease's 15 minutes) instead of failing."),
]


def _wait_seconds(wait: bool) -> float | None:
    from tinytalk_sdk.cdn.lease import DEFAULT_LEASE_TTL

    return DEFAULT_LEASE_TTL + 60.0 if wait else None


def default_cdn_url(config: Config, given: str | None = None) -> str:
    """``--to``, else the profile's ``cdn_url``, else the local CDN folder the local server serves."""
    if given:
        return given
    configured = config.get("cdn_url")
    if configured:
        return configured
    from tinytalk_sdk.config import data_dir

    return "file://" + (data_dir() / "cdn").as_posix()


@contextmanager
def _backend(ctx: typer.Context, to: str | None) -> Iterator[Backend]:
    """The CDN backend of ``--to`` (or the profile's), closed (SFTP/S3 connections) however the command ends."""
    from tinytalk_sdk.cdn import open_backend

    config = get_ctx(ctx).config
    backend = open_backend(default_cdn_url(config, to), config)
    try:
        yield backend
    finally:
        backend.close()


def _human(n: int) -> str:
    from .._output import human_size

    return human_size(n, binary=True)


def register(app: typer.Typer) -> None:
    @app.command("preview")
    def preview_cmd(
        path: Annotated[Path, typer.Argument(help="A model folder or its *.model3.json.")],
        out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the images (created).")],
        render: Annotated[
            bool | None,
            typer.Option("--render/--static", help="Force rendering with the Cubism Core, or static images only. "
                         "Default: render when the render extra and a display/Xvfb are available."),
        ] = None,
        fps: Annotated[int, typer.Option("--fps", min=1, max=50, help="Frames per simulated second.")] = 30,
        max_seconds: Annotated[
            float, typer.Option("--max-seconds", min=0.1, help="Cap on each clip (clips last the motion's "
                                "Meta.Duration).")
        ] = 6.0,
        still_at: Annotated[
            float | None,
            typer.Option("--still-at", min=0.0, help="Take each still at this many seconds. Default: the motion's "
                         "midpoint, or later if its fade-in and the pose fade take longer."),
        ] = None,
        width: Annotated[int, typer.Option("--width", min=16, max=4096, help="Frame width in pixels.")] = 400,
        height: Annotated[int, typer.Option("--height", min=16, max=4096, help="Frame height in pixels.")] = 600,
        motions: Annotated[
            bool, typer.Option("--motions/--no-motions", help="Also render a still of every motion group/index.")
        ] = True,
        video: Annotated[
            bool, typer.Option("--video/--no-video", help="Write an MP4 beside each GIF (needs imageio-ffmpeg).")
        ] = True,
        json_: JsonOpt = False,
    ) -> None:
        """Preview a model: idle and every mapped emotion rendered by the Cubism Core on simulated time (stills,
        GIFs at true speed, MP4s), a still of every motion, and index.html; or a texture contact sheet and a
        summary card when it cannot render. Unmapped emotions are named, not errors.

        Example: tinytalk live2d preview ./Hiyori -o preview/
        """
        from live2d_tools.preview import PreviewError, preview
        from tinytalk_sdk import ValidationError

        from .._output import info, print_json, warn

        if not path.exists():
            raise ValidationError(f"{path}: no such file or folder")
        try:
            result = preview(path, out, render=render, fps=fps, max_seconds=max_seconds, still_at=still_at,
                             width=width, height=height, motion_sheet=motions, video=video)  # fmt: skip
        except PreviewError as exc:
            raise ValidationError(str(exc)) from None
        if json_:
            print_json({**result.to_dict(), "out": str(out)})
            return
        if result.reason:
            warn(f"static preview only: {result.reason}")
        if result.missing_emotions:
            warn(f"emotions not mapped yet: {', '.join(result.missing_emotions)} (see docs/live2d.md)")
        for name in result.files:
            print(out / name)
        v = result.verdict
        info(f"{len(result.files)} file(s) in {out} ({result.mode}); validation: {v.get('errors', 0)} errors, "
             f"{v.get('warnings', 0)} warnings")

    @app.command("lipsync")
    def lipsync_cmd(
        audio: Annotated[Path, typer.Argument(help="Speech audio: WAV or MP3 (e.g. a TTS answer).")],
        model: Annotated[Path, typer.Option("--model", help="The model folder or *.model3.json (LipSync ids, FPS).")],
        out: Annotated[Path, typer.Option("-o", "--out", help="The motion3.json to write.")] = Path(
            "speaking.motion3.json"
        ),
        alignment: Annotated[
            Path | None,
            typer.Option("--alignment", help="ElevenLabs character timestamps (JSON) for a mouth-form curve."),
        ] = None,
        fps: Annotated[int | None, typer.Option("--fps", min=1, max=120, help="Frames per second "
                                                "(default: the model's motions' FPS).")] = None,
        json_: JsonOpt = False,
    ) -> None:
        """Make a speaking motion whose mouth follows the audio's loudness (and vowels, with --alignment).

        Example: tinytalk live2d lipsync answer.mp3 --model ./Hiyori -o Hiyori/motions/speaking.motion3.json
        """
        import json

        from live2d_tools.lipsync import LipSyncError, lipsync_motion, lipsync_parameters, model_fps
        from tinytalk_sdk import ValidationError

        from .._files import write_text_file
        from .._output import info, print_json

        model3 = model
        if model.is_dir():
            found = sorted(model.glob("*.model3.json"))
            if len(found) != 1:
                raise ValidationError(f"{model}: expected one *.model3.json, found {len(found)}")
            model3 = found[0]
        if not model3.is_file():
            raise ValidationError(f"{model}: no such model3.json")
        align: Any = None
        if alignment is not None:
            try:
                align = json.loads(alignment.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValidationError(f"{alignment}: not a readable JSON file ({exc})") from None
            if isinstance(align, dict) and "characters" not in align:
                # a whole ElevenLabs "with-timestamps" response: take its alignment object
                align = align.get("alignment") or align.get("normalized_alignment") or align
        ids = lipsync_parameters(model3)
        rate = fps or model_fps(model3)
        try:
            motion = lipsync_motion(audio, fps=rate, parameter_ids=ids, alignment=align)
        except LipSyncError as exc:
            raise ValidationError(str(exc)) from None
        write_text_file(out, json.dumps(motion, indent=1) + "\n", make_parents=True)
        record = {
            "out": str(out),
            "duration": motion["Meta"]["Duration"],
            "fps": rate,
            "parameters": [c["Id"] for c in motion["Curves"]],
            "segments": motion["Meta"]["TotalSegmentCount"],
        }
        if json_:
            print_json(record)
            return
        print(out)
        info(f"{record['duration']:.2f} s at {rate} fps on {', '.join(record['parameters'])}")

    @app.command("publish")
    def publish_cmd(
        ctx: typer.Context,
        path: Annotated[Path, typer.Argument(help="A model folder, *.model3.json or .zip (validated first).")],
        to: ToOpt = None,
        character: Annotated[
            str | None, typer.Option("--character", help="Character code (default: the model3.json name, lower case).")
        ] = None,
        version: Annotated[
            str | None, typer.Option("--version", help="Version label (default: a content hash of the files).")
        ] = None,
        max_moc_version: Annotated[
            int | None, typer.Option("--max-moc-version", help="Refuse a moc3 newer than the app's Core.")
        ] = None,
        dry_run: DryRunOpt = False,
        verify: Annotated[bool, typer.Option("--verify", help="Re-read sizes and hashes after upload.")] = False,
        register_: Annotated[
            bool,
            typer.Option("--register", help="Then write ai_characters + the 7 character_emotions rows "
                         "(needs all 7 emotions; implies --verify)."),
        ] = False,
        workers: Annotated[int, typer.Option("--workers", min=1, max=32, help="Parallel uploads.")] = 4,
        wait: WaitOpt = False,
        json_: JsonOpt = False,
    ) -> None:
        """Validate a model, then publish it to the CDN: versioned files, manifest, pointer swapped last.

        Re-publishing an unchanged model uploads nothing; a changed one uploads only the changed files.

        Example: tinytalk live2d publish ./Hiyori --to sftp://deploy@cdn.example.com/assets/live2d --register
        """
        from tinytalk_sdk import ValidationError
        from tinytalk_sdk.cdn import publish_live2d

        from .._output import err_console, info, print_json, print_rows, warn

        app_ctx = get_ctx(ctx)
        progress_bar: Any = None
        task: Any = None

        def on_progress(event: Any) -> None:
            nonlocal progress_bar, task
            if json_:
                return
            if progress_bar is None:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

                progress_bar = Progress(
                    TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    console=err_console(), transient=True,
                )
                progress_bar.start()
                task = progress_bar.add_task("uploading", total=event.total, completed=event.done - 1)
            progress_bar.update(task, completed=event.done, description=event.path[-40:])

        try:
            with _backend(ctx, to) as backend:
                try:
                    done = publish_live2d(
                        backend, path, character=character, require_emotions=register_,
                        max_moc_version=max_moc_version, version=version, dry_run=dry_run,
                        verify=verify or register_, max_workers=workers, progress=on_progress,
                        wait=_wait_seconds(wait),
                    )
                finally:
                    if progress_bar is not None:
                        progress_bar.stop()
        except ValidationError as exc:
            if not json_:
                for finding in exc.errors[:20]:
                    if isinstance(finding, dict) and finding.get("rule_id"):
                        warn(f"{finding['rule_id']} {finding.get('file', '')}{finding.get('pointer', '')}: "
                             f"{finding.get('message', '')}")
            raise
        result = done.result
        payload = done.to_dict()
        if register_ and not dry_run:
            from tinytalk_sdk.characters_registry import DEFAULT_PUBLIC_URL, register_published_character

            base = app_ctx.config.get("cdn_public_url") or DEFAULT_PUBLIC_URL
            payload["character_id"] = register_published_character(app_ctx.engine, result.manifest, base)
            payload["public_base_url"] = base
        if json_:
            print_json(payload)
            return
        if dry_run:
            print_rows([{"path": i.path, "action": i.action, "size": i.size} for i in result.items],
                       ["path", "action", "size"], title=f"plan for {result.character} {result.version}")
            info(f"dry run: would upload {result.uploaded_files} file(s), {_human(result.planned_upload_bytes)}; "
                 f"copy {result.copied_files} server-side; keep {result.kept_files}")
            return
        print(f"{result.character}\t{result.version}")
        state = "pointer swapped" if result.pointer_changed else "already current"
        info(f"{result.backend}: uploaded {result.uploaded_files} file(s), {_human(result.uploaded_bytes)} "
             f"({result.uploaded_bytes} bytes); copied {result.copied_files}; unchanged {result.kept_files}; "
             f"{state}" + (f" (was {result.previous_version})" if result.previous_version and
                           result.pointer_changed else ""))
        if "character_id" in payload:
            info(f"registered character {result.character} (id {payload['character_id']}) with 7 emotions")

    @app.command("versions")
    def versions_cmd(
        ctx: typer.Context,
        character: CharacterArg,
        to: ToOpt = None,
        json_: JsonOpt = False,
        csv_: CsvOpt = False,
    ) -> None:
        """List the published versions of a character, newest first; `current` marks the one served.

        Example: tinytalk live2d versions hiyori --to s3://assets/live2d --json
        """
        from tinytalk_sdk.cdn import versions

        from .._output import print_rows

        fmt = output_format(json_, csv_)
        with _backend(ctx, to) as backend:
            rows = [v.to_dict() for v in versions(backend, character)]
        print_rows(rows, ["version", "created_at", "files", "bytes", "moc_version", "current"], fmt=fmt,
                   title=f"{character} versions")

    @app.command("rollback")
    def rollback_cmd(
        ctx: typer.Context,
        character: CharacterArg,
        version: Annotated[str, typer.Argument(help="A published version (see `live2d versions`).")],
        to: ToOpt = None,
        register_: Annotated[
            bool, typer.Option("--register", help="Also point the database rows at that version.")
        ] = False,
        dry_run: DryRunOpt = False,
        wait: WaitOpt = False,
        json_: JsonOpt = False,
    ) -> None:
        """Serve an earlier version again: one atomic swap of the `current` pointer.

        Example: tinytalk live2d rollback hiyori 3f2a9c0d1e2b4a5c --to file:///srv/cdn
        """
        from tinytalk_sdk.cdn import current_version, read_manifest, rollback

        from .._output import info, print_record

        app_ctx = get_ctx(ctx)
        with _backend(ctx, to) as backend:
            manifest = read_manifest(backend, character, version)  # NotFoundError when it does not exist
            if dry_run:
                record: dict[str, Any] = {"character": character, "previous_version":
                                          current_version(backend, character), "version": version,
                                          "changed": False, "dry_run": True}
            else:
                record = rollback(backend, character, version, wait=_wait_seconds(wait))
        if register_ and not dry_run:
            from tinytalk_sdk.characters_registry import DEFAULT_PUBLIC_URL, register_published_character

            base = app_ctx.config.get("cdn_public_url") or DEFAULT_PUBLIC_URL
            record["character_id"] = register_published_character(app_ctx.engine, manifest, base)
        print_record(record, fmt=output_format(json_))
        if not json_ and not dry_run:
            info(f"{character} now serves {version}" if record["changed"] else f"{character} already serves {version}")

    @app.command("prune")
    def prune_cmd(
        ctx: typer.Context,
        character: CharacterArg,
        keep: Annotated[int, typer.Option("--keep", min=1, help="How many newest versions to keep.")],
        to: ToOpt = None,
        dry_run: DryRunOpt = False,
        yes: YesOpt = False,
        wait: WaitOpt = False,
        json_: JsonOpt = False,
    ) -> None:
        """Delete old versions, keeping the N newest and always the one currently served.

        Example: tinytalk live2d prune hiyori --keep 3 --dry-run
        """
        from tinytalk_sdk.cdn import prune

        from .._output import info, print_json

        with _backend(ctx, to) as backend:
            plan = prune(backend, character, keep=keep, dry_run=True)
            if not dry_run and plan.deleted:
                confirm(f"Delete {len(plan.deleted)} version(s) of {character} "
                        f"({plan.deleted_files} files, {_human(plan.freed_bytes)}) from {backend.url}?", yes=yes)
                plan = prune(backend, character, keep=keep, wait=_wait_seconds(wait))
        if json_:
            print_json(plan.to_dict())
            return
        for v in plan.deleted:
            print(v)
        verb = "would delete" if dry_run else "deleted"
        info(f"{verb} {len(plan.deleted)} version(s), {plan.deleted_files} file(s), {_human(plan.freed_bytes)}; "
             f"kept {', '.join(plan.kept) or 'none'}")
