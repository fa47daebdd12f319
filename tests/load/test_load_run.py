"""`tinytalk qa load` against the local server: a class headless, distributed, capacity steps, Ctrl-C.

Each run is a few seconds of a few pupils saying a short line (pocketsphinx recognises one clip at a time,
so STT is slow on the local server; the tests keep classes small and think times short).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app

from .conftest import rows_since

if TYPE_CHECKING:
    from tests.plugins.api_server import ApiServer

ROOT = Path(__file__).resolve().parents[2]
# (--turns ends the run when every pupil has talked: the same requests however busy the machine is;
# latency limits other than the one a test crosses are off for the same reason)
QUICK = ["--think-min", "0.2s", "--think-max", "0.5s", "--utterance", "Hello there.", "--spawn-rate", "5"]
TURN = ["stt", "gpt_stream", "tts_stream", "avatar", "save"]
LEFT_USERS = "SELECT id FROM users WHERE email LIKE 'load-%'"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tinytalk() -> list[str]:
    return [sys.executable, "-c", "from tinytalk_cli.main import run; run()"]


def test_a_class_runs_headless_reports_every_stage_and_a_crossed_threshold_exits_14(
    load_env: ApiServer, tmp_path: Path,
) -> None:
    since = _now()
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["qa", "load", "--pupils", "3", "--duration", "60s", "--turns", "1", *QUICK,
                                      "--p95-ttft", "none", "--p95", "save=1ms", "--out", str(out), "--json"])
    assert result.exit_code == 14, result.output
    assert "thresholds crossed: save p95 total" in result.stderr
    data = json.loads(result.stdout)
    stages = data["stages"]
    assert set(stages) == {"register", "session", "character", *TURN}
    assert stages["character"]["entries"]["total"]["n"] == 3  # the model file came from the server's CDN
    for name in ("register", "session", "character", *TURN):
        total = stages[name]["entries"]["total"]
        assert total["n"] == 3, name  # a lesson and one turn per pupil
        assert 0 <= total["p50"] <= total["p95"] <= total["p99"] <= total["max"], name
        assert stages[name]["failures"] == 0 and stages[name]["rps"] > 0
    assert stages["gpt_stream"]["entries"]["ttft"]["n"] == stages["gpt_stream"]["requests"]
    assert stages["tts_stream"]["entries"]["ttfb"]["p95"] <= stages["tts_stream"]["entries"]["total"]["p95"]
    violated = [(c["stage"], c["check"]) for c in data["checks"] if c["violated"]]
    assert violated == [("save", "p95 total")] and not data["passed"]
    assert data["totals"]["rps"] > 0 and data["totals"]["failures"] == 0
    # usage rows tagged `load`, the test users and their clips gone
    rows = rows_since(load_env, since, "SELECT tag FROM api_usage_logs WHERE created_at >= :since")
    assert len(rows) >= 3 * stages["stt"]["requests"] and {r["tag"] for r in rows} == {"load"}
    assert rows_since(load_env, since, LEFT_USERS) == []
    assert data["cleanup"]["users_deleted"] == 3
    assert data["cleanup"]["clips_deleted"] == stages["stt"]["requests"]
    # Locust's own files, and ours
    csv = (out / "locust_stats.csv").read_text()
    assert all(f"{stage},total" in csv for stage in TURN) and "gpt_stream,ttft" in csv
    assert (out / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "report.json").read_text())["plan"]["run_id"] == data["plan"]["run_id"]
    _renders_in_chromium(out / "report.html", tmp_path)


def _renders_in_chromium(page: Path, tmp_path: Path) -> None:
    html = page.read_text()
    assert "data:image/png;base64," in html and "http://" not in html.split("<body>")[0]
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("chromium is not installed (scripts/provision-test-services.sh installs it)")
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "load-report.png"
    shot.unlink(missing_ok=True)
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         "--enable-logging=stderr", "--v=0", "--window-size=1100,1600", f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    assert shot.exists() and shot.stat().st_size > 20_000


def test_distributed_master_with_two_local_workers(load_env: ApiServer, tmp_path: Path) -> None:
    since = _now()
    port = _free_port()
    workers = [subprocess.Popen([*_tinytalk(), "qa", "load", "--worker", "--master-host", "127.0.0.1",
                                 "--master-port", str(port), "--out", str(tmp_path / f"w{i}")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for i in range(2)]
    try:
        result = CliRunner().invoke(app, ["qa", "load", "--master", "--expect-workers", "2", "--master-bind-host",
                                          "127.0.0.1", "--master-port", str(port), "--pupils", "4", "--duration",
                                          "60s", "--turns", "1", *QUICK, "--p95-ttft", "none", "--out",
                                          str(tmp_path / "m"), "--json"])
        codes = [w.wait(timeout=60) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    assert result.exit_code == 0, result.output
    assert codes == [0, 0], [w.stderr.read() if w.stderr else b"" for w in workers]
    data = json.loads(result.stdout)
    assert data["mode"] == "master" and data["workers"] == 2 and data["passed"]
    assert all(data["stages"][s]["requests"] == 4 for s in ("register", "session", *TURN))  # one turn each
    # every worker ran pupils: each wrote its own Locust log with their requests in it
    for i in range(2):
        assert "auth_register.php" in (tmp_path / f"w{i}" / "locust-worker.log").read_text()
    assert data["cleanup"]["users_deleted"] == 4 and rows_since(load_env, since, LEFT_USERS) == []


def test_find_capacity_names_the_class_size_and_the_stage_that_broke(load_env: ApiServer, tmp_path: Path) -> None:
    """Step 1 holds; once the second pupil has joined the server refuses every clip upload (a 500 fault), so
    `stt` crosses the 1% failure rate at 2 pupils: the answer is 1 pupil, limited by stt. (A failure, not a
    latency: on a busy machine pocketsphinx alone can take seconds, a fault is the same everywhere.)"""
    since = _now()
    stop = threading.Event()

    def refuse_clips_from_the_second_pupil() -> None:
        while not stop.is_set():
            if len(rows_since(load_env, since, LEFT_USERS)) >= 2:
                load_env.running.faults.set("stt_upload.php:500:*")
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=refuse_clips_from_the_second_pupil, daemon=True)
    watcher.start()
    try:
        result = CliRunner().invoke(app, ["qa", "load", "--find-capacity", "--steps", "1,2,4", "--step-duration",
                                          "5s", *QUICK, "--p95-ttft", "none", "--out", str(tmp_path / "out"),
                                          "--json"])
    finally:
        stop.set()
        watcher.join()
        load_env.running.faults.clear()
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    answer = data["capacity"]
    assert (answer["held"], answer["broke_at"], answer["limiting_stage"]) == (1, 2, "stt"), answer
    assert answer["limiting_check"].startswith("stt failure_rate 1.0 > 0.01")
    assert answer["per_stage"]["stt"] in (1, None)  # (None when no clip finished inside the first step)
    assert data["steps"][1]["stages"]["stt"]["failures_by_kind"] == {"internal_error": data["steps"][1]["stages"]["stt"]
                                                                     ["failures"]}
    assert [s["pupils"] for s in data["steps"]] == [1, 2]  # no step after the one that broke
    assert "largest class that held" in (tmp_path / "out" / "report.html").read_text()
    assert rows_since(load_env, since, LEFT_USERS) == []


def test_ctrl_c_stops_every_avatar_session_and_removes_the_users(load_env: ApiServer, tmp_path: Path) -> None:
    since = _now()
    out = tmp_path / "out"
    proc = subprocess.Popen([*_tinytalk(), "qa", "load", "--avatar", "heygen", "--include-video", "--max-cost", "5",
                             "--pupils", "2", "--duration", "2m", *QUICK, "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ})
    # (the local server's avatar is the offline one: service 'offline', the HeyGen operations)
    ops = "SELECT operation FROM api_usage_logs WHERE created_at >= :since AND operation LIKE 'heygen_%'"
    try:
        deadline = time.time() + 40
        while sum(r["operation"] == "heygen_start" for r in rows_since(load_env, since, ops)) < 2:
            assert proc.poll() is None and time.time() < deadline, "the sessions were not opened in time"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole process group
        _stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    operations = [r["operation"] for r in rows_since(load_env, since, ops)]
    assert operations.count("heygen_start") == operations.count("heygen_stop") == 2
    assert rows_since(load_env, since, LEFT_USERS) == []
    report = json.loads((out / "report.json").read_text())
    assert report["interrupted"] and report["avatar_sessions"] == {"opened": 2, "stopped": 2}
