"""`tinytalk qa compare`: the same scripted utterances through the avatar modes, measured side by side.

Per mode (``heygen`` = HeyGen v1, ``liveavatar`` = HeyGen LiveAvatar, ``replika`` = Live2D) and per stage:
p50 / p95 / max latency, end of user speech → avatar speaking, failure and timeout rates, and the estimated
cost per conversation minute (the video vendors' per-minute billing — LiveAvatar's in credits — + STT + GPT,
against STT + GPT + TTS for Replika), from the usage rows the providers wrote and the price table. The turn
itself is the pipeline's (:func:`tinytalk_sdk.pipeline.pupil_turn`).

Decisions the issue left open (docs/smoke-and-qa.md):
* a HeyGen session is opened once per run and mode (as the app does when the video screen opens) and
  always stopped; per utterance the avatar is "ready" when its ``task`` is accepted;
* a conversation minute is a minute of speech (the learner's clips + the avatar's answers);
* ``--max-cost`` is checked twice. Before the run: its worst case from the price table (:func:`worst_case`:
  every turn at its a-priori cost, every vendor session open for ``WORST_TURN_SECONDS`` per utterance, at least
  its billed minimum) must fit, else nothing starts. Before every turn: spent so far (open sessions included,
  with their minimum) + the expected cost of the next turn; a turn that would go over is not started;
* LiveAvatar runs on the providers target only: through the API the video mode is whichever vendor the
  platform's ``video_avatar_vendor`` names, so ``--target api`` leaves the ``liveavatar`` mode out (noted).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import CheckFailedError, TinyTalkError, ValidationError
from ..pipeline import (
    METRICS,
    ApiTarget,
    Avatar,
    LoginStage,
    ProviderTarget,
    SessionStage,
    StageResult,
    TurnContext,
    avatar_for,
    failure_kind,
    pupil_turn,
    remove_test_user,
    run_stages,
)
from ..pipeline.runner import STAGE_ERRORS, one_line
from .script import MODES, Threshold
from .stats import summary

if TYPE_CHECKING:
    from ..config import Config
    from ..pricing import PriceTable

__all__ = ["QA_TAG", "WORST_TURN_SECONDS", "QAReport", "evaluate", "run_compare", "worst_case"]

QA_TAG = "qa"
# How long a vendor session is assumed to stay open per utterance in the worst case (a turn's STT + GPT +
# the avatar's answer take a few seconds on the real vendors; a turn slower than this is the in-run guard's).
WORST_TURN_SECONDS = 15.0


@dataclass
class QAReport:
    script: str
    runs: int
    utterances: list[str]
    target: str
    providers: dict[str, str] = field(default_factory=dict)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    finished_at: dt.datetime | None = None
    max_cost: float | None = None
    stopped_by_max_cost: bool = False
    modes: dict[str, dict[str, Any]] = field(default_factory=dict)
    turns: list[dict[str, Any]] = field(default_factory=list)
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.stopped_by_max_cost and not any(t["violated"] for t in self.thresholds)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["passed"] = self.passed
        for key in ("started_at", "finished_at"):
            value = data[key]
            data[key] = value.isoformat().replace("+00:00", "Z") if value else None
        return data


class _Budget:
    def __init__(self, max_cost: float | None, prices: PriceTable) -> None:
        self.max_cost = Decimal(str(max_cost)) if max_cost is not None else None
        self.prices = prices  # the profile's table: estimates before a turn was measured
        self.spent = Decimal(0)

    def allows(self, next_turn: Decimal, accrued: Decimal = Decimal(0)) -> bool:
        if self.max_cost is None:
            return True
        return self.spent + accrued + next_turn <= self.max_cost


def entry_cost(entries: Sequence[Any]) -> Decimal:
    return sum((e.cost_usd for e in entries if e.cost_usd is not None), Decimal(0))


def a_priori_turn_cost(avatar: Avatar, utterance: str, table: PriceTable) -> Decimal:
    """What one turn should cost before any was measured: the price table on a typical turn."""
    from ..pricing import estimate_cost
    from ..providers.base import UsageEntry

    seconds = max(1.0, len(utterance.split()) * 0.4)
    entries = [UsageEntry("openai", "stt", model="whisper-1", audio_seconds=seconds),
               UsageEntry("openai", "chat_stream", model="gpt-4o", input_tokens=120, output_tokens=40)]
    if avatar.needs_tts:
        entries.append(UsageEntry("elevenlabs", "tts", model="eleven_flash_v2_5", characters=160))
    total = Decimal(0)
    for entry in entries:
        cost, _version = estimate_cost(entry, table)
        total += cost or Decimal(0)
    return total


def session_rate(avatar: Avatar, table: PriceTable) -> tuple[Decimal, Decimal]:
    """(USD per session minute, minimum billed minutes) of the avatar's vendor session; zero without one."""
    rates = table.lookup(avatar.billing_service, None) if avatar.billing_service else None
    per_minute = rates.session_minute_price if rates is not None else None
    if rates is None or per_minute is None:
        return Decimal(0), Decimal(0)
    return per_minute, rates.min_session_minutes or Decimal(0)


def worst_case(modes: Sequence[str], utterances: Sequence[str], runs: int, table: PriceTable
               ) -> dict[str, Decimal]:
    """The most a run may cost per mode, from the price table alone (nothing measured, nothing spent)."""
    result: dict[str, Decimal] = {}
    for mode in modes:
        avatar = avatar_for(mode)
        turns = sum((a_priori_turn_cost(avatar, text, table) for text in utterances), Decimal(0))
        rate, minimum = session_rate(avatar, table)
        minutes = max(Decimal(str(WORST_TURN_SECONDS)) * len(utterances) / 60, minimum) if avatar.has_session \
            else Decimal(0)
        result[mode] = ((turns + minutes * rate) * runs).quantize(Decimal("0.000001"))
    return result


def run_compare(
    config: Config,
    *,
    utterances: list[str],
    runs: int = 3,
    script_name: str = "script",
    target: str = "providers",
    modes: Sequence[str] = MODES,
    max_cost: float | None = None,
    use_fakes: bool | None = None,
    api_url: str | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> QAReport:
    """Run ``runs`` × ``utterances`` through each mode; never raises for a failed turn (it is counted)."""
    from ..providers.factory import price_table_for
    from ..smoke import open_pipeline
    from ..testing.speech import speak_wav

    if runs < 1:
        raise ValidationError("--runs must be at least 1")
    modes = list(modes)
    skipped = "liveavatar" in modes and target == "api"
    if skipped:
        modes.remove("liveavatar")
    budget = _Budget(max_cost, price_table_for(config))  # the profile's table, as the recorders use
    if budget.max_cost is not None:
        worst = worst_case(modes, utterances, runs, budget.prices)
        if sum(worst.values(), Decimal(0)) > budget.max_cost:
            parts = ", ".join(f"{m} {c:.4f}" for m, c in worst.items())
            raise CheckFailedError(
                f"--max-cost {budget.max_cost}: the run's worst case is {sum(worst.values(), Decimal(0)):.4f} USD "
                f"({parts}); nothing was started",
                hint="raise --max-cost, or lower --runs / the script / the --mode list")
    report = QAReport(script=script_name, runs=runs, utterances=list(utterances), target=target,
                      max_cost=max_cost)
    if skipped:
        report.notes.append("liveavatar mode left out: through the API the video mode is the vendor "
                            "video_avatar_vendor names (run it with --target providers)")
    say = on_progress or (lambda _m: None)
    with tempfile.TemporaryDirectory(prefix="tinytalk-qa-") as tmp:
        work = Path(tmp)
        with open_pipeline(config, target="api" if target == "api" else "providers", work_dir=work,
                           api_url=api_url, use_fakes=use_fakes, tag=QA_TAG) as opened:
            report.notes.extend(opened.notes)
            for note in opened.notes:
                say(note)
            report.providers = opened.providers
            pipe = opened.target
            clips: dict[str, Path] = {}
            for i, text in enumerate(utterances):
                clip = work / f"utterance-{i}.wav"
                clip.write_bytes(speak_wav(text))
                clips[text] = clip
                if isinstance(pipe, ProviderTarget) and pipe.fakes is not None:
                    pipe.fakes.state.know_audio(clip.read_bytes(), text)
            try:
                if isinstance(pipe, ApiTarget):
                    login = TurnContext(target=pipe, avatar=avatar_for(MODES[-1]), clip=work,
                                        user=("qa", "QA Compare", "tinytalk qa"))
                    LoginStage().run(login, StageResult("register"))
                for mode in modes:
                    _run_mode(report, pipe, mode, runs, utterances, clips, budget, say)
                    if report.stopped_by_max_cost:
                        break
            finally:
                if isinstance(pipe, ApiTarget):
                    report.notes.append(remove_test_user(pipe, opened.engine, started_at=report.started_at,
                                                         tag=QA_TAG, uploads_dir=opened.uploads_dir))
    report.finished_at = dt.datetime.now(dt.UTC)
    return report


@dataclass
class _ModeTally:
    values: dict[str, list[float]] = field(default_factory=lambda: {m: [] for m in (*METRICS, "session_ready")})
    turns: int = 0
    failures: int = 0
    timeouts: int = 0
    speech_seconds: float = 0.0
    cost: Decimal = Decimal(0)


def _run_mode(
    report: QAReport, pipe: ApiTarget | ProviderTarget, mode: str, runs: int, utterances: list[str],
    clips: dict[str, Path], budget: _Budget, say: Callable[[str], None],
) -> None:
    from ..testing.speech import audio_duration

    avatar = avatar_for(mode)
    rate, minimum = session_rate(avatar, budget.prices)
    tally = _ModeTally()
    recorder = pipe.recorder if isinstance(pipe, ProviderTarget) else None
    per_turn: list[Decimal] = []
    stages = pupil_turn(avatar, require_text=False)
    for run in range(1, runs + 1):
        if isinstance(pipe, ApiTarget):
            SessionStage().run(TurnContext(target=pipe, avatar=avatar, clip=clips[utterances[0]],
                                           title=f"qa {mode} run {run}"), StageResult("session"))
        mark = len(recorder.entries) if recorder is not None else 0
        opened_at = 0.0
        try:
            for text in utterances:
                accrued = Decimal(0)
                if avatar.is_open:
                    open_minutes = Decimal(str(round((time.monotonic() - opened_at) / 60, 4)))
                    accrued = max(open_minutes, minimum) * rate
                expected = (sum(per_turn, Decimal(0)) / len(per_turn)) if per_turn else \
                    a_priori_turn_cost(avatar, text, budget.prices) + (
                        minimum * rate if avatar.has_session and not avatar.is_open else Decimal(0))
                if not budget.allows(expected, accrued):
                    report.stopped_by_max_cost = True
                    report.notes.append(f"--max-cost {budget.max_cost}: stopped before {mode} run {run} "
                                        f"(spent {budget.spent + accrued:.4f}, next turn ≈ {expected:.4f})")
                    say(report.notes[-1])
                    break
                tally.turns += 1
                ctx = TurnContext(target=pipe, avatar=avatar, clip=clips[text], utterance=text)
                before = len(recorder.entries) if recorder is not None else 0
                record: dict[str, Any] = {"mode": mode, "run": run, "utterance": text, "ok": True, "error": None}
                error, kind = _open_avatar(avatar, pipe, tally, ctx) if not avatar.is_open else (None, None)
                if avatar.is_open and not opened_at:
                    opened_at = time.monotonic()
                if error is None:
                    failed = [s for s in run_stages(stages, ctx) if s.status == "fail"]
                    if failed:
                        error, kind = failed[0].detail, failed[0].kind
                turn = ctx.turn
                if error is None:
                    tally.speech_seconds += avatar.speech_seconds(turn) + (audio_duration(ctx.clip.read_bytes())
                                                                           or 0.0)
                    turn.metrics["speech_to_avatar"] = avatar.speech_to_avatar(turn)
                    for key, value in turn.metrics.items():
                        if value is not None:
                            tally.values[key].append(value)
                else:
                    tally.failures += 1
                    tally.timeouts += int(kind == "timeout")
                    record.update(ok=False, error=error)
                record["metrics"] = dict(turn.metrics)
                if recorder is not None:
                    cost = entry_cost(recorder.entries[before:])
                    per_turn.append(cost)
                    budget.spent += cost
                    tally.cost += cost
                report.turns.append(record)
                say(f"{mode} run {run}: {'ok' if record['ok'] else 'FAILED ' + str(record['error'])}")
        finally:
            if avatar.is_open:
                with suppress(TinyTalkError):
                    avatar.close(pipe)
                if recorder is not None:
                    stop_cost = entry_cost([e for e in recorder.entries[mark:] if e.operation.endswith("_stop")])
                    budget.spent += stop_cost
                    tally.cost += stop_cost
            if isinstance(pipe, ApiTarget) and pipe.session_id is not None:
                with suppress(TinyTalkError):
                    pipe.client.sessions.save(session_id=pipe.session_id)
        if report.stopped_by_max_cost:
            break
    report.modes[mode] = _mode_summary(tally, costed=recorder is not None)


def _open_avatar(avatar: Avatar, pipe: ApiTarget | ProviderTarget, tally: _ModeTally,
                 ctx: TurnContext) -> tuple[str | None, str | None]:
    """Open the avatar's vendor session before the first turn of a run (timed as ``session_ready``)."""
    if not avatar.has_session:
        return None, None
    started = time.perf_counter()
    try:
        avatar.open(pipe)
    except STAGE_ERRORS as exc:
        return one_line(exc), failure_kind(exc)
    tally.values["session_ready"].append(round(time.perf_counter() - started, 3))
    return None, None


def _mode_summary(tally: _ModeTally, *, costed: bool) -> dict[str, Any]:
    minutes = tally.speech_seconds / 60
    turns = tally.turns
    return {
        "turns": turns,
        "failures": tally.failures,
        "timeouts": tally.timeouts,
        "failure_rate": round(tally.failures / turns, 4) if turns else None,
        "timeout_rate": round(tally.timeouts / turns, 4) if turns else None,
        "conversation_minutes": round(minutes, 4),
        "cost_total": float(tally.cost) if costed else None,
        "cost_per_minute": round(float(tally.cost) / minutes, 4) if costed and minutes else None,
        "stats": {k: summary(v) for k, v in tally.values.items() if v or k in METRICS},
    }


def evaluate(report: QAReport, thresholds: Sequence[Threshold]) -> list[dict[str, Any]]:
    """Check every ``--fail-if``; the results are stored on the report (and returned)."""
    report.thresholds = []
    for threshold in thresholds:
        violated, observed = threshold.check(report)
        report.thresholds.append({"rule": threshold.text, "observed": observed, "violated": violated})
    return report.thresholds
