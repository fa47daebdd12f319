"""The `qa compare` reports: ``report.json`` and a self-contained ``report.html`` (inline CSS and SVG)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..pipeline import METRICS

if TYPE_CHECKING:
    from .compare import QAReport

__all__ = ["render_html", "write_reports"]

_LABELS = {
    "stt_latency": "STT latency",
    "ttft": "GPT first token",
    "gpt_total": "GPT total",
    "tts_ttfb": "TTS first byte",
    "tts_total": "TTS total",
    "avatar_ready": "avatar ready",
    "speech_to_avatar": "end of speech → avatar",
    "session_ready": "video session ready",
}
_TITLES = {"heygen": "HeyGen v1", "liveavatar": "LiveAvatar", "replika": "Replika (Live2D)"}
_COLORS = {"heygen": "#7c3aed", "liveavatar": "#db2777", "replika": "#0d9488"}


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
<title>TinyTalk QA: {' vs '.join(html.escape(m) for m in modes)}</title>
<style>
body{{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1f2937;background:#fff}}
h1{{font-size:22px;margin:0 0 4px}} h2{{font-size:17px;margin:28px 0 8px}}
.meta{{color:#6b7280}} .verdict{{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:600}}
.PASSED{{background:#dcfce7;color:#166534}} .FAILED{{background:#fee2e2;color:#991b1b}}
table{{border-collapse:collapse;margin:6px 0}} th,td{{border:1px solid #e5e7eb;padding:4px 10px;text-align:right}}
th[scope=row]{{text-align:left;font-weight:500}} thead th{{background:#f9fafb}}
.mode-heygen{{color:{_COLORS["heygen"]}}} .mode-liveavatar{{color:{_COLORS["liveavatar"]}}}
.mode-replika{{color:{_COLORS["replika"]}}}
td.best{{font-weight:700;background:#f0fdf4}} .charts{{display:flex;flex-wrap:wrap;gap:24px}}
.lbl{{font-size:12px;fill:#374151}} .val{{font-size:11px;fill:#374151}}
.legend span{{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}}
li.bad{{color:#991b1b}} li.good{{color:#166534}} code{{background:#f3f4f6;padding:0 4px}}
</style></head>
<body>
<h1>{" vs ".join(html.escape(_TITLES.get(m, m)) for m in modes)} <span class="verdict {verdict}">{verdict}</span></h1>
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
