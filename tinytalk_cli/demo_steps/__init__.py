"""Steps of `tinytalk demo`, one module per area (see tinytalk_cli.commands.demo.STEPS)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._context import AppContext

__all__ = ["DemoEnv"]


@dataclass
class DemoEnv:
    """What steps share: the CLI context (config, engine), facts later steps need, cleanups."""

    app: AppContext
    quiet: bool = False
    facts: dict[str, Any] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)
    # What the demo left out because this machine lacks an engine: {"step", "what", "reason"}.
    skipped: list[dict[str, str]] = field(default_factory=list)
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    def heading(self, title: str) -> None:
        if not self.quiet:
            from .._output import err_console

            err_console().rule(f"[bold]{title}")

    def say(self, message: str) -> None:
        """A line for people (stderr)."""
        if not self.quiet:
            from .._output import info

            info(message)

    def show(self, renderable: Any) -> None:
        """A Rich table or panel for people (stderr, so stdout stays clean for --json)."""
        if not self.quiet:
            from .._output import err_console

            err_console().print(renderable)

    def missing_engine(self, binary: str, *, step: str, what: str) -> bool:
        """True (after one line saying so) when the offline engine ``binary`` is not on PATH."""
        import shutil

        if shutil.which(binary):
            return False
        reason = f"{binary} is not installed (apt-get install {binary}, or `make demo` as root on Debian)"
        self.skipped.append({"step": step, "what": what, "reason": reason})
        if not self.quiet:
            from .._output import warn

            warn(f"skipped {what}: {reason}")
        return True

    def on_close(self, fn: Callable[[], None]) -> None:
        self._cleanups.append(fn)

    def close(self) -> None:
        while self._cleanups:
            self._cleanups.pop()()
