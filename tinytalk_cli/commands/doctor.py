"""`tinytalk doctor`: config, database, API health, each provider's key and reachability, the CDN target."""

from __future__ import annotations

from typing import Annotated

import typer

from .._options import JsonOpt

MARKS = {"ok": "✓", "fail": "✗", "skip": "–"}


def register(app: typer.Typer) -> None:
    @app.command("doctor")
    def doctor(
        ctx: typer.Context,
        timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds per network check.")] = 5.0,
        json_: JsonOpt = False,
    ) -> None:
        """Check that this profile is ready: a ✓/✗ table with the reason for each check.

        Exit code 12 when a check that matters fails (a missing vendor key does not: offline is used).

        Example: tinytalk --profile prod doctor --json
        """
        from tinytalk_sdk import CheckFailedError
        from tinytalk_sdk.doctor import run_checks

        from .._context import get_ctx
        from .._output import print_json, print_rows

        checks = run_checks(get_ctx(ctx).config, timeout=timeout)
        if json_:
            print_json({"ok": not any(c.failed for c in checks), "checks": [c.to_dict() for c in checks]})
        else:
            rows = [{"check": c.name, "status": MARKS[c.status], "detail": c.detail} for c in checks]
            print_rows(rows, ["check", "status", "detail"], title="tinytalk doctor")
        failed = [c.name for c in checks if c.failed]
        if failed:
            raise CheckFailedError(f"doctor: failed checks: {', '.join(failed)}")
