"""Fault injection: make chosen endpoints misbehave for the next N requests (retry tests, QA drills).

A plan is a comma-separated list of ``<endpoint>:<mode>:<count>``::

    create_session.php:drop_after_commit:1,get_sessions.php:429:2,health.php:503:1,gpt_stream.php:stall:1

``<endpoint>`` is the PHP file name (``*`` matches every endpoint); ``<count>`` is how many of the next
requests to that endpoint misbehave (``*`` = all of them). Modes:

* ``429`` (``429=3``: ``Retry-After: 3``, default 1) — refuse as rate limited; nothing is done.
* ``503`` (``503=2`` adds ``Retry-After: 2``) — refuse as unavailable; nothing is done.
* ``500`` — a server error; nothing is done.
* ``drop`` / ``drop_after_commit`` / ``drop_after_headers`` — do the work (rows are committed), send the
  status line and headers (and, for a streamed body, its first half), then close the connection: the
  client sees a broken connection although the work exists. Needs a real socket (uvicorn).
* ``stall`` (``stall=5``: seconds, default 30) — sleep before doing anything, longer than a client's
  timeout; then the request runs anyway (its work happens even if the client gave up), as on a slow server.

Set a plan with ``create_app(fault=...)``, the ``TINYTALK_FAULTS`` environment variable, or at run time
with ``POST /__faults`` (loopback clients only; see docs/server.md).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .._exceptions import ValidationError

__all__ = ["MODES", "Fault", "FaultPlan", "parse_faults"]

MODES = ("429", "503", "500", "drop", "drop_after_commit", "drop_after_headers", "stall")
_DEFAULT_ARG = {"429": 1.0, "503": 0.0, "500": 0.0, "stall": 30.0}


@dataclass
class Fault:
    endpoint: str
    mode: str  # one of MODES; the three drop spellings are normalised to "drop"
    remaining: int | None  # None = every request
    arg: float = 0.0  # Retry-After seconds (429/503) or stall seconds

    def spec(self) -> str:
        count = "*" if self.remaining is None else str(self.remaining)
        arg = f"={self.arg:g}" if self.mode in _DEFAULT_ARG and self.arg != _DEFAULT_ARG[self.mode] else ""
        return f"{self.endpoint}:{self.mode}{arg}:{count}"


def parse_faults(spec: str) -> list[Fault]:
    """Parse a plan; a bad entry is a ValidationError naming it."""
    faults: list[Fault] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        parts = item.split(":")
        if len(parts) not in (2, 3):
            raise ValidationError(f"fault '{item}': expected <endpoint>:<mode>:<count>")
        endpoint, mode_arg = parts[0].strip(), parts[1].strip()
        count_text = parts[2].strip() if len(parts) == 3 else "1"
        mode, _, arg_text = mode_arg.partition("=")
        if mode not in MODES:
            raise ValidationError(f"fault '{item}': unknown mode '{mode}' (modes: {', '.join(MODES)})")
        if not endpoint or "/" in endpoint or (endpoint != "*" and not endpoint.replace(".php", "").replace(
                "_", "").isalnum()):
            raise ValidationError(f"fault '{item}': endpoint must be a PHP file name like health.php or *")
        if endpoint != "*" and not endpoint.endswith(".php"):
            endpoint += ".php"
        try:
            remaining = None if count_text == "*" else int(count_text)
            arg = float(arg_text) if arg_text else _DEFAULT_ARG.get(mode, 0.0)
        except ValueError:
            raise ValidationError(f"fault '{item}': count must be an integer or *, argument a number") from None
        if remaining is not None and remaining < 1:
            raise ValidationError(f"fault '{item}': count must be at least 1")
        if arg < 0 or arg > 3600:
            raise ValidationError(f"fault '{item}': argument must be 0..3600 seconds")
        faults.append(Fault(endpoint, "drop" if mode.startswith("drop") else mode, remaining, arg))
    return faults


class FaultPlan:
    """The active faults, consumed request by request (thread-safe)."""

    def __init__(self, spec: str | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = parse_faults(spec) if spec else []

    def set(self, spec: str) -> None:
        faults = parse_faults(spec)
        with self._lock:
            self._faults = faults

    def add(self, spec: str) -> None:
        faults = parse_faults(spec)
        with self._lock:
            self._faults.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self._faults = []

    def active(self) -> list[Fault]:
        with self._lock:
            return [Fault(f.endpoint, f.mode, f.remaining, f.arg) for f in self._faults]

    def spec(self) -> str:
        return ",".join(f.spec() for f in self.active())

    def take(self, endpoint: str) -> Fault | None:
        """The fault for this request to ``endpoint``, if any; counts it down."""
        with self._lock:
            for fault in self._faults:
                if fault.endpoint in (endpoint, "*"):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return Fault(fault.endpoint, fault.mode, fault.remaining, fault.arg)
        return None
