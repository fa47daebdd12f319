"""The one timing model of a pupil turn: every stage gives a :class:`StageResult`.

``seconds`` is the stage's total (wall, from the runner's clock), ``first`` the time to the first useful
output inside it (TTFT for the GPT stream, TTFB for TTS, "the avatar starts speaking" for the avatar step),
``status`` pass | fail | skip, ``detail`` one line for people and ``kind`` a short failure class for
aggregation (the load test counts failures by kind). :class:`Turn` carries what one utterance went through;
its ``metrics`` (the names smoke and QA have always reported) are read off the stage results, so a stage
declares once which metrics it feeds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["METRICS", "Clock", "StageResult", "Turn"]

Clock = Callable[[], float]

METRICS = ("stt_latency", "ttft", "gpt_total", "tts_ttfb", "tts_total", "avatar_ready", "speech_to_avatar")


@dataclass
class StageResult:
    name: str
    status: str = "pass"  # pass | fail | skip
    seconds: float | None = None
    detail: str = ""
    first: float | None = None  # TTFT / TTFB / avatar ready, from the stage's start
    kind: str | None = None  # failure class, e.g. "timeout", "http_503", "CheckFailedError"
    _clock: Clock = field(default=time.perf_counter, repr=False, compare=False)
    _started: float = field(default=0.0, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status != "fail"

    def start(self) -> None:
        self._started = self._clock()

    def elapsed(self) -> float:
        return round(self._clock() - self._started, 3)

    def mark_first(self) -> None:
        """The first token / byte / avatar frame arrived (only the first call counts)."""
        if self.first is None:
            self.first = self.elapsed()

    def finish(self) -> None:
        self.seconds = self.elapsed()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "seconds": self.seconds, "detail": self.detail,
                "first": self.first, "kind": self.kind}


@dataclass
class Turn:
    """What one utterance went through: the texts smoke checks and the timings QA and load aggregate."""

    transcript: str = ""
    reply: str = ""
    audio: bytes = b""
    audio_path: Path | None = None
    content_type: str = ""
    alignment: dict[str, list[Any]] | None = None
    metrics: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(METRICS))
    stages: list[StageResult] = field(default_factory=list)

    def stage(self, name: str) -> StageResult | None:
        return next((s for s in self.stages if s.name == name), None)
