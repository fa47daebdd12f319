"""Runs stages in order with one timing model; a stage's error becomes a failed stage, never a traceback."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .._exceptions import ProviderError, TinyTalkError
from .._redact import redact
from .timing import Clock, StageResult

if TYPE_CHECKING:
    from .stages import Stage, TurnContext

__all__ = ["SkipStage", "failure_kind", "one_line", "run_stages"]

# What a stage may raise and still be "a failed stage": the SDK's tree and what files/parsers raise.
STAGE_ERRORS = (TinyTalkError, OSError, ValueError, KeyError, RuntimeError, AssertionError)


class SkipStage(Exception):
    """Raised by a stage that has nothing to do here (reported as ``skip`` with the message)."""


def one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return redact(text)[:300]


def failure_kind(exc: BaseException) -> str:
    """A short class for counting failures: ``timeout``, the error's code (``rate_limited``,
    ``system_busy``…), ``http_<status>``, or the error's class name."""
    if (isinstance(exc, ProviderError) and exc.code == "timeout") or exc.__class__.__name__ in (
            "APITimeoutError", "TimeoutException", "ReadTimeout", "ConnectTimeout", "TimeoutError"):
        return "timeout"
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code:
        return code
    status = getattr(exc, "status_code", None) or getattr(exc, "status", None)
    if isinstance(status, int):
        return f"http_{status}"
    return exc.__class__.__name__


def run_stages(
    stages: Sequence[Stage], ctx: TurnContext, *, on_stage: Callable[[StageResult], None] | None = None,
    clock: Clock = time.perf_counter, blocked: str | None = None,
) -> list[StageResult]:
    """Run ``stages``; after a failed one the rest are skipped, except those marked ``always`` (clean-up).

    Each result is appended to ``ctx.turn.stages`` and feeds the turn's metrics the stage declares.
    """
    results: list[StageResult] = []
    for stage in stages:
        result = StageResult(stage.name, _clock=clock)
        if blocked and not stage.always:
            result.status, result.detail = "skip", f"after failed stage '{blocked}'"
        else:
            result.start()
            try:
                detail = stage.run(ctx, result)
                if detail:
                    result.detail = detail
            except SkipStage as skip:
                result.status, result.detail = "skip", str(skip)
            except STAGE_ERRORS as exc:
                result.status, result.detail, result.kind = "fail", one_line(exc), failure_kind(exc)
                blocked = blocked or stage.name
            finally:
                result.finish()
            if result.status == "pass":
                stage.record(ctx, result)
        ctx.turn.stages.append(result)
        results.append(result)
        if on_stage:
            on_stage(result)
    return results
