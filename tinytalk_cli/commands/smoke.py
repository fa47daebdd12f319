"""`tinytalk smoke`: the conversation pipeline end to end, with a pass/fail and timing per stage."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._options import JsonOpt

if TYPE_CHECKING:
    from tinytalk_sdk.smoke import SmokeReport, StageResult

STAGE_COLUMNS = ["stage", "status", "seconds", "detail"]
METRIC_LABELS = {
    "stt_latency": "STT latency",
    "ttft": "GPT time to first token",
    "gpt_total": "GPT total",
    "tts_ttfb": "TTS time to first byte",
    "tts_total": "TTS total",
    "avatar_ready": "avatar ready",
    "speech_to_avatar": "end of speech → avatar",
}


def stage_rows(report: SmokeReport) -> list[dict[str, Any]]:
    return [{"stage": s.name, "status": s.status, "seconds": s.seconds, "detail": s.detail} for s in report.stages]


def metric_lines(report: SmokeReport) -> list[str]:
    lines = [f"{label}: {report.metrics[key]:.3f} s" for key, label in METRIC_LABELS.items()
             if report.metrics.get(key) is not None]
    if report.wer is not None:
        lines.append(f"STT word error rate: {report.wer:.2f}")
    return lines


def register(app: typer.Typer) -> None:
    @app.command("smoke")
    def smoke(
        ctx: typer.Context,
        target: Annotated[str, typer.Option(
            "--target", help="api: through the TinyTalk API (by profile); providers: straight to the vendors.",
            case_sensitive=False)] = "api",
        avatar: Annotated[str, typer.Option(
            "--avatar", help="Avatar step: replika (Live2D lip-sync), heygen or liveavatar (providers target).",
            case_sensitive=False)] = "replika",
        audio: Annotated[Path | None, typer.Option(
            "--audio", exists=True, dir_okay=False, readable=True,
            help="A push-to-talk clip to upload instead of the espeak-ng one (no WER then).")] = None,
        utterance: Annotated[str | None, typer.Option(
            "--utterance", help="What the generated clip says (the WER reference).")] = None,
        api_url: Annotated[str | None, typer.Option(
            "--api-url", help="TinyTalk API base URL (…/api); default: the profile's api_url.")] = None,
        start_server: Annotated[bool | None, typer.Option(
            "--start-server/--no-start-server",
            help="Start the local server when none answers (default: only on the default profile).")] = None,
        fakes: Annotated[bool | None, typer.Option(
            "--fakes/--no-fakes",
            help="providers target: use the vendor fakes (default: when no vendor key is configured).")] = None,
        json_: JsonOpt = False,
    ) -> None:
        """Register a test user, talk once (STT → GPT stream → TTS stream → avatar), check the rows, clean up.

        Rows are tagged 'smoke' so usage reports can leave them out. Exit code 12 when a stage fails.

        Example: tinytalk smoke --target providers --avatar heygen --json
        """
        from tinytalk_sdk import CheckFailedError
        from tinytalk_sdk.smoke import DEFAULT_UTTERANCE, run_smoke

        from .._context import get_ctx
        from .._output import err_console, info, print_json, print_rows

        target_ = target.lower()
        avatar_ = avatar.lower()
        if target_ not in ("api", "providers"):
            raise typer.BadParameter(f"must be api or providers, not '{target}'", param_hint="--target")
        if avatar_ not in ("replika", "heygen", "liveavatar"):
            raise typer.BadParameter(f"must be replika, heygen or liveavatar, not '{avatar}'", param_hint="--avatar")
        if avatar_ == "liveavatar" and target_ != "providers":
            # through the API the video mode is whichever vendor the platform's video_avatar_vendor names
            raise typer.BadParameter("liveavatar runs on --target providers", param_hint="--avatar")
        app_ctx = get_ctx(ctx)

        def on_stage(stage: StageResult) -> None:
            if not json_:
                mark = {"pass": "✓", "fail": "✗", "skip": "–"}[stage.status]
                style = {"pass": "green", "fail": "red", "skip": "dim"}[stage.status]
                seconds = f"{stage.seconds:.2f}s" if stage.seconds is not None else ""
                err_console().print(f"{mark} {stage.name:<11} {seconds:>7}  {stage.detail}", style=style,
                                    markup=False, highlight=False)

        report = run_smoke(
            app_ctx.config, target=target_,  # type: ignore[arg-type]
            avatar=avatar_,  # type: ignore[arg-type]
            audio=audio, utterance=utterance or DEFAULT_UTTERANCE, api_url=api_url, start_server=start_server,
            use_fakes=fakes, on_stage=on_stage, on_note=None if json_ else info, raise_on_failure=False,
        )
        if json_:
            print_json(report.to_dict())
        else:
            print_rows(stage_rows(report), STAGE_COLUMNS, title=f"smoke --target {target_} --avatar {avatar_}")
            for line in metric_lines(report):
                info(line)
        if not report.passed:
            raise CheckFailedError("smoke failed: " + ", ".join(f"{s.name} ({s.detail})" for s in report.failed))
        if not json_:
            info("smoke passed")
