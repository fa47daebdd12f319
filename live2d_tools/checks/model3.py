"""model3.json: its structure (M3-*), its references resolved (REF-*, M3-016), groups and hit areas.

``check`` returns what the references resolved to (role -> on-disk paths) for the tree walk to check next.
"""

from __future__ import annotations

from typing import Any

from ._core import Checker, num, ptr

_M3_TOP = {"Version", "FileReferences", "Groups", "HitAreas", "Layout"}
_M3_REFS = {"Moc", "Textures", "Physics", "Pose", "DisplayInfo", "UserData", "MotionSync", "Expressions", "Motions"}
_M3_MOTION = {"File", "Sound", "FadeInTime", "FadeOutTime", "MotionSync"}
_LAYOUT = {"width", "height", "x", "y", "center_x", "center_y", "top", "bottom", "left", "right"}
_ROLE_EXT = {
    "Moc": (".moc3",),
    "Textures": (".png", ".jpg", ".jpeg", ".webp"),
    "Physics": (".physics3.json",),
    "Pose": (".pose3.json",),
    "DisplayInfo": (".cdi3.json",),
    "UserData": (".userdata3.json",),
    "MotionSync": (".motionsync3.json",),
    "Expressions": (".exp3.json",),
    "Motions": (".motion3.json",),
    "Sound": (".wav", ".mp3", ".ogg", ".m4a"),
}


def _role_ext(c: Checker, owner: str, pointer: str, ref: str, role: str) -> None:
    exts = _ROLE_EXT[role]
    if not ref.lower().endswith(exts):
        c.add(
            "M3-016",
            owner,
            pointer,
            f"'{ref}' is used as {role} but does not end in {' or '.join(exts)}",
            "Check that the right file is referenced; Cubism Editor names it with that extension.",
        )


def check(c: Checker, rel: str, m3: dict[str, Any]) -> dict[str, Any]:
    """Check model3.json structure and resolve its references; returns role -> resolved paths."""
    refs_out: dict[str, Any] = {"Expressions": [], "Motions": []}
    c.unknown_keys(rel, "", m3, _M3_TOP)
    if not num(m3.get("Version")):
        c.add("M3-001", rel, "/Version", "Version is missing or not a number", 'Add "Version": 3.')
    fr = m3.get("FileReferences")
    if not isinstance(fr, dict):
        c.add(
            "M3-002",
            rel,
            "/FileReferences",
            "FileReferences is missing or not an object",
            "Re-export the model from Cubism Editor.",
        )
        return refs_out
    c.unknown_keys(rel, "/FileReferences", fr, _M3_REFS)
    moc = fr.get("Moc")
    if not isinstance(moc, str):
        c.add(
            "M3-003",
            rel,
            "/FileReferences/Moc",
            "FileReferences.Moc is missing or not a string",
            'Add "Moc": "<name>.moc3".',
        )
    else:
        _role_ext(c, rel, "/FileReferences/Moc", moc, "Moc")
        refs_out["Moc"] = c.resolve(rel, "/FileReferences/Moc", moc)
    tex = fr.get("Textures")
    if not isinstance(tex, list) or not tex or not all(isinstance(t, str) for t in tex):
        c.add(
            "M3-004",
            rel,
            "/FileReferences/Textures",
            "FileReferences.Textures is missing, empty or not a list of file names",
            'List the texture PNGs in order, e.g. "Textures": ["X.2048/texture_00.png"].',
        )
        refs_out["Textures"] = None
    else:
        refs_out["Textures"] = []
        for i, t in enumerate(tex):
            _role_ext(c, rel, f"/FileReferences/Textures/{i}", t, "Textures")
            refs_out["Textures"].append(c.resolve(rel, f"/FileReferences/Textures/{i}", t))
    for key in ("Physics", "Pose", "DisplayInfo", "UserData", "MotionSync"):
        if key not in fr:
            continue
        if not isinstance(fr[key], str):
            c.add(
                "M3-005",
                rel,
                f"/FileReferences/{key}",
                f"FileReferences.{key} must be a file name (string)",
                f'Write "{key}": "<file>" or remove the key.',
            )
            continue
        _role_ext(c, rel, f"/FileReferences/{key}", fr[key], key)
        refs_out[key] = c.resolve(rel, f"/FileReferences/{key}", fr[key])
    exps = fr.get("Expressions")
    if exps is not None and not isinstance(exps, list):
        c.add("M3-005", rel, "/FileReferences/Expressions", "Expressions must be a list", "Re-export the model.")
    elif isinstance(exps, list):
        names: list[str] = []
        for i, e in enumerate(exps):
            p = f"/FileReferences/Expressions/{i}"
            if not isinstance(e, dict) or not isinstance(e.get("Name"), str) or not isinstance(e.get("File"), str):
                c.add(
                    "M3-006",
                    rel,
                    p,
                    "expression entry needs a Name and a File (strings)",
                    'Write {"Name": "f01", "File": "f01.exp3.json"}.',
                )
                continue
            if not e["Name"] or e["Name"] in names:
                c.add(
                    "M3-007",
                    rel,
                    p + "/Name",
                    f"expression name '{e['Name']}' is empty or used twice",
                    "Give every expression a unique name; apps select expressions by name.",
                )
            names.append(e["Name"])
            _role_ext(c, rel, p + "/File", e["File"], "Expressions")
            refs_out["Expressions"].append((p + "/File", c.resolve(rel, p + "/File", e["File"])))
        c.info.expressions = names
    motions = fr.get("Motions")
    if motions is not None and not isinstance(motions, dict):
        c.add(
            "M3-005",
            rel,
            "/FileReferences/Motions",
            "Motions must be an object of group name -> list of motions, not a list",
            'Write "Motions": {"Idle": [{"File": "motions/idle.motion3.json"}]}.',
        )
    elif isinstance(motions, dict):
        for group, entries in motions.items():
            gp = ptr("FileReferences", "Motions", group)
            if not group.strip():
                c.add("M3-010", rel, gp, "a motion group has an empty name", "Name the group, e.g. 'Idle'.")
            if not isinstance(entries, list):
                c.add("M3-008", rel, gp, f"motion group '{group}' is not a list", "Make the group a list of motions.")
                continue
            c.info.motions[group] = []
            for i, ent in enumerate(entries):
                p = f"{gp}/{i}"
                if not isinstance(ent, dict) or not isinstance(ent.get("File"), str):
                    c.add(
                        "M3-008",
                        rel,
                        p,
                        f"motion {group}[{i}] is not an object with a File",
                        'Write {"File": "motions/x.motion3.json"}.',
                    )
                    continue
                c.unknown_keys(rel, p, ent, _M3_MOTION)
                for fk in ("FadeInTime", "FadeOutTime"):
                    if fk in ent and (not num(ent[fk]) or ent[fk] < 0):
                        c.add(
                            "M3-009",
                            rel,
                            f"{p}/{fk}",
                            f"{fk} of motion {group}[{i}] is not a number >= 0",
                            f"Set {fk} in seconds (e.g. 0.5) or remove it to use the motion file's value.",
                        )
                c.info.motions[group].append(ent["File"])
                _role_ext(c, rel, p + "/File", ent["File"], "Motions")
                refs_out["Motions"].append((group, i, p + "/File", c.resolve(rel, p + "/File", ent["File"])))
                if "Sound" in ent:
                    snd = ent["Sound"]
                    if isinstance(snd, str) and c.resolve(rel, p + "/Sound", snd) and not snd.lower().endswith(".wav"):
                        c.add(
                            "M3-017",
                            rel,
                            p + "/Sound",
                            f"sound '{snd}' is not a WAV file; the official Web sample lip-syncs from WAV only",
                            "Use a 16-bit PCM .wav if the app lip-syncs from motion sounds.",
                        )
    _check_groups(c, rel, m3)
    layout = m3.get("Layout")
    if isinstance(layout, dict):
        for k, v in layout.items():
            if k not in _LAYOUT or not num(v):
                c.add(
                    "M3-015",
                    rel,
                    ptr("Layout", k),
                    f"Layout key '{k}' is unknown or not a number",
                    f"Use only {', '.join(sorted(_LAYOUT))} (lower case) with numbers.",
                )
    return refs_out


def _check_groups(c: Checker, rel: str, m3: dict[str, Any]) -> None:
    groups = m3.get("Groups")
    if groups is None:
        return
    if not isinstance(groups, list):
        c.add("M3-011", rel, "/Groups", "Groups must be a list", "Re-export the model.")
        return
    seen: set[str] = set()
    for i, g in enumerate(groups):
        p = f"/Groups/{i}"
        if (
            not isinstance(g, dict)
            or not isinstance(g.get("Target"), str)
            or not isinstance(g.get("Name"), str)
            or not isinstance(g.get("Ids"), list)
            or not all(isinstance(x, str) for x in g["Ids"])
        ):
            c.add(
                "M3-011",
                rel,
                p,
                "group needs Target, Name and an Ids list of strings",
                'Write {"Target": "Parameter", "Name": "LipSync", "Ids": ["ParamMouthOpenY"]}.',
            )
            continue
        if g["Target"] != "Parameter" or g["Name"] not in ("EyeBlink", "LipSync") or g["Name"] in seen:
            c.add(
                "M3-012",
                rel,
                p,
                f"group '{g['Name']}' (Target '{g['Target']}') is not a Parameter EyeBlink/LipSync group, "
                "or is duplicated",
                "Only the first Parameter group named EyeBlink / LipSync is used by the runtime.",
            )
        seen.add(g["Name"])
        if g["Name"] == "LipSync" and not c.info.lipsync_ids:
            c.info.lipsync_ids = list(g["Ids"])
        for j, pid in enumerate(g["Ids"]):
            c.param_uses.append((rel, f"{p}/Ids/{j}", pid, None))


def check_hit_areas(c: Checker, rel: str, m3: dict[str, Any]) -> None:
    """HitAreas (M3-013/014); run once the moc3 is parsed, so each Id is checked against its art meshes (XREF-003)."""
    areas = m3.get("HitAreas")
    if areas is None:
        return
    if not isinstance(areas, list):
        c.add("M3-013", rel, "/HitAreas", "HitAreas must be a list", "Re-export the model.")
        return
    names: set[str] = set()
    for i, a in enumerate(areas):
        p = f"/HitAreas/{i}"
        if not isinstance(a, dict) or not isinstance(a.get("Id"), str) or not isinstance(a.get("Name"), str):
            c.add(
                "M3-013",
                rel,
                p,
                "hit area needs an Id (art mesh) and a Name",
                'Write {"Id": "HitAreaHead", "Name": "Head"}.',
            )
            continue
        c.unknown_keys(rel, p, a, {"Id", "Name"})
        if a["Name"] in names:
            c.add(
                "M3-014",
                rel,
                p + "/Name",
                f"hit area name '{a['Name']}' is used twice",
                "Give each hit area a unique Name.",
            )
        names.add(a["Name"])
        if c.moc is not None and c.moc.drawable_ids and a["Id"] not in set(c.moc.drawable_ids):
            c.add(
                "XREF-003",
                rel,
                p + "/Id",
                f"hit area '{a['Name']}' uses art mesh '{a['Id']}', which is not in the moc3 (taps will never hit)",
                "Use the ID of an art mesh that exists in the model (see the Editor's ID list).",
            )
