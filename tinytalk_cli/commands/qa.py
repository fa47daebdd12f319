"""`tinytalk qa`: HeyGen v1 vs LiveAvatar vs Replika comparisons (latency, failures, cost) with CI thresholds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._context import get_ctx
from .._options import JsonOpt
from ._qa_load import load

app = typer.Typer(
    help="QA of the avatar modes (HeyGen v1, LiveAvatar, Replika/Live2D) and the classroom load test.\n\n"
    "Example: tinytalk qa compare --script examples/qa_script.txt --runs 3 --out qa-report",
    no_args_is_help=True,
)

SUMMARY_COLUMNS = ["mode", "turns", "failure_rate", "timeout_rate", "p50_speech_to_avatar", "p95_speech_to_avatar",
                   "p95_ttft", "cost_per_minute"]


@app.command("compare")
def compare(
    ctx: typer.Context,
    script: Annotated[Path, typer.Option("--script", exists=True, dir_okay=False, readable=True,
                                         help="Utterances: a text file (one per line) or JSON.")],
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Folder for report.json and report.html.")],
    runs: Annotated[int, typer.Option("--runs", min=1, help="How many times to run the script per mode.")] = 3,
    fail_if: Annotated[list[str] | None, typer.Option(
        "--fail-if", help="Threshold that fails the run, e.g. 'replika.p95.ttft > 1.5' (repeatable).")] = None,
    max_cost: Annotated[float | None, typer.Option(
        "--max-cost", min=0, help="Refuse a run whose worst case (price table) is over this many USD; stop "
                                  "before a turn that would take the spend over it.")] = None,
    target: Annotated[str, typer.Option(
        "--target", help="providers: straight to the vendors (fakes without keys); api: through the API.")
    ] = "providers",
    modes: Annotated[list[str] | None, typer.Option(
        "--mode", help="Only these modes (heygen, liveavatar, replika).")] = None,
    fakes: Annotated[bool | None, typer.Option(
        "--fakes/--no-fakes", help="Use the vendor fakes (default: when no vendor key is configured).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Run the same utterances through the avatar modes and write report.json and report.html.

    Exit code 12 when a --fail-if threshold is crossed or --max-cost stopped the run.

    Example: tinytalk qa compare --script examples/qa_script.txt --runs 3 --out qa --fail-if "replika.p95.ttft > 1.5"
    """
    from tinytalk_sdk import CheckFailedError, ValidationError
    from tinytalk_sdk.qa import MODES, evaluate, load_script, parse_threshold, run_compare, write_reports

    from .._output import info, print_json, print_rows

    thresholds = [parse_threshold(t) for t in (fail_if or [])]  # a typo fails before anything is spent
    chosen = [m.lower() for m in (modes or MODES)]
    unknown = sorted(set(chosen) - set(MODES))
    if unknown:
        raise ValidationError(f"--mode: unknown mode(s) {', '.join(unknown)} (known: {', '.join(MODES)})")
    if target not in ("providers", "api"):
        raise ValidationError(f"--target must be providers or api, not '{target}'")
    utterances = load_script(script)
    report = run_compare(get_ctx(ctx).config, utterances=utterances, runs=runs, script_name=script.name,
                         target=target, modes=chosen, max_cost=max_cost, use_fakes=fakes,
                         on_progress=None if json_ else info)
    evaluate(report, thresholds)
    json_path, html_path = write_reports(report, out)
    if json_:
        print_json({**report.to_dict(), "report_json": str(json_path), "report_html": str(html_path)})
    else:
        rows = []
        for mode, data in report.modes.items():
            stats = data["stats"]
            rows.append({
                "mode": mode, "turns": data["turns"], "failure_rate": data["failure_rate"],
                "timeout_rate": data["timeout_rate"],
                "p50_speech_to_avatar": stats.get("speech_to_avatar", {}).get("p50"),
                "p95_speech_to_avatar": stats.get("speech_to_avatar", {}).get("p95"),
                "p95_ttft": stats.get("ttft", {}).get("p95"), "cost_per_minute": data["cost_per_minute"],
            })
        print_rows(rows, SUMMARY_COLUMNS, title="qa compare")
        for t in report.thresholds:
            info(f"{'✗' if t['violated'] else '✓'} {t['rule']} (observed {t['observed']})")
        info(f"wrote {json_path} and {html_path}")
    if report.stopped_by_max_cost:
        raise CheckFailedError(f"--max-cost {max_cost} reached: the run was stopped (partial report in {out})")
    violated = [t["rule"] for t in report.thresholds if t["violated"]]
    if violated:
        raise CheckFailedError(f"thresholds crossed: {'; '.join(violated)}")


app.command("load")(load)
