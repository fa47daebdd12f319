"""The parent side of ``tinytalk qa load``: checks, the target, the Locust child, clean-up, the report.

The parent never imports Locust (see :mod:`tinytalk_sdk.load.child` for why): it checks what must not
start (production, spend), finds or starts the API (the local server runs here, outside gevent), writes
the plan for the child, waits for it (forwarding Ctrl-C and waiting for the pupils to stop their avatar
sessions), deletes the run's test users and reads the child's numbers into a :class:`LoadReport`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import TinyTalkError
from .cleanup import remove_test_users
from .plan import LOAD_TAG, LoadPlan
from .verdict import capacity, evaluate

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["LoadReport", "run_load", "run_worker", "start_child"]

Say = Callable[[str], None]
# `import locust` first: gevent patches the standard library before httpx, ssl or SQLAlchemy are imported
BOOTSTRAP = "import locust, sys; from tinytalk_sdk.load.child import main; sys.exit(main(sys.argv[1:]))"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


@dataclass
class LoadReport:
    plan: LoadPlan
    mode: str = "local"
    api_url: str | None = None
    profile: str = "default"
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    finished_at: dt.datetime | None = None
    estimated_cost_usd: float | None = None
    max_cost_usd: float | None = None
    workers: int | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    capacity: dict[str, Any] | None = None
    cleanup: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False
    error: str | None = None  # why the child could not run the class (workers missing…)
    notes: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        if self.interrupted or not self.steps:
            return False
        if self.capacity is not None:
            return self.capacity["held"] is not None
        return not any(c["violated"] for c in self.checks)

    @property
    def avatar_sessions(self) -> dict[str, int]:
        data = (self.totals.get("stages") or {}).get("avatar_session") or {}
        entries = data.get("entries") or {}
        opened = (entries.get("total") or {}).get("n") or 0
        failed_open = (data.get("failures_by_kind") or {})
        stopped = (entries.get("stop") or {}).get("n") or 0
        return {"opened": max(opened - sum(failed_open.values()), 0) if opened else 0, "stopped": stopped}

    def to_dict(self) -> dict[str, Any]:
        plan = self.plan.to_dict()
        return {
            "passed": self.passed, "mode": self.mode, "api_url": self.api_url, "profile": self.profile,
            "started_at": _iso(self.started_at), "finished_at": _iso(self.finished_at),
            "plan": {k: plan[k] for k in ("pupils", "spawn_rate", "duration", "turns", "think_min", "think_max",
                                         "avatar", "utterances", "thresholds", "steps", "step_duration", "run_id")},
            "estimated_cost_usd": self.estimated_cost_usd, "max_cost_usd": self.max_cost_usd,
            "workers": self.workers, "stages": self.totals.get("stages", {}),
            "steps": self.steps, "totals": self.totals, "samples": self.samples, "checks": self.checks,
            "capacity": self.capacity, "avatar_sessions": self.avatar_sessions, "cleanup": self.cleanup,
            "interrupted": self.interrupted, "error": self.error, "notes": self.notes, "files": self.files,
        }


def start_child(spec: dict[str, Any], folder: Path) -> subprocess.Popen[bytes]:
    """The Locust child (``python -c BOOTSTRAP spec.json``); its log goes to ``folder/locust-<mode>.log``."""
    folder.mkdir(parents=True, exist_ok=True)
    spec_path = folder / f"spec-{spec['mode']}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    spec_path.chmod(0o600)
    log = (folder / f"locust-{spec['mode']}.log").open("ab")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        return subprocess.Popen([sys.executable, "-c", _bootstrap(BOOTSTRAP), str(spec_path)],
                                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(folder))
    finally:
        log.close()


def _bootstrap(code: str) -> str:
    # the source tree on the child's path too (an editable or plain checkout run from elsewhere)
    root = str(Path(__file__).resolve().parents[2])
    return f"import sys; sys.path.insert(0, {root!r}); " + code


def wait_child(proc: subprocess.Popen[bytes], *, grace: float) -> tuple[int, bool]:
    """Wait for the child; on Ctrl-C let it stop its pupils (avatar sessions, logouts) for ``grace`` s."""
    try:
        return proc.wait(), False
    except KeyboardInterrupt:
        # The terminal sent SIGINT to the whole process group; send it again in case we were signalled alone.
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return proc.returncode, True


def run_worker(master_host: str, master_port: int, *, out: Path | None = None, say: Say | None = None) -> int:
    """A worker: connect to the master, run the pupils it is given, until the master quits."""
    folder = out or Path(tempfile.mkdtemp(prefix="tinytalk-load-worker-"))
    result = folder / f"worker-{os.getpid()}.json"
    proc = start_child({"mode": "worker", "out": str(result), "master_host": master_host,
                        "master_port": master_port}, folder)
    if say:
        say(f"worker connected to {master_host}:{master_port} (log: {folder / 'locust-worker.log'})")
    code, interrupted = wait_child(proc, grace=60)
    if interrupted:
        raise KeyboardInterrupt
    return code


def run_load(
    config: Config, plan: LoadPlan, *, out: Path, mode: str = "local", api_url: str | None = None,
    start_server: bool | None = None, bind_host: str = "*", bind_port: int = 5557, worker_timeout: float = 60,
    estimated_cost: float | None = None, max_cost: float | None = None, say: Say | None = None,
) -> LoadReport:
    """Run the class (or the capacity steps) against the profile's API; never raises for a slow platform."""
    from ..pipeline import open_target
    from ..smoke import start_local_server

    say = say or (lambda _m: None)
    out.mkdir(parents=True, exist_ok=True)
    report = LoadReport(plan=plan, mode=mode, profile=config.profile, estimated_cost_usd=estimated_cost,
                        max_cost_usd=max_cost)
    interrupted = False
    with tempfile.TemporaryDirectory(prefix="tinytalk-load-") as tmp, \
            open_target(config, target="api", work_dir=Path(tmp), tag=LOAD_TAG, api_url=api_url,
                        start_server=start_server, local_server=start_local_server) as opened:
        for note in opened.notes:
            report.notes.append(note)
            say(note)
        report.api_url = plan.api_url = opened.api_url or ""
        result_path = out / "result.json"
        result_path.unlink(missing_ok=True)
        spec = {"mode": mode, "out": str(result_path), "plan": plan.to_dict(), "bind_host": bind_host,
                "bind_port": bind_port, "worker_timeout": worker_timeout}
        what = (f"capacity steps {plan.steps} × {plan.step_duration:g} s" if plan.steps
                else f"{plan.pupils} pupils for {plan.duration:g} s")
        say(f"load: {what} against {report.api_url}" + (f", waiting for {plan.expect_workers} worker(s) on port "
                                                       f"{bind_port}" if mode == "master" else ""))
        try:
            proc = start_child(spec, out)
            code, interrupted = wait_child(proc, grace=plan.timeout + 15)
        finally:
            # always, also after Ctrl-C: the pupils' users (from every worker) go, their rows stay tagged
            report.cleanup = remove_test_users(opened.engine, email_prefix=plan.email_prefix,
                                               started_at=report.started_at, tag=LOAD_TAG,
                                               uploads_dir=opened.uploads_dir)
            report.notes.append(report.cleanup["note"])
        if result_path.exists():
            _read_result(report, json.loads(result_path.read_text(encoding="utf-8")))
            _check_sweep(report)
        elif not interrupted:
            raise TinyTalkError(f"the Locust run ended (exit {code}) without results; see {out}/locust-{mode}.log")
    report.interrupted = report.interrupted or interrupted
    report.finished_at = dt.datetime.now(dt.UTC)
    if report.steps:
        if plan.steps:
            report.capacity = capacity(report.steps, plan.thresholds)
        else:
            # the whole run, with the turns the pupils finished after the clock ran out (Locust's totals)
            report.checks = evaluate(report.totals or report.steps[-1], plan.thresholds)
    return report  # interrupted: the caller renders the partial report, then exits 130


def _check_sweep(report: LoadReport) -> None:
    """Say so when pupils registered but the profile's database does not hold them (another server's)."""
    register = (report.totals.get("stages") or {}).get("register") or {}
    registered = (register.get("requests") or 0) - (register.get("failures") or 0)
    if registered and report.cleanup.get("users_deleted") == 0 and "rows_tagged_by_server" in report.cleanup:
        note = (f"{registered} test user(s) registered but none is in this profile's database: the API uses "
                f"another one; they were logged out and are left (e-mail load-{report.plan.run_id}+…)")
        report.notes = [note if n == report.cleanup["note"] else n for n in report.notes]
        report.cleanup["note"] = note


def _read_result(report: LoadReport, result: dict[str, Any]) -> None:
    report.steps = result.get("steps", [])
    report.totals = result.get("totals", {})
    report.samples = result.get("samples", [])
    report.workers = result.get("workers")
    report.interrupted = bool(result.get("interrupted"))
    if result.get("error"):
        report.error = result["error"]
        report.notes.append(result["error"])
    if result.get("locust_html"):
        report.files["locust_html"] = result["locust_html"]
