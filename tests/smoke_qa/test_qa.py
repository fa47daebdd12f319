"""`tinytalk qa compare`: statistics, thresholds, cost, --max-cost, and the HTML report in Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app
from tinytalk_sdk import ValidationError
from tinytalk_sdk.qa import load_script, parse_threshold, percentile

if TYPE_CHECKING:
    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "# two lines, one comment\nHello! My name is Mina.\nI like to play soccer with my friends.\n"


@pytest.mark.parametrize(("values", "q", "expected"), [
    ([1.0], 95, 1.0), ([1.0, 2.0], 50, 1.5), ([1.0, 2.0, 3.0, 4.0], 95, 3.85), ([5.0, 1.0, 3.0], 50, 3.0),
    ([], 50, None), ([0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 10.0], 95, 6.31),
])
def test_percentile_table(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected


@pytest.mark.parametrize(("text", "parsed"), [
    ("replika.p95.ttft > 1.5", ("replika", "ttft", "p95", ">", 1.5)),
    ("heygen.max.speech_to_avatar>=3", ("heygen", "speech_to_avatar", "max", ">=", 3.0)),
    ("heygen.failure_rate > 0", ("heygen", "failure_rate", None, ">", 0.0)),
    ("replika.cost_per_minute <= 0.05", ("replika", "cost_per_minute", None, "<=", 0.05)),
])
def test_parse_threshold(text: str, parsed: tuple[object, ...]) -> None:
    t = parse_threshold(text)
    assert (t.mode, t.metric, t.stat, t.op, t.value) == parsed


@pytest.mark.parametrize("text", ["replika.p95.ttft", "zoom.p95.ttft > 1", "replika.ttft > 1", "replika.p99.ttft > 1",
                                  "replika.p95.nope > 1", "replika.failure_rate ~ 1"])
def test_bad_thresholds_are_validation_errors(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_threshold(text)


def test_load_script_text_and_json(tmp_path: Path) -> None:
    txt = tmp_path / "s.txt"
    txt.write_text(SCRIPT)
    assert load_script(txt) == ["Hello! My name is Mina.", "I like to play soccer with my friends."]
    js = tmp_path / "s.json"
    js.write_text(json.dumps({"utterances": ["Hi!", " "]}))
    assert load_script(js) == ["Hi!"]
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(ValidationError, match="no utterances"):
        load_script(tmp_path / "empty.txt")


@pytest.fixture(scope="module")
def compare_run(tmp_path_factory: pytest.TempPathFactory, fake_vendors_server: RunningFakeVendors) -> dict[str, object]:
    """One `qa compare` through the CLI against the fakes, shared by the report tests (it takes a few seconds)."""
    import os

    from sqlalchemy import text

    from tinytalk_sdk.db import make_engine
    from tinytalk_sdk.db.migrate import upgrade

    base = tmp_path_factory.mktemp("qa")
    script = base / "script.txt"
    script.write_text(SCRIPT)
    db = base / "qa.db"
    upgrade(make_engine(f"sqlite:///{db}"))
    env = {**fake_vendors_server.env(), "TINYTALK_DATABASE_URL": f"sqlite:///{db}",
           "TINYTALK_CONFIG_DIR": str(base / "cfg"), "TINYTALK_DATA_DIR": str(base / "data"),
           "TINYTALK_NO_KEYRING": "1"}
    # (module scope: the autouse isolated_env has not run yet, so clear what could reach a real service)
    stray = [k for k in os.environ if k.startswith(("TINYTALK_", "OPENAI_", "ELEVENLABS_", "HEYGEN_", "LIVEAVATAR_"))]
    saved = {k: os.environ.get(k) for k in [*env, *stray]}
    for k in stray:
        del os.environ[k]
    os.environ.update(env)
    try:
        result = CliRunner().invoke(app, ["qa", "compare", "--script", str(script), "--runs", "2", "--out",
                                          str(base / "out"), "--fail-if", "replika.p95.ttft > 1.5", "--json"])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text("SELECT service, operation, tag, cost_usd, status "
                                                           "FROM api_usage_logs"))]
    engine.dispose()
    from tinytalk_sdk.testing.fakes.liveavatar import LiveAvatarMemory

    la = fake_vendors_server.state.vendor("liveavatar", LiveAvatarMemory)
    return {"result": result, "out": base / "out", "rows": rows, "active": fake_vendors_server.state.active_heygen(),
            "liveavatar_active": [s for s in la.sessions.values() if s["status"] != "closed"],
            "liveavatar_events": len([e for e in la.events if e["event_type"] == "avatar.speak_text"])}


def test_compare_writes_both_reports(compare_run: dict[str, object]) -> None:
    result = compare_run["result"]
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    out = compare_run["out"]
    assert isinstance(out, Path)
    report = json.loads((out / "report.json").read_text())
    assert report["passed"] and list(report["modes"]) == ["heygen", "liveavatar", "replika"]
    for mode in ("heygen", "liveavatar", "replika"):
        data = report["modes"][mode]
        assert data["turns"] == 4 and data["failure_rate"] == 0.0 and data["timeout_rate"] == 0.0
        for metric in ("stt_latency", "ttft", "gpt_total", "avatar_ready", "speech_to_avatar"):
            st = data["stats"][metric]
            assert st["n"] == 4 and st["p50"] <= st["p95"] <= st["max"]
    assert report["modes"]["replika"]["stats"]["tts_ttfb"]["n"] == 4
    assert report["modes"]["heygen"]["stats"]["session_ready"]["n"] == 2  # one session per run
    assert report["modes"]["liveavatar"]["stats"]["session_ready"]["n"] == 2
    assert "tts_ttfb" not in report["modes"]["liveavatar"]["stats"] or \
        report["modes"]["liveavatar"]["stats"]["tts_ttfb"]["n"] == 0  # the vendor speaks with its own voice
    assert report["thresholds"] == [{"rule": "replika.p95.ttft > 1.5", "violated": False,
                                     "observed": report["modes"]["replika"]["stats"]["ttft"]["p95"]}]
    assert compare_run["active"] == []  # every HeyGen session stopped
    assert compare_run["liveavatar_active"] == []  # and every LiveAvatar one
    assert compare_run["liveavatar_events"] == 4  # one avatar.speak_text per turn


def test_cost_per_minute_matches_the_usage_rows(compare_run: dict[str, object]) -> None:
    out = compare_run["out"]
    assert isinstance(out, Path)
    report = json.loads((out / "report.json").read_text())
    rows = compare_run["rows"]
    assert isinstance(rows, list) and rows and {r["tag"] for r in rows} == {"qa"}
    total = sum(Decimal(str(r["cost_usd"])) for r in rows)
    modes = report["modes"]
    assert sum(Decimal(str(modes[m]["cost_total"])) for m in ("heygen", "liveavatar", "replika")) == total
    stops = [r for r in rows if r["operation"] == "heygen_stop"]
    assert len(stops) == 2 and all(Decimal(str(r["cost_usd"])) == Decimal("0.099") for r in stops)  # 30 s minimum
    la_stops = [r for r in rows if r["operation"] == "liveavatar_stop"]
    # one escrowed minute per session: FULL 2 credits × $0.10
    assert len(la_stops) == 2 and all(Decimal(str(r["cost_usd"])) == Decimal("0.2") for r in la_stops)
    assert not [r for r in rows if r["service"] == "elevenlabs" and r["operation"] != "tts"]
    for data in modes.values():
        assert data["cost_per_minute"] == pytest.approx(data["cost_total"] / data["conversation_minutes"], rel=1e-3)
    assert modes["heygen"]["cost_per_minute"] > modes["replika"]["cost_per_minute"]
    assert modes["liveavatar"]["cost_per_minute"] > modes["replika"]["cost_per_minute"]


def test_html_is_self_contained(compare_run: dict[str, object]) -> None:
    out = compare_run["out"]
    assert isinstance(out, Path)
    page = (out / "report.html").read_text()
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|<link\b|\bsrc=|@import|url\(", page, re.I)
    assert page.count("<svg") == 2 and "<style>" in page and "heygen" in page and "replika" in page
    assert "HeyGen v1 vs LiveAvatar vs Replika (Live2D)" in page and 'class="mode-liveavatar"' in page


def test_threshold_crossed_exits_12(fake_vendor_env: RunningFakeVendors, tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text("Hello!\n")
    result = CliRunner().invoke(app, ["qa", "compare", "--script", str(script), "--runs", "1", "--mode", "replika",
                                      "--out", str(tmp_path / "out"), "--fail-if", "replika.max.ttft >= 0"])
    assert result.exit_code == 12
    assert "replika.max.ttft >= 0" in result.output
    assert not json.loads((tmp_path / "out" / "report.json").read_text())["passed"]


def test_max_cost_refuses_a_run_whose_worst_case_is_over(fake_vendor_env: RunningFakeVendors, tmp_path: Path
                                                         ) -> None:
    script = tmp_path / "s.txt"
    script.write_text("Hello!\nHow are you?\n")
    result = CliRunner().invoke(app, ["qa", "compare", "--script", str(script), "--runs", "3", "--out",
                                      str(tmp_path / "out"), "--max-cost", "0.05", "--json"])
    assert result.exit_code == 12
    # HeyGen's sessions alone cost 3 × 0.099 (30 s minimum), LiveAvatar's 3 × 0.20 (one escrowed minute)
    worst = {m: float(v) for m, v in re.findall(r"(heygen|liveavatar|replika) (\d+\.\d+)", result.stderr)}
    assert worst["heygen"] > 3 * 0.099 and worst["liveavatar"] > 3 * 0.20 and worst["replika"] > 0
    assert "nothing was started" in result.stderr and not (tmp_path / "out").exists()
    assert fake_vendor_env.state.log == []  # not one vendor call


def test_worst_case_from_the_price_table() -> None:
    from tinytalk_sdk.pricing import load_price_table
    from tinytalk_sdk.qa.compare import worst_case

    worst = worst_case(["heygen", "liveavatar", "replika"], ["Hello!"] * 8, 2, load_price_table())
    # 8 utterances × 15 s = 2 minutes of session per run (over both vendors' minimums)
    turn = worst["replika"] / 2 / 8
    assert worst["liveavatar"] > worst["heygen"] > worst["replika"] > 0
    assert float(worst["liveavatar"]) == pytest.approx(2 * (2 * 0.20 + 8 * float(turn)), rel=0.2)


def test_max_cost_stops_a_run_before_the_turn_that_would_go_over(fake_vendor_env: RunningFakeVendors,
                                                                 tmp_path: Path) -> None:
    """The in-run guard: the worst case fits, but measured turns use up the budget."""
    from tinytalk_sdk.pricing import load_price_table
    from tinytalk_sdk.qa.compare import worst_case

    script = tmp_path / "s.txt"
    script.write_text("Hello!\n")
    allowed = worst_case(["liveavatar"], ["Hello!"], 3, load_price_table())["liveavatar"]
    budget = float(allowed) * 0.5  # the pre-run check is on a 3-run worst case; half of it fits one run only
    result = CliRunner().invoke(app, ["qa", "compare", "--script", str(script), "--runs", "1", "--mode",
                                      "liveavatar", "--out", str(tmp_path / "out"), "--max-cost", str(budget),
                                      "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["modes"]["liveavatar"]["turns"] == 1


def test_report_renders_in_headless_chromium_without_console_errors(compare_run: dict[str, object],
                                                                     tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("chromium is not installed (scripts/provision-test-services.sh installs it)")
    out = compare_run["out"]
    assert isinstance(out, Path)
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "qa-report.png"
    shot.unlink(missing_ok=True)
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         "--enable-logging=stderr", "--v=0", "--window-size=1100,1400", f"--screenshot={shot}",
         (out / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    assert shot.exists() and shot.stat().st_size > 20_000  # a rendered page, not a blank one
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
