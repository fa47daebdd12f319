"""Pictures of cost per day per service: a PNG (Pillow), a hand-written SVG, a terminal sparkline.

Input is :func:`tinytalk_sdk.admin.usage.cost_by_day`'s list of ``{"day", "service", "cost_usd"}``. Days
without usage are drawn as zero so gaps show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from .._exceptions import ValidationError

__all__ = ["render_chart", "series_by_service", "sparkline"]

_BARS = "▁▂▃▄▅▆▇█"
_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
_W, _H = 900, 420
_LEFT, _RIGHT, _TOP, _BOTTOM = 70, 150, 40, 50


def sparkline(values: Sequence[float | Decimal]) -> str:
    """``▁▃█▅`` for a list of numbers (all-zero → the lowest bar)."""
    if not values:
        return ""
    top = max(float(v) for v in values)
    if top <= 0:
        return _BARS[0] * len(values)
    return "".join(_BARS[min(len(_BARS) - 1, int(float(v) / top * (len(_BARS) - 1) + 0.5))] for v in values)


def series_by_service(points: Sequence[Mapping[str, Any]]) -> tuple[list[str], dict[str, list[float]]]:
    """Every day from the first to the last (gaps filled with 0) and one cost list per service."""
    if not points:
        return [], {}
    days_seen = sorted({str(p["day"]) for p in points})
    first, last = dt.date.fromisoformat(days_seen[0]), dt.date.fromisoformat(days_seen[-1])
    days = [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    pos = {d: i for i, d in enumerate(days)}
    series: dict[str, list[float]] = {}
    for p in points:
        series.setdefault(str(p["service"]), [0.0] * len(days))[pos[str(p["day"])]] += float(p["cost_usd"])
    return days, dict(sorted(series.items()))


def _geometry(days: list[str], series: dict[str, list[float]]) -> tuple[float, float, float]:
    top = max((v for values in series.values() for v in values), default=0.0) or 1.0
    plot_w = _W - _LEFT - _RIGHT
    step = plot_w / max(1, len(days) - 1)
    return top, plot_w, step


def _xy(i: int, value: float, top: float, step: float) -> tuple[float, float]:
    plot_h = _H - _TOP - _BOTTOM
    return _LEFT + i * step, _TOP + plot_h - (value / top) * plot_h


def _svg(days: list[str], series: dict[str, list[float]], title: str) -> str:
    top, _plot_w, step = _geometry(days, series)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{_W}" height="{_H}" fill="white"/>',
        f'<text x="{_LEFT}" y="24" font-size="16">{escape(title)}</text>',
        f'<line x1="{_LEFT}" y1="{_H - _BOTTOM}" x2="{_W - _RIGHT}" y2="{_H - _BOTTOM}" stroke="black"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_H - _BOTTOM}" stroke="black"/>',
        f'<text x="{_LEFT - 6}" y="{_TOP + 4}" text-anchor="end">${top:.2f}</text>',
        f'<text x="{_LEFT - 6}" y="{_H - _BOTTOM + 4}" text-anchor="end">$0</text>',
    ]
    if days:
        out.append(f'<text x="{_LEFT}" y="{_H - _BOTTOM + 20}">{escape(days[0])}</text>')
        out.append(f'<text x="{_W - _RIGHT}" y="{_H - _BOTTOM + 20}" text-anchor="end">{escape(days[-1])}</text>')
    for n, (service, values) in enumerate(series.items()):
        color = _COLORS[n % len(_COLORS)]
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (_xy(i, v, top, step) for i, v in enumerate(values)))
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{pts}">'
                   f"<title>{escape(service)}</title></polyline>")
        ly = _TOP + 16 * n
        out.append(f'<rect x="{_W - _RIGHT + 12}" y="{ly}" width="12" height="12" fill="{color}"/>')
        total = sum(values)
        out.append(f'<text x="{_W - _RIGHT + 30}" y="{ly + 10}">{escape(service)} ${total:.2f}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _png(days: list[str], series: dict[str, list[float]], title: str, path: Path) -> None:
    from PIL import Image, ImageDraw

    top, _plot_w, step = _geometry(days, series)
    image = Image.new("RGB", (_W, _H), "white")
    draw = ImageDraw.Draw(image)
    draw.text((_LEFT, 12), title, fill="black")
    draw.line([(_LEFT, _H - _BOTTOM), (_W - _RIGHT, _H - _BOTTOM)], fill="black")
    draw.line([(_LEFT, _TOP), (_LEFT, _H - _BOTTOM)], fill="black")
    draw.text((4, _TOP - 6), f"${top:.2f}", fill="black")
    draw.text((4, _H - _BOTTOM - 6), "$0", fill="black")
    if days:
        draw.text((_LEFT, _H - _BOTTOM + 8), days[0], fill="black")
        draw.text((_W - _RIGHT - 70, _H - _BOTTOM + 8), days[-1], fill="black")
    for n, (service, values) in enumerate(series.items()):
        color = _COLORS[n % len(_COLORS)]
        pts = [_xy(i, v, top, step) for i, v in enumerate(values)]
        if len(pts) == 1:
            x, y = pts[0]
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=color)
        else:
            draw.line(pts, fill=color, width=2)
        ly = _TOP + 16 * n
        draw.rectangle([_W - _RIGHT + 12, ly, _W - _RIGHT + 24, ly + 12], fill=color)
        draw.text((_W - _RIGHT + 30, ly), f"{service} ${sum(values):.2f}", fill="black")
    image.save(path, format="PNG")


def render_chart(points: Sequence[Mapping[str, Any]], path: str | Path, *, title: str = "Cost per day (USD)"
                 ) -> Path:
    """Draw cost per day per service to ``path`` (``.png`` or ``.svg``)."""
    target = Path(path)
    days, series = series_by_service(points)
    suffix = target.suffix.lower()
    if suffix == ".svg":
        target.write_text(_svg(days, series, title), encoding="utf-8")
    elif suffix == ".png":
        _png(days, series, title, target)
    else:
        raise ValidationError(f"--chart {target}: use a .png or .svg file name")
    return target
