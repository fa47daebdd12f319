"""match_extension: the saved audio file holds what its name says, converted or renamed, never both."""

from __future__ import annotations

from pathlib import Path

from tinytalk_sdk.audio_files import match_extension
from tinytalk_sdk.testing.speech import speak_wav


def test_matching_or_unknown_extension_is_left_alone(tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    wav.write_bytes(speak_wav("hello"))
    before = wav.read_bytes()
    assert match_extension(wav, "audio/wav").converted_from is None and wav.read_bytes() == before
    raw = tmp_path / "a.audio"
    raw.write_bytes(before)
    assert match_extension(raw, "audio/wav").path == raw


def test_wav_bytes_asked_for_as_flac_are_converted(tmp_path: Path) -> None:
    import soundfile

    target = tmp_path / "a.flac"
    target.write_bytes(speak_wav("hello"))
    saved = match_extension(target, "audio/wav")
    assert saved.path == target and saved.converted_from == "audio/wav" and saved.content_type == "audio/flac"
    assert soundfile.info(str(target)).format == "FLAC"
    assert [p.name for p in tmp_path.iterdir()] == ["a.flac"]  # no part file left


def test_unconvertible_bytes_are_renamed_to_what_they_are(tmp_path: Path) -> None:
    target = tmp_path / "a.mp3"
    target.write_bytes(b"not audio libsndfile can read")
    saved = match_extension(target, "audio/wav")
    assert saved.path == tmp_path / "a.wav" and saved.renamed_from == target and not target.exists()
