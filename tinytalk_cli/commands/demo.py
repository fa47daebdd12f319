"""`tinytalk demo`: the toolkit end to end on embedded defaults.

Each area adds one step module in ``tinytalk_cli/demo_steps/`` with ``def run(env: DemoEnv) -> None``;
STEPS fixes their order. The demo stops at the first failing step with that step's error. A step whose
offline engine is missing on this machine (espeak-ng) says so in one line and leaves that part out
(``DemoEnv.missing_engine``); the demo goes on, exits 0 and ends with a summary of what it skipped.
"""

from __future__ import annotations

import importlib
import time
from typing import TYPE_CHECKING, Annotated

import typer

from .._context import get_ctx
from .._options import JsonOpt

if TYPE_CHECKING:
    from ..demo_steps import DemoEnv

STEPS = ["db", "server", "api", "live2d", "admin", "smoke"]


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        ctx: typer.Context,
        only: Annotated[
            list[str] | None, typer.Option("--only", help=f"Run only these steps ({', '.join(STEPS)}).")
        ] = None,
        json_: JsonOpt = False,
    ) -> None:
        """Show what the toolkit does, end to end, on the profile's database (SQLite by default).

        Example: TINYTALK_DATA_DIR=$(mktemp -d) tinytalk demo
        """
        from .._output import info, print_json
        from ..demo_steps import DemoEnv

        env = DemoEnv(app=get_ctx(ctx), quiet=json_)
        try:
            _run_steps(env, only)
        finally:
            env.close()
        if json_:
            print_json({"steps": env.results, "facts": env.facts, "skipped": env.skipped})
            return
        ran = ", ".join(r["step"] for r in env.results)
        if env.skipped:
            left = "; ".join(f"{s['step']}: {s['what']}" for s in env.skipped)
            info(f"demo done ({ran}); skipped for want of an engine — {left}")
        else:
            info(f"demo done ({ran}); nothing skipped")


def _run_steps(env: DemoEnv, only: list[str] | None) -> None:
    for name in STEPS:
        if only and name not in only:
            continue
        try:
            module = importlib.import_module(f"tinytalk_cli.demo_steps.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tinytalk_cli.demo_steps.{name}":
                raise
            continue
        env.heading(name)
        started = time.perf_counter()
        try:
            module.run(env)
        finally:
            env.results.append({"step": name, "seconds": round(time.perf_counter() - started, 3)})
