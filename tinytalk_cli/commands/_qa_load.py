"""`tinytalk qa load`: a class of simulated pupils on Locust (parse → tinytalk_sdk.load → render)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .._context import get_ctx
from .._options import JsonOpt

__all__ = ["load"]

STAGE_COLUMNS = ["stage", "measure", "requests", "failures", "failure_rate", "rps", "p50", "p95", "p99", "max",
                 "failures_by_kind"]


def load(
    ctx: typer.Context,
    pupils: Annotated[int, typer.Option("--pupils", min=1, help="Class size: simulated pupils talking at once.")] = 20,
    spawn_rate: Annotated[float, typer.Option("--spawn-rate", min=0.01, help="Pupils joining per second.")] = 2.0,
    duration: Annotated[str, typer.Option("--duration", help="How long the class talks (30s, 2m).")] = "2m",
    target: Annotated[str | None, typer.Option(
        "--target", help="Profile whose API is loaded (default: the global --profile).")] = None,
    api_url: Annotated[str | None, typer.Option("--api-url", help="API base URL (…/api), overriding the profile.")
                       ] = None,
    start_server: Annotated[bool | None, typer.Option(
        "--start-server/--no-start-server", help="Start the local API server when none answers.")] = None,
    turns: Annotated[int, typer.Option(
        "--turns", min=0, help="Per pupil: stop after this many turns (0: talk until --duration ends).")] = 0,
    think_min: Annotated[str, typer.Option("--think-min", help="Shortest think time between turns.")] = "5s",
    think_max: Annotated[str, typer.Option("--think-max", help="Longest think time between turns.")] = "15s",
    avatar: Annotated[str, typer.Option("--avatar", help="Avatar step: replika (Live2D lip-sync) or heygen.")
                      ] = "replika",
    include_video: Annotated[bool, typer.Option(
        "--include-video", help="Allow a video avatar session per pupil (HeyGen, billed by the minute).")] = False,
    max_cost: Annotated[float | None, typer.Option(
        "--max-cost", min=0, help="Refuse to start when the spend bound (price table) is above this many USD.")
    ] = None,
    p95_ttft: Annotated[str, typer.Option("--p95-ttft", help="p95 limit of GPT time to first token ('none': off).")
                        ] = "1.5s",
    p95: Annotated[list[str] | None, typer.Option(
        "--p95", help="p95 limit of a stage's total, STAGE=DURATION, e.g. stt=3s (repeatable).")] = None,
    max_failure_rate: Annotated[str, typer.Option(
        "--max-failure-rate", help="Largest share of failed requests per stage (1%).")] = "1%",
    find_capacity: Annotated[bool, typer.Option(
        "--find-capacity", help="Step the class size up until a threshold breaks; report the largest that held.")
    ] = False,
    steps: Annotated[str, typer.Option("--steps", help="Class sizes --find-capacity tries, in order.")
                     ] = "5,10,20,30,50,75,100",
    step_duration: Annotated[str, typer.Option("--step-duration", help="How long each capacity step is measured.")
                             ] = "30s",
    master: Annotated[bool, typer.Option("--master", help="Distributed: run the master; workers run the pupils.")
                      ] = False,
    expect_workers: Annotated[int, typer.Option("--expect-workers", min=1, help="Master: start with this many.")
                              ] = 1,
    master_bind_host: Annotated[str, typer.Option("--master-bind-host", help="Master: interface to listen on.")
                                ] = "*",
    master_port: Annotated[int, typer.Option("--master-port", min=1, max=65535, help="Master's port.")] = 5557,
    worker: Annotated[bool, typer.Option("--worker", help="Distributed: run pupils for the master at --master-host.")
                      ] = False,
    master_host: Annotated[str | None, typer.Option("--master-host", help="Worker: where the master runs.")] = None,
    utterance: Annotated[list[str] | None, typer.Option(
        "--utterance", help="What the pupils say (espeak-ng clips; repeatable; default: four classroom lines).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Folder for the reports and Locust's CSV.")
                   ] = Path("load-report"),
    i_know: Annotated[bool, typer.Option(
        "--i-know-this-is-production", help="Run against a profile marked production.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Simulate a class of pupils talking at once (Locust) and report latency per stage.

    Exit code 14 when a threshold is crossed (with --find-capacity: when not even the first step held),
    13 when the profile is marked production without --i-know-this-is-production, 12 when the spend bound
    is above --max-cost.

    Example: tinytalk qa load --pupils 20 --duration 30s --p95-ttft 1.5s --max-failure-rate 1%
    """
    from tinytalk_sdk import LoadThresholdError, TinyTalkError, ValidationError
    from tinytalk_sdk.load import (
        DEFAULT_UTTERANCES,
        LoadPlan,
        Thresholds,
        check_plan,
        parse_duration,
        parse_rate,
        parse_stage_limit,
        parse_steps,
        run_load,
        run_worker,
        write_reports,
    )

    from .._output import info, print_json, print_rows

    say = None if json_ else info
    if worker:
        if master or find_capacity:
            raise ValidationError("--worker takes its plan from the master: no --master or --find-capacity")
        if not master_host:
            raise ValidationError("--worker needs --master-host")
        from tinytalk_sdk.load.safety import require_load_extra

        require_load_extra()
        run_worker(master_host, master_port, out=out, say=say)
        return
    if find_capacity and turns:
        raise ValidationError("--turns ends a pupil's lesson: it cannot be combined with --find-capacity")
    thresholds = Thresholds(
        p95_ttft=None if p95_ttft.strip().lower() in ("none", "off") else parse_duration(p95_ttft, option="--p95-ttft"),
        max_failure_rate=parse_rate(max_failure_rate),
        p95_stage=dict(parse_stage_limit(t) for t in (p95 or [])),
    )
    plan = LoadPlan(
        pupils=pupils, spawn_rate=spawn_rate, duration=parse_duration(duration), turns=turns,
        think_min=_seconds(think_min, "--think-min"), think_max=_seconds(think_max, "--think-max"),
        avatar=avatar.lower(), utterances=list(utterance or DEFAULT_UTTERANCES), thresholds=thresholds,
        steps=parse_steps(steps) if find_capacity else [], step_duration=parse_duration(step_duration,
                                                                                    option="--step-duration"),
        expect_workers=expect_workers if master else 0,
    )
    if target:
        from tinytalk_sdk.config import load_config

        config = load_config(target)
    else:
        config = get_ctx(ctx).config
    from tinytalk_sdk.providers.factory import price_table_for

    bound = check_plan(plan, config, allow_production=i_know, include_video=include_video, max_cost=max_cost,
                       table=price_table_for(config))  # before anything starts
    report = run_load(config, plan, out=out, mode="master" if master else "local", api_url=api_url,
                      start_server=start_server, bind_host=master_bind_host, bind_port=master_port,
                      estimated_cost=float(bound), max_cost=max_cost, say=say)
    files = write_reports(report, out)
    data = report.to_dict()
    if json_:
        print_json(data)
    else:
        from tinytalk_sdk.load.report import stage_rows

        print_rows(stage_rows(data["stages"]), STAGE_COLUMNS, title="qa load")
        totals = data["totals"] or {}
        info(f"{totals.get('requests', 0)} requests, {totals.get('failures', 0)} failed, "
             f"{totals.get('rps', 0)} requests/s; avatar sessions opened {data['avatar_sessions']['opened']}, "
             f"stopped {data['avatar_sessions']['stopped']}")
        for check in data["checks"]:
            if check["observed"] is not None:
                info(f"{'✗' if check['violated'] else '✓'} {check['stage']} {check['check']} "
                     f"{check['observed']} (limit {check['limit']})")
        if report.capacity is not None:
            info(_capacity_line(report.capacity, plan.steps))
        for note in (report.error, report.cleanup.get("note")):
            if note:
                info(note)
        info(f"wrote {files['report_json']} and {files['report_html']}")
    if report.interrupted:
        raise KeyboardInterrupt
    if not report.steps:
        raise TinyTalkError(f"the load test did not run: {report.error or 'no step was measured'}")
    if report.capacity is not None:
        if report.capacity["held"] is None:
            raise LoadThresholdError(f"not even {plan.steps[0]} pupils held: {report.capacity['limiting_check']}")
        return
    crossed = [f"{c['stage']} {c['check']} {c['observed']} > {c['limit']}" for c in report.checks if c["violated"]]
    if crossed:
        raise LoadThresholdError(f"thresholds crossed: {'; '.join(crossed)}")


def _seconds(text: str, option: str) -> float:
    from tinytalk_sdk.load import parse_duration

    return 0.0 if text.strip() in ("0", "0s") else parse_duration(text, option=option)


def _capacity_line(answer: dict[str, object], steps: list[int]) -> str:
    if answer["held"] is None:
        return f"capacity: not even {steps[0]} pupils held ({answer['limiting_check']})"
    if answer["limiting_stage"] is None:
        return f"capacity: every step held, up to {answer['held']} pupils (no stage limited)"
    return (f"capacity: {answer['held']} pupils held; at {answer['broke_at']} {answer['limiting_stage']} broke "
            f"first ({answer['limiting_check']})")
