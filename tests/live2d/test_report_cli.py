"""The valid generated model, SARIF/JSON output and the `tinytalk live2d` commands (exit codes, --json)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import live2d_tools
from live2d_tools import generate_model, validate
from live2d_tools.emotions import EMOTIONS
from live2d_tools.rules import RULES
from tinytalk_cli.main import app


def test_public_names_are_pinned() -> None:
    assert sorted(live2d_tools.__all__) == sorted(
        [
            "EMOTIONS", "RULES", "VALIDATOR_VERSION", "EmotionEntry", "EmotionMap", "Finding", "ModelInfo",
            "Report", "Rule", "build_zip", "generate_model", "resolve_emotions", "validate",
        ]
    )  # fmt: skip


def test_generated_model_has_zero_errors_and_warnings(live2d_model: Path) -> None:
    for path in (live2d_model.parent, live2d_model):  # folder or the model3.json itself
        report = validate(path, emotions=True)
        assert report.errors == [] and report.warnings == [], [f.to_dict() for f in report.findings]
        assert report.ok and report.ok_strict
    m = report.model
    assert m.format == "cubism3" and m.moc_version == 3
    assert m.counts == {"parts": 4, "deformers": 0, "drawables": 6, "parameters": 13}
    assert m.textures == [
        {"file": "Hiyori.256/texture_00.png", "width": 256, "height": 256, "format": "PNG", "mode": "RGBA"}
    ]
    assert list(m.emotions) == list(EMOTIONS)
    assert m.emotions["praise"] == ("Praise", 0, "motions/praise_00.motion3.json", "smile")
    assert m.lipsync_ids == ["ParamMouthOpenY"]


def test_generator_options_and_large_model_speed(tmp_path: Path) -> None:
    p = generate_model(
        tmp_path / "Big", name="Big", texture_size=1024, textures=2, motions_per_emotion=3, segments=5000,
        emotion_mapping=False,
    )  # fmt: skip
    assert not (p.parent / "tinytalk.emotions.json").exists()
    start = time.perf_counter()
    report = validate(p.parent, emotions=True)
    assert time.perf_counter() - start < 5
    assert report.ok_strict, [f.to_dict() for f in report.errors + report.warnings]
    assert len(report.model.textures) == 2 and sum(len(v) for v in report.model.motions.values()) == 21
    segs = 0
    for f in (p.parent / "motions").iterdir():
        segs += json.loads(f.read_text())["Meta"]["TotalSegmentCount"]
    assert 4900 <= segs <= 5100
    assert all(e.source == "group" for e in live2d_tools.resolve_emotions(p).entries.values())


def test_report_dict_and_sarif_structure(live2d_model: Path) -> None:
    (live2d_model.parent / "Hiyori.pose3.json").unlink()
    report = validate(live2d_model.parent)
    d = json.loads(json.dumps(report.to_dict()))
    assert d["ok"] is False and d["summary"]["error"] == 1
    assert {"rule_id", "severity", "file", "pointer", "message", "hint"} <= set(d["findings"][0])
    sarif = json.loads(json.dumps(report.to_sarif()))
    assert sarif["version"] == "2.1.0" and "sarif-2.1.0" in sarif["$schema"]
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"]
    assert len(run["results"]) == len(report.findings)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"] in RULES
        assert res["level"] in ("error", "warning", "note")
        assert res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]["artifactLocation"]
        assert loc["uri"] and loc["uriBaseId"] in run["originalUriBaseIds"]
    missing = next(r for r in run["results"] if r["ruleId"] == "REF-003")
    assert missing["level"] == "error"
    assert missing["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "Hiyori.model3.json"
    assert missing["locations"][0]["logicalLocations"][0]["name"] == "/FileReferences/Pose"


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def test_cli_validate_clean_exit_0_and_json(cli: CliRunner, live2d_model: Path) -> None:
    res = cli.invoke(app, ["live2d", "validate", str(live2d_model.parent), "--emotions"])
    assert res.exit_code == 0, res.output
    assert "OK (0 error(s), 0 warning(s)" in res.stderr
    assert "speaking" in res.stdout
    res = cli.invoke(app, ["live2d", "validate", str(live2d_model.parent), "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["ok"] is True and data["model"]["format"] == "cubism3"


def test_cli_errors_exit_4_with_file_and_pointer(cli: CliRunner, live2d_model: Path) -> None:
    m3 = json.loads(live2d_model.read_text())
    m3["FileReferences"]["Pose"] = "missing.pose3.json"
    live2d_model.write_text(json.dumps(m3))
    res = cli.invoke(app, ["live2d", "validate", str(live2d_model.parent)])
    assert res.exit_code == 4
    assert "REF-003 /FileReferences/Pose" in res.stdout and "fix:" in res.stdout
    assert "REF-003 Hiyori.model3.json/FileReferences/Pose" in res.stderr
    res = cli.invoke(app, ["live2d", "validate", str(live2d_model.parent), "--format", "sarif"])
    assert res.exit_code == 4
    assert json.loads(res.stdout)["runs"][0]["results"]


def test_cli_strict_fails_on_warnings(cli: CliRunner, live2d_model: Path) -> None:
    pose = live2d_model.parent / "Hiyori.pose3.json"
    pose.write_text(json.dumps({k: v for k, v in json.loads(pose.read_text()).items() if k != "Type"}))
    assert cli.invoke(app, ["live2d", "validate", str(live2d_model.parent)]).exit_code == 0
    res = cli.invoke(app, ["live2d", "validate", str(live2d_model.parent), "--strict", "--json"])
    assert res.exit_code == 4
    assert json.loads(res.stdout)["summary"]["warning"] == 1


def test_cli_max_moc_version_and_missing_path(cli: CliRunner, live2d_model: Path, tmp_path: Path) -> None:
    res = cli.invoke(app, ["live2d", "validate", str(live2d_model), "--max-moc-version", "2", "--json"])
    assert res.exit_code == 4
    assert any(f["rule_id"] == "MOC-003" for f in json.loads(res.stdout)["findings"])
    res = cli.invoke(app, ["live2d", "validate", str(tmp_path / "nope")])
    assert res.exit_code == 5 and "no such file" in res.stderr


def test_cli_rules(cli: CliRunner) -> None:
    res = cli.invoke(app, ["live2d", "rules", "--json"])
    assert res.exit_code == 0
    rows = json.loads(res.stdout)
    assert len(rows) == len(RULES) and rows[0]["id"] == "PKG-001"
    assert {r["severity"] for r in rows} == {"error", "warning", "info"}
    res = cli.invoke(app, ["live2d", "rules"])
    assert "MOT-004\terror" in res.stdout


def test_rules_doc_is_generated_and_fresh() -> None:
    from live2d_tools.rules import rules_markdown

    doc = Path(__file__).resolve().parents[2] / "docs" / "live2d-rules.md"
    assert doc.read_text(encoding="utf-8") == rules_markdown(), "run: python scripts/gen_live2d_rules.py"


def test_rule_table_is_well_formed() -> None:
    import re

    for rid, rule in RULES.items():
        assert re.fullmatch(r"[A-Z0-9]+-\d{3}", rid) and rule.id == rid
        assert rule.severity in ("error", "warning", "info") and rule.title and rule.source and rule.ref
