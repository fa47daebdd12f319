"""Validate a Live2D model folder, model3.json or zip like the Cubism runtime would (LIVE2D.md §6).

Order: find the entry model3.json (or a Cubism 2 model.json), resolve every reference relative to it, parse
each referenced JSON once, parse the moc3 once, then cross-check every ID against the moc3 (XREF-*), then
the TinyTalk emotions, then (optionally) the real Cubism Core in a child process.
"""

from __future__ import annotations

import itertools
import math
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from .checks import moc3, model3, textures
from .checks._core import MAX_FINDINGS_PER_RULE_AND_FILE as MAX_FINDINGS_PER_RULE_AND_FILE
from .checks._core import Checker, Shape, num, parent, ptr
from .checks.textures import BOMB_PIXELS as BOMB_PIXELS
from .emotions import EMOTIONS, MAPPING_FILE, EmotionMap, load_mapping, resolve_emotions
from .report import Finding, Report
from .rules import RULES
from .ziputil import ZipLimits, safe_extract

__all__ = ["Finding", "Report", "validate"]

_SOURCE_EXT = (".cmo3", ".can3", ".psd", ".cmo", ".canvas")
_MOUTH = re.compile(r"mouth", re.IGNORECASE)

# Allowed keys of the other JSON files, from the CubismSpecs schemas (``additionalProperties: false``) plus the
# keys real exports and the Framework use although the schema omits them (JSON-004 tolerates those):
# exp3 FadeInTime/FadeOutTime (the schema says FadeIn/FadeOut, every export and CubismExpressionMotion use
# the *Time names), physics3 Meta.Fps (Mao, Ren), cdi3 CombinedParameters (Cubism 4.2+ exports; the cdi3
# schema is open, so only the documented keys are expected). A shape is {"keys", "props", "items"}.
_VEC2: Shape = {"keys": {"X", "Y"}}
_NORM: Shape = {"keys": {"Minimum", "Default", "Maximum"}}
_PARAM_REF: Shape = {"keys": {"Target", "Id"}}
_SHAPES: dict[str, Shape] = {
    "motion3": {
        "keys": {"Version", "Meta", "Curves", "UserData"},
        "props": {
            "Meta": {
                "keys": {
                    "Duration", "Fps", "Loop", "AreBeziersRestricted", "FadeInTime", "FadeOutTime", "CurveCount",
                    "TotalSegmentCount", "TotalPointCount", "UserDataCount", "TotalUserDataSize",
                }
            },
            "Curves": {"items": {"keys": {"Target", "Id", "FadeInTime", "FadeOutTime", "Segments"}}},
            "UserData": {"items": {"keys": {"Time", "Value"}}},
        },
    },
    "exp3": {
        "keys": {"Type", "FadeInTime", "FadeOutTime", "FadeIn", "FadeOut", "Parameters"},
        "props": {"Parameters": {"items": {"keys": {"Id", "Value", "Blend"}}}},
    },
    "physics3": {
        "keys": {"Version", "Meta", "PhysicsSettings"},
        "props": {
            "Meta": {
                "keys": {
                    "PhysicsSettingCount", "TotalInputCount", "TotalOutputCount", "VertexCount", "Fps",
                    "EffectiveForces", "PhysicsDictionary",
                },
                "props": {
                    "EffectiveForces": {"keys": {"Gravity", "Wind"}, "props": {"Gravity": _VEC2, "Wind": _VEC2}},
                    "PhysicsDictionary": {"items": {"keys": {"Id", "Name"}}},
                },
            },
            "PhysicsSettings": {
                "items": {
                    "keys": {"Id", "Input", "Output", "Vertices", "Normalization"},
                    "props": {
                        "Input": {
                            "items": {"keys": {"Source", "Weight", "Type", "Reflect"}, "props": {"Source": _PARAM_REF}}
                        },
                        "Output": {
                            "items": {
                                "keys": {"Destination", "VertexIndex", "Scale", "Weight", "Type", "Reflect"},
                                "props": {"Destination": _PARAM_REF},
                            }
                        },
                        "Vertices": {
                            "items": {
                                "keys": {"Position", "Mobility", "Delay", "Acceleration", "Radius"},
                                "props": {"Position": _VEC2},
                            }
                        },
                        "Normalization": {"keys": {"Position", "Angle"}, "props": {"Position": _NORM, "Angle": _NORM}},
                    },
                }
            },
        },
    },
    "pose3": {
        "keys": {"Type", "FadeInTime", "Groups"},
        "props": {"Groups": {"items": {"items": {"keys": {"Id", "Link"}}}}},
    },
    "cdi3": {
        "keys": {"Version", "Parameters", "ParameterGroups", "Parts", "CombinedParameters"},
        "props": {
            "Parameters": {"items": {"keys": {"Id", "GroupId", "Name"}}},
            "ParameterGroups": {"items": {"keys": {"Id", "GroupId", "Name"}}},
            "Parts": {"items": {"keys": {"Id", "Name"}}},
        },
    },
    "userdata3": {
        "keys": {"Version", "Meta", "UserData"},
        "props": {
            "Meta": {"keys": {"UserDataCount", "TotalUserDataSize"}},
            "UserData": {"items": {"keys": {"Target", "Id", "Value"}}},
        },
    },
}  # fmt: skip


# ---------------------------------------------------------------------------------------------------
# motion3 / exp3 / physics3 / pose3 / cdi3 / userdata3
# ---------------------------------------------------------------------------------------------------

_WIDTH = {0: 2, 1: 6, 2: 2, 3: 2}
_PTS = {0: 1, 1: 3, 2: 1, 3: 1}


def _check_motion(c: Checker, rel: str, mo: dict[str, Any]) -> None:
    c.schema_keys(rel, "motion3", mo, _SHAPES["motion3"])
    if "Version" not in mo:
        c.add("MOT-002", rel, "/Version", "Version is missing", 'Add "Version": 3.')
    meta, curves = mo.get("Meta"), mo.get("Curves")
    required = ("Duration", "Fps", "CurveCount", "TotalSegmentCount", "TotalPointCount")
    if not isinstance(meta, dict) or not isinstance(curves, list) or not all(num(meta.get(k)) for k in required):
        missing = [k for k in required if not isinstance(meta, dict) or not num(meta.get(k))]
        c.add(
            "MOT-001",
            rel,
            "/Meta" if isinstance(curves, list) else "/Curves",
            "Meta or Curves is missing, or Meta lacks " + (", ".join(missing) or "nothing") + " as numbers",
            "Re-export the motion from Cubism Editor (Meta needs Duration, Fps and the three counts).",
        )
        return
    duration, fps = float(meta["Duration"]), float(meta["Fps"])
    if duration <= 0 or fps <= 0:
        c.add("MOT-011", rel, "/Meta", f"Duration ({duration}) or Fps ({fps}) is not positive", "Re-export the motion.")
    if meta.get("Loop") is True:
        c.add(
            "MOT-016",
            rel,
            "/Meta/Loop",
            "Meta.Loop is true (every Editor export sets it; looping is decided by the app)",
            "Nothing to do.",
        )
    for fk in ("FadeInTime", "FadeOutTime"):
        if fk in meta and (not num(meta[fk]) or meta[fk] < 0):
            c.add(
                "MOT-014", rel, f"/Meta/{fk}", f"Meta.{fk} is not a number >= 0", "Use seconds >= 0 or remove the key."
            )
    frame = 1.0 / fps if fps > 0 else 0.0
    seg_total = pt_total = 0
    seen: set[tuple[str, str]] = set()
    for i, cv in enumerate(curves):
        p = f"/Curves/{i}"
        if (
            not isinstance(cv, dict)
            or not isinstance(cv.get("Target"), str)
            or not isinstance(cv.get("Id"), str)
            or not isinstance(cv.get("Segments"), list)
            or not all(num(x) for x in cv["Segments"])
        ):
            c.add("MOT-006", rel, p, "curve lacks Target, Id or a Segments list of numbers", "Re-export the motion.")
            continue
        target, cid, s = cv["Target"], cv["Id"], cv["Segments"]
        if target not in ("Model", "Parameter", "PartOpacity"):
            c.add(
                "MOT-007",
                rel,
                p + "/Target",
                f"curve Target '{target}' is not Model, Parameter or PartOpacity",
                "Re-export the motion.",
            )
        elif target == "Model" and cid not in ("Opacity", "EyeBlink", "LipSync"):
            c.add(
                "MOT-009",
                rel,
                p + "/Id",
                f"Model curve Id '{cid}' is not Opacity, EyeBlink or LipSync",
                "Fix the Id or remove the curve.",
            )
        if (target, cid) in seen:
            c.add(
                "MOT-015",
                rel,
                p,
                f"a second curve for {target} '{cid}' (the later one wins)",
                "Remove the duplicate curve.",
            )
        seen.add((target, cid))
        for fk in ("FadeInTime", "FadeOutTime"):
            if fk in cv and (not num(cv[fk]) or cv[fk] < 0):
                c.add(
                    "MOT-014",
                    rel,
                    f"{p}/{fk}",
                    f"curve {fk} is not a number >= 0",
                    "Use seconds >= 0 or remove the key.",
                )
        if len(s) < 5:
            c.add(
                "MOT-008",
                rel,
                p + "/Segments",
                "curve needs a first point and at least one segment",
                "Re-export the motion.",
            )
            # the framework still counts the first point plus a phantom segment + point (LIVE2D.md §2.2)
            if s:
                pt_total += 1
            if len(s) >= 2:
                pt_total += 1
                seg_total += 1
            continue
        pos, pt_total, times = 2, pt_total + 1, [s[0]]
        values: list[float] = [s[1]]
        while pos < len(s):
            t = s[pos]
            if t not in _WIDTH or int(t) != t:
                c.add(
                    "MOT-008",
                    rel,
                    f"{p}/Segments/{pos}",
                    f"unknown segment type {t}",
                    "Segment types are 0, 1, 2 or 3; re-export the motion.",
                )
                break
            kind = int(t)
            if pos + _WIDTH[kind] > len(s) - 1:
                c.add(
                    "MOT-008",
                    rel,
                    f"{p}/Segments/{pos}",
                    "the last segment's point data is cut short",
                    "Re-export the motion.",
                )
                break
            pt_total += _PTS[kind]
            seg_total += 1
            pts = s[pos + 1 : pos + 1 + _WIDTH[kind]]
            times.append(pts[-2])
            values.append(pts[-1])  # key values only: Bezier handles may legitimately overshoot
            pos += 1 + _WIDTH[kind]
        if any(b < a for a, b in itertools.pairwise(times)):
            c.add(
                "MOT-010",
                rel,
                p + "/Segments",
                f"keyframe times go backwards in curve '{cid}'",
                "Re-export the motion.",
            )
        if times and max(times) > duration + frame + 1e-9:
            c.add(
                "MOT-011",
                rel,
                p + "/Segments",
                f"curve '{cid}' has a key at {max(times)} s, beyond Duration {duration} s (+1 frame)",
                "Extend the motion's Duration or move the key.",
            )
        if target == "Parameter":
            c.param_uses.append((rel, p + "/Id", cid, min(values)))
            c.param_uses.append((rel, p + "/Id", cid, max(values)))
        elif target == "PartOpacity":
            c.part_uses.append((rel, p + "/Id", cid))
    if meta["CurveCount"] != len(curves):
        c.add(
            "MOT-003",
            rel,
            "/Meta/CurveCount",
            f"Meta.CurveCount is {meta['CurveCount']} but the file has {len(curves)} curves",
            f"Set Meta.CurveCount to {len(curves)} (or re-export the motion).",
        )
    if meta["TotalSegmentCount"] != seg_total:
        c.add(
            "MOT-004",
            rel,
            "/Meta/TotalSegmentCount",
            f"Meta.TotalSegmentCount is {meta['TotalSegmentCount']} but the curves have {seg_total} segments",
            f"Set Meta.TotalSegmentCount to {seg_total} (wrong counts crash native runtimes).",
        )
    if meta["TotalPointCount"] != pt_total:
        c.add(
            "MOT-005",
            rel,
            "/Meta/TotalPointCount",
            f"Meta.TotalPointCount is {meta['TotalPointCount']} but the curves have {pt_total} points",
            f"Set Meta.TotalPointCount to {pt_total} (wrong counts crash native runtimes).",
        )
    ud = mo.get("UserData", [])
    ud = ud if isinstance(ud, list) else []
    if meta.get("UserDataCount", 0) != len(ud):
        c.add(
            "MOT-012",
            rel,
            "/Meta/UserDataCount",
            f"Meta.UserDataCount is {meta.get('UserDataCount', 0)} but UserData has {len(ud)} entries",
            f"Set Meta.UserDataCount to {len(ud)}.",
        )
    size = sum(len(u["Value"].encode("utf-8")) for u in ud if isinstance(u, dict) and isinstance(u.get("Value"), str))
    if meta.get("TotalUserDataSize", 0) != size:
        c.add(
            "MOT-013",
            rel,
            "/Meta/TotalUserDataSize",
            f"Meta.TotalUserDataSize is {meta.get('TotalUserDataSize', 0)} but the UserData values have {size} bytes",
            f"Set Meta.TotalUserDataSize to {size} (sum of UTF-8 byte lengths).",
        )


def _check_expression(c: Checker, rel: str, ex: dict[str, Any]) -> None:
    c.schema_keys(rel, "exp3", ex, _SHAPES["exp3"])
    if ex.get("Type") != "Live2D Expression":
        c.add("EXP-001", rel, "/Type", "Type is missing or not 'Live2D Expression'", 'Add "Type": "Live2D Expression".')
    for fk in ("FadeInTime", "FadeOutTime"):
        if fk in ex and (not num(ex[fk]) or ex[fk] < 0):
            c.add("EXP-004", rel, f"/{fk}", f"{fk} is not a number >= 0", "Use seconds >= 0 or remove the key.")
    params = ex.get("Parameters")
    if not isinstance(params, list):
        c.add("EXP-002", rel, "/Parameters", "Parameters is missing or not a list", "Re-export the expression.")
        return
    seen: set[str] = set()
    for i, prm in enumerate(params):
        p = f"/Parameters/{i}"
        if not isinstance(prm, dict) or not isinstance(prm.get("Id"), str) or not num(prm.get("Value")):
            c.add(
                "EXP-002",
                rel,
                p,
                "entry needs an Id (string) and a numeric Value",
                'Write {"Id": "ParamBrowLY", "Value": -1, "Blend": "Add"}.',
            )
            continue
        blend = prm.get("Blend", "Add")
        if blend not in ("Add", "Multiply", "Overwrite"):
            c.add(
                "EXP-003",
                rel,
                p + "/Blend",
                f"Blend '{blend}' is not Add, Multiply or Overwrite (the runtime silently uses Add)",
                "Use Add, Multiply or Overwrite.",
            )
        if prm["Id"] in seen:
            c.add(
                "EXP-005",
                rel,
                p + "/Id",
                f"parameter '{prm['Id']}' appears twice (the last wins)",
                "Remove the duplicate.",
            )
        seen.add(prm["Id"])
        # Add values are offsets from the default, so only Overwrite values are checked against the range
        value = float(prm["Value"]) if blend == "Overwrite" else None
        c.param_uses.append((rel, p + "/Id", prm["Id"], value))


def _check_physics(c: Checker, rel: str, ph: dict[str, Any]) -> None:
    c.schema_keys(rel, "physics3", ph, _SHAPES["physics3"])
    meta, settings = ph.get("Meta"), ph.get("PhysicsSettings")
    if not isinstance(meta, dict) or not isinstance(settings, list):
        c.add(
            "PHY-001",
            rel,
            "/Meta" if not isinstance(meta, dict) else "/PhysicsSettings",
            "Meta or PhysicsSettings is missing or has the wrong type",
            "Re-export the physics.",
        )
        return
    ins = outs = verts = 0
    ids = []
    for i, s in enumerate(settings):
        p = f"/PhysicsSettings/{i}"
        if not isinstance(s, dict) or not all(
            isinstance(s.get(k), t)
            for k, t in (("Input", list), ("Output", list), ("Vertices", list), ("Normalization", dict))
        ):
            c.add("PHY-001", rel, p, "setting lacks Input, Output, Vertices or Normalization", "Re-export the physics.")
            continue
        ids.append(s.get("Id"))
        ins += len(s["Input"])
        outs += len(s["Output"])
        nv = len(s["Vertices"])
        verts += nv
        if nv < 2:
            c.add(
                "PHY-008",
                rel,
                p + "/Vertices",
                f"setting has {nv} vertex (a pendulum needs at least 2)",
                "Add a second vertex in the physics editor.",
            )
        for kind, key, src in (("Input", "Source", True), ("Output", "Destination", False)):
            for j, io in enumerate(s[kind]):
                q = f"{p}/{kind}/{j}"
                if not isinstance(io, dict):
                    c.add("PHY-001", rel, q, f"{kind} entry is not an object", "Re-export the physics.")
                    continue
                if io.get("Type") not in ("X", "Y", "Angle"):
                    c.add(
                        "PHY-006",
                        rel,
                        q + "/Type",
                        f"{kind} Type '{io.get('Type')}' is not X, Y or Angle (the runtime crashes in the simulation)",
                        "Use X, Y or Angle.",
                    )
                ref = io.get(key)
                if not isinstance(ref, dict) or ref.get("Target") != "Parameter":
                    c.add(
                        "PHY-011",
                        rel,
                        f"{q}/{key}",
                        f"{key}.Target is not 'Parameter'",
                        'Use {"Target": "Parameter", "Id": ...}.',
                    )
                if isinstance(ref, dict) and isinstance(ref.get("Id"), str):
                    c.param_uses.append((rel, f"{q}/{key}/Id", ref["Id"], None))
                if not src:
                    vi = io.get("VertexIndex")
                    if not (num(vi) and 1 <= vi <= nv - 1):  # type: ignore[operator]
                        c.add(
                            "PHY-007",
                            rel,
                            q + "/VertexIndex",
                            f"VertexIndex {vi} is outside 1..{nv - 1} (this output is silently skipped)",
                            "Point the output at an existing vertex (1 or higher).",
                        )
        norm = s["Normalization"]
        for nk in ("Position", "Angle"):
            n = norm.get(nk)
            if (
                not isinstance(n, dict)
                or not all(num(n.get(k)) for k in ("Minimum", "Default", "Maximum"))
                or n["Minimum"] > n["Maximum"]
            ):
                c.add(
                    "PHY-009",
                    rel,
                    f"{p}/Normalization/{nk}",
                    f"Normalization.{nk} needs Minimum <= Maximum and a Default",
                    "Re-export the physics.",
                )
    for key, actual, rid in (
        ("PhysicsSettingCount", len(settings), "PHY-002"),
        ("TotalInputCount", ins, "PHY-003"),
        ("TotalOutputCount", outs, "PHY-004"),
        ("VertexCount", verts, "PHY-005"),
    ):
        if meta.get(key) != actual:
            c.add(
                rid,
                rel,
                f"/Meta/{key}",
                f"Meta.{key} is {meta.get(key)} but the file has {actual}",
                f"Set Meta.{key} to {actual}.",
            )
    forces = meta.get("EffectiveForces")
    if (
        not isinstance(forces, dict)
        or not isinstance(forces.get("Gravity"), dict)
        or not isinstance(forces.get("Wind"), dict)
    ):
        c.add(
            "PHY-009",
            rel,
            "/Meta/EffectiveForces",
            "EffectiveForces Gravity/Wind is missing",
            'Add "EffectiveForces": {"Gravity": {"X": 0, "Y": -1}, "Wind": {"X": 0, "Y": 0}}.',
        )
    if "Fps" in meta and (not num(meta["Fps"]) or meta["Fps"] <= 0):
        c.add("PHY-009", rel, "/Meta/Fps", "Meta.Fps is not a positive number", "Remove Fps or set it above 0.")
    dic = meta.get("PhysicsDictionary")
    if not isinstance(dic, list) or [d.get("Id") if isinstance(d, dict) else None for d in dic] != ids:
        c.add(
            "PHY-010",
            rel,
            "/Meta/PhysicsDictionary",
            "PhysicsDictionary is missing or does not list the settings' Ids in order",
            "Re-export the physics.",
        )


def _check_pose(c: Checker, rel: str, po: dict[str, Any]) -> None:
    c.schema_keys(rel, "pose3", po, _SHAPES["pose3"])
    if po.get("Type") != "Live2D Pose":
        c.add("POSE-001", rel, "/Type", "Type is missing or not 'Live2D Pose'", 'Add "Type": "Live2D Pose".')
    if "FadeInTime" in po and (not num(po["FadeInTime"]) or po["FadeInTime"] < 0):
        c.add(
            "POSE-003",
            rel,
            "/FadeInTime",
            "FadeInTime is not a number >= 0 (the runtime uses 0.5)",
            "Use seconds >= 0.",
        )
    groups = po.get("Groups")
    if not isinstance(groups, list) or not all(
        isinstance(g, list) and all(isinstance(e, dict) and isinstance(e.get("Id"), str) for e in g) for g in groups
    ):
        c.add("POSE-002", rel, "/Groups", "Groups must be a list of lists of {Id, Link}", "Re-export the pose.")
        return
    seen: set[str] = set()
    for i, g in enumerate(groups):
        for j, e in enumerate(g):
            p = f"/Groups/{i}/{j}"
            if e["Id"] in seen:
                c.add(
                    "POSE-004",
                    rel,
                    p + "/Id",
                    f"part '{e['Id']}' is listed in more than one pose group",
                    "List each part once.",
                )
            seen.add(e["Id"])
            c.part_uses.append((rel, p + "/Id", e["Id"]))
            for k, link in enumerate(e.get("Link", []) if isinstance(e.get("Link"), list) else []):
                if isinstance(link, str):
                    c.part_uses.append((rel, f"{p}/Link/{k}", link))


def _check_cdi(c: Checker, rel: str, cd: dict[str, Any]) -> None:
    c.schema_keys(rel, "cdi3", cd, _SHAPES["cdi3"])
    if "Version" not in cd or not isinstance(cd.get("ParameterGroups"), list) or not isinstance(cd.get("Parts"), list):
        c.add("CDI-001", rel, "", "Version, ParameterGroups or Parts is missing", "Re-export the display info (cdi3).")
    groups = (
        {g.get("Id") for g in cd.get("ParameterGroups", []) if isinstance(g, dict)}
        if isinstance(cd.get("ParameterGroups"), list)
        else set()
    )
    moc_params = set(c.moc.parameter_ids) if c.moc and c.moc.parameter_ids else None
    moc_parts = set(c.moc.part_ids) if c.moc and c.moc.part_ids else None
    for key in ("Parameters", "ParameterGroups", "Parts"):
        items = cd.get(key, [])
        if not isinstance(items, list):
            continue
        for i, it in enumerate(items):
            p = f"/{key}/{i}"
            needs = ("Id", "Name") if key == "Parts" else ("Id", "GroupId", "Name")
            if not isinstance(it, dict) or not all(isinstance(it.get(k), str) for k in needs):
                c.add("CDI-001", rel, p, f"entry lacks {'/'.join(needs)}", "Re-export the display info (cdi3).")
                continue
            if key != "Parts" and it["GroupId"] and it["GroupId"] not in groups:
                c.add(
                    "CDI-002",
                    rel,
                    p + "/GroupId",
                    f"GroupId '{it['GroupId']}' is not a ParameterGroups Id",
                    "Re-export the display info.",
                )
            if key == "Parameters" and moc_params is not None and it["Id"] not in moc_params:
                c.add(
                    "XREF-004",
                    rel,
                    p + "/Id",
                    f"parameter '{it['Id']}' is not in the moc3",
                    "Export the cdi3 together with the moc3.",
                )
            if key == "Parts":
                c.cdi_parts.add(it["Id"])
                if moc_parts is not None and it["Id"] not in moc_parts:
                    c.add(
                        "XREF-005",
                        rel,
                        p + "/Id",
                        f"part '{it['Id']}' is not in the moc3 (usually a guide/sketch part that is not exported)",
                        "Nothing to do if it is a guide part.",
                    )


def _check_userdata(c: Checker, rel: str, ud: dict[str, Any]) -> None:
    c.schema_keys(rel, "userdata3", ud, _SHAPES["userdata3"])
    meta, items = ud.get("Meta"), ud.get("UserData")
    if not isinstance(meta, dict) or not isinstance(items, list) or meta.get("UserDataCount") != len(items):
        c.add(
            "UD-001",
            rel,
            "/Meta/UserDataCount",
            "Meta/UserData is missing or Meta.UserDataCount differs from the number of UserData entries",
            "Set Meta.UserDataCount to the number of entries (or re-export).",
        )
        if not isinstance(items, list):
            return
    size = 0
    drawables = set(c.moc.drawable_ids) if c.moc and c.moc.drawable_ids else None
    for i, it in enumerate(items):
        if not isinstance(it, dict):
            continue
        if isinstance(it.get("Value"), str):
            size += len(it["Value"].encode("utf-8"))
        if it.get("Target") != "ArtMesh":
            c.add(
                "UD-002",
                rel,
                f"/UserData/{i}/Target",
                "Target is not 'ArtMesh' (the runtime only reads ArtMesh user data)",
                'Use "Target": "ArtMesh".',
            )
        if drawables is not None and isinstance(it.get("Id"), str) and it["Id"] not in drawables:
            c.add(
                "XREF-003",
                rel,
                f"/UserData/{i}/Id",
                f"art mesh '{it['Id']}' is not in the moc3",
                "Use an art mesh ID from the model.",
            )
    if isinstance(meta, dict) and meta.get("TotalUserDataSize") != size:
        c.add(
            "UD-002",
            rel,
            "/Meta/TotalUserDataSize",
            f"Meta.TotalUserDataSize is {meta.get('TotalUserDataSize')} but the values have {size} bytes",
            f"Set it to {size}.",
        )


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
        _check_cdi(c, refs["DisplayInfo"], cd)
    checks: list[tuple[str, Callable[[Checker, str, dict[str, Any]], None]]] = [
        ("Physics", _check_physics),
        ("Pose", _check_pose),
        ("UserData", _check_userdata),
    ]
    for key, fn in checks:
        if refs.get(key) and (obj := c.load_json(refs[key])) is not None:
            fn(c, refs[key], obj)
    done: set[str] = set()
    for _pointer, found in refs["Expressions"]:
        if found and found not in done and (obj := c.load_json(found)) is not None:
            done.add(found)
            _check_expression(c, found, obj)
    for _g, _i, _p, found in refs["Motions"]:
        if found and found not in done and (obj := c.load_json(found)) is not None:
            done.add(found)
            _check_motion(c, found, obj)
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
