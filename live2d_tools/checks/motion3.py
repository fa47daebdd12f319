"""motion3.json (MOT-*): Meta, curves and their segments walked like the Framework does, and the counts it
preallocates from (wrong counts crash native runtimes)."""

from __future__ import annotations

import itertools
from typing import Any

from ._core import Checker, Shape, num

# The keys the motion3.json schema allows (JSON-004 reports the others).
SHAPE: Shape = {
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
}  # fmt: skip
# Numbers after the type of each segment kind (linear, bezier, stepped, inverse stepped) and the points it adds.
_WIDTH = {0: 2, 1: 6, 2: 2, 3: 2}
_PTS = {0: 1, 1: 3, 2: 1, 3: 1}


def check(c: Checker, rel: str, mo: dict[str, Any]) -> None:
    c.schema_keys(rel, "motion3", mo, SHAPE)
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
