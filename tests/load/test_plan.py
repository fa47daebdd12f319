"""`qa load` without running a class: parsing, thresholds and the capacity answer, the guards before start."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app
from tinytalk_sdk import ValidationError
from tinytalk_sdk.config import load_config
from tinytalk_sdk.load import (
    LoadPlan,
    Thresholds,
    capacity,
    estimate_cost,
    evaluate,
    parse_duration,
    parse_rate,
    parse_stage_limit,
    parse_steps,
)
from tinytalk_sdk.pricing import load_price_table


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30.0), ("2m", 120.0), ("1.5s", 1.5), ("250ms", 0.25), ("1h", 3600.0), ("45", 45.0), (" 2 m ", 120.0),
])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "fast", "-1s", "0s", "2 minutes", "1.5.2s"])
def test_bad_durations_name_the_option(text: str) -> None:
    with pytest.raises(ValidationError, match="--duration"):
        parse_duration(text)


@pytest.mark.parametrize(("text", "rate"), [("1%", 0.01), ("0.5%", 0.005), ("0.02", 0.02), ("0", 0.0),
                                            ("100%", 1.0)])
def test_parse_rate(text: str, rate: float) -> None:
    assert parse_rate(text) == pytest.approx(rate)


@pytest.mark.parametrize("text", ["1", "150%", "-1%", "lots"])
def test_bad_rates(text: str) -> None:
    with pytest.raises(ValidationError, match="--max-failure-rate"):
        parse_rate(text)


def test_parse_steps_and_stage_limits() -> None:
    assert parse_steps("5,10,20,30,50") == [5, 10, 20, 30, 50]
    for bad in ("10,5", "5,5", "0,5", "a,b", ""):
        with pytest.raises(ValidationError, match="--steps"):
            parse_steps(bad)
    assert parse_stage_limit("stt=2s") == ("stt", 2.0)
    with pytest.raises(ValidationError, match="stage of"):
        parse_stage_limit("speech=2s")
    with pytest.raises(ValidationError, match="--p95 stt"):
        parse_stage_limit("stt=soon")


def _step(pupils: int, *, ttft: float = 0.3, stt: float = 1.0, stt_failures: int = 0) -> dict[str, Any]:
    def entry(p95: float) -> dict[str, Any]:
        return {"n": 10, "p50": p95 / 2, "p95": p95, "p99": p95, "avg": p95 / 2, "max": p95}

    return {"pupils": pupils, "stages": {
        "stt": {"requests": 10, "failures": stt_failures, "failure_rate": stt_failures / 10,
                "entries": {"total": entry(stt)}},
        "gpt_stream": {"requests": 10, "failures": 0, "failure_rate": 0.0,
                       "entries": {"total": entry(ttft + 0.2), "ttft": entry(ttft)}},
    }}


def test_evaluate_checks_every_limit_and_every_stage_failure_rate() -> None:
    th = Thresholds(p95_ttft=1.5, max_failure_rate=0.01, p95_stage={"stt": 2.0})
    checks = {(c["stage"], c["check"]): c for c in evaluate(_step(5, stt=2.5), th)}
    assert checks["stt", "p95 total"] == {"stage": "stt", "check": "p95 total", "limit": 2.0, "observed": 2.5,
                                          "violated": True}
    assert not checks["gpt_stream", "p95 ttft"]["violated"]
    assert set(checks) == {("stt", "p95 total"), ("gpt_stream", "p95 ttft"), ("stt", "failure_rate"),
                           ("gpt_stream", "failure_rate")}


@pytest.mark.parametrize(("steps", "held", "broke_at", "limiting", "per_stage"), [
    # every step held: the largest tried, nothing limited
    ([_step(5), _step(10)], 10, None, None, {"stt": 10, "gpt_stream": 10}),
    # TTFT broke at 20: 10 held, gpt_stream named
    ([_step(5), _step(10), _step(20, ttft=2.0)], 10, 20, "gpt_stream", {"stt": 20, "gpt_stream": 10}),
    # both broke at 20: the one furthest past its limit is named (failures 30% vs 1% beats 1.6 s vs 1.5 s)
    ([_step(5), _step(20, ttft=1.6, stt_failures=3)], 5, 20, "stt", {"stt": 5, "gpt_stream": 5}),
    # not even the first step
    ([_step(5, stt=9.0)], None, 5, "stt", {"stt": None, "gpt_stream": 5}),
])
def test_capacity_names_the_class_size_and_the_limiting_stage(
    steps: list[dict[str, Any]], held: int | None, broke_at: int | None, limiting: str | None,
    per_stage: dict[str, int | None],
) -> None:
    answer = capacity(steps, Thresholds(p95_ttft=1.5, max_failure_rate=0.01, p95_stage={"stt": 3.0}))
    assert (answer["held"], answer["broke_at"], answer["limiting_stage"]) == (held, broke_at, limiting)
    assert answer["per_stage"] == per_stage


def test_cost_bound_grows_with_pupils_and_video_sessions() -> None:
    table = load_price_table()
    small = estimate_cost(LoadPlan(pupils=5, duration=60, think_min=5), table)
    big = estimate_cost(LoadPlan(pupils=10, duration=60, think_min=5), table)
    video = estimate_cost(LoadPlan(pupils=10, duration=60, think_min=5, avatar="heygen"), table)
    assert Decimal(0) < small < big < video
    # HeyGen: at least the 30-second minimum of 10 sessions on top of the turns (0.099 each, docs/usage-and-costs)
    assert video - big >= Decimal("0.99")


def _cli(args: list[str], tmp_path: Path) -> Any:
    return CliRunner().invoke(app, ["qa", "load", *args, "--out", str(tmp_path / "out"), "--json"])


def test_production_profile_is_refused_before_anything_starts(isolated_env: Path, tmp_path: Path) -> None:
    cfg = isolated_env / "config"
    cfg.mkdir(parents=True)
    # nothing listens on port 9: had the guard let it through, the run would fail differently
    (cfg / "config.toml").write_text('[profiles.prod]\napi_url = "http://127.0.0.1:9/api"\nproduction = true\n')
    result = _cli(["--target", "prod", "--pupils", "2", "--duration", "2s"], tmp_path)
    assert result.exit_code == 13, result.output
    assert "marked production" in result.output and "--i-know-this-is-production" in result.output
    assert not (tmp_path / "out").exists()
    assert load_config("prod").get("production") == "True"


def test_max_cost_refuses_a_run_that_could_spend_more(tmp_path: Path) -> None:
    result = _cli(["--pupils", "30", "--duration", "10m", "--max-cost", "0.01"], tmp_path)
    assert result.exit_code == 12, result.output
    assert "could spend up to" in result.output and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--avatar", "heygen", "--max-cost", "5"], "--include-video"),
    (["--avatar", "heygen", "--include-video"], "needs --max-cost"),
    (["--worker"], "--master-host"),
    (["--p95-ttft", "quick"], "--p95-ttft"),
    (["--think-min", "5s", "--think-max", "1s"], "--think-max"),
    (["--find-capacity", "--turns", "2"], "--turns"),
])
def test_bad_options_are_validation_errors(args: list[str], message: str, tmp_path: Path) -> None:
    result = _cli(args, tmp_path)
    assert result.exit_code == 4, result.output
    assert message in result.output


def test_json_of_a_refused_run_stays_off_stdout(tmp_path: Path) -> None:
    result = _cli(["--pupils", "30", "--duration", "10m", "--max-cost", "0.01"], tmp_path)
    assert result.stdout == ""  # the error is one line on stderr


def test_without_the_load_extra_the_command_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real(name, *a))
    result = _cli(["--pupils", "2"], tmp_path)
    assert result.exit_code == 3, result.output
    assert "needs locust" in result.output and "tinytalk[load]" in result.output
