"""physics3.json (PHY-*): settings, inputs/outputs, vertices, normalization and the Meta counts."""

from __future__ import annotations

from typing import Any

from ._core import Checker, Shape, num

_VEC2: Shape = {"keys": {"X", "Y"}}
_NORM: Shape = {"keys": {"Minimum", "Default", "Maximum"}}
_PARAM_REF: Shape = {"keys": {"Target", "Id"}}
# The keys the physics3.json schema allows, plus Meta.Fps (real exports such as Mao and Ren carry it).
SHAPE: Shape = {
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
}  # fmt: skip


def check(c: Checker, rel: str, ph: dict[str, Any]) -> None:
    c.schema_keys(rel, "physics3", ph, SHAPE)
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
