"""Previews of a model for people: PNG/GIF images an artist or reviewer can look at.

Two modes (docs/publishing.md, "Preview"):

* **static** (always available, Pillow only): ``textures.png``, a contact sheet of the texture atlases with
  their sizes, and ``summary.png``, a card with the moc3 version, counts and the emotions table.
* **render** (the ``render`` extra: live2d-py + glfw + PyOpenGL, an X display or Xvfb, Mesa): each of the 7
  emotions rendered headless by the real Cubism Core to ``<emotion>.png`` and an animated ``<emotion>.gif``,
  plus ``emotions.png``, a labelled contact sheet of the seven. The Core runs in a child process because it
  aborts on bad input; when no display is set, Xvfb is started for the duration of the render.

``preview(..., render=None)`` renders when it can and otherwise falls back to static, saying why.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

    from .report import Report

__all__ = ["PreviewError", "PreviewResult", "preview", "render_available"]

MARK = "TINYTALK-RENDER-RESULT "
_BG = (247, 247, 250)
_INK = (30, 30, 40)
_MUTED = (110, 110, 125)


class PreviewError(RuntimeError):
    """The preview could not be made (unreadable model, render failure when rendering was required)."""


@dataclass
class PreviewResult:
    mode: str  # "render" or "static"
    files: list[str] = field(default_factory=list)
    reason: str | None = None  # why the static mode was used, when rendering was possible in principle

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "files": list(self.files), "reason": self.reason}


def render_available() -> str | None:
    """None when headless rendering can be attempted, else the reason it cannot."""
    missing = [m for m in ("live2d", "glfw", "OpenGL") if importlib.util.find_spec(m) is None]
    if missing:
        return f"the render extra is not installed (missing: {', '.join(missing)}; pip install 'tinytalk[render]')"
    if not os.environ.get("DISPLAY") and not shutil.which("Xvfb"):
        return "no X display and no Xvfb (apt-get install -y xvfb)"
    return None


def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _texture_sheet(model_dir: Path, textures: list[str], out: Path, thumb: int = 256) -> None:
    from PIL import Image, ImageDraw

    cols = max(1, min(4, len(textures)))
    rows = max(1, -(-len(textures) // cols))
    label_h = 36
    sheet = Image.new("RGB", (cols * (thumb + 16) + 16, rows * (thumb + label_h + 16) + 16), _BG)
    draw = ImageDraw.Draw(sheet)
    for n, rel in enumerate(textures):
        x, y = 16 + (n % cols) * (thumb + 16), 16 + (n // cols) * (thumb + label_h + 16)
        label = rel
        try:
            with Image.open(model_dir / rel) as img:
                size = img.size
                img.draft("RGBA", (thumb, thumb))
                tile = img.convert("RGBA")
                tile.thumbnail((thumb, thumb))
            # a checkerboard behind transparent texture pixels, so empty atlas areas are visible
            board = Image.new("RGBA", (thumb, thumb), (255, 255, 255, 255))
            bd = ImageDraw.Draw(board)
            for cy in range(0, thumb, 16):
                for cx in range(0, thumb, 16):
                    if (cx // 16 + cy // 16) % 2:
                        bd.rectangle([cx, cy, cx + 15, cy + 15], fill=(225, 225, 230, 255))
            board.alpha_composite(tile, ((thumb - tile.width) // 2, (thumb - tile.height) // 2))
            sheet.paste(board.convert("RGB"), (x, y))
            label = f"{rel}  {size[0]}x{size[1]}"
        except (OSError, ValueError) as exc:
            draw.rectangle([x, y, x + thumb, y + thumb], outline=(200, 60, 60), width=3)
            draw.text((x + 8, y + thumb // 2), f"unreadable: {exc}"[:40], fill=(200, 60, 60), font=_font(12))
        draw.text((x, y + thumb + 6), label[:48], fill=_INK, font=_font(13))
    sheet.save(out)


def _summary_card(report: Report, out: Path) -> None:
    from PIL import Image, ImageDraw

    m = report.model
    lines: list[tuple[str, tuple[int, int, int], int]] = [
        (Path(m.entry or report.path).name, _INK, 22),
        (f"format {m.format or '?'}   moc3 version {m.moc_version if m.moc_version is not None else '?'}", _MUTED, 15),
        ("counts: " + (", ".join(f"{v} {k}" for k, v in m.counts.items()) or "none"), _INK, 15),
        (f"textures: {len(m.textures)}   motions: {sum(len(v) for v in m.motions.values())} "
         f"in {len(m.motions)} groups   expressions: {len(m.expressions)}", _INK, 15),
        (f"validation: {len(report.errors)} errors, {len(report.warnings)} warnings, {len(report.infos)} infos",
         (170, 40, 40) if report.errors else (40, 130, 60), 15),
        ("", _INK, 10),
    ]
    from .emotions import EMOTIONS

    table: list[tuple[tuple[str, str, str], tuple[int, int, int]]] = [(("emotion", "motion", "expression"), _MUTED)]
    for emotion in EMOTIONS:
        if emotion in m.emotions:
            group, index, file, expression = m.emotions[emotion]
            table.append(((emotion, f"{group}[{index}]  {file}", expression or "-"), _INK))
        else:
            table.append(((emotion, "(missing)", "-"), (170, 40, 40)))
    height = 32 + sum(size + 10 for _, _, size in lines) + len(table) * 24
    card = Image.new("RGB", (720, height), _BG)
    draw = ImageDraw.Draw(card)
    y = 20
    for text, colour, size in lines:
        draw.text((24, y), text, fill=colour, font=_font(size))
        y += size + 10
    for cells, colour in table:  # fixed column positions: the default font is proportional
        for x, cell in zip((24, 140, 560), cells, strict=True):
            draw.text((x, y), cell, fill=colour, font=_font(14))
        y += 24
    card.save(out)


def _labelled_sheet(images: dict[str, Path], out: Path) -> None:
    from PIL import Image, ImageDraw

    tiles: list[tuple[str, Image.Image]] = []
    for label, path in images.items():
        with Image.open(path) as img:
            tiles.append((label, img.convert("RGB")))
    w, h = tiles[0][1].size
    cols = 4
    rows = -(-len(tiles) // cols)
    sheet = Image.new("RGB", (cols * (w + 12) + 12, rows * (h + 40) + 12), _BG)
    draw = ImageDraw.Draw(sheet)
    for n, (label, tile) in enumerate(tiles):
        x, y = 12 + (n % cols) * (w + 12), 12 + (n // cols) * (h + 40)
        sheet.paste(tile, (x, y))
        draw.text((x + 4, y + h + 8), label, fill=_INK, font=_font(18))
    sheet.save(out)


@contextlib.contextmanager
def _display() -> Iterator[dict[str, str]]:
    """An environment with an X display: the current one, or an Xvfb started for the render."""
    env = dict(os.environ)
    if env.get("DISPLAY"):
        yield env
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise PreviewError("no X display and no Xvfb to start (apt-get install -y xvfb)")
    proc = None
    for number in range(90 + os.getpid() % 50, 200):
        if Path(f"/tmp/.X{number}-lock").exists():
            continue
        proc = subprocess.Popen(
            [xvfb, f":{number}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and proc.poll() is None:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.05)
        if proc.poll() is None:
            env["DISPLAY"] = f":{number}"
            break
        proc = None
    if proc is None:
        raise PreviewError("could not start Xvfb")
    try:
        yield env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _render(model3: Path, report: Report, out: Path, width: int, height: int, frames: int, timeout: float) -> list[str]:
    plan = {
        "out": str(out),
        "width": width,
        "height": height,
        "frames": frames,
        "emotions": {e: [g, i, x] for e, (g, i, _f, x) in report.model.emotions.items()},
    }
    with _display() as env:
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "live2d_tools._render_child", str(model3), json.dumps(plan)],
                stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, env=env, cwd=model3.parent,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PreviewError(f"rendering {model3.name} timed out after {timeout:g} s") from None
    stages = [
        json.loads(line[len(MARK):])
        for line in proc.stdout.decode("utf-8", "replace").splitlines()
        if line.startswith(MARK)
    ]
    last = stages[-1] if stages else {}
    if proc.returncode != 0 or not last.get("ok"):
        stage = last.get("stage", "start")
        detail = last.get("error") or f"the renderer exited with {proc.returncode}"
        hint = ""
        if b"CubismMoc::Create" in proc.stdout + proc.stderr or b"Inconsistent MOC3" in proc.stdout + proc.stderr:
            hint = " (the Cubism Core rejected the moc3)"
        raise PreviewError(f"rendering {model3.name} failed at stage '{stage}': {detail}{hint}")
    files = []
    for emotion in last.get("rendered", []):
        files += [f"{emotion}.png", f"{emotion}.gif"]
    _labelled_sheet({e: out / f"{e}.png" for e in last.get("rendered", [])}, out / "emotions.png")
    return [*files, "emotions.png"]


def preview(
    path: Path,
    out_dir: Path,
    *,
    render: bool | None = None,
    width: int = 300,
    height: int = 400,
    frames: int = 24,
    timeout: float = 120.0,
) -> PreviewResult:
    """Write preview images of the model at ``path`` (folder or model3.json) into ``out_dir``.

    ``render``: True = render with the Core or raise :class:`PreviewError`; False = static only;
    None = render when possible, else static with ``reason`` set.
    """
    from .validate import validate

    path = Path(path)
    report = validate(path, emotions=True)
    if not report.model.entry:
        raise PreviewError(f"{path}: no model3.json found")
    model_dir = path if path.is_dir() else path.parent
    model3 = model_dir / report.model.entry
    out_dir.mkdir(parents=True, exist_ok=True)
    textures = [str(t["file"]) for t in report.model.textures if t.get("file")]
    if not textures:
        try:
            textures = list(json.loads(model3.read_text(encoding="utf-8-sig"))["FileReferences"]["Textures"])
        except (OSError, ValueError, KeyError, TypeError):
            textures = []
    base = model3.parent
    _texture_sheet(base, textures, out_dir / "textures.png")
    _summary_card(report, out_dir / "summary.png")
    result = PreviewResult(mode="static", files=["textures.png", "summary.png"])
    if render is False:
        return result
    reason = render_available()
    if reason is None and not report.ok:
        reason = "the model has validation errors; only statically valid models are given to the Core"
    if reason is None:
        try:
            result.files += _render(model3, report, out_dir, width, height, frames, timeout)
            result.mode = "render"
            return result
        except PreviewError as exc:
            if render:
                raise
            reason = str(exc)
    elif render:
        raise PreviewError(f"cannot render: {reason}")
    result.reason = reason
    return result
