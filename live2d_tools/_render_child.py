"""Child process that renders clips with the real Cubism Core: ``python -m live2d_tools._render_child``.

Arguments: MODEL3 PLAN_JSON, plan = {"out": dir, "width": w, "height": h, "fps": f, "video": bool,
"jobs": [{"name", "group", "index", "expression", "seconds", "still_at", "animate"}]}.

Time is simulated: frame ``k`` shows the model at ``k / fps`` seconds, reached by ``model.Update(1 / fps)``
steps (live2d-py's ``Update()`` without a delta advances by wall-clock time, which is milliseconds between
frames here: motions would barely move and pose fades would never finish). Every job starts from a freshly
loaded model, so a still never depends on the job before it (parameters, expression, pose, physics state).
Eye blink is switched off: the Framework blinks at random intervals, which would make stills differ from
run to run; breath is deterministic and stays on.

Per job: ``<name>.png`` (the frame at ``still_at``), and when ``animate``: ``<name>.gif`` whose frame
delays add up to the true clip length, plus ``<name>.mp4`` when imageio-ffmpeg is installed and ``video``.
Needs an X display (Xvfb) for glfw; compatibility-profile context (LIVE2D.md §10). live2d-py prints a banner
on stdout, so results are marked lines on stdout. The Core aborts on bad input, hence the separate process.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

MARK = "TINYTALK-RENDER-RESULT "


def _say(obj: dict[str, Any]) -> None:
    print(MARK + json.dumps(obj), flush=True)


def gif_delays(frames: int, fps: float) -> list[int]:
    """Per-frame GIF delays in ms (GIF stores centiseconds) whose running sum stays on true time."""
    cs = [round(k * 100 / fps) for k in range(frames + 1)]
    return [10 * (cs[k + 1] - cs[k]) for k in range(frames)]


def _video_writer(path: Path, width: int, height: int, fps: float) -> Any:
    """A primed imageio-ffmpeg writer (frames are sent while rendering: ffmpeg encodes on the other core),
    or None when imageio-ffmpeg is not installed."""
    if importlib.util.find_spec("imageio_ffmpeg") is None:
        return None
    import imageio_ffmpeg

    writer = imageio_ffmpeg.write_frames(
        str(path), (width, height), fps=fps, codec="libx264", pix_fmt_out="yuv420p", macro_block_size=1,
        output_params=["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-movflags", "+faststart"],
        ffmpeg_log_level="error",
    )  # fmt: skip
    writer.send(None)
    return writer


def _job(live2d: Any, gl: Any, model3: str, job: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    from PIL import Image

    from live2d_tools._core_probe import PartProbe

    width, height, fps = int(plan["width"]), int(plan["height"]), float(plan["fps"])
    out, name = Path(plan["out"]), str(job["name"])
    started = time.perf_counter()
    model = live2d.Model()
    model.LoadModelJson(model3)
    model.Resize(width, height)
    model.SetAutoBlink(False)
    probe = PartProbe(live2d, model)
    frames = max(1, round(float(job["seconds"]) * fps))
    still = min(frames - 1, max(0, round(float(job["still_at"]) * fps)))
    animate = bool(job.get("animate", True))
    model.StartMotion(str(job["group"]), int(job["index"]), 3)
    if job.get("expression"):
        model.SetExpression(str(job["expression"]))
    images: list[Any] = []
    parts: dict[str, float] | None = None
    video = _video_writer(out / f"{name}.mp4", width, height, fps) if animate and plan.get("video") else None
    for k in range(frames):
        model.Update(0.0 if k == 0 else 1.0 / fps)
        if k == still:
            parts = probe.opacities()
        if not animate and k != still:
            continue
        live2d.clearBuffer(1.0, 1.0, 1.0, 1.0)
        model.Draw()
        raw = gl.glReadPixels(0, 0, width, height, gl.GL_RGBA, gl.GL_UNSIGNED_BYTE)
        pixels = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 4)[::-1]
        img = Image.fromarray(pixels.copy(), "RGBA").convert("RGB")
        if k == still:
            img.save(out / f"{name}.png")
        if animate:
            images.append(img)
            if video is not None:
                video.send(img.tobytes())
        elif k == still:
            break
    del model
    files = [f"{name}.png"]
    if animate:
        # Pillow's default per-frame median-cut quantiser takes ~0.5 s a frame at 400x600; fast octree ~15 ms
        from PIL import Image as _Image

        paletted = [img.quantize(255, method=_Image.Quantize.FASTOCTREE) for img in images]
        paletted[0].save(out / f"{name}.gif", save_all=True, append_images=paletted[1:],
                       duration=gif_delays(len(images), fps), loop=0, optimize=False, disposal=1)  # fmt: skip
        files.append(f"{name}.gif")
        if video is not None:
            video.close()
            files.append(f"{name}.mp4")
    return {
        "name": name,
        "frames": frames if animate else 0,
        "fps": fps,
        "seconds": round(frames / fps, 4),
        "still_at": round(still / fps, 4),
        "parts": parts,
        "files": files,
        "render_ms": round(1000 * (time.perf_counter() - started), 1),
    }


def main(argv: list[str]) -> int:
    model3, plan = argv[1], json.loads(argv[2])
    width, height = int(plan["width"]), int(plan["height"])
    import glfw
    import OpenGL

    OpenGL.ERROR_CHECKING = False  # a stale GL error left by the wrapper would raise otherwise
    gl = importlib.import_module("OpenGL.GL")  # only after ERROR_CHECKING is set
    live2d: Any = importlib.import_module("live2d")  # its stub lags the 1.0 API used here

    _say({"stage": "gl"})
    if not glfw.init():
        _say({"stage": "gl", "error": "glfw.init failed (no display?)"})
        return 3
    glfw.window_hint(glfw.VISIBLE, glfw.FALSE)
    window = glfw.create_window(width, height, "tinytalk-preview", None, None)
    if not window:
        _say({"stage": "gl", "error": "cannot create an OpenGL window"})
        return 3
    glfw.make_context_current(window)
    live2d.init()
    live2d.glInit()
    results = []
    for job in plan["jobs"]:
        _say({"stage": f"job:{job['name']}"})
        results.append(_job(live2d, gl, model3, job, plan))
    glfw.terminate()
    _say({"ok": True, "stage": "done", "jobs": results})
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    os._exit(code)  # skip interpreter teardown: live2d-py can crash there after the result is written
