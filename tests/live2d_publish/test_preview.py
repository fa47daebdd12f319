"""Preview images: the static contact sheet + summary card, and (render extra) the 7 emotions rendered."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from live2d_tools.preview import PreviewError, preview, render_available


def _variance(path: Path) -> float:
    from PIL import Image, ImageStat

    with Image.open(path) as img:
        return float(sum(ImageStat.Stat(img.convert("RGB")).var))


def test_static_preview_contact_sheet_and_summary(model_dir: Path, tmp_path: Path) -> None:
    from PIL import Image

    from live2d_tools.generate import generate_model

    two = generate_model(tmp_path / "two", textures=2, texture_size=128).parent
    out = tmp_path / "pv"
    result = preview(two, out, render=False)
    assert result.mode == "static" and result.files == ["textures.png", "summary.png"] and result.reason is None
    with Image.open(out / "textures.png") as sheet:
        # two 128 px atlases side by side (thumbnails never upscale), each with its label below
        assert sheet.width >= 2 * 128 and sheet.height >= 128
        left = sheet.crop((16, 16, 16 + 128, 16 + 128)).convert("RGB")
        right = sheet.crop((16 + 256 + 16, 16, 16 + 256 + 16 + 128, 16 + 128)).convert("RGB")
        assert left.tobytes() != right.tobytes()  # each tile shows its own texture
    assert _variance(out / "textures.png") > 100
    assert _variance(out / "summary.png") > 10  # text was drawn on the card


def test_static_preview_says_why_it_did_not_render(model_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Rendering works on the test machine, so take the display away: without that the auto mode renders
    # and this test would check nothing.
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # no Xvfb either
    why = render_available()
    assert why, "rendering should be impossible without a display or Xvfb"
    result = preview(model_dir, tmp_path / "pv")  # auto: render if possible
    assert result.mode == "static" and result.files == ["textures.png", "summary.png"]
    assert result.reason == why  # never a silent fallback
    with pytest.raises(PreviewError, match="cannot render: "):
        preview(model_dir, tmp_path / "forced", render=True)  # asked for: an error, not a quiet static sheet


@pytest.mark.slow
def test_rendered_emotions_are_not_blank_and_differ(model_dir: Path, tmp_path: Path) -> None:
    reason = render_available()
    if reason:
        pytest.skip(f"headless rendering unavailable: {reason}")
    out = tmp_path / "render"
    try:
        result = preview(model_dir, out, render=True, frames=6, width=200, height=260)
    except PreviewError as exc:
        if "rejected the moc3" in str(exc) or "stage 'load'" in str(exc):
            pytest.skip(
                "the generated moc3 is synthetic (LIVE2D.md §5 layout) and Live2D's proprietary Cubism Core "
                f"refuses to load it, so there is no model it can render here: {exc}"
            )
        raise
    assert result.mode == "render" and "emotions.png" in result.files
    frames = {e: out / f"{e}.png" for e in ("idle", "listening", "thinking", "speaking", "praise", "review", "error")}
    for emotion, path in frames.items():
        assert _variance(path) > 5.0, f"{emotion} frame is blank"
        assert (out / f"{emotion}.gif").stat().st_size > 0
    blobs = {e: p.read_bytes() for e, p in frames.items()}
    assert len(set(blobs.values())) > 1, "all emotions rendered identically"
    assert os.path.getsize(out / "emotions.png") > 0
