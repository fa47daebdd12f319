"""Thresholds against the measured stages: which held, which broke, and the capacity answer.

Pure functions over the step summaries the Locust child writes (seconds, rates); used by the child to
decide whether ``--find-capacity`` takes the next step, and by the parent for the report and exit code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .plan import Thresholds

__all__ = ["capacity", "evaluate", "held", "stages_held"]


def evaluate(step: dict[str, Any], thresholds: Thresholds) -> list[dict[str, Any]]:
    """Every check of one step: ``{stage, check, limit, observed, violated}`` (a stage that never ran is not
    judged: its observed value is None and it is not violated)."""
    checks: list[dict[str, Any]] = []
    stages: dict[str, Any] = step.get("stages", {})
    for stage, entry, limit in thresholds.limits():
        observed = ((stages.get(stage) or {}).get("entries", {}).get(entry) or {}).get("p95")
        checks.append({"stage": stage, "check": f"p95 {entry}", "limit": limit, "observed": observed,
                       "violated": observed is not None and observed > limit})
    for stage, data in sorted(stages.items()):
        if not data.get("requests"):
            continue
        rate = data.get("failure_rate") or 0.0
        checks.append({"stage": stage, "check": "failure_rate", "limit": thresholds.max_failure_rate,
                       "observed": rate, "violated": rate > thresholds.max_failure_rate})
    return checks


def held(step: dict[str, Any], thresholds: Thresholds) -> bool:
    return not any(c["violated"] for c in evaluate(step, thresholds))


def stages_held(step: dict[str, Any], thresholds: Thresholds) -> dict[str, bool]:
    out: dict[str, bool] = {stage: True for stage in step.get("stages", {})}
    for check in evaluate(step, thresholds):
        if check["violated"]:
            out[check["stage"]] = False
    return out


def _excess(check: dict[str, Any]) -> float:
    """How far past its limit a check is (observed / limit), to name the stage that broke worst."""
    observed, limit = check["observed"] or 0.0, check["limit"]
    return math.inf if not limit else observed / limit


def capacity(steps: Sequence[dict[str, Any]], thresholds: Thresholds) -> dict[str, Any]:
    """The largest class size that held, per stage and overall, and the stage that limited it.

    Steps are taken in order; the answer is the last step before the first one that broke. Per stage:
    the largest step up to which that stage held every step.
    """
    answer: dict[str, Any] = {"held": None, "broke_at": None, "limiting_stage": None, "limiting_check": None,
                              "per_stage": {}}
    broken: set[str] = set()
    for step in steps:
        pupils = step["pupils"]
        for stage, ok in stages_held(step, thresholds).items():
            if not ok:
                broken.add(stage)
            elif stage not in broken:
                answer["per_stage"][stage] = pupils
            answer["per_stage"].setdefault(stage, None)
        violated = [c for c in evaluate(step, thresholds) if c["violated"]]
        if violated:
            worst = max(violated, key=_excess)
            answer.update(broke_at=pupils, limiting_stage=worst["stage"],
                          limiting_check=f"{worst['stage']} {worst['check']} {worst['observed']} > {worst['limit']}")
            break
        answer["held"] = pupils
    return answer
