"""The ``qa load`` reports: ``report.json`` (as ``--json`` prints it), ``latency.png`` (latency against the
pupil count, matplotlib's Agg backend, imported here only) and ``report.html`` (Jinja2; the chart inline as a
data URI, inline CSS: one self-contained file)."""

from __future__ import annotations

import base64
import json
import os
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .plan import FIRST_NAMES, START_STAGES, TURN_STAGES

if TYPE_CHECKING:
    from .run import LoadReport

__all__ = ["chart_series", "render_html", "render_png", "stage_rows", "write_reports"]

STAGE_ORDER = (*START_STAGES, *TURN_STAGES)


def stage_rows(stages: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per stage entry (the total, then its first output): the table of the report and of the CLI."""
    rows: list[dict[str, Any]] = []
    for stage in sorted(stages, key=lambda s: (STAGE_ORDER.index(s) if s in STAGE_ORDER else 99, s)):
        data = stages[stage]
        for name in ("total", FIRST_NAMES.get(stage), "stop"):
            entry = (data.get("entries") or {}).get(name or "")
            if not entry:
                continue
            main = name == "total"
            rows.append({
                "stage": stage, "measure": name, "requests": entry["n"],
                "failures": data["failures"] if main else None,
                "failure_rate": data["failure_rate"] if main else None,
                "rps": data["rps"] if main else None,
                "p50": entry["p50"], "p95": entry["p95"], "p99": entry["p99"], "max": entry["max"],
                "failures_by_kind": ", ".join(f"{k} {v}" for k, v in sorted(data["failures_by_kind"].items()))
                if main else "",
            })
    return rows


def chart_series(report: LoadReport) -> tuple[str, dict[str, list[tuple[float, float]]]]:
    """(x label, {series: [(pupils, p95 seconds)]}): the capacity steps, or the samples taken during a run."""
    series: dict[str, list[tuple[float, float]]] = {}
    if report.capacity is not None:
        for step in report.steps:
            for stage, data in step["stages"].items():
                for name, entry in data["entries"].items():
                    if entry["p95"] is not None and name in ("total", FIRST_NAMES.get(stage)):
                        label = stage if name == "total" else f"{stage} {name}"
                        series.setdefault(label, []).append((step["pupils"], entry["p95"]))
        return "pupils (capacity step)", series
    # samples at the same class size (the steady part of a run) become one point: their median
    by_users: dict[str, dict[float, list[float]]] = {}
    for sample in report.samples:
        for label, value in sample["p95"].items():
            by_users.setdefault(label, {}).setdefault(sample["users"], []).append(value)
    for label, points in by_users.items():
        series[label] = [(users, float(statistics.median(values))) for users, values in sorted(points.items())]
    return "pupils talking (p95 over 6 s windows, median per class size)", series


def render_png(report: LoadReport, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xlabel, series = chart_series(report)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        for label in sorted(series, key=lambda s: (STAGE_ORDER.index(s.split()[0]) if s.split()[0] in STAGE_ORDER
                                                   else 99, s)):
            points = sorted(series[label])
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3, label=label)
        for stage, entry, limit in report.plan.thresholds.limits():
            label = stage if entry == "total" else f"{stage} {entry}"
            ax.axhline(limit, linestyle="--", linewidth=0.8, color="#b91c1c")
            ax.annotate(f"limit {label} {limit:g} s", (0, limit), xycoords=("axes fraction", "data"),
                        fontsize=7, color="#b91c1c", va="bottom")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("p95 latency (s)")
        ax.set_title("latency against pupil count")
        ax.grid(True, alpha=0.3)
        if series:
            ax.legend(fontsize=7, loc="upper left")
        else:
            ax.text(0.5, 0.5, "no requests", ha="center", va="center", transform=ax.transAxes)
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path


def render_html(report: LoadReport, png: bytes) -> str:
    from importlib.resources import files

    import jinja2

    data = report.to_dict()
    template = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
        files("tinytalk_sdk.load").joinpath("templates/report.html.j2").read_text(encoding="utf-8"))
    steps: Sequence[dict[str, Any]] = data["steps"]
    return template.render(
        report=data, rows=stage_rows(data["stages"]), steps=steps, capacity=data["capacity"],
        checks=data["checks"], chart=base64.b64encode(png).decode("ascii"),
        fmt=lambda v, d=3: "–" if v is None else (f"{v:.{d}f}" if isinstance(v, float) else str(v)),
    )


def write_reports(report: LoadReport, out: Path) -> dict[str, str]:
    """``report.json``, ``latency.png`` and ``report.html`` in ``out``; the paths back (also in the JSON)."""
    out.mkdir(parents=True, exist_ok=True)
    png = render_png(report, out / "latency.png")
    html_path = out / "report.html"
    report.files.update({"report_json": str(out / "report.json"), "report_html": str(html_path),
                         "chart_png": str(png), "locust_csv": str(out / "locust_stats.csv")})
    _atomic(html_path, render_html(report, png.read_bytes()))
    _atomic(out / "report.json", json.dumps(report.to_dict(), indent=1))
    return dict(report.files)


def _atomic(path: Path, text: str) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)
