"""An X display for headless rendering: the current ``DISPLAY``, or an Xvfb started for the duration."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["DisplayError", "display"]


class DisplayError(RuntimeError):
    """No display and no Xvfb could be started."""


@contextlib.contextmanager
def display() -> Iterator[dict[str, str]]:
    """An environment with an X display: the current one, or an Xvfb started for the render."""
    env = dict(os.environ)
    if env.get("DISPLAY"):
        yield env
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise DisplayError("no X display and no Xvfb to start (apt-get install -y xvfb)")
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
        raise DisplayError("could not start Xvfb")
    try:
        yield env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


