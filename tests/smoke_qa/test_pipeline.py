"""The pipeline's runner and timing model: one clock, first/total per stage, skip after a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinytalk_sdk import CheckFailedError, ProviderError
from tinytalk_sdk.pipeline import (
    AVATARS,
    HeyGenAvatar,
    Live2DAvatar,
    Stage,
    StageResult,
    Turn,
    TurnContext,
    avatar_for,
    failure_kind,
    pupil_turn,
    run_stages,
)


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Step(Stage):
    """Advances the fake clock: ``first`` after ``to_first`` s, total after ``total`` s."""

    def __init__(self, name: str, clock: _Clock, *, to_first: float | None, total: float,
                 fail: BaseException | None = None, always: bool = False) -> None:
        self.name = name  # type: ignore[misc]
        self.clock, self.to_first, self.total, self.fail, self.always = clock, to_first, total, fail, always
        self.ran = False

    def run(self, ctx: TurnContext, timing: StageResult) -> str:
        self.ran = True
        if self.to_first is not None:
            self.clock.now += self.to_first
            timing.mark_first()
            timing.mark_first()  # only the first mark counts
        self.clock.now += self.total - (self.to_first or 0)
        if self.fail is not None:
            raise self.fail
        return f"{self.name} done"


class _Metrics(_Step):
    total_metric = "gpt_total"
    first_metric = "ttft"


def _ctx() -> TurnContext:
    return TurnContext(target=None, avatar=Live2DAvatar(), clip=Path("x.wav"))  # type: ignore[arg-type]


def test_timing_first_and_total_from_one_clock_and_metrics_declared_by_the_stage() -> None:
    clock = _Clock()
    ctx = _ctx()
    gpt = _Metrics("gpt_stream", clock, to_first=0.25, total=1.5)
    [result] = run_stages([gpt], ctx, clock=clock)
    assert (result.status, result.first, result.seconds, result.detail) == ("pass", 0.25, 1.5, "gpt_stream done")
    assert ctx.turn.metrics["ttft"] == 0.25 and ctx.turn.metrics["gpt_total"] == 1.5
    assert ctx.turn.stages == [result]
    assert result.to_dict() == {"name": "gpt_stream", "status": "pass", "seconds": 1.5, "detail": "gpt_stream done",
                                "first": 0.25, "kind": None}


def test_a_failure_skips_the_rest_but_not_the_always_stages() -> None:
    clock = _Clock()
    timeout = ProviderError("timed out", provider="openai", code="timeout")
    steps = [_Step("a", clock, to_first=None, total=0.1),
             _Metrics("b", clock, to_first=0.05, total=0.2, fail=timeout),
             _Step("c", clock, to_first=None, total=0.1),
             _Step("cleanup", clock, to_first=None, total=0.1, always=True)]
    seen: list[str] = []
    results = run_stages(steps, ctx := _ctx(), clock=clock, on_stage=lambda r: seen.append(r.name))
    assert [(r.name, r.status) for r in results] == [("a", "pass"), ("b", "fail"), ("c", "skip"), ("cleanup", "pass")]
    assert seen == ["a", "b", "c", "cleanup"] and not steps[2].ran and steps[3].ran
    assert results[1].kind == "timeout" and results[1].seconds == 0.2 and "timed out" in results[1].detail
    assert ctx.turn.metrics["ttft"] is None  # a failed stage feeds no metric
    assert results[2].detail == "after failed stage 'b'" and results[2].seconds is None


@pytest.mark.parametrize(("exc", "kind"), [
    (ProviderError("x", provider="openai", code="timeout"), "timeout"), (TimeoutError(), "timeout"),
    (ProviderError("busy", provider="elevenlabs", status=503, code="system_busy"), "system_busy"),
    (ProviderError("gone", provider="heygen", status=404), "http_404"),
    (CheckFailedError("empty answer"), "CheckFailedError"), (ValueError("bad"), "ValueError"),
])
def test_failure_kinds(exc: BaseException, kind: str) -> None:
    assert failure_kind(exc) == kind


def test_pupil_turn_per_avatar_and_speech_to_avatar() -> None:
    assert [s.name for s in pupil_turn(Live2DAvatar())] == ["stt", "gpt_stream", "tts_stream", "avatar"]
    assert [s.name for s in pupil_turn(HeyGenAvatar())] == ["stt", "gpt_stream", "avatar"]
    assert [s.name for s in pupil_turn(HeyGenAvatar(), tts=True)] == ["stt", "gpt_stream", "tts_stream", "avatar"]
    turn = Turn()
    turn.metrics.update(stt_latency=0.5, gpt_total=1.0, tts_ttfb=0.25, avatar_ready=0.125)
    assert Live2DAvatar().speech_to_avatar(turn) == 1.875
    assert HeyGenAvatar().speech_to_avatar(turn) == 1.625  # HeyGen speaks with its own voice: no TTS
    turn.metrics["stt_latency"] = None
    assert Live2DAvatar().speech_to_avatar(turn) is None
    assert set(AVATARS) == {"replika", "heygen", "liveavatar"} and isinstance(avatar_for("heygen"), HeyGenAvatar)
    assert [s.name for s in pupil_turn(avatar_for("liveavatar"))] == ["stt", "gpt_stream", "avatar"]
