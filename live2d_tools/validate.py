"""Validate a Live2D model folder, model3.json or zip like the Cubism runtime would (LIVE2D.md §6).

Order: find the entry model3.json (or a Cubism 2 model.json), resolve every reference relative to it, parse
each referenced JSON once, parse the moc3 once, then cross-check every ID against the moc3 (XREF-*), then
the TinyTalk emotions, then (optionally) the real Cubism Core in a child process.

This module is the public entry (:func:`validate`) and that walk; the checks of each file kind are in
``live2d_tools.checks`` (one module per kind over the checker core), the rule ids and texts in ``rules``.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .checks import cdi3, crossrefs, cubism2, exp3, moc3, model3, motion3, physics3, pose3, textures, userdata3
from .checks import emotions as emotion_checks  # `emotions` is validate()'s keyword
from .checks._core import MAX_FINDINGS_PER_RULE_AND_FILE as MAX_FINDINGS_PER_RULE_AND_FILE
from .checks._core import Checker, parent
from .checks.textures import BOMB_PIXELS as BOMB_PIXELS
from .report import Finding, Report
from .rules import RULES
from .ziputil import ZipLimits, safe_extract

__all__ = ["Finding", "Report", "validate"]

_SOURCE_EXT = (".cmo3", ".can3", ".psd", ".cmo", ".canvas")


def _find_entry(c: Checker) -> str | None:
    found = sorted((r for r in c.files if r.lower().endswith(".model3.json")), key=lambda r: (r.count("/"), r))
    if not found:
        return None
    if len(found) > 1:
        c.add(
            "PKG-002",
            found[1],
            "",
            f"{len(found)} model3.json files found; using '{found[0]}'",
            "Ship one model per folder.",
        )
    return found[0]


def _validate_tree(c: Checker, entry: str | None, *, emotions: bool) -> dict[str, Any] | None:
    """Run every static rule; returns the parsed model3.json (or None)."""
    if entry is None:
        entry = _find_entry(c)
    if entry is None:
        legacy = sorted((r for r in c.files if r.lower().endswith("model.json")), key=lambda r: (r.count("/"), r))
        if legacy:
            cubism2.check(c, legacy[0], textures.check)
            return None
        c.add(
            "PKG-001",
            "",
            "",
            "no *.model3.json found in the folder",
            "Export the model with File > Export For Runtime in Cubism Editor and send the whole output folder.",
        )
        return None
    c.info.format = "cubism3"
    c.info.entry = entry
    c.base = parent(entry)
    c.referenced.add(entry)
    m3 = c.load_json(entry)
    if m3 is None:
        return None
    refs = model3.check(c, entry, m3)
    tex = refs.get("Textures")
    if refs.get("Moc"):
        moc3.check(c, refs["Moc"], len(tex) if isinstance(tex, list) else None)
    model3.check_hit_areas(c, entry, m3)
    for i, t in enumerate(tex or []):
        if t:
            textures.check(c, entry, f"/FileReferences/Textures/{i}", t)
    if refs.get("DisplayInfo") and (cd := c.load_json(refs["DisplayInfo"])) is not None:
        cdi3.check(c, refs["DisplayInfo"], cd)
    checks: list[tuple[str, Callable[[Checker, str, dict[str, Any]], None]]] = [
        ("Physics", physics3.check),
        ("Pose", pose3.check),
        ("UserData", userdata3.check),
    ]
    for key, fn in checks:
        if refs.get(key) and (obj := c.load_json(refs[key])) is not None:
            fn(c, refs[key], obj)
    done: set[str] = set()
    for _pointer, found in refs["Expressions"]:
        if found and found not in done and (obj := c.load_json(found)) is not None:
            done.add(found)
            exp3.check(c, found, obj)
    for _g, _i, _p, found in refs["Motions"]:
        if found and found not in done and (obj := c.load_json(found)) is not None:
            done.add(found)
            motion3.check(c, found, obj)
    crossrefs.check(c)
    emotion_checks.check(c, entry, m3, emotions)
    for rel in c.files:
        if rel.lower().endswith(_SOURCE_EXT):
            c.add(
                "PKG-004",
                rel,
                "",
                "an editor/project source file is shipped with the model",
                "Remove it from the package.",
            )
        elif rel not in c.referenced and not rel.lower().endswith(".model3.json"):
            c.add(
                "PKG-005",
                rel,
                "",
                "the file is not referenced by the model3.json",
                "Remove it, or reference it if it is needed.",
            )
    return m3


def validate(
    path: Path | str,
    *,
    emotions: bool = False,
    max_moc_version: int | None = None,
    max_texture_size: int = 4096,
    core: bool = False,
    zip_limits: ZipLimits | None = None,
    core_runner: Callable[..., list[Finding]] | None = None,
) -> Report:
    """Validate a model folder, a ``*.model3.json`` (or Cubism 2 ``model.json``) file or a ``.zip``.

    Raises :class:`FileNotFoundError` when ``path`` does not exist; every problem *in* the model is a finding.
    ``core=True`` additionally loads statically valid models in the real Cubism Core in a child process
    (``core_runner`` replaces that step in tests).
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file or folder")
    report = Report(path=str(p))
    if p.is_file() and (p.suffix.lower() == ".zip" or (not p.name.lower().endswith(".json") and zipfile.is_zipfile(p))):
        with tempfile.TemporaryDirectory(prefix="tinytalk-live2d-") as tmp:
            dest = Path(tmp)
            problems = safe_extract(p, dest, zip_limits)
            for zp in problems:
                report.findings.append(
                    Finding(zp.rule_id, RULES[zp.rule_id].severity, zp.file, "", zp.message, zp.hint)
                )
            if report.errors:
                return report
            _run(report, dest, None, emotions, max_moc_version, max_texture_size, core, core_runner)
        return report
    low = p.name.lower()
    if p.is_dir():
        _run(report, p, None, emotions, max_moc_version, max_texture_size, core, core_runner)
    elif low.endswith(".json") and not low.endswith(("model3.json", "model.json")):
        # LIVE2D.md §9.5: a motion3/physics3/... file passed as the entry ("Unknown settings format" in pixi)
        report.findings.append(
            Finding(
                "PKG-001",
                RULES["PKG-001"].severity,
                p.name,
                "",
                f"'{p.name}' is not a model entry file (*.model3.json or a Cubism 2 model.json)",
                "Pass the model folder or its *.model3.json; motions, physics and expressions are loaded through it.",
            )
        )
    elif not low.endswith(".json"):
        report.findings.append(
            Finding(
                "PKG-001",
                RULES["PKG-001"].severity,
                p.name,
                "",
                f"'{p.name}' is not a model folder, a *.model3.json or a .zip",
                "Pass the folder Cubism Editor exported, its *.model3.json, or a zip of that folder.",
            )
        )
    else:
        entry = p.name
        _run(report, p.parent, entry, emotions, max_moc_version, max_texture_size, core, core_runner)
    return report


def _run(
    report: Report,
    root: Path,
    entry: str | None,
    emotions: bool,
    max_moc_version: int | None,
    max_texture_size: int,
    core: bool,
    core_runner: Callable[..., list[Finding]] | None,
) -> None:
    c = Checker(root, max_moc_version, max_texture_size)
    if entry is not None and entry.lower().endswith("model.json") and not entry.lower().endswith(".model3.json"):
        cubism2.check(c, entry, textures.check)
        m3 = None
    else:
        m3 = _validate_tree(c, entry, emotions=emotions)
    c.flush()
    report.findings.extend(c.findings)
    report.model = c.info
    if not core:
        return
    if not report.ok or m3 is None or c.info.entry is None:
        report.findings.append(
            Finding(
                "CORE-002",
                RULES["CORE-002"].severity,
                c.info.entry or "",
                "",
                "Cubism Core check not run: the model has static errors (only valid models are loaded in the Core)",
                "Fix the errors above first.",
            )
        )
        return
    from .core import core_check

    runner = core_runner or core_check
    report.findings.extend(runner(root / c.info.entry, dict(c.info.emotions)))
