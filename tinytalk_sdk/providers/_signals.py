"""Signals while a billed vendor session is open (HeyGen v1, LiveAvatar), and the keep-alive thread.

Both vendors bill session minutes and cap concurrent sessions, so a session must be stopped however the
program ends: :func:`sigterm_as_exit` turns SIGTERM into ``SystemExit`` (so ``finally`` blocks run, as they
do for Ctrl-C), :func:`no_interrupts` lets the stop request finish when the user presses Ctrl-C again, and
:class:`KeepAlive` pings a session on a daemon thread (LiveAvatar closes idle sessions after ~5 minutes).
Signal handlers can only be set from the main thread; elsewhere the helpers do nothing.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["KeepAlive", "main_thread", "no_interrupts", "sigterm_as_exit"]

log = logging.getLogger("tinytalk.providers")


def main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """While a session is open, SIGTERM raises SystemExit so that ``finally`` stops the session."""
    if not main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def no_interrupts() -> Iterator[None]:
    """Let the stop request finish even if the user presses Ctrl-C again."""
    if not main_thread():
        yield
        return
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    previous_term = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)


class KeepAlive:
    """Call ``ping`` every ``interval`` seconds on a daemon thread until :meth:`stop` (or ``ping`` returns False).

    A failed ping is logged and counted, never raised: the session's own calls report real trouble, and a
    keep-alive thread must not kill the program that holds the session.
    """

    def __init__(self, ping: Callable[[], bool | None], *, interval: float, name: str = "keep-alive") -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.ping = ping
        self.interval = interval
        self.sent = 0
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> KeepAlive:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if self.ping() is False:  # the owner says the session is not worth keeping any more
                    return
                self.sent += 1
            except Exception as exc:  # logged, counted; see the class docstring
                self.failed += 1
                log.warning("keep-alive failed: %s", exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.interval + 5)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()
