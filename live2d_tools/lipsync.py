"""Lip-sync from audio: a speaking ``motion3.json`` whose mouth follows the loudness of a WAV or MP3.

How the curve is made (docs/publishing.md, "Lip-sync"):

1. the audio is mixed to mono and cut into frames at the model's FPS; each frame's loudness is the RMS of a
   window two frames wide, in dB;
2. a **silence gate** closes the mouth on frames quieter than ``gate_db`` (absolute) or more than
   ``range_db`` below the loudest part of the clip; louder frames open it in proportion to their level
   between the gate and the clip's loud level (95th percentile), so quiet recordings still open fully;
3. **attack/release smoothing** (one-pole, ``attack_ms`` opening, ``release_ms`` closing) keeps the mouth from
   chattering; the result is simplified (points on a straight line removed, within ``tolerance``) and written
   as linear segments on each lip-sync parameter;
4. with an ElevenLabs character alignment (``characters`` + ``character_start_times_seconds`` +
   ``character_end_times_seconds``), a second curve on ``ParamMouthForm`` shapes vowels: i/e wide (+), a
   neutral-open, o/u round (−), consonants and pauses back to neutral.

Meta counts are computed from the written segments exactly as the Cubism framework counts them
(LIVE2D.md §2.2), so the motion passes the consistency check.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "DEFAULT_MOUTH_PARAMETER",
    "LipSyncError",
    "count_segments",
    "lipsync_motion",
    "lipsync_parameters",
    "model_fps",
    "mouth_envelope",
    "read_audio",
    "vowel_form_curve",
]

DEFAULT_MOUTH_PARAMETER = "ParamMouthOpenY"
MOUTH_FORM_PARAMETER = "ParamMouthForm"
# Mouth form per vowel letter: + = wide (smile-like), − = round. Everything else is neutral (0).
_VOWEL_FORM = {"i": 1.0, "e": 0.6, "y": 0.6, "a": 0.1, "o": -0.7, "u": -1.0, "w": -0.8}


class LipSyncError(ValueError):
    """The audio or alignment cannot be used (unreadable, empty, mismatched arrays)."""


def read_audio(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    """Mono float32 samples and the sample rate of a WAV, FLAC, OGG or MP3 file (libsndfile)."""
    import numpy as np
    import soundfile as sf

    if not Path(path).is_file():  # libsndfile would only say "System error."
        raise LipSyncError(f"{path}: no such audio file" + (" (it is a folder)" if Path(path).is_dir() else ""))
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise LipSyncError(f"{path}: cannot read audio ({exc})") from None
    if data.size == 0:
        raise LipSyncError(f"{path}: the audio is empty")
    return np.asarray(data.mean(axis=1), dtype=np.float32), int(rate)


def mouth_envelope(
    samples: npt.NDArray[np.float32],
    rate: int,
    *,
    fps: int = 30,
    gate_db: float = -50.0,
    range_db: float = 40.0,
    attack_ms: float = 40.0,
    release_ms: float = 120.0,
) -> npt.NDArray[np.float64]:
    """Mouth openness 0..1 per frame (frame i covers time i/fps)."""
    import numpy as np

    if fps <= 0 or rate <= 0:
        raise LipSyncError("fps and sample rate must be positive")
    hop = rate / fps
    n_frames = max(1, math.ceil(len(samples) / hop))
    x = samples.astype(np.float64)
    squares = np.concatenate([[0.0], np.cumsum(x * x)])
    centers = (np.arange(n_frames) * hop + hop / 2).astype(np.int64)
    lo = np.clip(centers - int(hop), 0, len(x))
    hi = np.clip(centers + int(hop), 0, len(x))
    width = np.maximum(hi - lo, 1)
    rms = np.sqrt(np.maximum(squares[hi] - squares[lo], 0.0) / width)
    db = 20.0 * np.log10(np.maximum(rms, 1e-9))
    loud = float(np.percentile(db, 95))
    gate = max(gate_db, float(db.max()) - range_db)
    if loud <= gate:
        return np.zeros(n_frames)
    level = np.clip((db - gate) / (loud - gate), 0.0, 1.0)
    level[db < gate] = 0.0
    # One-pole attack/release: open quickly on a syllable, close a little slower between them.
    up = 1.0 - math.exp(-1.0 / max(fps * attack_ms / 1000.0, 1e-6))
    down = 1.0 - math.exp(-1.0 / max(fps * release_ms / 1000.0, 1e-6))
    out = np.empty(n_frames)
    y = 0.0
    for i, target in enumerate(level):
        y += (up if target > y else down) * (target - y)
        out[i] = y
    out[out < 0.02] = 0.0  # the gate must really close the mouth, not leave it a hair open
    return out


def _simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Drop points lying within ``tolerance`` (value units) of the line between their neighbours kept."""
    if len(points) <= 2:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (ta, va), (tb, vb) = points[a], points[b]
        worst, index = -1.0, -1
        for i in range(a + 1, b):
            t, v = points[i]
            expected = va + (vb - va) * (t - ta) / (tb - ta) if tb > ta else va
            err = abs(v - expected)
            if err > worst:
                worst, index = err, i
        if worst > tolerance and index > 0:
            keep[index] = True
            stack += [(a, index), (index, b)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _linear_segments(points: Sequence[tuple[float, float]]) -> list[float]:
    """A flat Segments array of linear segments through ``points`` (at least two points)."""
    (t0, v0), rest = points[0], points[1:]
    segments = [round(t0, 4), round(v0, 3)]
    for t, v in rest:
        segments += [0, round(t, 4), round(v, 3)]
    return segments


def count_segments(segments: Sequence[float]) -> tuple[int, int]:
    """(segments, points) of one curve, walked the way CubismMotionJson.hasConsistency walks it."""
    width = {0: 2, 1: 6, 2: 2, 3: 2}
    points = {0: 1, 1: 3, 2: 1, 3: 1}
    n_seg, n_pts, pos = 0, 1, 2
    while pos < len(segments):
        kind = int(segments[pos])
        n_pts += points[kind]
        n_seg += 1
        pos += 1 + width[kind]
    return n_seg, n_pts


def vowel_form_curve(alignment: Mapping[str, Any], duration: float) -> list[tuple[float, float]]:
    """Mouth-form keyframes from an ElevenLabs character alignment (times in seconds)."""
    chars = alignment.get("characters")
    starts = alignment.get("character_start_times_seconds")
    ends = alignment.get("character_end_times_seconds")
    if not isinstance(chars, list) or not isinstance(starts, list) or not isinstance(ends, list):
        raise LipSyncError(
            "alignment needs 'characters', 'character_start_times_seconds' and 'character_end_times_seconds'"
        )
    if not (len(chars) == len(starts) == len(ends)):
        raise LipSyncError("alignment arrays have different lengths")
    points: list[tuple[float, float]] = [(0.0, 0.0)]
    for ch, start, end in zip(chars, starts, ends, strict=True):
        try:
            t0, t1 = float(start), float(end)
        except (TypeError, ValueError):
            raise LipSyncError(f"alignment time for {ch!r} is not a number") from None
        value = _VOWEL_FORM.get(str(ch).lower(), 0.0)
        for t in (t0, max(t0, (t0 + t1) / 2)):
            t = min(max(t, 0.0), duration)
            if t > points[-1][0] + 1e-4:
                points.append((t, value))
            elif abs(points[-1][0] - t) <= 1e-4 and value != 0.0:
                points[-1] = (points[-1][0], value)  # a vowel wins over a pause at the same instant
    if duration > points[-1][0] + 1e-4:
        points.append((duration, 0.0))
    if len(points) < 2:
        points.append((max(duration, 1e-3), 0.0))
    return points


def lipsync_parameters(model3: Mapping[str, Any] | Path) -> list[str]:
    """The model's LipSync group IDs, or ``["ParamMouthOpenY"]`` when it declares none."""
    if not isinstance(model3, Mapping):
        try:
            model3 = json.loads(Path(model3).read_bytes().decode("utf-8-sig"))
        except (OSError, ValueError):
            return [DEFAULT_MOUTH_PARAMETER]
        if not isinstance(model3, Mapping):
            return [DEFAULT_MOUTH_PARAMETER]
    for group in model3.get("Groups") or []:
        if isinstance(group, Mapping) and group.get("Name") == "LipSync":
            ids = [str(i) for i in group.get("Ids") or [] if isinstance(i, str) and i]
            if ids:
                return ids
            break  # the framework uses the first LipSync group only
    return [DEFAULT_MOUTH_PARAMETER]


def model_fps(model3_path: Path, default: int = 30) -> int:
    """The FPS of the model's motions (its speaking motion first), else ``default``."""
    try:
        model3 = json.loads(Path(model3_path).read_bytes().decode("utf-8-sig"))
        motions = model3["FileReferences"]["Motions"]
        groups = sorted(motions, key=lambda g: (g.lower() != "speaking", g))
        for group in groups:
            for entry in motions[group]:
                motion = json.loads((Path(model3_path).parent / entry["File"]).read_bytes().decode("utf-8-sig"))
                fps = motion["Meta"]["Fps"]
                if isinstance(fps, (int, float)) and fps > 0:
                    return round(fps)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return default


def lipsync_motion(
    audio: Path,
    *,
    fps: int = 30,
    parameter_ids: Sequence[str] = (DEFAULT_MOUTH_PARAMETER,),
    alignment: Mapping[str, Any] | None = None,
    form_parameter_id: str = MOUTH_FORM_PARAMETER,
    gate_db: float = -50.0,
    range_db: float = 40.0,
    attack_ms: float = 40.0,
    release_ms: float = 120.0,
    tolerance: float = 0.02,
    fade_seconds: float = 0.2,
) -> dict[str, Any]:
    """A motion3.json object (dict) whose mouth follows ``audio``; write it with ``json.dump``."""
    if not parameter_ids:
        raise LipSyncError("at least one mouth parameter id is needed")
    samples, rate = read_audio(Path(audio))
    envelope = mouth_envelope(
        samples, rate, fps=fps, gate_db=gate_db, range_db=range_db, attack_ms=attack_ms, release_ms=release_ms
    )
    duration = round(len(samples) / rate, 4)
    points = [(i / fps, float(v)) for i, v in enumerate(envelope) if i / fps < duration]
    points.append((duration, 0.0))  # end closed, exactly at Duration
    if points[0][0] > 0:
        points.insert(0, (0.0, 0.0))
    mouth = _linear_segments(_simplify(points, tolerance))
    curves: list[dict[str, Any]] = [
        {"Target": "Parameter", "Id": pid, "Segments": list(mouth)} for pid in dict.fromkeys(parameter_ids)
    ]
    if alignment is not None:
        form = _simplify(vowel_form_curve(alignment, duration), tolerance)
        curves.append({"Target": "Parameter", "Id": form_parameter_id, "Segments": _linear_segments(form)})
    seg_total = pt_total = 0
    for curve in curves:
        s, p = count_segments(curve["Segments"])
        seg_total += s
        pt_total += p
    return {
        "Version": 3,
        "Meta": {
            "Duration": duration,
            "Fps": float(fps),
            "Loop": False,
            "AreBeziersRestricted": True,
            "FadeInTime": fade_seconds,
            "FadeOutTime": fade_seconds,
            "CurveCount": len(curves),
            "TotalSegmentCount": seg_total,
            "TotalPointCount": pt_total,
            "UserDataCount": 0,
            "TotalUserDataSize": 0,
        },
        "Curves": curves,
    }
