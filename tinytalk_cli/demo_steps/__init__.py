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

    def on_close(self, fn: Callable[[], None]) -> None:
        self._cleanups.append(fn)

    def close(self) -> None:
        while self._cleanups:
            self._cleanups.pop()()
