"""Live2D: validation time of a large model, and bytes uploaded when re-publishing it unchanged.

The model: 2 textures of 4096×4096, 100+ motions (15 per emotion = 105) holding 50 000 segments in total.
Prints the generation time, the validation time (median of N runs), the first publish to a file:// CDN and
the re-publish, whose uploaded bytes must be 0 (exit 1 otherwise).
Then, with the render extra and Xvfb: the preview of all seven emotions of an official-sized export (2 textures
of 2048x2048) at 400x600, 30 fps, 3 s clips (GIF + MP4 each), as the ratio of render time to the simulated time
it shows (the baseline, measured in the same run: below 1 renders faster than real time).
Run: .venv/bin/python bench/live2d.py [--runs N] [--json] [--no-render]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--texture-size", type=int, default=4096)
    parser.add_argument("--segments", type=int, default=50_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-render", action="store_true", help="skip the preview render figure")
    args = parser.parse_args()

    from live2d_tools.generate import generate_model
    from live2d_tools.validate import validate
    from tinytalk_sdk.cdn import open_backend, publish_live2d

    with tempfile.TemporaryDirectory(prefix="tinytalk-bench-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        model3 = generate_model(root / "big", textures=2, texture_size=args.texture_size,
                                motions_per_emotion=15, segments=args.segments)
        generated = time.perf_counter() - start
        size = sum(p.stat().st_size for p in model3.parent.rglob("*") if p.is_file())

        times = []
        report = None
        for _ in range(args.runs):
            start = time.perf_counter()
            report = validate(model3.parent, emotions=True)
            times.append(time.perf_counter() - start)
        assert report is not None
        motions = sum(len(v) for v in report.model.motions.values())

        backend = open_backend(f"file://{root / 'cdn'}")
        start = time.perf_counter()
        first = publish_live2d(backend, model3.parent, character="big").result
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        again = publish_live2d(backend, model3.parent, character="big").result
        again_s = time.perf_counter() - start

    result = {
        "model_bytes": size,
        "motions": motions,
        "segments": args.segments,
        "textures": f"2x{args.texture_size}",
        "generate_s": round(generated, 3),
        "validate_median_s": round(statistics.median(times), 3),
        "validate_errors": len(report.errors),
        "publish_first_uploaded_bytes": first.uploaded_bytes,
        "publish_first_s": round(first_s, 3),
        "republish_uploaded_bytes": again.uploaded_bytes,
        "republish_s": round(again_s, 3),
    }
    if not args.no_render:
        result.update(_render_figure())
    if args.json:
        print(json.dumps(result))
    else:
        print(f"model: {size / 1e6:.1f} MB, {motions} motions, {args.segments} segments, "
              f"textures 2x{args.texture_size}")
        print(f"validate (median of {args.runs}): {result['validate_median_s']:.3f} s, {len(report.errors)} errors")
        print(f"first publish: {first.uploaded_bytes} bytes in {first_s:.3f} s")
        print(f"unchanged re-publish: uploaded {again.uploaded_bytes} bytes in {again_s:.3f} s")
        if "preview_s" in result:
            print(f"preview, 7 emotions at 400x600: {result['preview_s']:.2f} s for "
                  f"{result['preview_simulated_s']:.1f} s of animation "
                  f"(ratio {result['preview_ratio']:.2f} vs real time; "
                  f"{result['preview_frames']} frames, GIF+MP4)")
        elif "preview_skipped" in result:
            print(f"preview: skipped ({result['preview_skipped']})")
    return 0 if again.uploaded_bytes == 0 and not report.errors else 1


def _render_figure() -> dict[str, object]:
    from live2d_tools.preview import preview, render_available

    why = render_available()
    if why:
        return {"preview_skipped": why}
    from live2d_tools.generate import generate_model

    with tempfile.TemporaryDirectory(prefix="tinytalk-bench-render-") as tmp:
        model3 = generate_model(Path(tmp) / "model", textures=2, texture_size=2048)
        start = time.perf_counter()
        result = preview(model3.parent, Path(tmp) / "preview", render=True, width=400, height=600,
                         motion_sheet=False)
        took = time.perf_counter() - start
    simulated = sum(float(e["seconds"]) for e in result.emotions.values())
    return {
        "preview_s": round(took, 2),
        "preview_simulated_s": round(simulated, 2),
        "preview_ratio": round(took / simulated, 3),
        "preview_frames": sum(int(e["frames"]) for e in result.emotions.values()),
    }


if __name__ == "__main__":
    sys.exit(main())
