"""Optional load check in the real Cubism Core (the ``render`` extra: ``live2d-py``).

``live2d-py`` links Live2D's **proprietary** Cubism Core; its licence terms apply (docs/live2d.md). The Core
aborts or crashes the whole process on bad input, so the model is loaded in a child process
(:mod:`live2d_tools._core_child`) with a timeout; a crash, abort or timeout becomes a CORE-001 error.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .report import Finding
from .rules import RULES

__all__ = ["core_available", "core_check"]

MARK = "TINYTALK-CORE-RESULT "


def core_available() -> bool:
    """True when the ``live2d`` module (live2d-py) is importable; checked without importing it."""
    return importlib.util.find_spec("live2d") is not None


def _finding(rule_id: str, file: str, message: str, hint: str) -> Finding:
    return Finding(rule_id, RULES[rule_id].severity, file, "", message, hint)


def _describe(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    if returncode == 134:
        return "aborted (exit 134, SIGABRT)"
    return f"exited with code {returncode}"


def core_check(
    model3: Path,
    emotions: Mapping[str, tuple[str, int, str, str | None]],
    *,
    moc: Path | None = None,
    timeout: float = 60.0,
    frames: int = 10,
    command: Sequence[str] | None = None,
) -> list[Finding]:
    """Load ``model3`` in the Core in a child process and play each emotion for ``frames`` frames.

    ``command`` replaces ``[python, -m, live2d_tools._core_child]`` (tests use a stand-in child).
    """
    file = model3.name
    if command is None and not core_available():
        return [
            _finding(
                "CORE-002",
                file,
                "Cubism Core check not run: live2d-py (the render extra) is not installed",
                "pip install 'tinytalk[render]' (live2d-py bundles Live2D's proprietary Cubism Core).",
            )
        ]
    if moc is None:
        try:
            ref = json.loads(model3.read_text(encoding="utf-8-sig"))["FileReferences"]["Moc"]
            moc = model3.parent / ref
        except (OSError, ValueError, KeyError, TypeError):
            moc = None
    plan = {
        "frames": frames,
        "moc": str(moc) if moc else None,
        "emotions": {e: [g, i, x] for e, (g, i, _f, x) in emotions.items()},
    }
    cmd = [*(command or [sys.executable, "-m", "live2d_tools._core_child"]), str(model3), json.dumps(plan)]
    try:
        proc = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False, cwd=model3.parent
        )
    except subprocess.TimeoutExpired:
        return [
            _finding(
                "CORE-001",
                file,
                f"the Cubism Core did not finish loading/playing the model within {timeout:g} s",
                "Open the model in Cubism Viewer; re-export it from Cubism Editor.",
            )
        ]
    stages = []
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith(MARK):
            try:
                stages.append(json.loads(line[len(MARK) :]))
            except ValueError:
                continue
    last = stages[-1] if stages else {}
    if proc.returncode == 0 and last.get("ok"):
        played = ", ".join(last.get("played", [])) or "no emotions"
        return [_finding("CORE-003", file, f"the Cubism Core loaded the model and played: {played}", "Nothing to do.")]
    if b"Inconsistent MOC3" in proc.stderr or b"Inconsistent MOC3" in proc.stdout:
        return [
            _finding(
                "CORE-001",
                moc.name if moc else file,
                "the Cubism Core rejected the moc3 (csmHasMocConsistency failed) and the process "
                f"{_describe(proc.returncode)}: it would crash the app",
                "Re-export the .moc3 from Cubism Editor; do not edit or convert it with other tools.",
            )
        ]
    stage = str(last.get("stage", "start"))
    where = {
        "start": "while starting",
        "load": "while loading the model",
    }.get(stage, f"while playing {stage.split(':', 1)[-1]}")
    return [
        _finding(
            "CORE-001",
            file,
            f"the Cubism Core crashed {where}: the child process {_describe(proc.returncode)}",
            "Open the model in Cubism Viewer to find the broken file; re-export it from Cubism Editor.",
        )
    ]
