"""Demo step `smoke`: one conversation turn through the local API server the `server` step started.

Register a throw-away user → STT → GPT stream → TTS stream → Live2D lip-sync → save → check rows → clean up,
shown as the stage table `tinytalk smoke` prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import DemoEnv

__all__ = ["run"]


def run(env: DemoEnv) -> None:
    from rich.table import Table

    from tinytalk_sdk.smoke import run_smoke

    if env.missing_engine("espeak-ng", step="smoke", what="the smoke turn (its TTS and lip-sync stages)"):
        return
    api_url = env.facts.get("api_url")
    # Without the server step (`demo --only smoke`) the smoke run starts its own local server.
    report = run_smoke(env.app.config, target="api", avatar="replika", api_url=api_url,
                       on_note=env.say, engine=env.app.engine if api_url else None)
    table = Table(title="smoke --target api --avatar replika", header_style="bold")
    for column in ("stage", "status", "seconds", "detail"):
        table.add_column(column)
    for stage in report.stages:
        style = {"pass": "green", "fail": "red", "skip": "dim"}[stage.status]
        table.add_row(stage.name, stage.status, f"{stage.seconds:.2f}" if stage.seconds is not None else "",
                      stage.detail, style=style)
    env.show(table)
    metrics = {k: v for k, v in report.metrics.items() if v is not None}
    env.say("timings (s): " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items())
            + (f"; STT WER {report.wer:.2f}" if report.wer is not None else ""))
    env.facts["smoke"] = {"passed": report.passed, "stages": len(report.stages), "metrics": metrics,
                          "wer": report.wer}
