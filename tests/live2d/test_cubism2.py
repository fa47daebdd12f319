"""Cubism 2 models (model.json + .moc) are recognised and checked with the legacy rules."""

from __future__ import annotations

import json
from pathlib import Path

from live2d_tools import validate
from live2d_tools.generate import write_png


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
