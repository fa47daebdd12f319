"""`tinytalk qa compare`: the same scripted utterances through both avatar modes, measured side by side.

Per mode (``heygen``, ``replika``) and per stage: p50 / p95 / max latency, end of user speech → avatar
speaking, failure and timeout rates, and the estimated cost per conversation minute (HeyGen's per-minute
billing + STT + GPT, against STT + GPT + TTS for Replika), from the usage rows the providers wrote and the
price table. Writes ``report.json`` and a self-contained ``report.html`` (inline CSS and SVG, no URL).

Decisions the issue left open (docs/smoke-and-qa.md):
* a HeyGen session is opened once per run and mode (as the app does when the video screen opens) and
  always stopped; per utterance the avatar is "ready" when its ``task`` is accepted;
* a conversation minute is a minute of speech (the learner's clips + the avatar's answers);
* ``--max-cost`` is checked before every turn: spent so far (open HeyGen sessions included, with their
  30-second minimum) + the expected cost of the next turn; a turn that would go over is not started.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import operator
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._exceptions import ProviderError, TinyTalkError, ValidationError
from .smoke import METRICS, ApiPipeline, ProviderPipeline, Turn, lipsync, open_pipeline, speech_to_avatar

if TYPE_CHECKING:
    from .config import Config
    from .pricing import PriceTable

__all__ = [
    "MODES",
    "QAReport",
    "Threshold",
    "evaluate",
    "load_script",
    "parse_threshold",
    "percentile",
    "render_html",
    "run_compare",
    "write_reports",
]

MODES = ("heygen", "replika")
QA_TAG = "qa"
SCALARS = ("failure_rate", "timeout_rate", "cost_per_minute", "cost_total")
STATS = ("p50", "p95", "max", "mean")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq,
    "!=": operator.ne,
}


# ---- input -----------------------------------------------------------------------------------------


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


# ---- statistics ----------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default), ``q`` in 0..100."""
    data = sorted(values)
    if not data:
        return None
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return round(data[lo] + (data[hi] - data[lo]) * (pos - lo), 4)


def _stats(values: list[float]) -> dict[str, float | int | None]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": round(max(values), 4) if values else None,
        "mean": round(sum(values) / len(values), 4) if values else None,
    }


# ---- the run --------------------------------------------------------------------------------------------


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
        self.turn_costs: list[Decimal] = []

    def allows(self, next_turn: Decimal, accrued: Decimal = Decimal(0)) -> bool:
        if self.max_cost is None:
            return True
        return self.spent + accrued + next_turn <= self.max_cost


def _entry_cost(entries: Sequence[Any]) -> Decimal:
    return sum((e.cost_usd for e in entries if e.cost_usd is not None), Decimal(0))


def _a_priori_turn_cost(mode: str, utterance: str, table: PriceTable) -> Decimal:
    """What one turn should cost before any was measured: the price table on a typical turn."""
    from .pricing import estimate_cost
    from .providers.base import UsageEntry

    seconds = max(1.0, len(utterance.split()) * 0.4)
    entries = [UsageEntry("openai", "stt", model="whisper-1", audio_seconds=seconds),
               UsageEntry("openai", "chat_stream", model="gpt-4o", input_tokens=120, output_tokens=40)]
    if mode == "replika":
        entries.append(UsageEntry("elevenlabs", "tts", model="eleven_flash_v2_5", characters=160))
    total = Decimal(0)
    for entry in entries:
        cost, _version = estimate_cost(entry, table)
        total += cost or Decimal(0)
    return total


def _heygen_rate(table: PriceTable) -> tuple[Decimal, Decimal]:
    rates = table.lookup("heygen", None)
    if rates is None or rates.per_session_minute is None:
        return Decimal(0), Decimal(0)
    return rates.per_session_minute, rates.min_session_minutes or Decimal(0)


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
    from .testing.speech import audio_duration, speak_wav

    if runs < 1:
        raise ValidationError("--runs must be at least 1")
    report = QAReport(script=script_name, runs=runs, utterances=list(utterances), target=target,
                      max_cost=max_cost)
    from .providers.factory import price_table_for

    budget = _Budget(max_cost, price_table_for(config))  # the profile's table, as the recorders use
    hg_rate, hg_min = _heygen_rate(budget.prices)
    say = on_progress or (lambda _m: None)
    with tempfile.TemporaryDirectory(prefix="tinytalk-qa-") as tmp:
        work = Path(tmp)
        with open_pipeline(config, target="api" if target == "api" else "providers", work_dir=work,
                           api_url=api_url, use_fakes=use_fakes, tag=QA_TAG) as opened:
            report.notes.extend(opened.notes)
            for note in opened.notes:
                say(note)
            report.providers = opened.providers
            pipe = opened.pipeline
            if isinstance(pipe, ApiPipeline):
                _api_login(pipe)
            clips: dict[str, Path] = {}
            for i, text in enumerate(utterances):
                clip = work / f"utterance-{i}.wav"
                clip.write_bytes(speak_wav(text))
                clips[text] = clip
                if isinstance(pipe, ProviderPipeline) and pipe.fakes is not None:
                    pipe.fakes.state.know_audio(clip.read_bytes(), text)
            try:
                for mode in modes:
                    _run_mode(report, pipe, mode, runs, utterances, clips, budget, hg_rate, hg_min, say,
                              audio_duration)
                    if report.stopped_by_max_cost:
                        break
            finally:
                if isinstance(pipe, ApiPipeline):
                    from .smoke import _cleanup

                    report.notes.append(_cleanup(pipe, opened.engine, started_at=report.started_at))
    report.finished_at = dt.datetime.now(dt.UTC)
    return report


def _api_login(pipe: ApiPipeline) -> None:
    import secrets

    token = pipe.client.auth.register(email=f"qa+{secrets.token_hex(6)}@tinytalk.invalid",
                                      pin=f"{secrets.randbelow(10**6):06d}", name="QA Compare", device="tinytalk qa")
    pipe.user_id = token.user.id


def _run_mode(
    report: QAReport, pipe: ApiPipeline | ProviderPipeline, mode: str, runs: int, utterances: list[str],
    clips: dict[str, Path], budget: _Budget, hg_rate: Decimal, hg_min: Decimal, say: Callable[[str], None],
    audio_duration: Callable[[bytes], float | None],
) -> None:
    values: dict[str, list[float]] = {m: [] for m in (*METRICS, "session_ready")}
    turns = failures = timeouts = 0
    speech_seconds = 0.0
    mode_cost = Decimal(0)
    recorder = pipe.recorder if isinstance(pipe, ProviderPipeline) else None
    per_turn: list[Decimal] = []
    for run in range(1, runs + 1):
        if isinstance(pipe, ApiPipeline):
            pipe.session_id = pipe.client.sessions.create(
                title=f"qa {mode} run {run}", response_mode="video" if mode == "heygen" else "audio").session.id
        mark = len(recorder.entries) if recorder is not None else 0
        session_id: str | None = None
        opened_at = 0.0
        try:
            for text in utterances:
                accrued = Decimal(0)
                if session_id is not None:
                    open_minutes = Decimal(str(round((time.monotonic() - opened_at) / 60, 4)))
                    accrued = max(open_minutes, hg_min) * hg_rate
                expected = (sum(per_turn, Decimal(0)) / len(per_turn)) if per_turn else \
                    _a_priori_turn_cost(mode, text, budget.prices) + (
                        hg_min * hg_rate if session_id is None and mode == "heygen" else Decimal(0))
                if not budget.allows(expected, accrued):
                    report.stopped_by_max_cost = True
                    report.notes.append(f"--max-cost {budget.max_cost}: stopped before {mode} run {run} "
                                        f"(spent {budget.spent + accrued:.4f}, next turn ≈ {expected:.4f})")
                    say(report.notes[-1])
                    break
                turns += 1
                turn = Turn()
                before = len(recorder.entries) if recorder is not None else 0
                record: dict[str, Any] = {"mode": mode, "run": run, "utterance": text, "ok": True, "error": None}
                try:
                    if mode == "heygen" and session_id is None:
                        started = time.perf_counter()
                        session_id = pipe.heygen_open()
                        opened_at = time.monotonic()
                        values["session_ready"].append(round(time.perf_counter() - started, 3))
                    pipe.stt(turn, clips[text])
                    pipe.chat(turn, turn.transcript or text)
                    started = time.perf_counter()
                    if mode == "heygen":
                        assert session_id is not None
                        pipe.heygen_say(session_id, turn.reply)
                        turn.metrics["avatar_ready"] = round(time.perf_counter() - started, 3)
                        speech_seconds += len(turn.reply.split()) * 0.4  # HeyGen voices: ~150 words/min
                    else:
                        pipe.tts(turn, turn.reply, with_timestamps=isinstance(pipe, ProviderPipeline))
                        started = time.perf_counter()
                        lipsync(turn)
                        turn.metrics["avatar_ready"] = round(time.perf_counter() - started, 3)
                        speech_seconds += audio_duration(turn.audio) or 0.0
                    speech_seconds += audio_duration(clips[text].read_bytes()) or 0.0
                    turn.metrics["speech_to_avatar"] = speech_to_avatar(turn, mode)
                except (TinyTalkError, OSError, ValueError, AssertionError) as exc:
                    failures += 1
                    is_timeout = (isinstance(exc, ProviderError) and exc.code == "timeout") or \
                        exc.__class__.__name__ == "APITimeoutError"
                    timeouts += int(is_timeout)
                    record.update(ok=False, error=str(exc).splitlines()[0][:200] if str(exc) else
                                  exc.__class__.__name__)
                for key, value in turn.metrics.items():
                    if value is not None and record["ok"]:
                        values[key].append(value)
                record["metrics"] = dict(turn.metrics)
                if recorder is not None:
                    cost = _entry_cost(recorder.entries[before:])
                    per_turn.append(cost)
                    budget.spent += cost
                    mode_cost += cost
                report.turns.append(record)
                say(f"{mode} run {run}: {'ok' if record['ok'] else 'FAILED ' + str(record['error'])}")
        finally:
            if session_id is not None:
                with suppress(TinyTalkError):
                    pipe.heygen_close(session_id)
                if recorder is not None:
                    stop_cost = _entry_cost([e for e in recorder.entries[mark:] if e.operation == "heygen_stop"])
                    budget.spent += stop_cost
                    mode_cost += stop_cost
            if isinstance(pipe, ApiPipeline) and pipe.session_id is not None:
                with suppress(TinyTalkError):
                    pipe.client.sessions.save(session_id=pipe.session_id)
        if report.stopped_by_max_cost:
            break
    minutes = speech_seconds / 60
    report.modes[mode] = {
        "turns": turns,
        "failures": failures,
        "timeouts": timeouts,
        "failure_rate": round(failures / turns, 4) if turns else None,
        "timeout_rate": round(timeouts / turns, 4) if turns else None,
        "conversation_minutes": round(minutes, 4),
        "cost_total": float(mode_cost) if recorder is not None else None,
        "cost_per_minute": round(float(mode_cost) / minutes, 4) if recorder is not None and minutes else None,
        "stats": {k: _stats(v) for k, v in values.items() if v or k in METRICS},
    }


def evaluate(report: QAReport, thresholds: Sequence[Threshold]) -> list[dict[str, Any]]:
    """Check every ``--fail-if``; the results are stored on the report (and returned)."""
    report.thresholds = []
    for threshold in thresholds:
        violated, observed = threshold.check(report)
        report.thresholds.append({"rule": threshold.text, "observed": observed, "violated": violated})
    return report.thresholds


# ---- reports ----------------------------------------------------------------------------------------------

_LABELS = {
    "stt_latency": "STT latency",
    "ttft": "GPT first token",
    "gpt_total": "GPT total",
    "tts_ttfb": "TTS first byte",
    "tts_total": "TTS total",
    "avatar_ready": "avatar ready",
    "speech_to_avatar": "end of speech → avatar",
    "session_ready": "HeyGen session ready",
}
_COLORS = {"heygen": "#7c3aed", "replika": "#0d9488"}


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return html.escape(str(value))


def _chart(report: QAReport, stat: str) -> str:
    """Grouped horizontal bars: one group per metric, one bar per mode (inline SVG)."""
    metrics = [m for m in METRICS if any((report.modes[mode]["stats"].get(m) or {}).get(stat) is not None
                                         for mode in report.modes)]
    modes = list(report.modes)
    top = max([(report.modes[mo]["stats"].get(m) or {}).get(stat) or 0 for m in metrics for mo in modes] or [1])
    top = top or 1
    row_h, bar_h, left, width = 18 * max(len(modes), 1) + 10, 14, 170, 380
    height = row_h * len(metrics) + 30
    parts = [f'<svg role="img" aria-label="{stat} latency by stage" viewBox="0 0 {left + width + 70} {height}" '
             f'width="{left + width + 70}" height="{height}">']
    for i, metric in enumerate(metrics):
        y0 = 10 + i * row_h
        parts.append(f'<text x="{left - 8}" y="{y0 + row_h / 2}" text-anchor="end" class="lbl">'
                     f'{html.escape(_LABELS.get(metric, metric))}</text>')
        for j, mode in enumerate(modes):
            value = (report.modes[mode]["stats"].get(metric) or {}).get(stat)
            if value is None:
                continue
            w = max(1.0, width * value / top)
            y = y0 + j * 18
            color = _COLORS.get(mode, "#888")
            parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}">'
                         f'<title>{mode} {stat} {value:.3f} s</title></rect>')
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 3}" class="val">{value:.2f}s</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: QAReport) -> str:
    """A self-contained page: inline CSS and SVG, a few lines of inline script, no external URL."""
    data = report.to_dict()
    modes = list(report.modes)
    head = "".join(f'<th class="mode-{m}" colspan="3">{html.escape(m)}</th>' for m in modes)
    sub = "".join("<th>p50</th><th>p95</th><th>max</th>" for _ in modes)
    rows = []
    for metric in (*METRICS, "session_ready"):
        cells = []
        present = False
        for mode in modes:
            st = report.modes[mode]["stats"].get(metric) or {}
            present = present or st.get("p50") is not None
            cells += [f'<td data-metric="{metric}" data-stat="{s}">{_fmt(st.get(s))}</td>'
                      for s in ("p50", "p95", "max")]
        if present:
            rows.append(f"<tr><th scope=row>{html.escape(_LABELS.get(metric, metric))}</th>{''.join(cells)}</tr>")
    summary = []
    for key, label in (("turns", "turns"), ("failure_rate", "failure rate"), ("timeout_rate", "timeout rate"),
                       ("conversation_minutes", "conversation minutes"), ("cost_total", "cost (USD)"),
                       ("cost_per_minute", "cost per conversation minute (USD)")):
        row_cells = "".join(f"<td>{_fmt(report.modes[m].get(key), 4)}</td>" for m in modes)
        summary.append(f"<tr><th scope=row>{label}</th>{row_cells}</tr>")
    thresholds = "".join(
        f'<li class="{"bad" if t["violated"] else "good"}">{"✗" if t["violated"] else "✓"} '
        f'<code>{html.escape(t["rule"])}</code> (observed {_fmt(t["observed"])})</li>' for t in report.thresholds
    ) or "<li>none given</li>"
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in report.notes) or "<li>none</li>"
    failures = "".join(
        f"<tr><td>{html.escape(t['mode'])}</td><td>{t['run']}</td><td>{html.escape(t['utterance'])}</td>"
        f"<td>{html.escape(str(t['error']))}</td></tr>" for t in report.turns if not t["ok"]
    ) or '<tr><td colspan="4">no failed turns</td></tr>'
    verdict = "PASSED" if report.passed else "FAILED"
    providers = html.escape(", ".join(f"{k}={v}" for k, v in report.providers.items()))
    legend = "".join(f'<span style="background:{_COLORS.get(m, "#888")}"></span>{html.escape(m)}' for m in modes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TinyTalk QA: HeyGen vs Replika</title>
<style>
body{{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1f2937;background:#fff}}
h1{{font-size:22px;margin:0 0 4px}} h2{{font-size:17px;margin:28px 0 8px}}
.meta{{color:#6b7280}} .verdict{{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:600}}
.PASSED{{background:#dcfce7;color:#166534}} .FAILED{{background:#fee2e2;color:#991b1b}}
table{{border-collapse:collapse;margin:6px 0}} th,td{{border:1px solid #e5e7eb;padding:4px 10px;text-align:right}}
th[scope=row]{{text-align:left;font-weight:500}} thead th{{background:#f9fafb}}
.mode-heygen{{color:{_COLORS["heygen"]}}} .mode-replika{{color:{_COLORS["replika"]}}}
td.best{{font-weight:700;background:#f0fdf4}} .charts{{display:flex;flex-wrap:wrap;gap:24px}}
.lbl{{font-size:12px;fill:#374151}} .val{{font-size:11px;fill:#374151}}
.legend span{{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}}
li.bad{{color:#991b1b}} li.good{{color:#166534}} code{{background:#f3f4f6;padding:0 4px}}
</style></head>
<body>
<h1>HeyGen vs Replika <span class="verdict {verdict}">{verdict}</span></h1>
<p class="meta">script <b>{html.escape(report.script)}</b> · {len(report.utterances)} utterances × {report.runs} runs ·
target {html.escape(report.target)} · providers {providers} ·
{html.escape(str(data["started_at"]))}</p>
<h2>Summary</h2>
<table><thead><tr><th></th>{"".join(f'<th class="mode-{m}">{html.escape(m)}</th>' for m in modes)}</tr></thead>
<tbody>{"".join(summary)}</tbody></table>
<h2>Latency per stage (seconds)</h2>
<table id="latency"><thead><tr><th rowspan="2">stage</th>{head}</tr><tr>{sub}</tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Charts</h2>
<p class="legend">{legend}</p>
<div class="charts"><figure><figcaption>p50</figcaption>{_chart(report, "p50")}</figure>
<figure><figcaption>p95</figcaption>{_chart(report, "p95")}</figure></div>
<h2>Thresholds</h2><ul>{thresholds}</ul>
<h2>Failed turns</h2>
<table><thead><tr><th>mode</th><th>run</th><th>utterance</th><th>error</th></tr></thead><tbody>{failures}</tbody></table>
<h2>Notes</h2><ul>{notes}</ul>
<script>
// Mark the faster mode per stage and statistic (lower is better).
(function () {{
  var cells = document.querySelectorAll("#latency td[data-metric]");
  var groups = {{}};
  cells.forEach(function (td) {{
    var key = td.dataset.metric + "/" + td.dataset.stat;
    (groups[key] = groups[key] || []).push(td);
  }});
  Object.keys(groups).forEach(function (key) {{
    var tds = groups[key].filter(function (td) {{ return !isNaN(parseFloat(td.textContent)); }});
    if (tds.length < 2) return;
    tds.sort(function (a, b) {{ return parseFloat(a.textContent) - parseFloat(b.textContent); }});
    tds[0].classList.add("best");
  }});
  document.body.dataset.ready = "1";
}})();
</script>
</body></html>
"""


def write_reports(report: QAReport, out_dir: Path) -> tuple[Path, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "report.json"
    html_path = out / "report.html"
    json_path.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n",
                         encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
    return json_path, html_path
