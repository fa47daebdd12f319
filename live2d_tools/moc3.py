"""A bounds-checked reader (and a minimal writer for test fixtures) of the Cubism 3+ ``.moc3`` binary.

Layout per LIVE2D.md §5: a 64-byte header (``MOC3``, version byte, endian flag), then an offset table of
160 (v1–v5) or 480 (v6) little-endian ``u32`` absolute offsets. Slot 0 points at the count table, slot 1 at
the canvas info, slots 3/11/33/41/50–54 at part IDs, deformer IDs, art-mesh IDs, art-mesh texture numbers and
parameter IDs/max/min/default/repeat. We follow the pointers instead of hard-coding positions (the count
table sits at 0x7C0 in v1–v5 exports but at 0x16C0 in v6).

The reader never raises on bad input: every problem becomes a :class:`MocProblem` with a rule id, and all
reads are bounded by the file size and by :data:`MAX_COUNT` so a crafted file cannot make us allocate or
loop without bound. (The proprietary Core does no such checks: LIVE2D.md §9.10.)
"""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass, field

__all__ = [
    "COUNT_INTS",
    "HEADER_SIZE",
    "ID_SIZE",
    "LATEST_MOC_VERSION",
    "MAX_COUNT",
    "MOC_VERSIONS",
    "Moc3Info",
    "MocProblem",
    "build_moc3",
    "parse_moc3",
]

HEADER_SIZE = 64
ID_SIZE = 64
MAGIC = b"MOC3"
# version byte -> (constant, editor range, offset-table slots, count-table ints, non-zero slots in exports)
MOC_VERSIONS: dict[int, tuple[str, str, int, int, int]] = {
    1: ("csmMocVersion_30", "3.0.00 – 3.2.07", 160, 32, 101),
    2: ("csmMocVersion_33", "3.3.00 – 3.3.03", 160, 32, 102),
    3: ("csmMocVersion_40", "4.0.00 – 4.1.05", 160, 32, 102),
    4: ("csmMocVersion_42", "4.2.00 – 4.2.04", 160, 32, 137),
    5: ("csmMocVersion_50", "5.0.00 – 5.2.03", 160, 64, 152),
    6: ("csmMocVersion_53", "5.3.00 +", 480, 64, 167),
}
LATEST_MOC_VERSION = 6
COUNT_INTS = {v: info[3] for v, info in MOC_VERSIONS.items()}
# No real model has millions of parts/parameters; a bigger count is a crafted file, not a model.
MAX_COUNT = 1_000_000

SLOT_COUNTS = 0
SLOT_CANVAS = 1
SLOT_PART_IDS = 3
SLOT_DEFORMER_IDS = 11
SLOT_ARTMESH_IDS = 33
SLOT_TEXTURE_NOS = 41
SLOT_PARAM_IDS = 50
SLOT_PARAM_MAX = 51
SLOT_PARAM_MIN = 52
SLOT_PARAM_DEFAULT = 53
SLOT_PARAM_REPEAT = 54

COUNT_PARTS = 0
COUNT_DEFORMERS = 1
COUNT_WARP = 2
COUNT_ROTATION = 3
COUNT_ARTMESHES = 4
COUNT_PARAMETERS = 5


@dataclass(frozen=True)
class MocProblem:
    """One structural problem: ``rule_id`` from the rule table, a plain-words message and its field."""

    rule_id: str
    message: str
    pointer: str = ""


@dataclass
class Moc3Info:
    """What the reader could establish; fields stay empty when their section could not be read."""

    size: int = 0
    version: int | None = None
    big_endian: bool = False
    offsets: list[int] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    canvas: tuple[float, float, float, float, float] | None = None
    part_ids: list[str] = field(default_factory=list)
    deformer_ids: list[str] = field(default_factory=list)
    drawable_ids: list[str] = field(default_factory=list)
    parameter_ids: list[str] = field(default_factory=list)
    parameter_ranges: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    texture_numbers: list[int] = field(default_factory=list)
    problems: list[MocProblem] = field(default_factory=list)
    is_cubism2: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def max_texture_number(self) -> int | None:
        return max(self.texture_numbers) if self.texture_numbers else None


def _read_ids(data: bytes, info: Moc3Info, slot: int, count: int, what: str) -> list[str]:
    off = info.offsets[slot]
    end = off + count * ID_SIZE
    if count and (off < HEADER_SIZE or end > len(data)):
        info.problems.append(
            MocProblem("MOC-005", f"{what} section (offset slot {slot}, {count} entries) runs past the end of the file")
        )
        return []
    ids: list[str] = []
    bad_terminator = False
    for i in range(count):
        raw = data[off + i * ID_SIZE : off + (i + 1) * ID_SIZE]
        nul = raw.find(0)
        if nul < 0:
            bad_terminator = True
            nul = ID_SIZE
        ids.append(raw[:nul].decode("utf-8", errors="replace"))
    if bad_terminator:
        info.problems.append(MocProblem("MOC-008", f"{what}: an ID is not NUL-terminated within 64 bytes"))
    dupes = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dupes:
        info.problems.append(MocProblem("MOC-008", f"{what}: duplicated IDs {', '.join(dupes[:5])}"))
    return ids


def _read_array(data: bytes, info: Moc3Info, slot: int, count: int, fmt: str, what: str) -> list[float] | None:
    off = info.offsets[slot]
    width = struct.calcsize("<" + fmt)
    if count and (off < HEADER_SIZE or off + count * width > len(data)):
        info.problems.append(
            MocProblem("MOC-005", f"{what} section (offset slot {slot}, {count} entries) runs past the end of the file")
        )
        return None
    return list(struct.unpack_from(f"<{count}{fmt}", data, off)) if count else []


def parse_moc3(data: bytes, *, texture_count: int | None = None) -> Moc3Info:
    """Parse ``data`` structurally. Never raises; problems are listed on the result."""
    info = Moc3Info(size=len(data))
    try:
        _parse(data, info, texture_count)
    except Exception as exc:  # pragma: no cover - defensive: a parser bug must not crash validation
        info.problems.append(MocProblem("MOC-005", f"moc3 could not be parsed ({type(exc).__name__})"))
    return info


def _parse(data: bytes, info: Moc3Info, texture_count: int | None) -> None:
    if data[:3] == b"moc" and data[:4] != MAGIC:
        info.is_cubism2 = True
        info.problems.append(
            MocProblem("MOC-002", "this is a Cubism 2 .moc file, not a Cubism 3+ .moc3 (magic 'moc' + version)")
        )
        return
    if len(data) < HEADER_SIZE:
        info.problems.append(MocProblem("MOC-001", f"file is {len(data)} bytes, shorter than the 64-byte header"))
        return
    if data[:4] != MAGIC:
        info.problems.append(MocProblem("MOC-002", f"magic is {data[:4]!r}, expected b'MOC3'"))
        return
    version = data[4]
    info.version = version
    if version not in MOC_VERSIONS:
        info.problems.append(MocProblem("MOC-003", f"moc3 version byte {version} is unknown (known: 1–6)"))
        return
    if data[5] != 0:
        info.big_endian = True
        info.problems.append(MocProblem("MOC-004", f"endian flag is {data[5]} (big endian); the Editor writes 0"))
        return
    slots, count_ints = MOC_VERSIONS[version][2], MOC_VERSIONS[version][3]
    table_end = HEADER_SIZE + 4 * slots
    if len(data) < table_end:
        info.problems.append(
            MocProblem("MOC-001", f"file is {len(data)} bytes, shorter than header + offset table ({table_end})")
        )
        return
    info.offsets = list(struct.unpack_from(f"<{slots}I", data, HEADER_SIZE))
    past = [i for i, o in enumerate(info.offsets) if o > len(data)]
    if past:
        info.problems.append(
            MocProblem(
                "MOC-005", f"{len(past)} section offset(s) point past the end of the file (first: slot {past[0]})"
            )
        )
        return
    c_off = info.offsets[SLOT_COUNTS]
    if c_off < table_end or c_off + 4 * count_ints > len(data):
        info.problems.append(MocProblem("MOC-005", "count table offset (slot 0) is outside the file body"))
        return
    counts = list(struct.unpack_from(f"<{count_ints}i", data, c_off))
    info.counts = counts
    negative = [i for i, c in enumerate(counts) if c < 0]
    if negative:
        info.problems.append(MocProblem("MOC-006", f"count table has negative entries (index {negative[0]})"))
        return
    huge = [i for i, c in enumerate(counts[:6]) if c > MAX_COUNT]
    if huge:
        info.problems.append(MocProblem("MOC-006", f"count table entry {huge[0]} is implausibly large"))
        return
    if counts[COUNT_WARP] + counts[COUNT_ROTATION] != counts[COUNT_DEFORMERS]:
        info.problems.append(
            MocProblem(
                "MOC-006",
                f"count table: warp ({counts[COUNT_WARP]}) + rotation ({counts[COUNT_ROTATION]}) deformers "
                f"!= deformers ({counts[COUNT_DEFORMERS]})",
            )
        )
    cv_off = info.offsets[SLOT_CANVAS]
    if cv_off < table_end or cv_off + 21 > len(data):
        info.problems.append(MocProblem("MOC-005", "canvas info offset (slot 1) is outside the file body"))
    else:
        info.canvas = struct.unpack_from("<5f", data, cv_off)
    info.part_ids = _read_ids(data, info, SLOT_PART_IDS, counts[COUNT_PARTS], "part IDs")
    info.deformer_ids = _read_ids(data, info, SLOT_DEFORMER_IDS, counts[COUNT_DEFORMERS], "deformer IDs")
    info.drawable_ids = _read_ids(data, info, SLOT_ARTMESH_IDS, counts[COUNT_ARTMESHES], "art mesh IDs")
    n_art = counts[COUNT_ARTMESHES]
    tex = _read_array(data, info, SLOT_TEXTURE_NOS, n_art, "I", "art mesh texture numbers")
    info.texture_numbers = [int(t) for t in tex] if tex is not None else []
    n_par = counts[COUNT_PARAMETERS]
    info.parameter_ids = _read_ids(data, info, SLOT_PARAM_IDS, n_par, "parameter IDs")
    pmax = _read_array(data, info, SLOT_PARAM_MAX, n_par, "f", "parameter maximum values")
    pmin = _read_array(data, info, SLOT_PARAM_MIN, n_par, "f", "parameter minimum values")
    pdef = _read_array(data, info, SLOT_PARAM_DEFAULT, n_par, "f", "parameter default values")
    if pmax is not None and pmin is not None and pdef is not None and len(info.parameter_ids) == n_par:
        for pid, lo, hi, de in zip(info.parameter_ids, pmin, pmax, pdef, strict=True):
            info.parameter_ranges[pid] = (float(lo), float(hi), float(de))
    if texture_count is not None and info.texture_numbers:
        top = max(info.texture_numbers)
        if top >= texture_count:
            info.problems.append(
                MocProblem(
                    "MOC-007",
                    f"an art mesh uses texture number {top} but model3.json lists {texture_count} texture(s)",
                    "/FileReferences/Textures",
                )
            )
    if len(data) % 64:
        info.problems.append(MocProblem("MOC-008", f"file size {len(data)} is not a multiple of 64 bytes"))


def _align(buf: bytearray, to: int = 64) -> None:
    buf.extend(b"\0" * (-len(buf) % to))


def build_moc3(
    *,
    parts: list[str],
    parameters: list[tuple[str, float, float, float]],
    drawables: list[tuple[str, int]],
    deformers: tuple[list[str], int] = ([], 0),
    version: int = 3,
    canvas: tuple[float, float, float, float, float] = (1000.0, 500.0, 500.0, 1000.0, 1000.0),
) -> bytes:
    """Write a structurally valid moc3 (LIVE2D.md §5) for test fixtures.

    ``parameters`` are ``(id, min, max, default)``; ``drawables`` are ``(id, texture number)``;
    ``deformers`` is ``(ids, number of warp deformers)`` (the rest are rotation deformers). Sections the
    checker does not read are empty and point at EOF, as empty sections do in real exports.
    """
    slots, count_ints = MOC_VERSIONS[version][2], MOC_VERSIONS[version][3]
    used_slots = MOC_VERSIONS[version][4]
    buf = bytearray(MAGIC + bytes([version, 0]) + b"\0" * 58)
    buf.extend(b"\0" * (4 * slots))
    _align(buf)
    offsets = [0] * slots
    deformer_ids, n_warp = deformers
    counts = [0] * count_ints
    counts[COUNT_PARTS] = len(parts)
    counts[COUNT_DEFORMERS] = len(deformer_ids)
    counts[COUNT_WARP] = n_warp
    counts[COUNT_ROTATION] = len(deformer_ids) - n_warp
    counts[COUNT_ARTMESHES] = len(drawables)
    counts[COUNT_PARAMETERS] = len(parameters)

    def put(slot: int, payload: bytes) -> None:
        _align(buf)
        offsets[slot] = len(buf)
        buf.extend(payload)

    def ids(values: list[str]) -> bytes:
        return b"".join(v.encode("utf-8")[: ID_SIZE - 1].ljust(ID_SIZE, b"\0") for v in values)

    put(SLOT_COUNTS, struct.pack(f"<{count_ints}i", *counts))
    put(SLOT_CANVAS, struct.pack("<5fB", *canvas, 0))
    put(SLOT_PART_IDS, ids(parts))
    put(SLOT_DEFORMER_IDS, ids(deformer_ids))
    put(SLOT_ARTMESH_IDS, ids([d[0] for d in drawables]))
    put(SLOT_TEXTURE_NOS, struct.pack(f"<{len(drawables)}I", *[d[1] for d in drawables]))
    put(SLOT_PARAM_IDS, ids([p[0] for p in parameters]))
    put(SLOT_PARAM_MAX, struct.pack(f"<{len(parameters)}f", *[p[2] for p in parameters]))
    put(SLOT_PARAM_MIN, struct.pack(f"<{len(parameters)}f", *[p[1] for p in parameters]))
    put(SLOT_PARAM_DEFAULT, struct.pack(f"<{len(parameters)}f", *[p[3] for p in parameters]))
    put(SLOT_PARAM_REPEAT, struct.pack(f"<{len(parameters)}i", *([0] * len(parameters))))
    _align(buf)
    end = len(buf)
    for slot in range(used_slots):
        if offsets[slot] == 0:
            offsets[slot] = end  # empty section: points exactly at EOF, as in real exports
    struct.pack_into(f"<{slots}I", buf, HEADER_SIZE, *offsets)
    return bytes(buf)
