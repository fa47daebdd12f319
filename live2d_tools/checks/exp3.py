"""exp3.json (EXP-*): type, fades, and each parameter's Id, Value and Blend."""

from __future__ import annotations

from typing import Any

from ._core import Checker, Shape, num

# The keys the exp3.json schema allows, plus FadeInTime/FadeOutTime: the schema says FadeIn/FadeOut, but every
# export and CubismExpressionMotion use the *Time names (JSON-004 tolerates both).
SHAPE: Shape = {
    "keys": {"Type", "FadeInTime", "FadeOutTime", "FadeIn", "FadeOut", "Parameters"},
    "props": {"Parameters": {"items": {"keys": {"Id", "Value", "Blend"}}}},
}


def check(c: Checker, rel: str, ex: dict[str, Any]) -> None:
    c.schema_keys(rel, "exp3", ex, SHAPE)
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
