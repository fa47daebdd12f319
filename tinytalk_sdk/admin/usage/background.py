"""The local server's background rollup: :func:`rollup` every ``interval`` seconds on a daemon thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..._exceptions import TinyTalkError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ...pricing import PriceTable
    from .rollup import RollupResult

log = logging.getLogger("tinytalk.usage.rollup")


class RollupThread(threading.Thread):
    """Runs ``rollup(engine)`` at once and then every ``interval`` seconds until :meth:`stop`.

    A failing run (database away, tables not migrated) is logged as one line and retried next interval: the
    server keeps serving. ``runner`` is injectable (tests count runs); ``last`` holds the latest result.
    """

    def __init__(self, engine: Engine, *, interval: float = 300.0, price_table: PriceTable | None = None,
                 settle_seconds: float | None = None,
                 runner: Callable[..., RollupResult] | None = None) -> None:
        super().__init__(name="tinytalk-usage-rollup", daemon=True)
        from .rollup import DEFAULT_SETTLE_SECONDS, rollup

        self.engine = engine
        self.interval = interval
        self.price_table = price_table
        self.settle_seconds = DEFAULT_SETTLE_SECONDS if settle_seconds is None else settle_seconds
        self.runner = runner or rollup
        self.runs = 0
        self.errors = 0
        self.last: RollupResult | None = None
        self._stop_event = threading.Event()

    def run_once(self) -> None:
        kwargs: dict[str, Any] = {"price_table": self.price_table, "settle_seconds": self.settle_seconds}
        try:
            self.last = self.runner(self.engine, **kwargs)
        except TinyTalkError as exc:
            self.errors += 1
            log.warning("usage rollup failed: %s", exc.message)
        except Exception as exc:  # a background thread must never die silently
            self.errors += 1
            log.warning("usage rollup failed: %s", exc.__class__.__name__)
        self.runs += 1

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.run_once()
            self._stop_event.wait(self.interval)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout)
