"""Generate a minimal, valid Cubism 4 model folder (test fixtures, the demo and the benchmark).

Everything is written per LIVE2D.md: a moc3 per §5 that the real Cubism Core loads and animates (parts,
parameters incl. the standard mouth/eye IDs, textured quads bound to ParamAngleX / ParamMouthOpenY /
ParamEyeLOpen: see :mod:`live2d_tools.moc3_writer`), real PNG textures, one motion group per TinyTalk
emotion with exact Meta counts (§2.2), two expressions, physics3/pose3/cdi3/userdata3, EyeBlink/LipSync
groups, hit areas and the emotion mapping file. The result has zero errors and zero warnings under
:func:`live2d_tools.validate`.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from .emotions import EMOTIONS, MAPPING_FILE
from .moc3_writer import Quad, write_moc3

__all__ = ["ARM_B_EMOTIONS", "DRAWABLES", "PARAMETERS", "PARTS", "build_zip", "generate_model", "write_png"]

# (id, min, max, default)
PARAMETERS: list[tuple[str, float, float, float]] = [
    ("ParamAngleX", -30.0, 30.0, 0.0),
    ("ParamAngleY", -30.0, 30.0, 0.0),
    ("ParamAngleZ", -30.0, 30.0, 0.0),
    ("ParamEyeLOpen", 0.0, 1.0, 1.0),
    ("ParamEyeROpen", 0.0, 1.0, 1.0),
    ("ParamEyeBallX", -1.0, 1.0, 0.0),
    ("ParamBrowLY", -1.0, 1.0, 0.0),
    ("ParamMouthForm", -1.0, 1.0, 0.0),
    ("ParamMouthOpenY", 0.0, 1.0, 0.0),
    ("ParamCheek", 0.0, 1.0, 0.0),
    ("ParamBodyAngleX", -10.0, 10.0, 0.0),
    ("ParamBreath", 0.0, 1.0, 0.0),
    ("ParamHairFront", -1.0, 1.0, 0.0),
]
PARTS = ["PartCore", "PartFace", "PartArmA", "PartArmB"]
DRAWABLES = ["ArtMeshFace", "ArtMeshBody", "ArtMeshMouth", "ArtMeshEyeL", "ArtMeshArmA", "ArtMeshArmB"]
# the pose group PartArmA/PartArmB: these emotions raise arm set B (PartOpacity curves, as Haru's motions do)
ARM_B_EMOTIONS = frozenset({"thinking", "praise", "error"})
FPS = 30.0
DURATION = 3.0
# per emotion: (amplitude of ParamAngleX, mouth open peak) so the seven motions differ visibly
_STYLE = {
    "idle": (5.0, 0.0),
    "listening": (10.0, 0.0),
    "thinking": (20.0, 0.1),
    "speaking": (6.0, 1.0),
    "praise": (25.0, 0.6),
    "review": (12.0, 0.2),
    "error": (-20.0, 0.3),
}


def _quads(textures: int) -> list[Quad]:
    """The art meshes: a body, a face that turns with ParamAngleX, a mouth that opens with ParamMouthOpenY
    and an eye that closes with ParamEyeLOpen (so every emotion's motion is visible when rendered)."""
    quads = [
        Quad(
            "ArtMeshFace", 0, 1, (-0.2, 0.0, 0.2, 0.4), (0.0, 0.0, 1.0, 0.5),
            ("ParamAngleX", (-0.32, 0.0, 0.08, 0.4), (-0.08, 0.0, 0.32, 0.4)),
        ),
        Quad("ArtMeshBody", 1 % textures, 0, (-0.3, -0.45, 0.3, 0.05), (0.0, 0.5, 1.0, 1.0)),
        Quad(
            "ArtMeshMouth", 2 % textures, 1, (-0.08, 0.08, 0.08, 0.1), (0.85, 0.85, 1.0, 1.0),
            ("ParamMouthOpenY", (-0.08, 0.08, 0.08, 0.1), (-0.1, 0.02, 0.1, 0.16)),
        ),
        Quad(
            "ArtMeshEyeL", 3 % textures, 1, (-0.12, 0.22, -0.04, 0.3), (0.0, 0.85, 0.15, 1.0),
            ("ParamEyeLOpen", (-0.12, 0.255, -0.04, 0.265), (-0.12, 0.22, -0.04, 0.3)),
        ),
        # the two arm sets of the pose group: only one may be visible once the pose fade has finished
        Quad("ArtMeshArmA", 0, 2, (-0.28, -0.4, -0.2, -0.05), (0.0, 0.0, 0.2, 0.2)),
        Quad("ArtMeshArmB", 0, 3, (0.22, 0.05, 0.3, 0.4), (0.8, 0.8, 1.0, 1.0)),
    ]  # fmt: skip
    for i in range(4, textures):  # one extra quad per further texture (the first four use 0-3), so all are used
        x = -0.45 + 0.02 * (i % 40)
        quads.append(Quad(f"ArtMesh{i}", i, 0, (x, -0.5, x + 0.02, -0.48)))
    return quads


def write_png(path: Path, width: int, height: int, seed: int = 0) -> None:
    """Write an RGBA PNG quickly (numpy rows + zlib level 1): a gradient tinted per ``seed``."""
    import numpy as np

    x = np.linspace(0, 255, width, dtype=np.float32).astype(np.uint8)
    y = np.linspace(0, 255, height, dtype=np.float32).astype(np.uint8)
    rows = np.empty((height, 1 + width * 4), dtype=np.uint8)
    rows[:, 0] = 0  # filter type None
    px = rows[:, 1:].reshape(height, width, 4)
    px[:, :, 0] = x[None, :]
    px[:, :, 1] = y[:, None]
    px[:, :, 2] = (seed * 97) % 256
    px[:, :, 3] = 255
    raw = zlib.compress(rows.tobytes(), 1)

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def _curve(target: str, cid: str, n_segments: int, lo: float, hi: float, phase: float) -> dict[str, Any]:
    """A curve of ``n_segments`` segments cycling linear, bezier, stepped, inverse-stepped."""
    n = max(1, n_segments)
    mid, amp = (lo + hi) / 2, (hi - lo) / 2

    def val(t: float) -> float:
        return round(mid + amp * math.sin(2 * math.pi * t / DURATION + phase), 4)

    times = [round(DURATION * k / n, 4) for k in range(n + 1)]
    seg: list[float] = [times[0], val(times[0])]
    for k in range(1, n + 1):
        t0, t1 = times[k - 1], times[k]
        kind = (k - 1) % 4
        seg.append(kind)
        if kind == 1:
            a, b = round(t0 + (t1 - t0) / 3, 4), round(t0 + 2 * (t1 - t0) / 3, 4)
            seg += [a, val(a), b, val(b), t1, val(t1)]
        else:
            seg += [t1, val(t1)]
    return {"Target": target, "Id": cid, "Segments": seg}


def count_curve(segments: list[float]) -> tuple[int, int]:
    """(segments, points) of one curve, walked as CubismMotionJson.hasConsistency does."""
    pos, pts, segs = 2, 1, 0
    while pos < len(segments):
        kind = int(segments[pos])
        width = 6 if kind == 1 else 2
        pts += 3 if kind == 1 else 1
        segs += 1
        pos += 1 + width
    return segs, pts


def _motion(emotion: str, per_curve: int, with_user_data: bool) -> dict[str, Any]:
    amp, mouth = _STYLE[emotion]
    lo = min(0.0, amp)
    hi = max(0.0, amp)
    curves = [
        _curve("Parameter", "ParamAngleX", per_curve, lo if lo < 0 else -abs(amp) / 2, hi, 0.0),
        _curve("Parameter", "ParamEyeLOpen", per_curve, 0.0, 1.0, 1.0),
        _curve("Parameter", "ParamMouthOpenY", per_curve, 0.0, mouth, 0.5),
        {"Target": "PartOpacity", "Id": "PartCore", "Segments": [0, 1, 0, DURATION, 1]},
    ]
    arm_b = 1.0 if emotion in ARM_B_EMOTIONS else 0.0
    curves += [
        {"Target": "PartOpacity", "Id": "PartArmA", "Segments": [0, 1 - arm_b, 0, DURATION, 1 - arm_b]},
        {"Target": "PartOpacity", "Id": "PartArmB", "Segments": [0, arm_b, 0, DURATION, arm_b]},
    ]
    segs = pts = 0
    for c in curves:
        s, p = count_curve(c["Segments"])
        segs += s
        pts += p
    user_data: list[dict[str, Any]] = (
        [{"Time": 0.5, "Value": "blink"}, {"Time": 1.5, "Value": "breath"}] if with_user_data else []
    )
    meta: dict[str, Any] = {
        "Duration": DURATION,
        "Fps": FPS,
        "Loop": True,
        "AreBeziersRestricted": True,
        "CurveCount": len(curves),
        "TotalSegmentCount": segs,
        "TotalPointCount": pts,
        "UserDataCount": len(user_data),
        "TotalUserDataSize": sum(len(u["Value"].encode("utf-8")) for u in user_data),
    }
    motion: dict[str, Any] = {"Version": 3, "Meta": meta, "Curves": curves}
    if user_data:
        motion["UserData"] = user_data
    return motion


def _dump(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False), encoding="utf-8")


def generate_model(
    dest: Path,
    *,
    name: str = "Hiyori",
    texture_size: int = 256,
    textures: int = 1,
    motions_per_emotion: int = 1,
    segments: int = 0,
    emotion_mapping: bool = True,
) -> Path:
    """Write a valid model into ``dest`` (created) and return the path of its ``<name>.model3.json``.

    ``segments`` is the total number of motion segments to spread over all motions (0 = 8 per curve);
    ``emotion_mapping`` also writes ``tinytalk.emotions.json`` (groups are named after the emotions
    either way, so the model resolves all seven emotions with or without it).
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    textures = max(1, textures)
    (dest / f"{name}.moc3").write_bytes(write_moc3(parts=PARTS, parameters=PARAMETERS, quads=_quads(textures)))

    tex_dir = f"{name}.{texture_size}"
    (dest / tex_dir).mkdir(exist_ok=True)
    tex_paths = []
    for i in range(textures):
        rel = f"{tex_dir}/texture_{i:02d}.png"
        write_png(dest / rel, texture_size, texture_size, seed=i)
        tex_paths.append(rel)

    n_motions = len(EMOTIONS) * max(1, motions_per_emotion)
    per_curve = max(1, segments // (n_motions * 3)) if segments else 8
    motions: dict[str, list[dict[str, Any]]] = {}
    for emotion in EMOTIONS:
        group = emotion.capitalize()
        entries = []
        for i in range(max(1, motions_per_emotion)):
            rel = f"motions/{emotion}_{i:02d}.motion3.json"
            _dump(dest / rel, _motion(emotion, per_curve, with_user_data=(emotion == "idle" and i == 0)))
            entries.append({"File": rel, "FadeInTime": 0.5, "FadeOutTime": 0.5})
        motions[group] = entries

    _dump(
        dest / "expressions/smile.exp3.json",
        {
            "Type": "Live2D Expression",
            "FadeInTime": 0.5,
            "FadeOutTime": 0.5,
            "Parameters": [
                {"Id": "ParamMouthForm", "Value": 1, "Blend": "Overwrite"},
                {"Id": "ParamCheek", "Value": 1, "Blend": "Add"},
            ],
        },
    )
    _dump(
        dest / "expressions/frown.exp3.json",
        {"Type": "Live2D Expression", "Parameters": [{"Id": "ParamBrowLY", "Value": -0.5, "Blend": "Add"}]},
    )
    _dump(
        dest / f"{name}.physics3.json",
        {
            "Version": 3,
            "Meta": {
                "PhysicsSettingCount": 1,
                "TotalInputCount": 1,
                "TotalOutputCount": 1,
                "VertexCount": 2,
                "EffectiveForces": {"Gravity": {"X": 0, "Y": -1}, "Wind": {"X": 0, "Y": 0}},
                "PhysicsDictionary": [{"Id": "PhysicsSetting1", "Name": "Hair"}],
            },
            "PhysicsSettings": [
                {
                    "Id": "PhysicsSetting1",
                    "Input": [
                        {
                            "Source": {"Target": "Parameter", "Id": "ParamAngleX"},
                            "Weight": 100,
                            "Type": "X",
                            "Reflect": False,
                        }
                    ],
                    "Output": [
                        {
                            "Destination": {"Target": "Parameter", "Id": "ParamHairFront"},
                            "VertexIndex": 1,
                            "Scale": 1.5,
                            "Weight": 100,
                            "Type": "Angle",
                            "Reflect": False,
                        }
                    ],
                    "Vertices": [
                        {"Position": {"X": 0, "Y": 0}, "Mobility": 1, "Delay": 1, "Acceleration": 1, "Radius": 0},
                        {
                            "Position": {"X": 0, "Y": 3},
                            "Mobility": 0.95,
                            "Delay": 0.9,
                            "Acceleration": 1.5,
                            "Radius": 3,
                        },
                    ],
                    "Normalization": {
                        "Position": {"Minimum": -10, "Default": 0, "Maximum": 10},
                        "Angle": {"Minimum": -10, "Default": 0, "Maximum": 10},
                    },
                }
            ],
        },
    )
    _dump(
        dest / f"{name}.pose3.json",
        {
            "Type": "Live2D Pose",
            "FadeInTime": 0.5,
            "Groups": [[{"Id": "PartArmA", "Link": []}, {"Id": "PartArmB", "Link": []}]],
        },
    )
    _dump(
        dest / f"{name}.cdi3.json",
        {
            "Version": 3,
            "Parameters": [{"Id": p[0], "GroupId": "", "Name": p[0].removeprefix("Param")} for p in PARAMETERS],
            "ParameterGroups": [],
            "Parts": [{"Id": p, "Name": p.removeprefix("Part")} for p in PARTS],
        },
    )
    _dump(
        dest / f"{name}.userdata3.json",
        {
            "Version": 3,
            "Meta": {"UserDataCount": 1, "TotalUserDataSize": 4},
            "UserData": [{"Target": "ArtMesh", "Id": "ArtMeshFace", "Value": "face"}],
        },
    )
    model3 = {
        "Version": 3,
        "FileReferences": {
            "Moc": f"{name}.moc3",
            "Textures": tex_paths,
            "Physics": f"{name}.physics3.json",
            "Pose": f"{name}.pose3.json",
            "DisplayInfo": f"{name}.cdi3.json",
            "UserData": f"{name}.userdata3.json",
            "Expressions": [
                {"Name": "smile", "File": "expressions/smile.exp3.json"},
                {"Name": "frown", "File": "expressions/frown.exp3.json"},
            ],
            "Motions": motions,
        },
        "Groups": [
            {"Target": "Parameter", "Name": "EyeBlink", "Ids": ["ParamEyeLOpen", "ParamEyeROpen"]},
            {"Target": "Parameter", "Name": "LipSync", "Ids": ["ParamMouthOpenY"]},
        ],
        "HitAreas": [{"Id": "ArtMeshFace", "Name": "Head"}, {"Id": "ArtMeshBody", "Name": "Body"}],
        "Layout": {"center_x": 0, "center_y": 0, "width": 2},
    }
    model_path = dest / f"{name}.model3.json"
    _dump(model_path, model3)
    if emotion_mapping:
        mapping: dict[str, Any] = {e: {"group": e.capitalize(), "index": 0} for e in EMOTIONS}
        mapping["praise"]["expression"] = "smile"
        mapping["error"]["expression"] = "frown"
        _dump(dest / MAPPING_FILE, mapping)
    return model_path


def build_zip(model_dir: Path, zip_path: Path, *, top_folder: str | None = None) -> Path:
    """Zip ``model_dir`` as artists send it: every file under one top folder (default: the folder's name)."""
    model_dir = Path(model_dir)
    top = model_dir.name if top_folder is None else top_folder
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(model_dir.rglob("*")):
            if path.is_file():
                rel = path.relative_to(model_dir).as_posix()
                zf.write(path, f"{top}/{rel}" if top else rel)
    return zip_path
