"""`--core`: the Cubism Core runs in a child process; crash, abort and timeout become CORE-001."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import pytest

from live2d_tools import core, validate
from live2d_tools.core import MARK, core_check
from live2d_tools.generate import PARAMETERS, PARTS
from live2d_tools.moc3 import build_moc3
from live2d_tools.report import Finding

PLAN = {"idle": ("Idle", 0, "motions/idle_00.motion3.json", None)}


def _stand_in(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_abort_in_child_is_caught(live2d_model: Path) -> None:
    findings = core_check(live2d_model, PLAN, command=_stand_in("import os; os.abort()"))
    assert [f.rule_id for f in findings] == ["CORE-001"]
    assert "SIGABRT" in findings[0].message and findings[0].severity == "error"


def test_segfault_in_child_is_caught(live2d_model: Path) -> None:
    code = f'print({MARK!r} + \'{{"stage": "emotion:idle"}}\', flush=True); import ctypes; ctypes.string_at(0)'
    findings = core_check(live2d_model, PLAN, command=_stand_in(code))
    assert [f.rule_id for f in findings] == ["CORE-001"]
    assert "SIGSEGV" in findings[0].message and "while playing idle" in findings[0].message


def test_timeout_in_child_is_caught_and_bounded(live2d_model: Path) -> None:
    start = time.perf_counter()
    findings = core_check(live2d_model, PLAN, command=_stand_in("import time; time.sleep(60)"), timeout=1.0)
    assert time.perf_counter() - start < 10
    assert [f.rule_id for f in findings] == ["CORE-001"] and "within 1 s" in findings[0].message


def test_successful_child_reports_info(live2d_model: Path) -> None:
    code = (
        "import json, sys; plan = json.loads(sys.argv[2]); "
        f"print('banner noise'); print({MARK!r} + json.dumps({{'ok': True, 'played': list(plan['emotions'])}}))"
    )
    findings = core_check(live2d_model, PLAN, command=_stand_in(code))
    assert [f.rule_id for f in findings] == ["CORE-003"] and "idle" in findings[0].message


def test_core_unavailable_is_an_info(live2d_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core, "core_available", lambda: False)
    report = validate(live2d_model.parent, core=True)
    assert report.ok_strict and "CORE-002" in report.rule_ids


def test_only_statically_valid_models_reach_the_core(live2d_model: Path) -> None:
    calls: list[Path] = []

    def runner(model3: Path, emotions: object) -> list[Finding]:
        calls.append(model3)
        return []

    (live2d_model.parent / "Hiyori.physics3.json").write_text("{broken")
    report = validate(live2d_model.parent, core=True, core_runner=runner)
    assert calls == [] and "CORE-002" in report.rule_ids
    (live2d_model.parent / "Hiyori.physics3.json").unlink()
    m3 = json.loads(live2d_model.read_text())
    del m3["FileReferences"]["Physics"]
    live2d_model.write_text(json.dumps(m3))
    validate(live2d_model.parent, core=True, core_runner=runner)
    assert calls == [live2d_model]


if importlib.util.find_spec("live2d") is None and os.environ.get("TINYTALK_REQUIRE_RENDER") == "1":
    pytest.fail("TINYTALK_REQUIRE_RENDER=1 but live2d-py (render extra) is not installed: make dev")
needs_core = pytest.mark.skipif(
    importlib.util.find_spec("live2d") is None, reason="live2d-py (render extra) not installed"
)


@needs_core
def test_real_core_loads_the_generated_model_and_plays_every_emotion(live2d_model: Path) -> None:
    report = validate(live2d_model.parent, core=True, emotions=True)
    core_findings = [f for f in report.findings if f.rule_id.startswith("CORE")]
    assert [f.rule_id for f in core_findings] == ["CORE-003"], core_findings
    assert "idle, listening, thinking, speaking, praise, review, error" in core_findings[0].message
    assert report.ok_strict


@needs_core
def test_real_core_crash_on_an_inconsistent_moc3_stays_in_the_child(live2d_model: Path) -> None:
    """A moc3 that is structurally fine for our reader (only ID/parameter sections filled) but not for
    csmHasMocConsistency: the real Core logs "Inconsistent MOC3" and then segfaults — in the child."""
    drawables = [("ArtMeshFace", 0), ("ArtMeshBody", 0), ("ArtMeshMouth", 0), ("ArtMeshEyeL", 0)]
    (live2d_model.parent / "Hiyori.moc3").write_bytes(
        build_moc3(parts=PARTS, parameters=PARAMETERS, drawables=drawables)
    )
    report = validate(live2d_model.parent, core=True)
    core_findings = [f for f in report.findings if f.rule_id.startswith("CORE")]
    assert [f.rule_id for f in core_findings] == ["CORE-001"]
    assert "csmHasMocConsistency" in core_findings[0].message and core_findings[0].file == "Hiyori.moc3"


def test_generated_moc3_matches_the_public_section_layout(live2d_model: Path) -> None:
    """py-moc3 (an independent reader/writer of the public moc3 layout, SECTION_LAYOUT) reads every section
    of the generated file back to what we wrote, and re-serialises it byte for byte."""
    moc3 = pytest.importorskip("moc3")  # py-moc3, a dev dependency
    from live2d_tools.generate import DRAWABLES

    data = (live2d_model.parent / "Hiyori.moc3").read_bytes()
    parsed = moc3.Moc3.from_bytes(data)
    assert parsed.part_ids == PARTS and parsed.art_mesh_ids == DRAWABLES
    assert parsed.parameter_ids == [p[0] for p in PARAMETERS]
    assert parsed["parameter.min_values"] == [p[1] for p in PARAMETERS]
    assert parsed["parameter.default_values"] == [p[3] for p in PARAMETERS]
    assert parsed.to_bytes() == data

