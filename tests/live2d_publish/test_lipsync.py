"""Lip-sync on real speech made with espeak-ng: mouth open while speaking, closed in silence, valid motion."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from live2d_tools.lipsync import (
    LipSyncError,
    count_segments,
    lipsync_motion,
    lipsync_parameters,
    model_fps,
    mouth_envelope,
    read_audio,
)

SENTENCE = "Hello there. I like to play soccer with my friends after school."
PAD = 1.0  # seconds of silence before and after the speech


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """espeak-ng speech padded with 1 s of silence on both sides, as WAV and MP3."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("espeak-ng and sox are needed (apt-get install -y espeak-ng sox libsox-fmt-mp3)")
    base = tmp_path_factory.mktemp("speech")
    raw, wav, mp3 = base / "raw.wav", base / "speech.wav", base / "speech.mp3"
    subprocess.run(["espeak-ng", "-w", str(raw), SENTENCE], check=True, capture_output=True)
    subprocess.run(["sox", str(raw), str(wav), "pad", str(PAD), str(PAD)], check=True, capture_output=True)
    out = {"wav": wav}
    # Only a sox built without mp3 may skip the mp3 case; a failing conversion with mp3 support is a
    # broken fixture and must fail, not turn into a quiet skip.
    formats = subprocess.run(["sox", "-h"], capture_output=True, text=True).stdout
    if "mp3" in formats.partition("AUDIO FILE FORMATS:")[2].split():
        subprocess.run(["sox", str(wav), str(mp3)], check=True, capture_output=True)
        out["mp3"] = mp3
    return out


def _value_at(segments: list[float], t: float) -> float:
    """Evaluate a linear-only curve at time t."""
    pts = [(segments[0], segments[1])]
    pos = 2
    while pos < len(segments):
        assert segments[pos] == 0
        pts.append((segments[pos + 1], segments[pos + 2]))
        pos += 3
    for (t0, v0), (t1, v1) in itertools.pairwise(pts):
        if t0 <= t <= t1:
            return v0 if t1 == t0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    return pts[-1][1]


@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_mouth_open_in_speech_closed_in_silence(speech: dict[str, Path], fmt: str) -> None:
    if fmt not in speech:
        pytest.skip("sox cannot write mp3 here (libsox-fmt-mp3 missing)")
    samples, rate = read_audio(speech[fmt])
    env = mouth_envelope(samples, rate, fps=30)
    silent_head, silent_tail = env[: int(30 * (PAD - 0.2))], env[-int(30 * (PAD - 0.3)):]
    voiced = env[int(30 * (PAD + 0.2)): -int(30 * (PAD + 0.2))]
    assert silent_head.max() == 0.0 and silent_tail.max() == 0.0
    assert voiced.mean() > 0.4 and (voiced > 0.3).mean() > 0.6

    motion = lipsync_motion(speech[fmt], fps=30)
    curve = motion["Curves"][0]["Segments"]
    assert motion["Meta"]["Duration"] == pytest.approx(len(samples) / rate, abs=1e-3)
    assert _value_at(curve, 0.3) == 0.0 and _value_at(curve, motion["Meta"]["Duration"] - 0.3) == 0.0
    speaking = [_value_at(curve, PAD + 0.3 + k * 0.1) for k in range(20)]
    assert max(speaking) > 0.8 and sum(speaking) / len(speaking) > 0.4


def test_output_passes_validate_in_a_model(speech: dict[str, Path], model_dir: Path) -> None:
    from live2d_tools.validate import validate

    model3 = model_dir / "Hiyori.model3.json"
    ids = lipsync_parameters(model3)
    assert ids == ["ParamMouthOpenY"]
    n = len(SENTENCE)
    alignment = {  # ElevenLabs-shaped: characters spread over the speech
        "characters": list(SENTENCE),
        "character_start_times_seconds": [PAD + i * 0.05 for i in range(n)],
        "character_end_times_seconds": [PAD + (i + 1) * 0.05 for i in range(n)],
    }
    motion = lipsync_motion(speech["wav"], fps=model_fps(model3), parameter_ids=ids, alignment=alignment)
    assert [c["Id"] for c in motion["Curves"]] == ["ParamMouthOpenY", "ParamMouthForm"]
    form = motion["Curves"][1]["Segments"]
    i_time = PAD + SENTENCE.index("I like") * 0.05
    o_time = PAD + SENTENCE.index("occer") * 0.05
    assert _value_at(form, i_time + 0.01) > 0.5 and _value_at(form, o_time + 0.01) < -0.3
    # Meta counts are what the framework recounts
    segs = sum(count_segments(c["Segments"])[0] for c in motion["Curves"])
    pts = sum(count_segments(c["Segments"])[1] for c in motion["Curves"])
    assert (motion["Meta"]["TotalSegmentCount"], motion["Meta"]["TotalPointCount"]) == (segs, pts)

    (model_dir / "motions" / "speaking_00.motion3.json").write_text(json.dumps(motion))
    report = validate(model_dir, emotions=True)
    assert report.ok_strict, [f.to_dict() for f in report.errors + report.warnings]


def test_bad_inputs(tmp_path: Path, speech: dict[str, Path]) -> None:
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio")
    with pytest.raises(LipSyncError, match=r"junk\.wav"):
        lipsync_motion(junk)
    with pytest.raises(LipSyncError, match="lengths"):
        lipsync_motion(speech["wav"], alignment={"characters": ["a"], "character_start_times_seconds": [],
                                                "character_end_times_seconds": []})
    assert lipsync_parameters({"Groups": [{"Name": "LipSync", "Ids": ["ParamA"]}]}) == ["ParamA"]
    assert lipsync_parameters({"Groups": [{"Name": "LipSync", "Ids": []}]}) == ["ParamMouthOpenY"]
