"""What `qa compare` reads: the script of utterances, and the ``--fail-if`` thresholds."""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .._exceptions import ValidationError
from ..pipeline import METRICS

if TYPE_CHECKING:
    from .compare import QAReport

__all__ = ["MODES", "SCALARS", "STATS", "Threshold", "load_script", "parse_threshold"]

MODES = ("heygen", "liveavatar", "replika")  # HeyGen v1, HeyGen LiveAvatar, Live2D
SCALARS = ("failure_rate", "timeout_rate", "cost_per_minute", "cost_total")
STATS = ("p50", "p95", "max", "mean")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq,
    "!=": operator.ne,
}


def load_script(path: Path) -> list[str]:
    """Utterances from a text file (one per line, ``#`` comments) or JSON (a list, or ``{"utterances": []}``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{path}: cannot read the script ({exc.__class__.__name__})") from None
    if Path(path).suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValidationError(f"{path}: not JSON: {exc}") from None
        items = data.get("utterances") if isinstance(data, dict) else data
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValidationError(f"{path}: expected a list of strings or {{\"utterances\": [...]}}")
        utterances = [i.strip() for i in items if i.strip()]
    else:
        utterances = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not utterances:
        raise ValidationError(f"{path}: no utterances")
    return utterances


@dataclass(frozen=True)
class Threshold:
    """``replika.p95.ttft > 1.5`` (stat metrics) or ``heygen.failure_rate > 0`` (scalars): fail if true."""

    text: str
    mode: str
    metric: str
    stat: str | None
    op: str
    value: float

    def check(self, report: QAReport) -> tuple[bool, float | None]:
        """(violated, observed value)."""
        mode = report.modes.get(self.mode)
        if mode is None:
            return False, None
        stats = mode["stats"].get(self.metric) or {}
        observed = mode.get(self.metric) if self.stat is None else stats.get(self.stat)
        if observed is None:
            return False, None
        return _OPS[self.op](float(observed), self.value), float(observed)


_THRESHOLD = re.compile(r"^\s*([a-z]+)\.(?:(p50|p95|max|mean)\.)?([a-z_]+)\s*(>=|<=|==|!=|>|<)\s*([0-9.eE+-]+)\s*$")


def parse_threshold(text: str) -> Threshold:
    match = _THRESHOLD.match(text)
    if not match:
        raise ValidationError(f"--fail-if '{text}': expected MODE.STAT.METRIC OP NUMBER, e.g. 'replika.p95.ttft > 1.5'")
    mode, stat, metric, op, raw = match.groups()
    if mode not in MODES:
        raise ValidationError(f"--fail-if '{text}': mode must be one of {', '.join(MODES)}")
    if stat is None and metric not in SCALARS:
        raise ValidationError(f"--fail-if '{text}': '{metric}' needs a statistic ({'/'.join(STATS)}), or use one "
                              f"of {', '.join(SCALARS)}")
    if stat is not None and metric not in METRICS:
        raise ValidationError(f"--fail-if '{text}': unknown metric '{metric}' (known: {', '.join(METRICS)})")
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError(f"--fail-if '{text}': '{raw}' is not a number") from None
    return Threshold(text=text.strip(), mode=mode, metric=metric, stat=stat, op=op, value=value)
