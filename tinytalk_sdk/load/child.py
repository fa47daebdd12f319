"""The Locust side of ``tinytalk qa load``: runs in its own process, started by :mod:`tinytalk_sdk.load.run`.

Why a child process: importing Locust monkey-patches the standard library with gevent (sockets, threads,
``subprocess``, ``time.sleep``). The parent CLI may run the local API server in a background thread
(uvicorn on asyncio, pocketsphinx under a lock) and uses plain threads elsewhere; under gevent's patched
``threading`` those would become greenlets on one OS thread and the server would stall the pupils it is
measuring. So the parent never imports Locust; it writes a spec (JSON) and starts::

    python -c "import locust; from tinytalk_sdk.load.child import main; ..." SPEC.json

``import locust`` comes first so gevent patches before httpx, ssl or SQLAlchemy are imported. httpx's sync
client then runs on gevent sockets, one greenlet per pupil. The child writes ``result.json`` (per step:
requests, failures by kind, per-stage percentiles, latency samples against the pupil count), Locust's own
CSV files (``locust_stats.csv``, ``locust_stats_history.csv``, ``locust_failures.csv``) and Locust's HTML
report (``locust.html``).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from .plan import FIRST_NAMES, LoadPlan
from .verdict import held

__all__ = ["main"]

SAMPLE_EVERY = 2.0  # seconds between latency samples (chart of latency against pupil count)
SAMPLE_WINDOW = 3  # samples: a point's p95 covers the last SAMPLE_EVERY × SAMPLE_WINDOW seconds
STOPPED = "tinytalk_stopped"  # a worker's pupils have all stopped (custom Locust message)
WORKER_LAG = 3.5  # workers report every 3 s: wait this long for their last numbers


def _snapshot(stats: Any) -> dict[str, Any]:
    entries = {f"{e.method}\t{e.name}": {"n": e.num_requests, "f": e.num_failures, "hist": dict(e.response_times)}
               for e in stats.entries.values()}
    errors: dict[str, int] = {}
    for err in stats.errors.values():
        key = f"{err.method}\t{err.error}"
        errors[key] = errors.get(key, 0) + err.occurrences
    return {"t": time.time(), "entries": entries, "errors": errors}


def _percentiles(hist: dict[int, int], n: int) -> dict[str, float | int | None]:
    from locust.stats import calculate_response_time_percentile

    if n <= 0:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "avg": None, "max": None}
    total = sum(rt * c for rt, c in hist.items())
    return {"n": n, **{f"p{q}": round(calculate_response_time_percentile(hist, n, q / 100) / 1000, 3)
                       for q in (50, 95, 99)},
            "avg": round(total / n / 1000, 3), "max": round(max(hist) / 1000, 3) if hist else None}


def _diff(before: dict[str, Any], after: dict[str, Any], pupils: int) -> dict[str, Any]:
    """One step's numbers: what happened between two snapshots of Locust's stats."""
    seconds = max(after["t"] - before["t"], 1e-6)
    stages: dict[str, Any] = {}
    for key, now in after["entries"].items():
        stage, name = key.split("\t")
        then = before["entries"].get(key, {"n": 0, "f": 0, "hist": {}})
        hist = {rt: c - then["hist"].get(rt, 0) for rt, c in now["hist"].items() if c - then["hist"].get(rt, 0) > 0}
        n, failed = now["n"] - then["n"], now["f"] - then["f"]
        data = stages.setdefault(stage, {"requests": 0, "failures": 0, "entries": {}, "failures_by_kind": {}})
        data["entries"][name] = _percentiles(hist, n)  # Locust keeps failed requests in the histogram too
        if name in ("total", "stop"):
            data["requests"] += n
            data["failures"] += failed
    for key, count in after["errors"].items():
        stage, kind = key.split("\t")
        delta = count - before["errors"].get(key, 0)
        if delta > 0 and stage in stages:
            stages[stage]["failures_by_kind"][kind] = delta
    for data in stages.values():
        data["failure_rate"] = round(data["failures"] / data["requests"], 4) if data["requests"] else None
        data["rps"] = round(data["requests"] / seconds, 3)
    requests = sum(d["requests"] for d in stages.values())
    failures = sum(d["failures"] for d in stages.values())
    return {"pupils": pupils, "seconds": round(seconds, 2), "requests": requests, "failures": failures,
            "rps": round(requests / seconds, 3), "stages": stages}


def _window_p95(older: dict[str, Any], newer: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for stage, data in _diff(older, newer, 0)["stages"].items():
        for name, value in data["entries"].items():
            if value["p95"] is not None and name in ("total", FIRST_NAMES.get(stage)):
                out[stage if name == "total" else f"{stage} {name}"] = value["p95"]
    return out


class _Run:
    def __init__(self, env: Any, runner: Any, plan: LoadPlan, distributed: bool) -> None:
        import gevent.event

        self.env, self.runner, self.plan, self.distributed = env, runner, plan, distributed
        self.stop = gevent.event.Event()
        self.samples: list[dict[str, Any]] = []

    def sampler(self) -> None:
        import gevent

        history = [_snapshot(self.env.stats)]
        while True:
            gevent.sleep(SAMPLE_EVERY)
            history = [*history[-SAMPLE_WINDOW:], _snapshot(self.env.stats)]
            p95 = _window_p95(history[0], history[-1])
            if p95:
                self.samples.append({"t": round(history[-1]["t"], 2), "users": self.runner.user_count, "p95": p95})

    def wait_spawned(self, pupils: int) -> None:
        """Until the class is in: spawned, and every pupil has logged in and opened its session (a capacity
        step measures the class talking, not the burst of logins; the logins are in the run's totals)."""
        deadline = time.time() + pupils / max(self.plan.spawn_rate, 0.01) + self.plan.timeout
        while not self.stop.is_set() and time.time() < deadline:
            entry = self.env.stats.entries.get(("total", "session"))
            if self.runner.user_count >= pupils and entry is not None and entry.num_requests >= pupils:
                return
            self.stop.wait(0.2)

    def wait_run(self, pupils: int) -> None:
        """The run's duration, or less with ``--turns``: until every pupil has had its turns and stopped."""
        end, full = time.time() + self.plan.duration, False
        while not self.stop.is_set() and time.time() < end:
            count = self.runner.user_count
            full = full or count >= pupils
            if full and self.plan.turns and count == 0:
                return
            self.stop.wait(0.2)

    def steps(self) -> list[dict[str, Any]]:
        plan, out = self.plan, []
        sizes = plan.steps or [plan.pupils]
        for pupils in sizes:
            if self.stop.is_set():
                break
            before = _snapshot(self.env.stats)
            self.runner.start(pupils, spawn_rate=plan.spawn_rate)
            if plan.steps:  # a capacity step is measured at its full class size
                self.wait_spawned(pupils)
                before = _snapshot(self.env.stats)
            if plan.steps:
                self.stop.wait(plan.step_duration)
            else:
                self.wait_run(pupils)
            if self.distributed and plan.steps:  # (a single run is judged on the totals, gathered at the end)
                self.stop.wait(WORKER_LAG)
            out.append(_diff(before, _snapshot(self.env.stats), pupils))
            if plan.steps and not held(out[-1], plan.thresholds):
                break
        return out


def _options(plan: LoadPlan | None) -> Any:
    from locust import argument_parser

    parser = argument_parser.get_empty_argument_parser(default_config_files=[])
    argument_parser.setup_parser_arguments(parser)
    options = parser.parse_args(args=["--headless"])
    if plan is not None:
        # forwarded to every worker in Locust's spawn message (custom options travel with it)
        options.tinytalk_plan = plan.to_dict()
    return options


def main(argv: list[str]) -> int:
    import locust
    from locust.env import Environment
    from locust.log import setup_logging

    from .pupil import Pupil

    setup_logging("INFO")  # to the child's log file (the parent points stdout/stderr there)
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    out = Path(spec["out"])
    plan = LoadPlan.from_dict(spec["plan"]) if spec.get("plan") else None
    env = Environment(user_classes=[Pupil], events=locust.events, stop_timeout=plan.timeout if plan else 60.0)
    env.parsed_options = _options(plan)
    result: dict[str, Any] = {"mode": spec["mode"], "interrupted": False, "steps": [], "samples": []}
    if plan is None:
        _work(env, spec)
    else:
        _lead(env, spec, plan, result)
    _write(out, result)
    return 0


def _work(env: Any, spec: dict[str, Any]) -> None:
    """A worker: run the pupils the master hands out until it says quit."""
    import gevent

    from .pupil import Pupil

    runner: Any = env.create_worker_runner(spec["master_host"], int(spec["master_port"]))

    def stopped(**_kw: Any) -> None:
        # after the pupils' on_stop (avatar sessions stopped, logged out): their last numbers, then "done"
        runner._send_stats()
        runner.send_message(STOPPED, {"worker": runner.client_id})

    env.events.test_stop.add_listener(stopped)
    for sig in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(sig, runner.quit)
    runner.greenlet.join()
    Pupil.finish_all()
    runner.client.close()  # (an open zmq socket would keep the process alive)


def _lead(env: Any, spec: dict[str, Any], plan: LoadPlan, result: dict[str, Any]) -> None:
    """Run the class here (local) or hand it to the workers (master); the numbers go into ``result``."""
    import gevent
    from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter

    from .pupil import Pupil

    out = Path(spec["out"])
    distributed = spec["mode"] == "master"
    stopped: set[str] = set()
    runner: Any
    if distributed:
        runner = env.create_master_runner(spec.get("bind_host", "*"), int(spec.get("bind_port", 5557)))
        runner.register_message(STOPPED, lambda environment, msg, **_kw: stopped.add(msg.data["worker"]))
    else:
        runner = env.create_local_runner()
    run = _Run(env, runner, plan, distributed)
    for sig in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(sig, run.stop.set)
    started = time.time()
    csv = StatsCSVFileWriter(env, PERCENTILES_TO_REPORT, str(out.parent / "locust"), full_history=True)
    greenlets = [gevent.spawn(csv), gevent.spawn(run.sampler)]
    try:
        if distributed:
            timeout = float(spec.get("worker_timeout", 60))
            deadline = time.time() + timeout
            while len(runner.clients.ready) < plan.expect_workers and not run.stop.is_set():
                if time.time() > deadline:
                    result["error"] = (f"only {len(runner.clients.ready)} of {plan.expect_workers} worker(s) "
                                       f"connected within {timeout:g} s")
                    break
                run.stop.wait(0.2)
            result["workers"] = len(runner.clients.ready)
        if "error" not in result:
            result["steps"] = run.steps()
    finally:
        result["interrupted"] = run.stop.is_set()
        if distributed:
            _wrap_up_workers(runner, stopped, timeout=plan.timeout + 15)
        runner.stop()  # every pupil's on_stop: stop its avatar session, log out
        Pupil.finish_all()
        result["totals"] = _diff({"t": started, "entries": {}, "errors": {}}, _snapshot(env.stats), 0)
        result["samples"] = run.samples
        gevent.killall(greenlets)
        csv.close_files()
        _final_csv(env, out.parent / "locust")
        result["locust_html"] = _locust_html(env, out.parent / "locust.html")
        runner.quit()


def _wrap_up_workers(runner: Any, done: set[str], *, timeout: float) -> None:
    """Tell every worker to quit and wait for its last numbers.

    (Locust's ``stop`` would make the master forget a worker at its "client_stopped" and drop its last
    report; its ``quit`` waits only half a second. A worker quits gracefully — its pupils finish the turn they
    are in and stop their avatar sessions — then sends its stats and ``tinytalk_stopped``.)
    """
    import gevent
    from locust.rpc import Message

    ids = [c.id for c in runner.clients.all]
    for client_id in ids:
        runner.server.send_to_client(Message("quit", None, client_id))
    deadline = time.time() + timeout
    while not set(ids) <= done and time.time() < deadline:
        gevent.sleep(0.2)
    gevent.sleep(0.3)  # the stats message was sent just before "stopped": let the listener take it


def _final_csv(env: Any, prefix: Path) -> None:
    """Rewrite the request and failure tables once more with the final numbers (the writer greenlet
    refreshes them every second and misses the turns the pupils finished while stopping). Through the one
    safe CSV writer: stage and failure names reach a spreadsheet too."""
    from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

    from ..csvsafe import csv_writer

    tables = StatsCSV(env, PERCENTILES_TO_REPORT)
    for suffix, write in (("_stats.csv", tables.requests_csv), ("_failures.csv", tables.failures_csv)):
        with open(f"{prefix}{suffix}", "w", newline="") as handle:
            write(csv_writer(handle))


def _locust_html(env: Any, path: Path) -> str | None:
    try:
        from locust.html import get_html_report

        path.write_text(get_html_report(env, show_download_link=False), encoding="utf-8")
    except Exception as exc:  # the report is a bonus: never lose the run's numbers over it
        print(f"locust html report not written: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return None
    return str(path)


def _write(path: Path, data: dict[str, Any]) -> None:
    part = path.with_suffix(".part")
    part.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(part, path)
