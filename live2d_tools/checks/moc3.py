"""The .moc3 file (MOC-*): the structural parse of ``live2d_tools.moc3`` reported as findings, and the version
limit of the target runtime; the parsed moc3 stays on the checker for the cross-references."""

from __future__ import annotations

from ..moc3 import LATEST_MOC_VERSION, parse_moc3
from ._core import Checker

_MOC_HINTS = {
    "MOC-001": "The file is truncated: re-export the .moc3 from Cubism Editor and upload it again.",
    "MOC-002": "Reference the .moc3 exported by Cubism Editor (File > Export For Runtime).",
    "MOC-003": "Re-export with an older 'Export version' in Cubism Editor that the app's Core supports.",
    "MOC-004": "Re-export the .moc3 from Cubism Editor.",
    "MOC-005": "The file is damaged or crafted: re-export it from Cubism Editor.",
    "MOC-006": "The file is damaged or crafted: re-export it from Cubism Editor.",
    "MOC-007": "Add the missing texture to FileReferences.Textures (in atlas order) or re-export.",
    "MOC-008": "Re-export the .moc3 from Cubism Editor.",
}


def check(c: Checker, rel: str, textures: int | None) -> None:
    data = c.files[rel].read_bytes()
    moc = parse_moc3(data, texture_count=textures)
    c.moc = moc
    c.info.moc_version = moc.version
    for prob in moc.problems:
        # MOC-007 is fixed in the model3.json's Textures list, so it is reported there
        file = (c.info.entry or rel) if prob.rule_id == "MOC-007" else rel
        c.add(prob.rule_id, file, prob.pointer, f"{rel}: {prob.message}", _MOC_HINTS[prob.rule_id])
    limit = c.max_moc_version if c.max_moc_version is not None else LATEST_MOC_VERSION
    if moc.version is not None and 1 <= moc.version <= 6 and moc.version > limit:
        c.add(
            "MOC-003",
            rel,
            "",
            f"moc3 version {moc.version} is newer than the target runtime allows (max {limit})",
            _MOC_HINTS["MOC-003"],
        )
    if moc.counts:
        c.info.counts = {
            "parts": len(moc.part_ids),
            "deformers": len(moc.deformer_ids),
            "drawables": len(moc.drawable_ids),
            "parameters": len(moc.parameter_ids),
        }
    if not any(p.rule_id in ("MOC-001", "MOC-002", "MOC-003", "MOC-004", "MOC-005") for p in moc.problems):
        c.add(
            "MOC-009",
            rel,
            "",
            "the moc3 passed the structural checks; full consistency needs the Cubism Core (csmHasMocConsistency)",
            "Run 'tinytalk live2d validate --core' with the render extra for a Core load check.",
        )
