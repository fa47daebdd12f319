"""Real files are hostile: every malformed input below must yield findings, never an exception.

Each row mutates the valid generated model (or wraps it) and names the rule id the artist must see. The table
is the contract for content artists whose exports no test here has seen (BOMs, Windows paths, strings for
numbers, nulls, huge and deeply nested JSON, zips with the model in a subfolder).
"""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from live2d_tools import build_zip, validate
from live2d_tools.report import Report


def _edit(rel: str, fn: Callable[[Any], object]) -> Callable[[Path], Path]:
    def mutate(m3: Path) -> Path:
        path = m3.parent / rel
        obj = json.loads(path.read_text(encoding="utf-8"))
        fn(obj)
        path.write_text(json.dumps(obj), encoding="utf-8")
        return m3.parent

    return mutate


def _raw(rel: str, fn: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    def mutate(m3: Path) -> Path:
        path = m3.parent / rel
        path.write_bytes(fn(path.read_bytes()))
        return m3.parent

    return mutate


def _set(path: list[Any], value: Any) -> Callable[[Any], None]:
    def fn(obj: Any) -> None:
        for key in path[:-1]:
            obj = obj[key]
        obj[path[-1]] = value

    return fn


def _rename_ref(new: str) -> Callable[[Path], Path]:
    """Rename the pose file to ``new`` (on disk with forward slashes) and reference it as written."""

    def mutate(m3: Path) -> Path:
        disk = m3.parent / new.replace("\\", "/")
        disk.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(m3.parent / "Hiyori.pose3.json"), str(disk))
        return _edit(m3.name, _set(["FileReferences", "Pose"], new))(m3)

    return mutate


def _huge_motion(m3: Path) -> Path:
    """One curve with 200 000 linear segments (and counts that are off by one)."""

    def fn(mo: dict[str, Any]) -> None:
        n = 200_000
        segs: list[float] = [0, 0]
        for i in range(n):
            segs += [0, 3.0 * (i + 1) / n, i % 2]
        old = mo["Curves"][0]["Segments"]
        mo["Curves"][0]["Segments"] = segs
        mo["Meta"]["TotalSegmentCount"] += n - (len(old) - 2) // 3 + 1  # wrong by one on purpose
        mo["Meta"]["TotalPointCount"] += n - (len(old) - 2) // 3

    return _edit("motions/idle_00.motion3.json", fn)(m3)


def _huge_cdi(m3: Path) -> Path:
    return _edit(
        "Hiyori.cdi3.json",
        lambda c: c["Parameters"].extend({"Id": f"ParamX{i}", "GroupId": "", "Name": "x"} for i in range(50_000)),
    )(m3)


def _in_zip_subfolder(m3: Path) -> Path:
    """The artist zipped the parent folder: the model3.json sits two levels down in the zip."""
    z = m3.parent.parent / "upload.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted(m3.parent.rglob("*")):
            if p.is_file():
                zf.write(p, "Export 2026/" + p.relative_to(m3.parent.parent).as_posix())
    return z


def _windows_zip(m3: Path) -> Path:
    """A Windows tool that writes backslashes into zip entry names."""
    z = build_zip(m3.parent, m3.parent.parent / "plain.zip")
    out = m3.parent.parent / "win.zip"
    with zipfile.ZipFile(z) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename.replace("/", "\\"), src.read(info))
    return out


@dataclass
class Hostile:
    name: str
    mutate: Callable[[Path], Path]
    rule: str | None  # None: must validate without errors
    file: str | None = None  # the finding must name this file


MOTION = "motions/idle_00.motion3.json"
TABLE: list[Hostile] = [
    Hostile("bom-model3", _raw("Hiyori.model3.json", lambda b: b"\xef\xbb\xbf" + b), "JSON-002", "Hiyori.model3.json"),
    Hostile("bom-motion", _raw(MOTION, lambda b: b"\xef\xbb\xbf" + b), "JSON-002", MOTION),
    Hostile(
        "invalid-utf8", _raw(MOTION, lambda b: b.replace(b'"Idle', b'"\xc3\x28dle', 1) + b" \xff"), "JSON-001", MOTION
    ),
    Hostile("latin1-model3", _raw("Hiyori.model3.json", lambda b: b.replace(b"}", b', "N\xe9": 1}', 1)), "JSON-001"),
    Hostile(
        "utf16-notepad",
        _raw("Hiyori.pose3.json", lambda b: b"\xff\xfe" + b.decode("utf-8").encode("utf-16-le")),
        "JSON-001",
        "Hiyori.pose3.json",
    ),
    Hostile("empty-model3", _raw("Hiyori.model3.json", lambda b: b""), "JSON-001", "Hiyori.model3.json"),
    Hostile("string-version", _edit("Hiyori.model3.json", _set(["Version"], "3")), "M3-001"),
    Hostile("string-curvecount", _edit(MOTION, _set(["Meta", "CurveCount"], "4")), "MOT-001"),
    Hostile("string-segments", _edit(MOTION, _set(["Curves", 0, "Segments", 1], "1")), "MOT-006"),
    Hostile(
        "string-physics-count", _edit("Hiyori.physics3.json", _set(["Meta", "PhysicsSettingCount"], "1")), "PHY-002"
    ),
    Hostile("string-exp-value", _edit("expressions/smile.exp3.json", _set(["Parameters", 0, "Value"], "1")), "EXP-002"),
    Hostile(
        "string-fade",
        _edit("Hiyori.model3.json", _set(["FileReferences", "Motions", "Idle", 0, "FadeInTime"], "0.5")),
        "M3-009",
    ),
    Hostile("null-textures", _edit("Hiyori.model3.json", _set(["FileReferences", "Textures"], None)), "M3-004"),
    Hostile("null-curves", _edit(MOTION, _set(["Curves"], None)), "MOT-001"),
    Hostile("null-segments", _edit(MOTION, _set(["Curves", 0, "Segments"], None)), "MOT-006"),
    Hostile("null-exp-params", _edit("expressions/smile.exp3.json", _set(["Parameters"], None)), "EXP-002"),
    Hostile("null-pose-groups", _edit("Hiyori.pose3.json", _set(["Groups"], None)), "POSE-002"),
    Hostile(
        "null-physics-input", _edit("Hiyori.physics3.json", _set(["PhysicsSettings", 0, "Input"], None)), "PHY-001"
    ),
    Hostile("null-userdata", _edit("Hiyori.userdata3.json", _set(["UserData"], None)), "UD-001"),
    Hostile("null-cdi-parts", _edit("Hiyori.cdi3.json", _set(["Parts"], None)), "CDI-001"),
    Hostile("null-groups-ids", _edit("Hiyori.model3.json", _set(["Groups", 0, "Ids"], None)), "M3-011"),
    Hostile(
        "null-motion-group", _edit("Hiyori.model3.json", _set(["FileReferences", "Motions", "Idle"], None)), "M3-008"
    ),
    Hostile(
        "huge-int",
        _raw("Hiyori.model3.json", lambda b: b.replace(b'"Version": 3', b'"Version": 1' + b"0" * 400, 1)),
        "M3-001",
    ),
    Hostile(
        "int-over-digit-limit",
        _raw(MOTION, lambda b: b.replace(b'"Fps": 30.0', b'"Fps": 1' + b"0" * 5000, 1)),
        "JSON-001",
        MOTION,
    ),
    Hostile(
        "surrogate-userdata",
        _raw(MOTION, lambda b: b.replace(b'"Value": "', b'"Value": "\\ud800', 1)),
        "JSON-001",
        MOTION,
    ),
    Hostile(
        "deep-nesting",
        _raw("Hiyori.physics3.json", lambda b: b"[" * 100_000 + b"]" * 100_000),
        "JSON-001",
        "Hiyori.physics3.json",
    ),
    Hostile(
        "deep-object",
        _raw(
            "Hiyori.pose3.json",
            lambda b: b'{"Type": "Live2D Pose", "Groups": [], "X": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001,
        ),
        "JSON-001",
    ),
    Hostile(
        "deep-but-parseable",
        _edit("Hiyori.cdi3.json", _set(["Parts", 0, "Name"], json.loads("[" * 500 + "]" * 500))),
        "CDI-001",
    ),
    Hostile("huge-curve", _huge_motion, "MOT-004", MOTION),
    Hostile("huge-cdi", _huge_cdi, "XREF-004", "Hiyori.cdi3.json"),
    Hostile("percent-path", _rename_ref("Hiyori%20pose.pose3.json"), "REF-007"),
    Hostile("hash-path", _rename_ref("poses/#1.pose3.json"), "REF-007"),
    Hostile("query-path", _rename_ref("Hiyori.pose3.json?v=2"), "REF-007"),
    Hostile("backslash-path", _rename_ref("poses\\Hiyori.pose3.json"), "REF-006"),
    Hostile("motion3-as-entry", lambda m3: m3.parent / MOTION, "PKG-001", "idle_00.motion3.json"),
    Hostile("physics3-as-entry", lambda m3: m3.parent / "Hiyori.physics3.json", "PKG-001"),
    Hostile("zip-subfolder", _in_zip_subfolder, None),
    Hostile("zip-backslash-entries", _windows_zip, None),
]


@pytest.mark.parametrize("case", TABLE, ids=[c.name for c in TABLE])
def test_hostile_input_yields_findings_not_exceptions(case: Hostile, live2d_model: Path) -> None:
    target = case.mutate(live2d_model)
    start = time.perf_counter()
    report: Report = validate(target, emotions=True)  # an exception here fails the test
    elapsed = time.perf_counter() - start
    assert elapsed < 10, f"{case.name} took {elapsed:.1f} s"
    json.dumps(report.to_dict())  # the JSON output for the CLI must be writable too
    if case.rule is None:
        assert report.ok, [f.to_dict() for f in report.errors]
        assert report.model.format == "cubism3"
        return
    hits = [f for f in report.findings if f.rule_id == case.rule]
    assert hits, [f.to_dict() for f in report.findings]
    if case.file:
        assert case.file in {f.file for f in hits}


def test_bom_file_is_still_parsed(live2d_model: Path) -> None:
    """A BOM is a warning only: the rest of the file is still checked (here: a broken count after the BOM)."""
    _raw("motions/idle_00.motion3.json", lambda b: b"\xef\xbb\xbf" + b)(live2d_model)
    report = validate(live2d_model.parent)
    assert report.ok and "JSON-002" in report.rule_ids
    raw = (live2d_model.parent / "motions/idle_00.motion3.json").read_bytes()
    obj = json.loads(raw[3:])
    obj["Meta"]["CurveCount"] += 1
    (live2d_model.parent / "motions/idle_00.motion3.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(obj).encode())
    assert {"JSON-002", "MOT-003"} <= validate(live2d_model.parent).rule_ids


def test_findings_of_one_rule_in_one_file_are_capped(live2d_model: Path) -> None:
    """50 000 unknown cdi3 parameters give 50 listed findings plus one '... and N more', not 50 000 lines."""
    from live2d_tools.validate import MAX_FINDINGS_PER_RULE_AND_FILE as CAP

    _huge_cdi(live2d_model)
    found = [f for f in validate(live2d_model.parent).findings if f.rule_id == "XREF-004"]
    assert len(found) == CAP + 1
    assert f"and {50_000 - CAP} more" in found[-1].message
