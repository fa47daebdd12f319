"""Previews of a model for people: what an artist or reviewer looks at before a model reaches pupils.

Two modes (docs/live2d.md "Preview"):

* **static** (always, Pillow only): ``textures.png`` (the texture atlases with their sizes) and
  ``summary.png`` (moc3 version, counts, the shared verdict and the emotions table).
* **render** (the ``render`` extra: live2d-py + glfw + PyOpenGL, an X display or Xvfb, Mesa): the real Cubism
  Core renders, on simulated time at a fixed ``fps``, idle and every *mapped* emotion from the model's rest
  state — ``<emotion>.png`` (the still, once the motion's fade-in and the pose fade have finished),
  ``<emotion>.gif`` (the motion's own ``Meta.Duration``, capped at ``max_seconds``, at true speed) and
  ``<emotion>.mp4`` when imageio-ffmpeg is installed — plus ``emotions.png`` (the stills side by side),
  ``motions.png`` (a still of every motion group/index, the artist's material for mapping) and
  ``index.html``, a self-contained page showing all of it with motion files, expressions and timings.

What reaches the Core is decided by :mod:`live2d_tools.verdict`, shared with ``live2d validate``: integrity
errors refuse rendering; unmapped emotions do not (they are named in ``missing_emotions``).
``preview(..., render=None)`` renders when it can and otherwise falls back to static, saying why.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .emotions import EMOTIONS
from .verdict import Verdict, verdict

__all__ = ["PreviewError", "PreviewResult", "preview", "render_available"]

MARK = "TINYTALK-RENDER-RESULT "
DEFAULT_FPS = 30
DEFAULT_MAX_SECONDS = 6.0
MAX_GIF_FPS = 50  # GIF delays are centiseconds and browsers slow down delays under 20 ms
_POSE_FADE_DEFAULT = 0.5  # CubismPose: FadeInTime absent or negative -> 0.5 s
_MOTION_FADE_DEFAULT = 1.0  # CubismMotion: FadeInTime absent or negative -> 1.0 s
_EXPRESSION_FADE_DEFAULT = 1.0  # CubismExpressionMotion: DefaultFadeTime


class PreviewError(RuntimeError):
    """The preview could not be made (unreadable model, render failure when rendering was required)."""


@dataclass
class PreviewResult:
    mode: str  # "render" or "static"
    files: list[str] = field(default_factory=list)
    reason: str | None = None  # why the static mode was used, when rendering was possible in principle
    verdict: dict[str, Any] = field(default_factory=dict)
    emotions: dict[str, dict[str, Any]] = field(default_factory=dict)
    motions: list[dict[str, Any]] = field(default_factory=list)
    missing_emotions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "files": list(self.files),
            "reason": self.reason,
            "verdict": dict(self.verdict),
            "emotions": {k: dict(v) for k, v in self.emotions.items()},
            "missing_emotions": list(self.missing_emotions),
            "motions": [dict(m) for m in self.motions],
        }


def render_available() -> str | None:
    """None when headless rendering can be attempted, else the reason it cannot."""
    missing = [m for m in ("live2d", "glfw", "OpenGL") if importlib.util.find_spec(m) is None]
    if missing:
        return f"the render extra is not installed (missing: {', '.join(missing)}; pip install 'tinytalk[render]')"
    if not os.environ.get("DISPLAY") and not shutil.which("Xvfb"):
        return "no X display and no Xvfb (apt-get install -y xvfb)"
    return None


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return None


def _number(value: Any, default: float) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
    return float(value) if ok else default


@dataclass(frozen=True)
class _Clip:
    """One motion to render and its timing, all in seconds of simulated time."""

    name: str
    group: str
    index: int
    file: str
    expression: str | None
    duration: float  # the motion's Meta.Duration
    fade_in: float  # model3 entry FadeInTime, else the motion's Meta.FadeInTime, else 1.0 (CubismMotion)
    expression_fade_in: float = 0.0  # exp3 FadeInTime, else 1.0 (CubismExpressionMotion); 0 without expression

    def job(self, *, fps: float, max_seconds: float, pose_fade: float, still_at: float | None,
            animate: bool) -> dict[str, Any]:  # fmt: skip
        # settled: the motion has faded in and the pose cross-fade it triggers has finished after that, and the
        # expression (faded in on its own clock) has too
        settle = max(self.fade_in + pose_fade, self.expression_fade_in)
        seconds = min(self.duration if self.duration > 0 else settle + 1.0, max_seconds)
        seconds = max(seconds, 1.0 / fps)
        at = still_at if still_at is not None else max(self.duration / 2, settle)
        at = min(at, seconds - 1.0 / fps)
        return {"name": self.name, "group": self.group, "index": self.index, "expression": self.expression,
                "seconds": seconds, "still_at": max(0.0, at), "animate": animate}  # fmt: skip


def _clips(v: Verdict, model3: Path) -> tuple[list[_Clip], list[_Clip], float]:
    """(emotion clips in EMOTIONS order, one clip per motion group/index, the pose fade time)."""
    m3 = _load(model3)
    m3 = m3 if isinstance(m3, dict) else {}
    refs: dict[str, Any] = m3["FileReferences"] if isinstance(m3.get("FileReferences"), dict) else {}
    pose = _load(model3.parent / refs["Pose"]) if isinstance(refs.get("Pose"), str) else None
    pose_fade = _number(pose.get("FadeInTime"), _POSE_FADE_DEFAULT) if isinstance(pose, dict) else 0.0
    groups: dict[str, Any] = refs["Motions"] if isinstance(refs.get("Motions"), dict) else {}
    expression_files = {
        x.get("Name"): x.get("File") for x in refs.get("Expressions") or [] if isinstance(x, dict)
    } if isinstance(refs.get("Expressions"), list) else {}  # fmt: skip

    def expression_fade(name: str | None) -> float:
        file = expression_files.get(name) if name else None
        if not isinstance(file, str):
            return 0.0
        exp = _load(model3.parent / file)
        return _number(exp.get("FadeInTime") if isinstance(exp, dict) else None, _EXPRESSION_FADE_DEFAULT)

    def clip(name: str, group: str, index: int, file: str, expression: str | None) -> _Clip:
        entry = groups.get(group, [])[index] if isinstance(groups.get(group), list) else {}
        motion = _load(model3.parent / file)
        meta = motion.get("Meta") if isinstance(motion, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        fade = _number(entry.get("FadeInTime") if isinstance(entry, dict) else None,
                       _number(meta.get("FadeInTime"), _MOTION_FADE_DEFAULT))  # fmt: skip
        return _Clip(name, group, index, file, expression, _number(meta.get("Duration"), 0.0), fade,
                     expression_fade(expression))

    emotions = [clip(e, *v.emotions[e]) for e in EMOTIONS if e in v.emotions]
    motions = []
    for group, files in v.report.model.motions.items():
        for index, file in enumerate(files):
            slug = re.sub(r"[^A-Za-z0-9_-]+", "_", group) or "group"
            motions.append(clip(f"motion_{slug}_{index:02d}", group, index, file, None))
    return emotions, motions, pose_fade


def _run_child(model3: Path, plan: dict[str, Any], timeout: float) -> dict[str, Any]:
    from ._xvfb import DisplayError, display

    try:
        with display() as env:
            try:
                proc = subprocess.run(
                    [sys.executable, "-m", "live2d_tools._render_child", str(model3), json.dumps(plan)],
                    stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, env=env, cwd=model3.parent,
                    check=False,
                )  # fmt: skip
            except subprocess.TimeoutExpired:
                raise PreviewError(f"rendering {model3.name} timed out after {timeout:g} s") from None
    except DisplayError as exc:
        raise PreviewError(str(exc)) from None
    stages = []
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith(MARK):
            try:
                stages.append(json.loads(line[len(MARK) :]))
            except ValueError:
                continue
    last = stages[-1] if stages else {}
    if proc.returncode != 0 or not last.get("ok"):
        stage = last.get("stage", "start")
        detail = last.get("error") or f"the renderer exited with {proc.returncode}"
        both = proc.stdout + proc.stderr
        hint = " (the Cubism Core rejected the moc3)" if b"Inconsistent MOC3" in both or b"CubismMoc" in both else ""
        raise PreviewError(f"rendering {model3.name} failed at stage '{stage}': {detail}{hint}")
    return last


def preview(
    path: Path,
    out_dir: Path,
    *,
    render: bool | None = None,
    width: int = 400,
    height: int = 600,
    fps: int = DEFAULT_FPS,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    still_at: float | None = None,
    emotions: Sequence[str] | None = None,
    motion_sheet: bool = True,
    video: bool = True,
    timeout: float | None = None,
) -> PreviewResult:
    """Write the preview of the model at ``path`` (folder or model3.json) into ``out_dir``.

    ``render``: True = render with the Core or raise :class:`PreviewError`; False = static only; None = render
    when possible, else static with ``reason`` set. ``emotions`` limits (and orders) the emotions rendered.
    """
    if not 1 <= fps <= MAX_GIF_FPS:
        raise PreviewError(f"--fps must be between 1 and {MAX_GIF_FPS} (GIF frame delays), not {fps}")
    if max_seconds <= 0 or (still_at is not None and still_at < 0):
        raise PreviewError("--max-seconds must be > 0 and --still-at >= 0")
    path = Path(path)
    v = verdict(path)
    m = v.report.model
    if not m.entry:
        raise PreviewError(f"{path}: no model3.json found")
    model_dir = path if path.is_dir() else path.parent
    model3 = model_dir / m.entry
    out_dir.mkdir(parents=True, exist_ok=True)
    from .preview_images import labelled_sheet, summary_card, texture_sheet

    textures = [str(t["file"]) for t in m.textures if t.get("file")]
    if not textures:
        refs = (_load(model3) or {}).get("FileReferences", {})
        textures = [t for t in refs.get("Textures", []) if isinstance(t, str)] if isinstance(refs, dict) else []
    texture_sheet(model3.parent, textures, out_dir / "textures.png")
    summary_card(v, out_dir / "summary.png")
    result = PreviewResult(mode="static", files=["textures.png", "summary.png"], verdict=v.to_dict(),
                           missing_emotions=v.missing_emotions)  # fmt: skip
    if render is False:
        return result
    reason = render_available() or v.why_not
    if reason is not None:
        if render:
            raise PreviewError(f"cannot render: {reason}")
        result.reason = reason
        return result
    clips, motion_clips, pose_fade = _clips(v, model3)
    if emotions is not None:
        by_name = {c.name: c for c in clips}
        clips = [by_name[e] for e in emotions if e in by_name]
    def plan_of(c: _Clip, animate: bool) -> dict[str, Any]:
        return c.job(fps=float(fps), max_seconds=max_seconds, pose_fade=pose_fade, still_at=still_at, animate=animate)

    jobs = [plan_of(c, True) for c in clips] + ([plan_of(c, False) for c in motion_clips] if motion_sheet else [])
    plan = {"out": str(out_dir), "width": width, "height": height, "fps": fps, "video": video, "jobs": jobs}
    if timeout is None:
        # generous: a 3 s clip at 400x600 takes ~2-5 s on a loaded 2-core machine (load, draw, GIF, MP4)
        timeout = 60.0 + sum(10.0 + (1.5 * j["seconds"] * fps / 30 if j["animate"] else 0.0) for j in jobs)
    try:
        done = _run_child(model3, plan, timeout)
    except PreviewError as exc:
        if render:
            raise
        result.reason = str(exc)
        return result
    by_job = {j["name"]: j for j in done.get("jobs", [])}
    for c in clips:
        job = by_job[c.name]
        result.emotions[c.name] = {
            "group": c.group, "index": c.index, "file": c.file, "expression": c.expression,
            "duration": c.duration, "fade_in": c.fade_in, "pose_fade": pose_fade,
            "expression_fade_in": c.expression_fade_in, "seconds": job["seconds"],
            "frames": job["frames"], "fps": job["fps"], "still_at": job["still_at"], "parts": job["parts"],
            "files": job["files"], "render_ms": job["render_ms"],
        }  # fmt: skip
        result.files += job["files"]
    for c in motion_clips if motion_sheet else []:
        job = by_job[c.name]
        result.motions.append({"group": c.group, "index": c.index, "file": c.file, "still": job["files"][0],
                               "still_at": job["still_at"], "parts": job["parts"]})  # fmt: skip
        result.files.append(job["files"][0])
    if result.emotions:
        labelled_sheet({e: out_dir / f"{e}.png" for e in result.emotions}, out_dir / "emotions.png")
        result.files.append("emotions.png")
    if result.motions:
        labelled_sheet({f"{x['group']}[{x['index']}]": out_dir / x["still"] for x in result.motions},
                       out_dir / "motions.png", max_tile_width=200, cols=6)  # fmt: skip
        result.files.append("motions.png")
    result.mode = "render"
    from .preview_page import write_page

    write_page(out_dir / "index.html", v, result)
    result.files.append("index.html")
    return result
