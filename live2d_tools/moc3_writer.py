"""Write a complete, Core-loadable Cubism 3.0–4.1 ``.moc3`` (versions 1–3) for fixtures and the demo model.

Every one of the 101 (v1) / 102 (v2, v3) sections is written in offset-table order, as the Editor does
(LIVE2D.md §5; section list per OpenL2D ``moc3.hexpat``): parts, art meshes and parameters are real; there
are no deformers, masks or glue. Each art mesh is a textured quad in its own part's draw-order group; a quad
may be bound to one parameter with two keyforms (its rectangle at the parameter's minimum and maximum), so
motions visibly move the model (ParamAngleX shifts the face, ParamMouthOpenY opens the mouth, …).

The proprietary Cubism Core 5-r.5 (live2d-py) accepts these files (``csmHasMocConsistency``) and plays
motions on them — ``tests/live2d/test_core.py`` checks that when the render extra is installed.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from .moc3 import HEADER_SIZE, ID_SIZE, MAGIC

__all__ = ["Quad", "write_moc3"]

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in model units, y up (canvas width = 1 unit)

_COUNT_TABLE_AT = 0x7C0  # where every v1–v5 Editor export puts the count table
_DRAW_ORDER = 500.0


@dataclass(frozen=True)
class Quad:
    """One art mesh: a quad in ``part`` (index), UV rectangle, and an optional parameter binding."""

    id: str
    texture: int
    part: int
    rect: Rect
    uv: Rect = (0.0, 0.0, 1.0, 1.0)
    bind: tuple[str, Rect, Rect] | None = None  # (parameter id, rect at its minimum, rect at its maximum)


def _corners(r: Rect) -> list[float]:
    # moc3 positions run y-down (the Core flips them); Rect is y-up like the rendered image
    x0, y0, x1, y1 = r
    return [x0, -y0, x1, -y0, x1, -y1, x0, -y1]


def write_moc3(
    *,
    parts: Sequence[str],
    parameters: Sequence[tuple[str, float, float, float]],
    quads: Sequence[Quad],
    version: int = 3,
    canvas: tuple[float, float, float, float, float] = (1000.0, 500.0, 500.0, 1000.0, 1000.0),
) -> bytes:
    """Return the bytes of a moc3 with these parts, parameters ``(id, min, max, default)`` and art meshes."""
    if version not in (1, 2, 3):
        raise ValueError("write_moc3 writes moc3 versions 1–3 (Cubism 3.0 – 4.1)")
    n_parts, n_mesh, n_par = len(parts), len(quads), len(parameters)
    par_index = {p[0]: i for i, p in enumerate(parameters)}
    # parameter bindings, grouped by parameter (each parameter owns a contiguous run)
    bound = sorted((par_index[q.bind[0]], i) for i, q in enumerate(quads) if q.bind is not None)
    binding_of_mesh = {mesh: b for b, (_p, mesh) in enumerate(bound)}
    keys: list[float] = []
    for p, _mesh in bound:
        keys += [parameters[p][1], parameters[p][2]]
    pb_begin = [0] * n_par
    pb_count = [0] * n_par
    for b, (p, _mesh) in enumerate(bound):
        if pb_count[p] == 0:
            pb_begin[p] = b
        pb_count[p] += 1
    # keyform binding 0 = static (no parameter, 1 keyform); 1 + b = bound to parameter binding b
    kb_begin = [0, *range(len(bound))]
    kb_count = [0] + [1] * len(bound)
    # art mesh keyforms and positions
    am_kb, am_kf_begin, am_kf_count = [], [], []
    kf_opacity: list[float] = []
    kf_pos_begin: list[int] = []
    positions: list[float] = []
    for i, q in enumerate(quads):
        rects = [q.rect] if q.bind is None else [q.bind[1], q.bind[2]]
        am_kb.append(0 if q.bind is None else 1 + binding_of_mesh[i])
        am_kf_begin.append(len(kf_opacity))
        am_kf_count.append(len(rects))
        for r in rects:
            kf_opacity.append(1.0)
            kf_pos_begin.append(len(positions))
            positions += _corners(r)
    uvs: list[float] = []
    for q in quads:
        u0, v0, u1, v1 = q.uv
        uvs += [u0, v1, u1, v1, u1, v0, u0, v0]  # texture v runs downwards
    indices = [0, 1, 2, 0, 2, 3] * n_mesh  # triangle indices are local to each art mesh
    # draw order: group 0 holds the parts; group 1 + k holds the meshes of part k
    members = [[i for i, q in enumerate(quads) if q.part == k] for k in range(n_parts)]
    dog_begin, dog_count, dog_total = [0], [n_parts], [n_parts + n_mesh]
    obj_types, obj_index, obj_self = [1] * n_parts, list(range(n_parts)), [1 + k for k in range(n_parts)]
    for k in range(n_parts):
        dog_begin.append(len(obj_types))
        dog_count.append(len(members[k]))
        dog_total.append(len(members[k]))
        obj_types += [0] * len(members[k])
        obj_index += members[k]
        obj_self += [-1] * len(members[k])
    n_groups = 1 + n_parts
    counts = [
        n_parts, 0, 0, 0, n_mesh, n_par, n_parts, 0, 0, len(kf_opacity), len(positions), len(bound),
        len(kb_begin), len(bound), len(keys), len(uvs), len(indices), 0, n_groups, len(obj_types), 0, 0, 0,
    ]  # fmt: skip

    def ids(values: Sequence[str]) -> bytes:
        return b"".join(v.encode("utf-8")[: ID_SIZE - 1].ljust(ID_SIZE, b"\0") for v in values)

    def arr(fmt: str, values: Sequence[float] | Sequence[int]) -> bytes:
        return struct.pack(f"<{len(values)}{fmt}", *values)

    def runtime(n: int) -> bytes:
        return b"\0" * (8 * n)

    sections: list[tuple[bytes, bool]] = [  # (payload, align to 64)
        # parts
        (runtime(n_parts), True), (ids(parts), False), (arr("i", [0] * n_parts), True),
        (arr("i", list(range(n_parts))), True), (arr("i", [1] * n_parts), True), (arr("i", [1] * n_parts), True),
        (arr("i", [1] * n_parts), True), (arr("i", [-1] * n_parts), True),
        # deformers (none): runtime, ids, kb, visible, enabled, parent part, parent deformer, type, specific
        *[(b"", True)] * 9,
        # warp deformers (6) and rotation deformers (4): none
        *[(b"", True)] * 10,
        # art meshes
        (runtime(n_mesh), True), (runtime(n_mesh), True), (runtime(n_mesh), True), (runtime(n_mesh), True),
        (ids([q.id for q in quads]), False), (arr("i", am_kb), True), (arr("i", am_kf_begin), True),
        (arr("i", am_kf_count), True), (arr("i", [1] * n_mesh), True), (arr("i", [1] * n_mesh), True),
        (arr("i", [q.part for q in quads]), True), (arr("i", [-1] * n_mesh), True),
        (arr("I", [q.texture for q in quads]), True), (bytes([4]) * n_mesh, True), (arr("i", [4] * n_mesh), True),
        (arr("i", [8 * i for i in range(n_mesh)]), True), (arr("i", [6 * i for i in range(n_mesh)]), True),
        (arr("i", [6] * n_mesh), True), (arr("i", [0] * n_mesh), True), (arr("i", [0] * n_mesh), True),
        # parameters
        (runtime(n_par), True), (ids([p[0] for p in parameters]), False),
        (arr("f", [p[2] for p in parameters]), True), (arr("f", [p[1] for p in parameters]), True),
        (arr("f", [p[3] for p in parameters]), True), (arr("i", [0] * n_par), True), (arr("I", [3] * n_par), True),
        (arr("i", pb_begin), True), (arr("i", pb_count), True),
        # part keyforms: draw orders
        (arr("f", [_DRAW_ORDER] * n_parts), True),
        # warp deformer keyforms (2), rotation deformer keyforms (7): none
        *[(b"", True)] * 9,
        # art mesh keyforms: opacities, draw orders, position begin indices
        (arr("f", kf_opacity), True), (arr("f", [_DRAW_ORDER] * len(kf_opacity)), True),
        (arr("i", kf_pos_begin), True),
        (arr("f", positions), True),
        (arr("i", list(range(len(bound)))), True),  # parameter binding indices
        (arr("i", kb_begin), True), (arr("i", kb_count), True),  # keyform bindings
        (arr("i", [2 * b for b in range(len(bound))]), True), (arr("i", [2] * len(bound)), True),  # param bindings
        (arr("f", keys), True),
        (arr("f", uvs), True),
        (arr("h", indices), True),
        (b"", True),  # drawable masks
        # draw order groups and their objects
        (arr("i", dog_begin), True), (arr("i", dog_count), True), (arr("i", dog_total), True),
        (arr("I", [int(_DRAW_ORDER)] * n_groups), True), (arr("I", [int(_DRAW_ORDER)] * n_groups), True),
        (arr("I", obj_types), True), (arr("i", obj_index), True), (arr("i", obj_self), True),
        # glue (9), glue info (2), glue keyforms (1): none
        *[(b"", True)] * 12,
    ]  # fmt: skip
    if version >= 2:
        sections.append((b"", False))  # v3.3+: warp deformer "quad source" flags (no warp deformers)
    assert len(sections) + 2 == {1: 101, 2: 102, 3: 102}[version]

    buf = bytearray(MAGIC + bytes([version, 0]) + b"\0" * 58)
    buf.extend(b"\0" * (4 * 160))
    buf.extend(b"\0" * (_COUNT_TABLE_AT - len(buf)))
    offsets = [len(buf)]
    buf.extend(struct.pack("<23i", *counts) + b"\0" * (128 - 23 * 4))
    offsets.append(len(buf))
    buf.extend(struct.pack("<5fB", *canvas, 0).ljust(64, b"\0"))
    for payload, align in sections:
        if align:
            buf.extend(b"\0" * (-len(buf) % 64))
        offsets.append(len(buf))
        buf.extend(payload)
    buf.extend(b"\0" * (-len(buf) % 64))
    struct.pack_into(f"<{len(offsets)}I", buf, HEADER_SIZE, *offsets)
    return bytes(buf)
