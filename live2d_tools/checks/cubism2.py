"""Cubism 2 models (C2-*): model.json, the .moc header, .mtn motions, expressions, pose and physics (LIVE2D.md §5.4).

A Cubism 2 model needs the Cubism 2 runtime; these checks say so (C2-001) and list what would still break it.
Its textures are checked by the textures module, which the tree walk passes in (kind modules never import
each other).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from ._core import Checker, num, parent, ptr

# (checker, owner file, pointer, texture file): live2d_tools.checks.textures.check
TextureCheck = Callable[[Checker, str, str, str], None]


def check(c: Checker, rel: str, check_texture: TextureCheck) -> None:
    """Check the Cubism 2 model.json ``rel`` and everything it references."""
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
            check_texture(c, rel, f"/textures/{i}", found)
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
