"""`tinytalk live2d`: check Live2D Cubism models (validate, rules) — docs/live2d.md.

Commands are thin: parse → call ``live2d_tools`` → render. Nothing heavy is imported at module level.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .._options import JsonOpt

if TYPE_CHECKING:
    from live2d_tools.report import Report

app = typer.Typer(
    help="Live2D Cubism models: validate a model folder or zip, list the rules.\n\n"
    "Example: tinytalk live2d validate ./Hiyori --emotions",
    no_args_is_help=True,
)


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _render_text(report: Report) -> None:
    """Findings grouped by file: severity, rule id, JSON pointer, message, then the fix on its own line."""
    from rich.console import Console
    from rich.markup import escape

    from .._output import _no_color

    console = Console(no_color=_no_color(), highlight=False, soft_wrap=True)
    model = report.model
    head = f"{report.path}: {model.format or 'unknown format'}"
    if model.moc_version is not None:
        head += f", moc version {model.moc_version}"
    if model.counts:
        head += ", " + ", ".join(f"{v} {k}" for k, v in model.counts.items())
    console.print(escape(head), style="bold")
    by_file: dict[str, list[Any]] = {}
    order = {"error": 0, "warning": 1, "info": 2}
    for f in sorted(report.findings, key=lambda f: order[f.severity]):
        by_file.setdefault(f.file or "(model)", []).append(f)
    for file, findings in by_file.items():
        console.print(f"\n[bold]{escape(file)}[/bold]")
        for f in findings:
            where = f" {f.pointer}" if f.pointer else ""
            console.print(f"  [{_STYLE[f.severity]}]{f.severity:<7}[/] {f.rule_id}{escape(where)}: {escape(f.message)}")
            if f.hint and f.severity != "info":
                console.print(f"          fix: {escape(f.hint)}", style="dim")
    if model.emotions:
        console.print("\n[bold]emotions[/bold]")
        for emotion, (group, index, file, expression) in model.emotions.items():
            extra = f" + expression {expression}" if expression else ""
            console.print(f"  {emotion:<10} {escape(group)}[{index}] {escape(file)}{escape(extra)}")


@app.command("validate")
def validate_cmd(
    path: Annotated[Path, typer.Argument(help="A model folder, a *.model3.json (or Cubism 2 model.json) or a .zip.")],
    emotions: Annotated[
        bool, typer.Option("--emotions", help="Require TinyTalk's 7 emotions and lip-sync for 'speaking'.")
    ] = False,
    core: Annotated[
        bool,
        typer.Option("--core", help="Also load the model in the real Cubism Core in a child process (render extra)."),
    ] = False,
    max_moc_version: Annotated[
        int | None,
        typer.Option(
            "--max-moc-version", min=1, max=6, help="Newest moc3 version the app's Core reads (e.g. 4, 5, 6)."
        ),
    ] = None,
    max_texture_size: Annotated[
        int, typer.Option("--max-texture-size", min=1, help="Largest texture side in pixels (TEX-004).")
    ] = 4096,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 4).")] = False,
    json_: JsonOpt = False,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", case_sensitive=False, help="Output: text, json or sarif.")
    ] = ReportFormat.text,
) -> None:
    """Check a Live2D model like the Cubism runtime would; every finding names file, field and fix.

    Exit codes: 0 no errors (with --strict: no warnings either), 4 the model has errors, 5 PATH not found.

    Example: tinytalk live2d validate Hiyori.zip --emotions --max-moc-version 5 --format sarif > live2d.sarif
    """
    from live2d_tools import validate
    from tinytalk_sdk._exceptions import NotFoundError, ValidationError

    from .._output import err_console, print_json

    if json_:
        fmt = ReportFormat.json
    try:
        report = validate(
            path,
            emotions=emotions,
            max_moc_version=max_moc_version,
            max_texture_size=max_texture_size,
            core=core,
        )
    except FileNotFoundError as exc:
        raise NotFoundError(f"{path}: no such file or folder", hint="pass a model folder, model3.json or .zip") from exc
    if fmt is ReportFormat.json:
        print_json(report.to_dict())
    elif fmt is ReportFormat.sarif:
        print_json(report.to_sarif())
    else:
        _render_text(report)
    summary = report.summary()
    counts = f"{summary['error']} error(s), {summary['warning']} warning(s), {summary['info']} info"
    failed = not report.ok or (strict and not report.ok_strict)
    if failed:
        first = (report.errors or report.warnings)[0]
        raise ValidationError(
            f"{path}: {counts}; first: {first.rule_id} {first.file}{first.pointer}: {first.message}",
            errors=[f.to_dict() for f in report.errors + (report.warnings if strict else [])],
            hint=first.hint or None,
        )
    err_console().print(f"{path}: OK ({counts})", markup=False, highlight=False)
    sys.stdout.flush()


@app.command("rules")
def rules_cmd(json_: JsonOpt = False) -> None:
    """List every validation rule: id, severity, what it checks and where it comes from.

    Example: tinytalk live2d rules --json | jq '.[] | select(.severity == "error") | .id'
    """
    from live2d_tools.rules import RULES

    from .._output import print_rows

    rows = [r.to_dict() for r in RULES.values()]
    print_rows(rows, ["id", "severity", "title", "source"], fmt="json" if json_ else "auto", title="Live2D rules")


# --- preview, lipsync, publish, versions, rollback, prune: tinytalk_cli/commands/_live2d_publish.py ---
def _register_publishing_commands() -> None:
    from ._live2d_publish import register

    register(app)


_register_publishing_commands()
