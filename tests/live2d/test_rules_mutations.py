"""One mutation of the valid generated model per rule: each must produce exactly that rule id.

"Exactly": the error/warning rule ids that the mutation adds are ``{rule}`` (plus a documented ``also`` set
where one change unavoidably trips a second rule); info rules must appear. Rules exercised elsewhere are
listed in ``ELSEWHERE`` and a test checks that every rule in the table is covered by one or the other.
"""

from __future__ import annotations

import json
import shutil
import struct
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from live2d_tools import validate
from live2d_tools.generate import PARAMETERS, PARTS, write_png
from live2d_tools.moc3 import build_moc3
from live2d_tools.rules import RULES

BASELINE_INFO = {"MOC-009", "MOT-016", "EMO-005"}
# rules covered by other test modules (zip, Cubism 2, Core, emotions tables)
ELSEWHERE = {
    "ZIP-001", "ZIP-002", "ZIP-003", "ZIP-004", "ZIP-005", "ZIP-006", "ZIP-007", "ZIP-008", "ZIP-009",
    "C2-001", "C2-002", "C2-003", "C2-004", "C2-005", "C2-006", "C2-007", "C2-008",
    "CORE-001", "CORE-002", "CORE-003",
}  # fmt: skip


class M:
    """The model folder under mutation, with small helpers that keep the test table readable."""

    def __init__(self, model3: Path) -> None:
        self.m3 = model3
        self.d = model3.parent

    def edit(self, rel: str, fn: Callable[[Any], Any]) -> None:
        path = self.d / rel
        obj = json.loads(path.read_text(encoding="utf-8"))
        out = fn(obj)
        path.write_text(json.dumps(out if isinstance(out, dict | list) else obj), encoding="utf-8")

    def model(self, fn: Callable[[dict[str, Any]], Any]) -> None:
        self.edit(self.m3.name, fn)

    def refs(self, fn: Callable[[dict[str, Any]], Any]) -> None:
        self.model(lambda m: fn(m["FileReferences"]))

    def motion(self, fn: Callable[[dict[str, Any]], Any], name: str = "idle_00") -> None:
        self.edit(f"motions/{name}.motion3.json", fn)

    def moc(self, fn: Callable[[bytearray], Any]) -> None:
        path = self.d / "Hiyori.moc3"
        buf = bytearray(path.read_bytes())
        out = fn(buf)
        path.write_bytes(bytes(buf if out is None else out))

    def rename(self, rel: str, new: str) -> None:
        (self.d / new).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(self.d / rel), str(self.d / new))


@dataclass
class Case:
    rule: str
    mutate: Callable[[M], object]
    kwargs: dict[str, Any] = field(default_factory=dict)
    also: set[str] = field(default_factory=set)
    name: str = ""


def _set(obj: Any, path: list[Any], value: Any) -> None:
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


def _del(obj: Any, path: list[Any]) -> None:
    for key in path[:-1]:
        obj = obj[key]
    del obj[path[-1]]


def _bump(key: str, by: int) -> Callable[[dict[str, Any]], None]:
    def fn(mo: dict[str, Any]) -> None:
        mo["Meta"][key] += by

    return fn


def _curve3(segments: list[float], dseg: int, dpt: int, extra: dict[str, Any] | None = None) -> Callable[[M], None]:
    """Replace the PartOpacity curve (index 3: 1 segment, 2 points) and adjust Meta counts by dseg/dpt."""

    def fn(mo: dict[str, Any]) -> None:
        mo["Curves"][3]["Segments"] = segments
        mo["Curves"][3].update(extra or {})
        mo["Meta"]["TotalSegmentCount"] += dseg
        mo["Meta"]["TotalPointCount"] += dpt

    return lambda m: m.motion(fn)


def _add_curve(curve: dict[str, Any], dseg: int, dpt: int) -> Callable[[M], None]:
    def fn(mo: dict[str, Any]) -> None:
        mo["Curves"].append(curve)
        mo["Meta"]["CurveCount"] += 1
        mo["Meta"]["TotalSegmentCount"] += dseg
        mo["Meta"]["TotalPointCount"] += dpt

    return lambda m: m.motion(fn)


def _write(rel: str, data: bytes) -> Callable[[M], object]:
    def fn(m: M) -> None:
        (m.d / rel).parent.mkdir(parents=True, exist_ok=True)
        (m.d / rel).write_bytes(data)

    return fn


def _pose_as(name: str, ref: str | None = None) -> Callable[[M], None]:
    def fn(m: M) -> None:
        m.rename("Hiyori.pose3.json", name)
        m.refs(lambda r: _set(r, ["Pose"], ref if ref is not None else name))

    return fn


def _png_header(width: int, height: int) -> bytes:
    import zlib

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _image(mode: str, size: tuple[int, int], fmt: str) -> Callable[[M], None]:
    def fn(m: M) -> None:
        from PIL import Image

        Image.new(mode, size).save(m.d / "Hiyori.256/texture_00.png", format=fmt)

    return fn


def _moc_counts(index: int, value: int) -> Callable[[M], None]:
    def fn(buf: bytearray) -> None:
        off = struct.unpack_from("<I", buf, 0x40)[0]
        struct.pack_into("<i", buf, off + 4 * index, value)

    return lambda m: m.moc(fn)


def _moc_slot(slot: int, value: Callable[[bytearray], int]) -> Callable[[M], None]:
    def fn(buf: bytearray) -> None:
        struct.pack_into("<I", buf, 0x40 + 4 * slot, value(buf))

    return lambda m: m.moc(fn)


def _moc_mesh_ids(fn: Callable[[bytearray, int], None]) -> Callable[[M], None]:
    """Edit the art-mesh ID section (slot 33); entries 2 and 3 (mouth, left eye) are not cross-referenced."""

    def edit(buf: bytearray) -> None:
        fn(buf, struct.unpack_from("<I", buf, 0x40 + 4 * 33)[0])

    return lambda m: m.moc(edit)


def _dup_id(buf: bytearray, off: int) -> None:
    buf[off + 3 * 64 : off + 4 * 64] = buf[off + 2 * 64 : off + 3 * 64]


def _unterminated_id(buf: bytearray, off: int) -> None:
    buf[off + 3 * 64 : off + 4 * 64] = b"A" * 64


def _moc_texture_no(m: M) -> None:
    def fn(buf: bytearray) -> None:
        off = struct.unpack_from("<I", buf, 0x40 + 4 * 41)[0]
        struct.pack_into("<I", buf, off, 3)

    m.moc(fn)


def _no_mouth_moc(m: M) -> None:
    params = [p for p in PARAMETERS if "Mouth" not in p[0]]
    drawables = [("ArtMeshFace", 0), ("ArtMeshBody", 0), ("ArtMeshMouth", 0), ("ArtMeshEyeL", 0)]
    (m.d / "Hiyori.moc3").write_bytes(
        build_moc3(parts=PARTS, parameters=params, drawables=drawables, deformers=(["Warp1", "Rotation1"], 1))
    )
    m.model(lambda o: o.__setitem__("Groups", [g for g in o["Groups"] if g["Name"] != "LipSync"]))


def _mapping(value: Any) -> Callable[[M], object]:
    return lambda m: (m.d / "tinytalk.emotions.json").write_text(json.dumps(value), encoding="utf-8")


def _rename_idle_group(m: M) -> None:
    (m.d / "tinytalk.emotions.json").unlink()
    m.refs(lambda r: r["Motions"].__setitem__("Rest", r["Motions"].pop("Idle")))


def _mp3_sound(m: M) -> None:
    _write("sounds/a.mp3", b"ID3fake")(m)
    m.refs(lambda r: _set(r, ["Motions", "Idle", 0, "Sound"], "sounds/a.mp3"))


def _one_vertex(m: M) -> None:
    def fn(p: dict[str, Any]) -> None:
        p["PhysicsSettings"][0]["Vertices"].pop()
        p["Meta"]["VertexCount"] = 1

    m.edit("Hiyori.physics3.json", fn)


NFD = unicodedata.normalize("NFD", "Posé")
NFC = unicodedata.normalize("NFC", "Posé")

CASES: list[Case] = [
    Case("PKG-001", lambda m: m.m3.unlink()),
    Case("PKG-002", lambda m: shutil.copy(m.m3, m.d / "motions" / "Other.model3.json")),
    Case("PKG-003", _write("Hiyori.256/texture_00.png", b"")),
    Case("PKG-004", _write("Hiyori.cmo3", b"project")),
    Case("PKG-005", _write("notes.txt", b"hello")),
    Case("JSON-001", _write("Hiyori.physics3.json", b"{bad json")),
    Case("JSON-001", _write("Hiyori.physics3.json", b'{"Version": 3, "x": "\xff"}'), name="JSON-001-utf8"),
    Case("JSON-001", _write("Hiyori.physics3.json", b"[1, 2]"), name="JSON-001-root"),
    Case(
        "JSON-002",
        lambda m: (m.d / "Hiyori.pose3.json").write_bytes(b"\xef\xbb\xbf" + (m.d / "Hiyori.pose3.json").read_bytes()),
    ),
    Case(
        "JSON-003",
        lambda m: (m.d / "Hiyori.physics3.json").write_text(
            (m.d / "Hiyori.physics3.json").read_text().replace('"Scale": 1.5', '"Scale": NaN')
        ),
    ),
    Case("JSON-004", lambda m: m.model(lambda o: _set(o, ["Extra"], 1))),
    Case("JSON-004", lambda m: m.motion(lambda mo: _set(mo, ["Curves", 0, "Weight"], 1)), name="JSON-004-motion3"),
    Case("JSON-004", lambda m: m.motion(lambda mo: _set(mo, ["Meta", "Speed"], 1)), name="JSON-004-motion3-meta"),
    Case(
        "JSON-004",
        lambda m: m.edit("expressions/smile.exp3.json", lambda e: _set(e, ["Parameters", 0, "Calc"], "mult")),
        name="JSON-004-exp3",
    ),
    Case(
        "JSON-004",
        lambda m: m.edit("Hiyori.physics3.json", lambda p: _set(p, ["PhysicsSettings", 0, "Vertices", 0, "Mass"], 1)),
        name="JSON-004-physics3",
    ),
    Case(
        "JSON-004",
        lambda m: m.edit("Hiyori.physics3.json", lambda p: _set(p, ["Meta", "EffectiveForces", "Gravity", "Z"], 0)),
        name="JSON-004-physics3-vec",
    ),
    Case(
        "JSON-004",
        lambda m: m.edit("Hiyori.pose3.json", lambda p: _set(p, ["Groups", 0, 0, "Links"], [])),
        name="JSON-004-pose3",
    ),
    Case("JSON-004", lambda m: m.edit("Hiyori.cdi3.json", lambda c: _set(c, ["Comment"], "x")), name="JSON-004-cdi3"),
    Case(
        "JSON-004",
        lambda m: m.edit("Hiyori.userdata3.json", lambda u: _set(u, ["UserData", 0, "Tag"], "x")),
        name="JSON-004-userdata3",
    ),
    Case("M3-001", lambda m: m.model(lambda o: _del(o, ["Version"]))),
    Case("M3-002", lambda m: m.model(lambda o: _set(o, ["FileReferences"], []))),
    Case("M3-003", lambda m: m.refs(lambda r: _set(r, ["Moc"], 5))),
    Case("M3-004", lambda m: m.refs(lambda r: _set(r, ["Textures"], []))),
    Case("M3-005", lambda m: m.refs(lambda r: _set(r, ["Physics"], 5))),
    Case("M3-005", lambda m: m.refs(lambda r: _set(r, ["Motions"], [{"File": "x"}])), name="M3-005-motions-array"),
    Case("M3-006", lambda m: m.refs(lambda r: _set(r, ["Expressions", 0], {"Name": "smile"}))),
    Case("M3-007", lambda m: m.refs(lambda r: _set(r, ["Expressions", 1, "Name"], "smile"))),
    Case("M3-008", lambda m: m.refs(lambda r: _set(r, ["Motions", "Idle", 0], {"Fil": "x"}))),
    Case("M3-009", lambda m: m.refs(lambda r: _set(r, ["Motions", "Idle", 0, "FadeInTime"], -1))),
    Case("M3-010", lambda m: m.refs(lambda r: _set(r, ["Motions", ""], [{"File": "motions/idle_00.motion3.json"}]))),
    Case("M3-011", lambda m: m.model(lambda o: _set(o, ["Groups", 0], {"Target": "Parameter"}))),
    Case("M3-012", lambda m: m.model(lambda o: _set(o, ["Groups", 0, "Name"], "Blink"))),
    Case("M3-013", lambda m: m.model(lambda o: _set(o, ["HitAreas", 0], {"Name": "Head"}))),
    Case("M3-014", lambda m: m.model(lambda o: _set(o, ["HitAreas", 1, "Name"], "Head"))),
    Case("M3-015", lambda m: m.model(lambda o: _set(o, ["Layout", "CenterX"], 0))),
    Case("M3-016", _pose_as("Hiyori.pose.json")),
    Case("M3-017", _mp3_sound),
    Case("REF-001", lambda m: m.refs(lambda r: _set(r, ["Pose"], "/abs/Hiyori.pose3.json"))),
    Case("REF-001", lambda m: m.refs(lambda r: _set(r, ["Pose"], "https://cdn/x.pose3.json")), name="REF-001-url"),
    Case("REF-002", lambda m: m.refs(lambda r: _set(r, ["Pose"], "../Hiyori.pose3.json"))),
    Case("REF-003", lambda m: m.refs(lambda r: _set(r, ["Pose"], "missing.pose3.json"))),
    Case("REF-004", lambda m: m.refs(lambda r: _set(r, ["Pose"], "hiyori.pose3.json"))),
    Case("REF-005", _pose_as(f"{NFD}.pose3.json", f"{NFC}.pose3.json"), also={"REF-008"}),
    Case("REF-006", _pose_as("sub/x.pose3.json", "sub\\x.pose3.json")),
    Case("REF-007", _pose_as("Hiyori#1.pose3.json")),
    Case("REF-008", _pose_as("Hiyori pose.pose3.json")),
    Case("MOC-001", lambda m: m.moc(lambda b: b[:100])),
    Case("MOC-002", lambda m: m.moc(lambda b: b"MOCX" + b[4:])),
    Case("MOC-003", lambda m: m.moc(lambda b: b[:4] + bytes([9]) + b[5:])),
    Case("MOC-003", lambda m: None, kwargs={"max_moc_version": 2}, name="MOC-003-max-version"),
    Case("MOC-004", lambda m: m.moc(lambda b: b[:5] + b"\x01" + b[6:])),
    Case("MOC-005", _moc_slot(3, lambda b: len(b) - 10)),
    Case("MOC-005", _moc_slot(7, lambda b: len(b) + 64), name="MOC-005-offset-past-eof"),
    Case("MOC-006", _moc_counts(2, 5)),
    Case("MOC-006", _moc_counts(0, -1), name="MOC-006-negative"),
    Case("MOC-007", lambda m: _moc_texture_no(m)),
    Case("MOC-008", lambda m: m.moc(lambda b: b + b"\0" * 10)),
    Case("MOC-008", _moc_mesh_ids(_dup_id), name="MOC-008-duplicate-ids"),
    Case("MOC-008", _moc_mesh_ids(_unterminated_id), name="MOC-008-no-nul"),
    Case("MOC-009", lambda m: None),
    Case("TEX-001", _write("Hiyori.256/texture_00.png", b"not an image at all")),
    Case("TEX-002", _image("RGBA", (256, 256), "WEBP")),
    Case("TEX-003", _image("RGBA", (256, 128), "PNG")),
    Case("TEX-004", lambda m: None, kwargs={"max_texture_size": 128}),
    Case("TEX-005", _image("RGB", (256, 256), "PNG")),
    Case("TEX-006", _write("Hiyori.256/texture_00.png", _png_header(40000, 40000))),
    Case("MOT-001", lambda m: m.motion(lambda mo: _del(mo, ["Meta", "Duration"]))),
    Case("MOT-002", lambda m: m.motion(lambda mo: _del(mo, ["Version"]))),
    Case("MOT-003", lambda m: m.motion(_bump("CurveCount", 1))),
    Case("MOT-004", lambda m: m.motion(_bump("TotalSegmentCount", 1))),
    Case("MOT-005", lambda m: m.motion(_bump("TotalPointCount", -1))),
    Case("MOT-006", _curve3([0, 1, 0, 3.0, 1], -1, -2, {"Target": 5})),
    Case("MOT-007", _curve3([0, 1, 0, 3.0, 1], 0, 0, {"Target": "Part"})),
    Case("MOT-008", _curve3([0, 1, 0, 3.0], 0, 0)),
    Case("MOT-008", _curve3([0, 1, 7, 3.0, 1], -1, -1), name="MOT-008-unknown-type"),
    Case("MOT-009", _add_curve({"Target": "Model", "Id": "Foo", "Segments": [0, 1, 0, 3.0, 1]}, 1, 2)),
    Case("MOT-010", _curve3([0, 1, 0, 3.0, 1, 0, 1.0, 1], 1, 1)),
    Case("MOT-011", _curve3([0, 1, 0, 3.5, 1], 0, 0)),
    Case("MOT-012", lambda m: m.motion(_bump("UserDataCount", 1))),
    Case("MOT-013", lambda m: m.motion(_bump("TotalUserDataSize", 1))),
    Case("MOT-014", lambda m: m.motion(lambda mo: _set(mo, ["Meta", "FadeInTime"], -1))),
    Case("MOT-015", _add_curve({"Target": "PartOpacity", "Id": "PartCore", "Segments": [0, 1, 0, 3.0, 1]}, 1, 2)),
    Case("MOT-016", lambda m: None),
    Case("EXP-001", lambda m: m.edit("expressions/smile.exp3.json", lambda e: _del(e, ["Type"]))),
    Case("EXP-002", lambda m: m.edit("expressions/smile.exp3.json", lambda e: _set(e, ["Parameters", 0], {"Id": "X"}))),
    Case(
        "EXP-003", lambda m: m.edit("expressions/smile.exp3.json", lambda e: _set(e, ["Parameters", 1, "Blend"], "Mul"))
    ),
    Case("EXP-004", lambda m: m.edit("expressions/smile.exp3.json", lambda e: _set(e, ["FadeInTime"], -1))),
    Case(
        "EXP-005",
        lambda m: m.edit(
            "expressions/smile.exp3.json", lambda e: e["Parameters"].append({"Id": "ParamCheek", "Value": 0.5})
        ),
    ),
    Case("PHY-001", lambda m: m.edit("Hiyori.physics3.json", lambda p: _del(p, ["PhysicsSettings"]))),
    Case("PHY-002", lambda m: m.edit("Hiyori.physics3.json", lambda p: _set(p, ["Meta", "PhysicsSettingCount"], 2))),
    Case("PHY-003", lambda m: m.edit("Hiyori.physics3.json", lambda p: _set(p, ["Meta", "TotalInputCount"], 2))),
    Case("PHY-004", lambda m: m.edit("Hiyori.physics3.json", lambda p: _set(p, ["Meta", "TotalOutputCount"], 0))),
    Case("PHY-005", lambda m: m.edit("Hiyori.physics3.json", lambda p: _set(p, ["Meta", "VertexCount"], 3))),
    Case(
        "PHY-006",
        lambda m: m.edit("Hiyori.physics3.json", lambda p: _set(p, ["PhysicsSettings", 0, "Input", 0, "Type"], "Z")),
    ),
    Case(
        "PHY-007",
        lambda m: m.edit(
            "Hiyori.physics3.json", lambda p: _set(p, ["PhysicsSettings", 0, "Output", 0, "VertexIndex"], 5)
        ),
    ),
    Case("PHY-008", _one_vertex, also={"PHY-007"}),  # with one vertex no output VertexIndex can be valid
    Case("PHY-009", lambda m: m.edit("Hiyori.physics3.json", lambda p: _del(p, ["Meta", "EffectiveForces"]))),
    Case(
        "PHY-010",
        lambda m: m.edit("Hiyori.physics3.json", lambda p: _set(p, ["Meta", "PhysicsDictionary", 0, "Id"], "Other")),
    ),
    Case(
        "PHY-011",
        lambda m: m.edit(
            "Hiyori.physics3.json", lambda p: _set(p, ["PhysicsSettings", 0, "Input", 0, "Source", "Target"], "Part")
        ),
    ),
    Case("POSE-001", lambda m: m.edit("Hiyori.pose3.json", lambda p: _del(p, ["Type"]))),
    Case("POSE-002", lambda m: m.edit("Hiyori.pose3.json", lambda p: _set(p, ["Groups"], [{"Id": "PartArmA"}]))),
    Case("POSE-003", lambda m: m.edit("Hiyori.pose3.json", lambda p: _set(p, ["FadeInTime"], -1))),
    Case(
        "POSE-004",
        lambda m: m.edit("Hiyori.pose3.json", lambda p: p["Groups"].append([{"Id": "PartArmA", "Link": []}])),
    ),
    Case("CDI-001", lambda m: m.edit("Hiyori.cdi3.json", lambda c: _del(c, ["Parts"]))),
    Case("CDI-002", lambda m: m.edit("Hiyori.cdi3.json", lambda c: _set(c, ["Parameters", 0, "GroupId"], "Nope"))),
    Case("UD-001", lambda m: m.edit("Hiyori.userdata3.json", lambda u: _set(u, ["Meta", "UserDataCount"], 2))),
    Case("UD-002", lambda m: m.edit("Hiyori.userdata3.json", lambda u: _set(u, ["Meta", "TotalUserDataSize"], 9))),
    Case("XREF-001", lambda m: m.motion(lambda mo: _set(mo, ["Curves", 0, "Id"], "ParamAngleXX"))),
    Case(
        "XREF-001",
        lambda m: m.model(lambda o: _set(o, ["Groups", 1, "Ids"], ["ParamMouthOpen"])),
        name="XREF-001-lipsync",
    ),
    Case("XREF-002", lambda m: m.edit("Hiyori.pose3.json", lambda p: p["Groups"][0].append({"Id": "PartNope"}))),
    Case("XREF-003", lambda m: m.model(lambda o: _set(o, ["HitAreas", 0, "Id"], "ArtMeshNope"))),
    Case(
        "XREF-003",
        lambda m: m.edit("Hiyori.userdata3.json", lambda u: _set(u, ["UserData", 0, "Id"], "X")),
        name="XREF-003-ud",
    ),
    Case(
        "XREF-004",
        lambda m: m.edit(
            "Hiyori.cdi3.json", lambda c: c["Parameters"].append({"Id": "ParamGhost", "GroupId": "", "Name": "G"})
        ),
    ),
    Case(
        "XREF-005", lambda m: m.edit("Hiyori.cdi3.json", lambda c: c["Parts"].append({"Id": "PartSketch", "Name": "S"}))
    ),
    Case(
        "XREF-006",
        lambda m: m.edit("expressions/smile.exp3.json", lambda e: _set(e, ["Parameters", 0, "Value"], 5)),
    ),
    # sub-conditions named in a rule's title (LIVE2D.md §6), one row each
    Case("M3-004", lambda m: m.refs(lambda r: _set(r, ["Textures", 0], 5)), name="M3-004-not-string"),
    Case(
        "M3-012",
        lambda m: m.model(lambda o: _set(o, ["Groups", 1, "Name"], "EyeBlink")),
        name="M3-012-duplicate",
    ),
    Case("REF-001", lambda m: m.refs(lambda r: _set(r, ["Pose"], "C:/model/x.pose3.json")), name="REF-001-drive"),
    Case("MOT-011", lambda m: m.motion(lambda mo: _set(mo, ["Meta", "Fps"], 0)), name="MOT-011-fps"),
    Case(
        "PHY-009",
        lambda m: m.edit(
            "Hiyori.physics3.json", lambda p: _set(p, ["PhysicsSettings", 0, "Normalization", "Angle", "Minimum"], 99)
        ),
        name="PHY-009-min-max",
    ),
    Case(
        "PHY-009", lambda m: m.edit("Hiyori.physics3.json", lambda p: _set(p, ["Meta", "Fps"], 0)), name="PHY-009-fps"
    ),
    Case(
        "UD-002",
        lambda m: m.edit("Hiyori.userdata3.json", lambda u: _set(u, ["UserData", 0, "Target"], "Part")),
        name="UD-002-target",
    ),
    Case(
        "CDI-001",
        lambda m: m.edit("Hiyori.cdi3.json", lambda c: _del(c, ["Parts", 0, "Name"])),
        name="CDI-001-entry",
    ),
    Case("XREF-002", lambda m: m.motion(lambda mo: _set(mo, ["Curves", 3, "Id"], "PartNope")), name="XREF-002-curve"),
    Case(
        "XREF-001",
        lambda m: m.edit(
            "Hiyori.physics3.json", lambda p: _set(p, ["PhysicsSettings", 0, "Input", 0, "Source", "Id"], "ParamNope")
        ),
        name="XREF-001-physics",
    ),
    Case(
        "XREF-001",
        lambda m: m.edit("expressions/smile.exp3.json", lambda e: _set(e, ["Parameters", 0, "Id"], "ParamNope")),
        name="XREF-001-expression",
    ),
    Case("EMO-001", _rename_idle_group, kwargs={"emotions": True}),
    Case("EMO-002", _mapping({"idle": {"group": "Nope"}}), kwargs={"emotions": True}),
    Case(
        "EMO-002",
        _mapping({"praise": {"group": "Praise", "expression": "grin"}}),
        kwargs={"emotions": True},
        name="EMO-002-expr",
    ),
    Case("EMO-002", _mapping({"idle": {"group": "Idle", "index": 3}}), kwargs={"emotions": True}, name="EMO-002-index"),
    Case("EMO-003", _mapping([1, 2]), kwargs={"emotions": True}),
    Case("EMO-004", _no_mouth_moc, kwargs={"emotions": True}, also={"XREF-001", "XREF-004"}),
    Case("EMO-005", lambda m: None),
]


@pytest.fixture(scope="module")
def baseline(live2d_model_template: Path) -> set[str]:
    return {f.rule_id for f in validate(live2d_model_template.parent).findings}


@pytest.mark.parametrize("case", CASES, ids=[c.name or c.rule for c in CASES])
def test_mutation_produces_exactly_its_rule(case: Case, live2d_model: Path) -> None:
    case.mutate(M(live2d_model))
    report = validate(live2d_model.parent, **case.kwargs)
    ids = report.rule_ids
    assert case.rule in ids, [f.to_dict() for f in report.findings]
    rule = RULES[case.rule]
    if rule.severity != "info":
        blocking = {f.rule_id for f in report.findings if f.severity != "info"}
        assert blocking == {case.rule} | case.also, [f.to_dict() for f in report.findings if f.severity != "info"]
    for f in report.findings:
        if f.rule_id == case.rule:
            assert f.severity == rule.severity
            assert f.message and f.hint  # artists need both: what is wrong, how to fix it
            if f.rule_id not in ("PKG-001",):
                assert f.file, f
    assert report.ok == (not report.errors)


def test_every_rule_is_exercised() -> None:
    covered = {c.rule for c in CASES} | ELSEWHERE
    assert set(RULES) - covered == set()
    assert covered - set(RULES) == set()


def test_every_rule_is_emitted_somewhere_and_elsewhere_rules_are_tested() -> None:
    """A rule declared in the table but never emitted by the library (or 'covered elsewhere' by no test) is a
    silent gap: grep the rule id literals in the library and in the other test modules."""
    import re

    import live2d_tools

    pkg = Path(live2d_tools.__file__).parent
    code = "".join(p.read_text(encoding="utf-8") for p in pkg.rglob("*.py") if p.name != "rules.py")
    emitted = set(re.findall(r'"([A-Z0-9]+-\d{3})"', code))
    assert set(RULES) - emitted == set()
    here = Path(__file__).parent
    others = "".join(p.read_text(encoding="utf-8") for p in here.glob("test_*.py") if p.name != Path(__file__).name)
    assert {r for r in ELSEWHERE if f'"{r}"' not in others} == set()


def test_tolerances_of_real_exports_are_not_errors(live2d_model: Path) -> None:
    """LIVE2D.md §6 notes: one frame past Duration, guide parts missing from moc3, non-standard lip-sync IDs,
    unreferenced motion files and Loop: true must not be errors (nor warnings)."""
    m = M(live2d_model)
    # a key 0.03 s after Duration at 30 fps (< 1 frame)
    _curve3([0, 1, 0, 3.03, 1], 0, 0)(m)
    # a PartOpacity curve for a guide part listed in cdi3 but not exported in the moc3
    m.edit("Hiyori.cdi3.json", lambda c: c["Parts"].append({"Id": "PartSketch", "Name": "Sketch"}))
    _add_curve({"Target": "PartOpacity", "Id": "PartSketch", "Segments": [0, 1, 0, 3.0, 1]}, 1, 2)(m)
    # a non-standard lip-sync parameter that exists in the moc3 (Mao uses ParamA)
    m.model(lambda o: _set(o, ["Groups", 1, "Ids"], ["ParamMouthForm"]))
    # an unreferenced motion file
    shutil.copy(m.d / "motions/idle_00.motion3.json", m.d / "motions/extra.motion3.json")
    # an Overwrite value 0.5 % of the range past the maximum (Mark mark_m04 overshoots ParamBrowLY to 1.002)
    m.edit("expressions/smile.exp3.json", lambda e: _set(e, ["Parameters", 0, "Value"], 1.01))
    # an empty EyeBlink Ids list (official samples Mark, Rice) and a motion without the optional UserData
    m.model(lambda o: _set(o, ["Groups", 0, "Ids"], []))

    def drop_user_data(mo: dict[str, Any]) -> None:
        for key in ("UserDataCount", "TotalUserDataSize"):
            mo["Meta"].pop(key, None)
        mo.pop("UserData", None)

    m.motion(drop_user_data)
    report = validate(live2d_model.parent, emotions=True)
    assert report.ok_strict, [f.to_dict() for f in report.errors + report.warnings]
    assert {"XREF-005", "PKG-005", "MOT-016"} <= report.rule_ids
    assert "XREF-006" not in report.rule_ids


def test_keys_real_exports_write_are_not_json004(live2d_model: Path) -> None:
    """exp3 FadeInTime/FadeOutTime (schema says FadeIn/FadeOut), physics3 Meta.Fps (Mao, Ren) and cdi3
    CombinedParameters are written by real exports and must not warn (LIVE2D.md §3)."""
    m = M(live2d_model)
    m.edit("expressions/smile.exp3.json", lambda e: e.update(FadeInTime=0.5, FadeOutTime=0.5))
    m.edit("Hiyori.physics3.json", lambda p: _set(p, ["Meta", "Fps"], 30))
    m.edit("Hiyori.cdi3.json", lambda c: _set(c, ["CombinedParameters"], [["ParamAngleX", "ParamAngleY"]]))
    report = validate(live2d_model.parent)
    assert report.ok_strict, [f.to_dict() for f in report.errors + report.warnings]


def test_json004_reports_each_unknown_key_once_per_file(live2d_model: Path) -> None:
    """A tool that stamps a key on every curve yields one warning with a count, not one per curve."""
    m = M(live2d_model)

    def stamp(mo: dict[str, Any]) -> None:
        for cv in mo["Curves"]:
            cv["Tool"] = "x"

    m.motion(stamp)
    found = [f for f in validate(live2d_model.parent).findings if f.rule_id == "JSON-004"]
    assert len(found) == 1, [f.to_dict() for f in found]
    assert found[0].pointer == "/Curves/0/Tool" and "places" in found[0].message
    assert "Segments" in found[0].hint  # the hint lists the keys allowed at that level


def test_texture_size_limit_is_configurable(live2d_model: Path) -> None:
    write_png(live2d_model.parent / "Hiyori.256/texture_00.png", 512, 512)
    assert "TEX-004" in validate(live2d_model.parent, max_texture_size=256).rule_ids
    assert "TEX-004" not in validate(live2d_model.parent).rule_ids
