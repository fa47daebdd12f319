"""Validate a Live2D model folder, model3.json or zip like the Cubism runtime would (LIVE2D.md §6).

Order: find the entry model3.json (or a Cubism 2 model.json), resolve every reference relative to it, parse
each referenced JSON once, parse the moc3 once, then cross-check every ID against the moc3 (XREF-*), then
the TinyTalk emotions, then (optionally) the real Cubism Core in a child process.
"""

from __future__ import annotations

import math
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from .checks import cdi3, exp3, moc3, model3, motion3, physics3, pose3, textures, userdata3
from .checks._core import MAX_FINDINGS_PER_RULE_AND_FILE as MAX_FINDINGS_PER_RULE_AND_FILE
from .checks._core import Checker, num, parent, ptr
from .checks.textures import BOMB_PIXELS as BOMB_PIXELS
from .emotions import EMOTIONS, MAPPING_FILE, EmotionMap, load_mapping, resolve_emotions
from .report import Finding, Report
from .rules import RULES
from .ziputil import ZipLimits, safe_extract

__all__ = ["Finding", "Report", "validate"]

_SOURCE_EXT = (".cmo3", ".can3", ".psd", ".cmo", ".canvas")
_MOUTH = re.compile(r"mouth", re.IGNORECASE)


def _check_xrefs(c: Checker) -> None:
    moc = c.moc
    broken = {"MOC-001", "MOC-002", "MOC-003", "MOC-004", "MOC-005", "MOC-006"}
    # Cross-checks against a moc3 whose ID sections could not be read would only repeat its error.
    if moc is None or not moc.parameter_ids or any(p.rule_id in broken for p in moc.problems):
        return
    params = set(moc.parameter_ids)
    reported: set[tuple[str, str]] = set()
    for file, pointer, pid, value in c.param_uses:
        if pid not in params:
            if (file, pointer) not in reported:
                reported.add((file, pointer))
                c.add(
                    "XREF-001",
                    file,
                    pointer,
                    f"parameter '{pid}' is not in the moc3 (it silently does nothing)",
                    "Fix the ID's spelling or re-export the file together with the moc3.",
                )
            continue
        if value is not None and (file, pointer + "#range") not in reported:
            lo, hi, _ = moc.parameter_ranges.get(pid, (-math.inf, math.inf, 0.0))
            tol = 0.01 * (hi - lo)  # LIVE2D.md §6: real exports overshoot by up to 1 %
            if value < lo - tol or value > hi + tol:
                reported.add((file, pointer + "#range"))
                c.add(
                    "XREF-006",
                    file,
                    pointer,
                    f"value {value:g} for '{pid}' is outside its range [{lo:g}, {hi:g}] (the Core clamps it)",
                    "Keep the value inside the parameter's range.",
                )
    parts = set(moc.part_ids)
    for file, pointer, pid in c.part_uses:
        if pid in parts:
            continue
        if pid in c.cdi_parts:
            c.add(
                "XREF-005",
                file,
                pointer,
                f"part '{pid}' is listed in cdi3 but not exported in the moc3 "
                "(a guide/sketch part; the curve does nothing)",
                "Nothing to do if it is a guide part.",
            )
        else:
            c.add(
                "XREF-002",
                file,
                pointer,
                f"part '{pid}' is not in the moc3 (it silently does nothing)",
                "Fix the part ID or re-export the file together with the moc3.",
            )


# ---------------------------------------------------------------------------------------------------
# emotions
# ---------------------------------------------------------------------------------------------------


def _check_emotions(c: Checker, entry: str, m3: dict[str, Any], required: bool) -> None:
    entry_dir = c.root / PurePosixPath(entry).parent
    mapping, error = load_mapping(entry_dir)
    map_rel = (PurePosixPath(entry).parent / MAPPING_FILE).as_posix().lstrip("./") or MAPPING_FILE
    if mapping is not None or error:
        c.referenced.add(map_rel)
    emap: EmotionMap = resolve_emotions(m3, mapping=mapping, mapping_file=MAPPING_FILE if mapping else None)
    c.info.emotions = emap.as_tuples()
    if required and error:
        c.add("EMO-003", map_rel, "", error, 'Write an object such as {"idle": {"group": "Idle", "index": 0}}.')
    if required:
        for emotion in EMOTIONS:
            if emotion in emap.entries:
                continue
            reason = emap.problems.get(emotion, "not declared")
            if reason.startswith(MAPPING_FILE):
                c.add(
                    "EMO-002",
                    map_rel,
                    "/" + emotion,
                    reason,
                    "Point the entry at an existing motion group/index and expression.",
                )
            else:
                c.add(
                    "EMO-001",
                    entry,
                    "/FileReferences/Motions",
                    f"emotion '{emotion}' is missing: {reason}",
                    f"Add a motion group named '{emotion.capitalize()}' or map it in {MAPPING_FILE}.",
                )
        moc_mouth = bool(c.moc and any(_MOUTH.search(p) for p in c.moc.parameter_ids))
        if not c.info.lipsync_ids and not moc_mouth:
            c.add(
                "EMO-004",
                entry,
                "/Groups",
                "'speaking' cannot lip-sync: no LipSync group with Ids and no mouth parameter in the moc3",
                'Add {"Target": "Parameter", "Name": "LipSync", "Ids": ["ParamMouthOpenY"]} to Groups.',
            )
    resolved = ", ".join(f"{e}→{x.group}[{x.index}]" for e, x in emap.entries.items()) or "none"
    missing = ", ".join(emap.missing) or "none"
    c.add(
        "EMO-005",
        entry,
        "/FileReferences/Motions",
        f"TinyTalk emotions resolved: {resolved}; missing: {missing}",
        "Use 'validate --emotions' to require all seven (see docs/live2d.md).",
    )


# ---------------------------------------------------------------------------------------------------
# Cubism 2 (legacy)
# ---------------------------------------------------------------------------------------------------


def _validate_cubism2(c: Checker, rel: str) -> None:
    c.info.format = "cubism2"
    c.info.entry = rel
    c.add(
        "C2-001",
        rel,
        "",
        "this is a Cubism 2 model (model.json + .moc); it needs the Cubism 2 runtime, not Cubism Core",
        "Re-export the model for Cubism 3+ (model3.json + .moc3) from Cubism Editor 3 or later.",
    )
    mj = c.load_json(rel)
    if mj is None:
        return
    base = parent(rel)
    tex = mj.get("textures")
    if (
        not isinstance(mj.get("model"), str)
        or not isinstance(tex, list)
        or not tex
        or not all(isinstance(t, str) for t in tex)
    ):
        c.add(
            "C2-002",
            rel,
            "/model" if not isinstance(mj.get("model"), str) else "/textures",
            "model.json lacks a 'model' file name or a non-empty 'textures' list",
            'Add "model": "x.moc" and "textures": ["x.png"].',
        )
    if isinstance(mj.get("model"), str):
        moc_rel = c.resolve(rel, "/model", mj["model"], base)
        if moc_rel:
            data = c.files[moc_rel].read_bytes()
            if not data.startswith(b"moc") or len(data) < 8 or data[-4:] != b"\x88\x88\x88\x88":
                c.add(
                    "C2-003",
                    moc_rel,
                    "",
                    "the .moc does not start with 'moc' + version or lacks the 0x88888888 end marker",
                    "Re-export the .moc from Cubism 2 Editor.",
                )
            else:
                c.info.moc_version = data[3]
    for i, t in enumerate(tex if isinstance(tex, list) else []):
        if isinstance(t, str) and (found := c.resolve(rel, f"/textures/{i}", t, base)):
            textures.check(c, rel, f"/textures/{i}", found)
    _check_cubism2_refs(c, rel, mj, base)


_C2_MTN_LINE = re.compile(r"^([^=\s#$][^=]*)=(.*)$")


def _check_mtn(c: Checker, rel: str) -> None:
    """A .mtn is text: '#' comments, '$key=value' settings, then 'ID=v,v,...' curves (Live2DMotion.loadMotion)."""
    try:
        text = c.files[rel].read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        c.add("C2-005", rel, "", f"the .mtn is not UTF-8 text (byte {exc.start})", "Re-export the motion as .mtn.")
        return
    curves = 0
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("$"):
            key, _, value = line[1:].partition("=")
            if key.strip() == "fps":
                try:
                    ok = float(value) > 0 and math.isfinite(float(value))
                except ValueError:
                    ok = False
                if not ok:
                    c.add("C2-005", rel, f"/line/{n}", f"$fps '{value}' is not a positive number", "Use $fps=30.")
            continue
        m = _C2_MTN_LINE.match(line)
        bad = m is None
        if m is not None:
            values = [v for v in m.group(2).split(",") if v.strip()]  # tolerate a trailing comma
            try:
                bad = not values or not all(math.isfinite(float(v)) for v in values)
            except ValueError:
                bad = True
        if bad:
            c.add(
                "C2-005",
                rel,
                f"/line/{n}",
                f"line {n} is not 'PARAM_ID=v,v,...' with numbers: {line[:60]!r}",
                "Re-export the motion from Live2D Animator / Cubism 2 Editor.",
            )
            return
        curves += 1
    if curves == 0:
        c.add("C2-005", rel, "", "the .mtn has no 'PARAM_ID=v,v,...' curve lines", "Re-export the motion.")


def _check_c2_expression(c: Checker, rel: str, ex: dict[str, Any]) -> None:
    params = ex.get("params")
    if not isinstance(params, list):
        c.add("C2-006", rel, "/params", "'params' is missing or not a list", "Re-export the expression.")
        return
    for i, prm in enumerate(params):
        p = f"/params/{i}"
        if not isinstance(prm, dict) or not isinstance(prm.get("id"), str) or not num(prm.get("val")):
            c.add(
                "C2-006", rel, p, "entry needs an 'id' string and a numeric 'val'", 'Write {"id": "PARAM_X", "val": 1}.'
            )
            continue
        if "calc" in prm and prm["calc"] not in ("set", "add", "mult"):
            c.add(
                "C2-007",
                rel,
                p + "/calc",
                f"calc '{prm['calc']}' is not set, add or mult (the runtime uses add)",
                "Use set, add or mult.",
            )
        if "def" in prm and not num(prm["def"]):
            c.add("C2-006", rel, p + "/def", "'def' is not a number", "Use the parameter's default value.")
    for fk in ("fade_in", "fade_out"):
        if fk in ex and (not num(ex[fk]) or ex[fk] < 0):
            c.add("C2-007", rel, f"/{fk}", f"{fk} is not a number >= 0 (milliseconds)", "Use e.g. 500 or remove it.")


def _check_c2_pose(c: Checker, rel: str, po: dict[str, Any]) -> None:
    pv = po.get("parts_visible")
    if not isinstance(pv, list) or not all(
        isinstance(g, dict)
        and isinstance(g.get("group"), list)
        and all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in g["group"])
        for g in pv
    ):
        c.add(
            "C2-008",
            rel,
            "/parts_visible",
            'pose.json needs \'parts_visible\': [{"group": [{"id": ..., "link": [...]}]}]',
            "Re-export the pose from Cubism 2 Editor (runtimes report 'Failed to load pose').",
        )


def _check_c2_physics(c: Checker, rel: str, ph: dict[str, Any]) -> None:
    if not isinstance(ph.get("physics_hair"), list):
        c.add(
            "C2-008",
            rel,
            "/physics_hair",
            "physics.json has no 'physics_hair' list",
            "Re-export the physics from Cubism 2 Editor.",
        )


def _check_cubism2_refs(c: Checker, rel: str, mj: dict[str, Any], base: str) -> None:
    """physics, pose, expressions, motions and hit_areas of a Cubism 2 model.json (LIVE2D.md §5.4)."""

    def wrong(pointer: str, what: str, example: str) -> None:
        c.add("C2-004", rel, pointer, f"{what}", f"Write {example}.")

    for key, fn in (("physics", _check_c2_physics), ("pose", _check_c2_pose)):
        if key not in mj:
            continue
        if not isinstance(mj[key], str):
            wrong(f"/{key}", f"'{key}' must be a file name (string)", f'"{key}": "x.{key}.json"')
            continue
        if (found := c.resolve(rel, f"/{key}", mj[key], base)) and (obj := c.load_json(found)) is not None:
            fn(c, found, obj)
    exps = mj.get("expressions")
    if exps is not None and not isinstance(exps, list):
        wrong("/expressions", "'expressions' must be a list", '[{"name": "f01", "file": "f01.exp.json"}]')
    for i, e in enumerate(exps if isinstance(exps, list) else []):
        if not isinstance(e, dict) or not isinstance(e.get("name"), str) or not isinstance(e.get("file"), str):
            wrong(f"/expressions/{i}", "expression entry needs 'name' and 'file' strings", '{"name": "f01", ...}')
            continue
        found = c.resolve(rel, f"/expressions/{i}/file", e["file"], base)
        if found and (obj := c.load_json(found)) is not None:
            _check_c2_expression(c, found, obj)
    motions = mj.get("motions")
    if motions is not None and not isinstance(motions, dict):
        wrong("/motions", "'motions' must be an object of group -> list", '{"idle": [{"file": "idle.mtn"}]}')
    for group, entries in motions.items() if isinstance(motions, dict) else []:
        gp = ptr("motions", group)
        if not isinstance(entries, list):
            wrong(gp, f"motion group '{group}' is not a list", '[{"file": "motions/x.mtn"}]')
            continue
        for i, ent in enumerate(entries):
            p = f"{gp}/{i}"
            if not isinstance(ent, dict) or not isinstance(ent.get("file"), str):
                wrong(p, f"motion {group}[{i}] needs a 'file' string", '{"file": "motions/x.mtn"}')
                continue
            for fk in ("fade_in", "fade_out"):
                if fk in ent and (not num(ent[fk]) or ent[fk] < 0):
                    wrong(f"{p}/{fk}", f"{fk} is not a number >= 0 (milliseconds)", f'"{fk}": 1000')
            if (found := c.resolve(rel, p + "/file", ent["file"], base)) is not None:
                _check_mtn(c, found)
            if isinstance(ent.get("sound"), str):
                c.resolve(rel, p + "/sound", ent["sound"], base)
    areas = mj.get("hit_areas")
    if areas is not None and (
        not isinstance(areas, list)
        or not all(
            isinstance(a, dict) and isinstance(a.get("name"), str) and isinstance(a.get("id"), str) for a in areas
        )
    ):
        wrong(
            "/hit_areas", "'hit_areas' must be a list of {name, id} strings", '[{"name": "head", "id": "D_REF.HEAD"}]'
        )


# ---------------------------------------------------------------------------------------------------
# entry points
# ---------------------------------------------------------------------------------------------------


def _find_entry(c: Checker) -> str | None:
    model3 = sorted((r for r in c.files if r.lower().endswith(".model3.json")), key=lambda r: (r.count("/"), r))
    if not model3:
        return None
    if len(model3) > 1:
        c.add(
            "PKG-002",
            model3[1],
            "",
            f"{len(model3)} model3.json files found; using '{model3[0]}'",
            "Ship one model per folder.",
        )
    return model3[0]


def _validate_tree(c: Checker, entry: str | None, *, emotions: bool) -> dict[str, Any] | None:
    """Run every static rule; returns the parsed model3.json (or None)."""
    if entry is None:
        entry = _find_entry(c)
    if entry is None:
        legacy = sorted((r for r in c.files if r.lower().endswith("model.json")), key=lambda r: (r.count("/"), r))
        if legacy:
            _validate_cubism2(c, legacy[0])
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
    _check_xrefs(c)
    _check_emotions(c, entry, m3, emotions)
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
        _validate_cubism2(c, entry)
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
