"""cdi3.json (CDI-*, XREF-004/005): display names of parameters, groups and parts, checked against the moc3."""

from __future__ import annotations

from typing import Any

from ._core import Checker, Shape

# The documented cdi3.json keys, plus CombinedParameters (Cubism 4.2+ exports); the cdi3 schema is open, so only
# the documented keys are expected.
SHAPE: Shape = {
    "keys": {"Version", "Parameters", "ParameterGroups", "Parts", "CombinedParameters"},
    "props": {
        "Parameters": {"items": {"keys": {"Id", "GroupId", "Name"}}},
        "ParameterGroups": {"items": {"keys": {"Id", "GroupId", "Name"}}},
        "Parts": {"items": {"keys": {"Id", "Name"}}},
    },
}


def check(c: Checker, rel: str, cd: dict[str, Any]) -> None:
    c.schema_keys(rel, "cdi3", cd, SHAPE)
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
