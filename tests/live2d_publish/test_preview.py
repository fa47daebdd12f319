"""Preview: static sheets, the shared verdict, and real renders by the Cubism Core on simulated time."""

from __future__ import annotations

import json
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


def _official_like(model_dir: Path) -> Path:
    """Reshape the generated model like an official sample export: groups Idle/TapBody, no mapping file."""
    m3_path = model_dir / "Hiyori.model3.json"
    m3 = json.loads(m3_path.read_text())
    entries = [e for group in m3["FileReferences"]["Motions"].values() for e in group]
    m3["FileReferences"]["Motions"] = {"Idle": entries[:3], "TapBody": entries[3:]}
    m3_path.write_text(json.dumps(m3, indent=1))
    (model_dir / "tinytalk.emotions.json").unlink()
    return model_dir


def test_integrity_errors_refuse_the_core_mapping_problems_do_not(model_dir: Path) -> None:
    from live2d_tools import validate
    from live2d_tools.verdict import verdict

    official = verdict(_official_like(model_dir))
    assert official.errors == [] and official.renderable  # what `validate` says: 0 errors
    assert official.missing_emotions == ["listening", "thinking", "speaking", "praise", "review", "error"]
    assert len(validate(model_dir).errors) == len(official.errors)
    # a truncated moc3 could crash the Core: blocking, and named
    moc = model_dir / "Hiyori.moc3"
    moc.write_bytes(moc.read_bytes()[:100])
    broken = verdict(model_dir)
    assert not broken.renderable and broken.blocking and broken.why_not and broken.why_not.startswith("MOC-")
    with pytest.raises(PreviewError, match=r"cannot render: MOC-\d+ in Hiyori.moc3"):
        preview(model_dir, model_dir.parent / "pv", render=True)


def test_gif_delays_add_up_to_true_time() -> None:
    from live2d_tools._render_child import gif_delays

    assert gif_delays(3, 30) == [30, 40, 30]
    for fps in (12, 24, 25, 30, 50):
        delays = gif_delays(fps * 6, fps)
        assert sum(delays) == 6000 and min(delays) >= 20, fps


# ---------------------------------------------------------------------------------------------------
# real renders (the render extra and Xvfb are installed by `make dev` / provision-test-services.sh)
# ---------------------------------------------------------------------------------------------------

def _needs_render() -> pytest.MarkDecorator:
    why = render_available()
    if why and os.environ.get("TINYTALK_REQUIRE_RENDER") == "1":  # set by provision-test-services.sh with Xvfb
        pytest.fail(f"TINYTALK_REQUIRE_RENDER=1 but cannot render: {why}")
    return pytest.mark.skipif(why is not None, reason=f"cannot render: {why}")


needs_render = _needs_render()
# one worker renders the shared fixture once (make test runs -n 2 --dist loadgroup)
pytestmark = pytest.mark.xdist_group("live2d_render")
SIZE = {"width": 160, "height": 240}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    from live2d_tools.generate import generate_model

    model = generate_model(tmp_path_factory.mktemp("model") / "hiyori").parent
    out = tmp_path_factory.mktemp("preview")
    result = preview(model, out, render=True, **SIZE)  # type: ignore[arg-type]
    return out, result.to_dict()


@needs_render
@pytest.mark.slow
def test_every_emotion_rendered_with_its_timings(rendered: tuple[Path, dict[str, object]]) -> None:
    from live2d_tools.emotions import EMOTIONS

    out, result = rendered
    assert result["mode"] == "render" and result["missing_emotions"] == []
    emotions = result["emotions"]
    assert isinstance(emotions, dict) and list(emotions) == list(EMOTIONS)
    for name, e in emotions.items():
        # Meta.Duration 3 s at 30 fps; still at the midpoint (after the 0.5 s fade-in and the 0.5 s pose fade)
        assert (e["group"], e["index"], e["seconds"], e["frames"], e["fps"], e["still_at"]) == (
            name.capitalize(), 0, 3.0, 90, 30.0, 1.5)
        assert _variance(out / f"{name}.png") > 5.0, f"{name} still is blank"
        assert {"png", "gif", "mp4"} <= {f.rsplit(".", 1)[1] for f in e["files"]}
    assert emotions["praise"]["expression"] == "smile"
    stills = {(out / f"{e}.png").read_bytes() for e in emotions}
    assert len(stills) > 1, "all emotions rendered identically"
    motions = result["motions"]
    assert isinstance(motions, list) and len(motions) == len(EMOTIONS)  # one still per motion group/index
    for name in ("emotions.png", "motions.png", "index.html"):
        assert (out / name).stat().st_size > 0


@needs_render
@pytest.mark.slow
def test_a_pose_group_has_exactly_one_visible_part_in_every_still(rendered: tuple[Path, dict[str, object]]) -> None:
    from live2d_tools.generate import ARM_B_EMOTIONS

    _, result = rendered
    emotions = result["emotions"]
    assert isinstance(emotions, dict)
    for name, e in emotions.items():
        parts = e["parts"]
        assert parts is not None, "part opacities could not be read from the Core"
        arms = {p: parts[p] for p in ("PartArmA", "PartArmB")}
        visible = [p for p, o in arms.items() if o >= 0.999]
        hidden = [p for p, o in arms.items() if o <= 0.001]
        assert len(visible) == 1 and len(hidden) == 1, (name, arms)  # never both half-transparent
        assert visible == ["PartArmB" if name in ARM_B_EMOTIONS else "PartArmA"], (name, arms)


@needs_render
@pytest.mark.slow
def test_frames_differ_over_time_and_the_gif_plays_at_true_speed(rendered: tuple[Path, dict[str, object]]) -> None:
    from PIL import Image, ImageSequence

    out, _ = rendered
    with Image.open(out / "thinking.gif") as gif:
        frames = [(f.info["duration"], f.convert("RGB").tobytes()) for f in ImageSequence.Iterator(gif)]
    total = sum(d for d, _ in frames)
    assert abs(total - 3000) <= 10, total  # Meta.Duration 3 s, played in 3 s
    assert len({pixels for _, pixels in frames}) > len(frames) // 3  # the motion moves, frame after frame
    assert frames[0][1] != frames[len(frames) // 2][1]


@needs_render
@pytest.mark.slow
def test_stills_do_not_depend_on_emotion_order(model_dir: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    opts = {"render": True, "motion_sheet": False, "video": False, "max_seconds": 1.2, **SIZE}
    preview(model_dir, a, emotions=["praise", "speaking", "idle"], **opts)  # type: ignore[arg-type]
    preview(model_dir, b, emotions=["idle", "speaking", "praise"], **opts)  # type: ignore[arg-type]
    for name in ("idle", "speaking", "praise"):
        assert (a / f"{name}.png").read_bytes() == (b / f"{name}.png").read_bytes(), name


@needs_render
@pytest.mark.slow
def test_an_unmapped_official_export_renders_and_names_missing_emotions(model_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tinytalk_cli.main import app

    _official_like(model_dir)
    runner = CliRunner()
    validated = runner.invoke(app, ["live2d", "validate", str(model_dir), "--json"])
    assert validated.exit_code == 0, validated.stderr
    shown = runner.invoke(app, ["live2d", "preview", str(model_dir), "-o", str(tmp_path / "pv"), "--render",
                                "--no-video", "--max-seconds", "1", "--width", "120", "--height", "180", "--json"])
    assert shown.exit_code == 0, shown.stderr
    result = json.loads(shown.stdout)
    assert result["verdict"]["errors"] == json.loads(validated.stdout)["summary"]["error"] == 0
    assert list(result["emotions"]) == ["idle"]
    assert result["missing_emotions"] == ["listening", "thinking", "speaking", "praise", "review", "error"]
    assert [(m["group"], m["index"]) for m in result["motions"]] == [
        ("Idle", 0), ("Idle", 1), ("Idle", 2), ("TapBody", 0), ("TapBody", 1), ("TapBody", 2), ("TapBody", 3)]
    page = (tmp_path / "pv" / "index.html").read_text()
    assert "Emotions not mapped yet: listening, thinking, speaking, praise, review, error" in page


@needs_render
@pytest.mark.slow
def test_preview_page_renders_in_headless_chromium(rendered: tuple[Path, dict[str, object]],
                                                   tmp_path: Path) -> None:
    import shutil
    import subprocess

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("chromium is not installed (scripts/provision-test-services.sh installs it)")
    out, _ = rendered
    shot = tmp_path / "page.png"
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         "--enable-logging=stderr", "--v=0", "--window-size=1200,1400", f"--screenshot={shot}",
         (out / "index.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    assert shot.exists() and shot.stat().st_size > 20_000
    assert _variance(shot) > 100


@pytest.mark.parametrize(
    ("duration", "fade_in", "pose_fade", "still_at", "max_seconds", "seconds", "at"),
    [
        (3.0, 0.5, 0.5, None, 6.0, 3.0, 1.5),  # midpoint, after fade-in + pose fade (1.0 s)
        (1.2, 0.5, 0.5, None, 6.0, 1.2, 1.0),  # short motion: wait for fade-in + pose fade, not the midpoint
        (10.0, 1.0, 0.5, None, 6.0, 6.0, 5.0),  # long motion: clip capped at --max-seconds
        (0.6, 1.0, 0.5, None, 6.0, 0.6, 0.6 - 1 / 30),  # settles after the motion ends: the last frame
        (3.0, 0.5, 0.5, 0.25, 6.0, 3.0, 0.25),  # --still-at wins
        (0.0, 0.5, 0.5, None, 6.0, 2.0, 1.0),  # no Meta.Duration: long enough to settle, plus 1 s
    ],
)
def test_clip_timing(duration: float, fade_in: float, pose_fade: float, still_at: float | None,
                     max_seconds: float, seconds: float, at: float) -> None:
    from live2d_tools.preview import _Clip

    clip = _Clip("idle", "Idle", 0, "m.motion3.json", None, duration, fade_in)
    job = clip.job(fps=30.0, max_seconds=max_seconds, pose_fade=pose_fade, still_at=still_at, animate=True)
    assert job["seconds"] == pytest.approx(seconds) and job["still_at"] == pytest.approx(at)


def test_a_slow_expression_delays_the_still() -> None:
    from live2d_tools.preview import _Clip

    clip = _Clip("praise", "Praise", 0, "m.motion3.json", "smile", 3.0, 0.5, expression_fade_in=2.0)
    assert clip.job(fps=30.0, max_seconds=6.0, pose_fade=0.5, still_at=None, animate=True)["still_at"] == 2.0
