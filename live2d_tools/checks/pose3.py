"""pose3.json (POSE-*): type, fade, and the part groups (each part once); parts are cross-checked later."""

from __future__ import annotations

from typing import Any

from ._core import Checker, Shape, num

# The keys the pose3.json schema allows.
SHAPE: Shape = {
    "keys": {"Type", "FadeInTime", "Groups"},
    "props": {"Groups": {"items": {"items": {"keys": {"Id", "Link"}}}}},
}


def check(c: Checker, rel: str, po: dict[str, Any]) -> None:
    c.schema_keys(rel, "pose3", po, SHAPE)
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
