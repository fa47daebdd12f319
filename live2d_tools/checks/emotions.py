"""TinyTalk emotions (EMO-*): the seven emotions resolved from motion groups or the mapping file, and lip-sync."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from ..emotions import EMOTIONS, MAPPING_FILE, EmotionMap, load_mapping, resolve_emotions
from ._core import Checker

_MOUTH = re.compile(r"mouth", re.IGNORECASE)


def check(c: Checker, entry: str, m3: dict[str, Any], required: bool) -> None:
    """Resolve the emotions (always listed as EMO-005); ``required`` (validate --emotions) makes gaps findings."""
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
