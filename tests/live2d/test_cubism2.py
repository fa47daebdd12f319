"""Cubism 2 models (model.json + .moc) are recognised and checked with the legacy rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from live2d_tools import validate
from live2d_tools.generate import write_png
from live2d_tools.rules import RULES


def _c2(root: Path, *, moc: bytes = b"moc\x0b" + b"\1" * 60 + b"\x88\x88\x88\x88", textures: object = None) -> Path:
    root.mkdir(parents=True)
    (root / "shizuku.moc").write_bytes(moc)
    (root / "textures").mkdir()
    write_png(root / "textures/texture_00.png", 128, 128)
    setting = {
        "type": "Live2D Model Setting",
        "name": "shizuku",
        "model": "shizuku.moc",
        "textures": ["textures/texture_00.png"] if textures is None else textures,
    }
    (root / "shizuku.model.json").write_text(json.dumps(setting), encoding="utf-8")
    return root


def test_cubism2_is_reported_as_such_not_as_missing_model3(tmp_path: Path) -> None:
    report = validate(_c2(tmp_path / "m"))
    assert report.model.format == "cubism2"
    assert report.model.moc_version == 11
    assert "C2-001" in report.rule_ids and "PKG-001" not in report.rule_ids
    assert report.ok and not report.ok_strict  # C2-001 is a warning


def test_cubism2_model_json_as_path(tmp_path: Path) -> None:
    report = validate(_c2(tmp_path / "m") / "shizuku.model.json")
    assert report.model.format == "cubism2"


def test_cubism2_legacy_checks(tmp_path: Path) -> None:
    assert "C2-003" in validate(_c2(tmp_path / "a", moc=b"moc\x0b garbage without end marker")).rule_ids
    assert "C2-002" in validate(_c2(tmp_path / "b", textures=[])).rule_ids
    assert "REF-003" in validate(_c2(tmp_path / "c", textures=["missing.png"])).rule_ids


def test_wrong_kind_of_file_is_pkg001(live2d_model: Path) -> None:
    report = validate(live2d_model.parent / "Hiyori.moc3")
    assert report.rule_ids == {"PKG-001"} and "not a model folder" in report.findings[0].message


# --- a complete Cubism 2 package (LIVE2D.md §5.4) and one mutation per legacy rule -----------------------------

MTN = "# Live2D Animator Motion Data\n$fps=30\n\n$fadein=1000\n\nPARAM_ANGLE_X=0,1.5,3,\nVISIBLE:PARTS_01=1,1,1\n"


def _full_c2(root: Path) -> Path:
    _c2(root)
    (root / "motions").mkdir()
    (root / "motions/idle_00.mtn").write_text(MTN, encoding="utf-8")
    (root / "expressions").mkdir()
    exp = {
        "type": "Live2D Expression",
        "fade_in": 500,
        "params": [{"id": "PARAM_EYE_L_OPEN", "val": 0.8, "calc": "mult", "def": 1}],
    }
    (root / "expressions/f01.exp.json").write_text(json.dumps(exp), encoding="utf-8")
    (root / "shizuku.physics.json").write_text(json.dumps({"type": "Live2D Physics", "physics_hair": []}))
    pose = {"type": "Live2D Pose", "parts_visible": [{"group": [{"id": "PARTS_01_ARM_A", "link": []}]}]}
    (root / "shizuku.pose.json").write_text(json.dumps(pose), encoding="utf-8")
    setting = json.loads((root / "shizuku.model.json").read_text())
    setting.update(
        physics="shizuku.physics.json",
        pose="shizuku.pose.json",
        expressions=[{"name": "f01", "file": "expressions/f01.exp.json"}],
        motions={"idle": [{"file": "motions/idle_00.mtn", "fade_in": 2000}]},
        hit_areas=[{"name": "head", "id": "D_REF.HEAD"}],
    )
    (root / "shizuku.model.json").write_text(json.dumps(setting), encoding="utf-8")
    return root


def _edit(rel: str, fn: Callable[[Any], object]) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        obj = json.loads((root / rel).read_text(encoding="utf-8"))
        fn(obj)
        (root / rel).write_text(json.dumps(obj), encoding="utf-8")

    return mutate


def _text(rel: str, text: str | bytes) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        if isinstance(text, bytes):
            (root / rel).write_bytes(text)
        else:
            (root / rel).write_text(text, encoding="utf-8")

    return mutate


MODEL = "shizuku.model.json"
C2_CASES: list[tuple[str, str, Callable[[Path], None]]] = [
    ("C2-002", "textures-empty", _edit(MODEL, lambda m: m.__setitem__("textures", []))),
    ("C2-002", "model-not-string", _edit(MODEL, lambda m: m.__setitem__("model", ["shizuku.moc"]))),
    ("C2-003", "moc-no-end-marker", _text("shizuku.moc", b"moc\x0b" + b"\1" * 60)),
    ("C2-003", "moc3-renamed", _text("shizuku.moc", b"MOC3\x03" + b"\0" * 59)),
    ("C2-004", "physics-not-string", _edit(MODEL, lambda m: m.__setitem__("physics", 3))),
    ("C2-004", "expressions-not-list", _edit(MODEL, lambda m: m.__setitem__("expressions", {"f01": "x"}))),
    ("C2-004", "expression-no-file", _edit(MODEL, lambda m: m["expressions"][0].pop("file"))),
    ("C2-004", "motions-array", _edit(MODEL, lambda m: m.__setitem__("motions", [{"file": "motions/idle_00.mtn"}]))),
    ("C2-004", "motion-no-file", _edit(MODEL, lambda m: m["motions"]["idle"][0].pop("file"))),
    ("C2-004", "motion-fade", _edit(MODEL, lambda m: m["motions"]["idle"][0].__setitem__("fade_in", "2000"))),
    ("C2-004", "hit-areas", _edit(MODEL, lambda m: m.__setitem__("hit_areas", [{"name": "head"}]))),
    ("C2-005", "mtn-binary", _text("motions/idle_00.mtn", b"\xff\xfe\x00binary")),
    ("C2-005", "mtn-no-curves", _text("motions/idle_00.mtn", "# Live2D Animator Motion Data\n$fps=30\n")),
    ("C2-005", "mtn-bad-value", _text("motions/idle_00.mtn", "$fps=30\nPARAM_ANGLE_X=0,abc,1\n")),
    ("C2-005", "mtn-fps", _text("motions/idle_00.mtn", "$fps=0\nPARAM_ANGLE_X=0,1\n")),
    ("C2-006", "exp-no-params", _edit("expressions/f01.exp.json", lambda e: e.pop("params"))),
    ("C2-006", "exp-val-string", _edit("expressions/f01.exp.json", lambda e: e["params"][0].__setitem__("val", "1"))),
    ("C2-007", "exp-calc", _edit("expressions/f01.exp.json", lambda e: e["params"][0].__setitem__("calc", "multiply"))),
    ("C2-007", "exp-fade", _edit("expressions/f01.exp.json", lambda e: e.__setitem__("fade_in", -5))),
    ("C2-008", "physics-no-hair", _edit("shizuku.physics.json", lambda p: p.pop("physics_hair"))),
    ("C2-008", "pose-groups", _edit("shizuku.pose.json", lambda p: p.__setitem__("parts_visible", [["PARTS_01"]]))),
]


def test_full_cubism2_package_has_only_the_legacy_warning(tmp_path: Path) -> None:
    report = validate(_full_c2(tmp_path / "m"))
    assert {f.rule_id for f in report.findings if f.severity != "info"} == {"C2-001"}, [
        f.to_dict() for f in report.findings
    ]


@pytest.mark.parametrize(("rule", "mutate"), [(c[0], c[2]) for c in C2_CASES], ids=[c[1] for c in C2_CASES])
def test_cubism2_mutation_produces_exactly_its_rule(tmp_path: Path, rule: str, mutate: Callable[[Path], None]) -> None:
    root = _full_c2(tmp_path / "m")
    mutate(root)
    report = validate(root)
    blocking = {f.rule_id for f in report.findings if f.severity != "info"}
    assert blocking == {"C2-001", rule}, [f.to_dict() for f in report.findings]
    for f in report.findings:
        if f.rule_id == rule:
            assert f.severity == RULES[rule].severity and f.file and f.message and f.hint


def test_cubism2_references_resolve_with_the_cubism3_path_rules(tmp_path: Path) -> None:
    root = _full_c2(tmp_path / "m")
    _edit(MODEL, lambda m: m["motions"]["idle"][0].__setitem__("file", "Motions/idle_00.mtn"))(root)
    assert "REF-004" in validate(root).rule_ids
    _edit(MODEL, lambda m: m["motions"]["idle"][0].__setitem__("file", "motions/nope.mtn"))(root)
    assert "REF-003" in validate(root).rule_ids
