"""What a load run is asked to do: the plan (pupils, ramp, duration, think time, thresholds) and its parsing.

The plan is plain data: the parent process builds it from the command line, writes it as JSON for the
Locust child (``tinytalk_sdk.load.child``) and, in distributed mode, the master forwards it to every worker
inside Locust's own spawn message. Nothing here imports Locust or gevent.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .._exceptions import ValidationError

__all__ = [
    "DEFAULT_STEPS",
    "DEFAULT_UTTERANCES",
    "FIRST_NAMES",
    "LOAD_TAG",
    "LoadPlan",
    "Mode",
    "Thresholds",
    "parse_duration",
    "parse_rate",
    "parse_stage_limit",
    "parse_steps",
]

LOAD_TAG = "load"
Mode = Literal["local", "master", "worker"]
DEFAULT_STEPS = (5, 10, 20, 30, 50, 75, 100)
# A few things pupils say in a lesson (each becomes an espeak-ng clip; a pupil picks one per turn).
DEFAULT_UTTERANCES = (
    "I like to play soccer with my friends after school.",
    "My favourite animal is the elephant because it is big.",
    "Yesterday I went to the park with my little sister.",
    "Can you tell me a story about a dragon?",
)
# The Locust entry name of each stage's "first useful output" (the stage total is the entry "total").
FIRST_NAMES = {"gpt_stream": "ttft", "tts_stream": "ttfb", "avatar": "ready"}
TURN_STAGES = ("stt", "gpt_stream", "tts_stream", "avatar", "save")
START_STAGES = ("register", "session", "character", "avatar_session")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str, *, option: str = "--duration") -> float:
    """``30s``, ``2m``, ``1.5s``, ``250ms``, ``1h`` or a bare number of seconds → seconds."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValidationError(f"{option} '{text}': expected a duration such as 30s, 2m, 1.5s or 250ms")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValidationError(f"{option} '{text}': must be more than zero")
    return seconds


def parse_rate(text: str, *, option: str = "--max-failure-rate") -> float:
    """``1%`` or ``0.01`` → 0.01."""
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ValidationError(f"{option} '{text}': expected a rate such as 1% or 0.01") from None
    if not 0 <= value <= 1:
        raise ValidationError(f"{option} '{text}': must be between 0% and 100%")
    if value == 1 and not raw.endswith("%"):  # "1" could mean 1% as well as 100%
        raise ValidationError(f"{option} '{text}': ambiguous, write 1% or 100% (a fraction is below 1)")
    return value


def parse_stage_limit(text: str) -> tuple[str, float]:
    """``stt=2s`` → (``stt``, 2.0): a p95 limit on a stage's total time."""
    stage, sep, raw = str(text).partition("=")
    stage = stage.strip()
    known = (*START_STAGES, *TURN_STAGES)
    if not sep or stage not in known:
        raise ValidationError(f"--p95 '{text}': expected STAGE=DURATION with a stage of {', '.join(known)}")
    return stage, parse_duration(raw, option=f"--p95 {stage}")


def parse_steps(text: str) -> list[int]:
    """``5,10,20,30,50`` → the class sizes tried by ``--find-capacity`` (increasing)."""
    try:
        steps = [int(part) for part in str(text).split(",") if part.strip()]
    except ValueError:
        raise ValidationError(f"--steps '{text}': expected pupil counts such as 5,10,20,30,50") from None
    if not steps or any(s < 1 for s in steps) or steps != sorted(set(steps)):
        raise ValidationError(f"--steps '{text}': expected increasing pupil counts of at least 1")
    return steps


@dataclass
class Thresholds:
    """What a class of pupils must stay within; crossing one sets the exit code (and ends a capacity step)."""

    p95_ttft: float | None = 1.5  # seconds: GPT stream, first token
    max_failure_rate: float = 0.01  # per stage: failed / attempted
    p95_stage: dict[str, float] = field(default_factory=dict)  # stage total, seconds

    def limits(self) -> list[tuple[str, str, float]]:
        """(stage, entry, seconds) of every latency limit; entry is ``total`` or a first-output name."""
        out = [(stage, "total", seconds) for stage, seconds in sorted(self.p95_stage.items())]
        if self.p95_ttft is not None:
            out.append(("gpt_stream", FIRST_NAMES["gpt_stream"], self.p95_ttft))
        return out


@dataclass
class LoadPlan:
    api_url: str = ""
    pupils: int = 20
    spawn_rate: float = 2.0
    duration: float = 120.0
    think_min: float = 5.0
    think_max: float = 15.0
    turns: int = 0  # per pupil: stop after this many turns (0 = until the duration ends)
    avatar: str = "replika"
    utterances: list[str] = field(default_factory=lambda: list(DEFAULT_UTTERANCES))
    thresholds: Thresholds = field(default_factory=Thresholds)
    steps: list[int] = field(default_factory=list)  # --find-capacity: the class sizes, in order
    step_duration: float = 30.0
    expect_workers: int = 0  # master: start when this many workers are connected
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    timeout: float = 60.0  # per request (the client's)

    @property
    def email_prefix(self) -> str:
        """Every test user of this run is ``load-<run_id>+<hex>@tinytalk.invalid`` (the clean-up sweeps it)."""
        return f"{LOAD_TAG}-{self.run_id}"

    @property
    def find_capacity(self) -> bool:
        return bool(self.steps)

    def pupil_seconds(self) -> float:
        """Pupils × seconds the run keeps them talking (for the cost bound)."""
        if self.steps:
            return sum(n * self.step_duration for n in self.steps)
        return self.pupils * self.duration

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadPlan:
        values = dict(data)
        values["thresholds"] = Thresholds(**values.get("thresholds", {}))
        return cls(**values)
