"""``index.html``: the preview page an artist sends to a reviewer (Jinja2 template ``templates/preview.html.j2``).

Self-contained for what a reviewer must see: every still is embedded as a data URI, so the page alone shows
each emotion and motion. The animations (``<emotion>.mp4`` / ``.gif``) are the files beside the page and are
referenced relatively: embedding seconds of video per emotion would make the page tens of megabytes.
"""

from __future__ import annotations

import base64
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .emotions import EMOTIONS

if TYPE_CHECKING:
    from .preview import PreviewResult
    from .verdict import Verdict

__all__ = ["write_page"]


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_page(out: Path, v: Verdict, result: PreviewResult, *, width: int = 400, height: int = 600) -> None:
    import jinja2

    folder = out.parent
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(resources.files("live2d_tools").joinpath("templates/preview.html.j2").read_text("utf-8"))
    emotions: list[dict[str, Any]] = []
    fps = 0.0
    for name, e in result.emotions.items():
        fps = e["fps"]
        video = next((f for f in e["files"] if f.endswith(".mp4")), None)
        emotions.append({**e, "name": name, "still": _data_uri(folder / f"{name}.png"), "video": video})
    motions = [{**x, "src": _data_uri(folder / x["still"])} for x in result.motions]
    m = v.report.model
    with_size = next(iter(result.emotions.values()), None)
    if with_size is not None:
        from PIL import Image

        with Image.open(folder / with_size["files"][0]) as img:
            width, height = img.size
    out.write_text(
        template.render(
            model_name=Path(m.entry or v.report.path).name, moc_version=m.moc_version, fps=int(fps),
            width=width, height=height, verdict=v.to_dict(), missing=v.missing_emotions,
            emotion_count=len(EMOTIONS), emotions=emotions, motions=motions,
            card_width=min(420, max(200, width)),
        ),
        encoding="utf-8",
    )  # fmt: skip
