"""userdata3.json (UD-*, XREF-003): art-mesh user data, its Meta counts and its art mesh ids."""

from __future__ import annotations

from typing import Any

from ._core import Checker, Shape

# The keys the userdata3.json schema allows.
SHAPE: Shape = {
    "keys": {"Version", "Meta", "UserData"},
    "props": {
        "Meta": {"keys": {"UserDataCount", "TotalUserDataSize"}},
        "UserData": {"items": {"keys": {"Target", "Id", "Value"}}},
    },
}


def check(c: Checker, rel: str, ud: dict[str, Any]) -> None:
    c.schema_keys(rel, "userdata3", ud, SHAPE)
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
