"""Child process that renders emotions with the real Cubism Core: ``python -m live2d_tools._render_child``.

Arguments: MODEL3 PLAN_JSON, plan = {"out": dir, "width": w, "height": h, "frames": n,
"emotions": {emotion: [group, index, expression]}}. Writes ``<emotion>.png`` (the last frame) and
``<emotion>.gif`` (all frames) into ``out``. Needs an X display (Xvfb) for glfw; uses a compatibility-profile
context (a 3.3 core profile draws nothing, LIVE2D.md §10). live2d-py prints a banner on stdout, so results
are one marked line on stdout. The Core aborts on bad input, hence the separate process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

MARK = "TINYTALK-RENDER-RESULT "


def main(argv: list[str]) -> int:
    model3, plan = argv[1], json.loads(argv[2])
    out = Path(plan["out"])
    width, height, frames = int(plan["width"]), int(plan["height"]), int(plan["frames"])
    import glfw
    import numpy as np
    import OpenGL
    from PIL import Image

    OpenGL.ERROR_CHECKING = False  # a stale GL error left by the wrapper would raise otherwise
    import importlib

    gl = importlib.import_module("OpenGL.GL")  # only after ERROR_CHECKING is set
    live2d: Any = importlib.import_module("live2d")  # its stub lags the 1.0 API used here

    print(MARK + json.dumps({"stage": "gl"}), flush=True)
    if not glfw.init():
        print(MARK + json.dumps({"stage": "gl", "error": "glfw.init failed (no display?)"}), flush=True)
        return 3
    glfw.window_hint(glfw.VISIBLE, glfw.FALSE)
    window = glfw.create_window(width, height, "tinytalk-preview", None, None)
    if not window:
        print(MARK + json.dumps({"stage": "gl", "error": "cannot create an OpenGL window"}), flush=True)
        return 3
    glfw.make_context_current(window)
    live2d.init()
    live2d.glInit()
    print(MARK + json.dumps({"stage": "load"}), flush=True)
    model = live2d.Model()
    model.LoadModelJson(model3)
    model.Resize(width, height)
    rendered = []
    for emotion, (group, index, expression) in plan["emotions"].items():
        print(MARK + json.dumps({"stage": f"emotion:{emotion}"}), flush=True)
        if hasattr(model, "ResetExpression"):
            model.ResetExpression()
        model.StartMotion(group, int(index), 3)
        if expression:
            model.SetExpression(expression)
        images = []
        for _ in range(frames):
            model.Update()
            live2d.clearBuffer(1.0, 1.0, 1.0, 1.0)
            model.Draw()
            raw = gl.glReadPixels(0, 0, width, height, gl.GL_RGBA, gl.GL_UNSIGNED_BYTE)
            pixels = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 4)[::-1]
            images.append(Image.fromarray(pixels.copy(), "RGBA").convert("RGB"))
        images[-1].save(out / f"{emotion}.png")
        images[0].save(out / f"{emotion}.gif", save_all=True, append_images=images[1:], duration=1000 // 30, loop=0)
        rendered.append(emotion)
    glfw.terminate()
    print(MARK + json.dumps({"ok": True, "stage": "done", "rendered": rendered}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
