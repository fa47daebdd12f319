"""Pillow images of the preview: the texture contact sheet, the summary card and labelled contact sheets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .verdict import Verdict

__all__ = ["labelled_sheet", "summary_card", "texture_sheet"]

BG = (247, 247, 250)
INK = (30, 30, 40)
MUTED = (110, 110, 125)
_RED = (170, 40, 40)
_GREEN = (40, 130, 60)
_AMBER = (170, 110, 20)


def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def texture_sheet(model_dir: Path, textures: list[str], out: Path, thumb: int = 256) -> None:
    from PIL import Image, ImageDraw

    cols = max(1, min(4, len(textures)))
    rows = max(1, -(-len(textures) // cols))
    label_h = 36
    sheet = Image.new("RGB", (cols * (thumb + 16) + 16, rows * (thumb + label_h + 16) + 16), BG)
    draw = ImageDraw.Draw(sheet)
    for n, rel in enumerate(textures):
        x, y = 16 + (n % cols) * (thumb + 16), 16 + (n // cols) * (thumb + label_h + 16)
        label = rel
        try:
            with Image.open(model_dir / rel) as img:
                size = img.size
                img.draft("RGBA", (thumb, thumb))
                tile = img.convert("RGBA")
                tile.thumbnail((thumb, thumb))
            # a checkerboard behind transparent texture pixels, so empty atlas areas are visible
            board = Image.new("RGBA", (thumb, thumb), (255, 255, 255, 255))
            bd = ImageDraw.Draw(board)
            for cy in range(0, thumb, 16):
                for cx in range(0, thumb, 16):
                    if (cx // 16 + cy // 16) % 2:
                        bd.rectangle([cx, cy, cx + 15, cy + 15], fill=(225, 225, 230, 255))
            board.alpha_composite(tile, ((thumb - tile.width) // 2, (thumb - tile.height) // 2))
            sheet.paste(board.convert("RGB"), (x, y))
            label = f"{rel}  {size[0]}x{size[1]}"
        except (OSError, ValueError) as exc:
            draw.rectangle([x, y, x + thumb, y + thumb], outline=(200, 60, 60), width=3)
            draw.text((x + 8, y + thumb // 2), f"unreadable: {exc}"[:40], fill=(200, 60, 60), font=_font(12))
        draw.text((x, y + thumb + 6), label[:48], fill=INK, font=_font(13))
    sheet.save(out)


def summary_card(v: Verdict, out: Path) -> None:
    """The model's facts and the shared verdict: the error count is exactly ``live2d validate``'s."""
    from PIL import Image, ImageDraw

    from .emotions import EMOTIONS

    report = v.report
    m = report.model
    missing = v.missing_emotions
    lines: list[tuple[str, tuple[int, int, int], int]] = [
        (Path(m.entry or report.path).name, INK, 22),
        (f"format {m.format or '?'}   moc3 version {m.moc_version if m.moc_version is not None else '?'}", MUTED, 15),
        ("counts: " + (", ".join(f"{v} {k}" for k, v in m.counts.items()) or "none"), INK, 15),
        (f"textures: {len(m.textures)}   motions: {sum(len(v) for v in m.motions.values())} "
         f"in {len(m.motions)} groups   expressions: {len(m.expressions)}", INK, 15),
        (f"validation: {len(report.errors)} errors, {len(report.warnings)} warnings, {len(report.infos)} infos",
         _RED if report.errors else _GREEN, 15),
        (f"emotions: {len(EMOTIONS) - len(missing)} of {len(EMOTIONS)} mapped"
         + (f"; not mapped yet: {', '.join(missing)}" if missing else ""), _AMBER if missing else _GREEN, 15),
        ("", INK, 10),
    ]  # fmt: skip
    table: list[tuple[tuple[str, str, str], tuple[int, int, int]]] = [(("emotion", "motion", "expression"), MUTED)]
    for emotion in EMOTIONS:
        if emotion in m.emotions:
            group, index, file, expression = m.emotions[emotion]
            table.append(((emotion, f"{group}[{index}]  {file}", expression or "-"), INK))
        else:
            table.append(((emotion, "(not mapped)", "-"), _AMBER))
    height = 32 + sum(size + 10 for _, _, size in lines) + len(table) * 24
    card = Image.new("RGB", (720, height), BG)
    draw = ImageDraw.Draw(card)
    y = 20
    for text, colour, size in lines:
        draw.text((24, y), text, fill=colour, font=_font(size))
        y += size + 10
    for cells, colour in table:  # fixed column positions: the default font is proportional
        for x, cell in zip((24, 140, 560), cells, strict=True):
            draw.text((x, y), cell, fill=colour, font=_font(14))
        y += 24
    card.save(out)


def labelled_sheet(images: dict[str, Path], out: Path, *, max_tile_width: int | None = None, cols: int = 4) -> None:
    """The images side by side with their labels; ``max_tile_width`` shrinks tiles (a model may have 50 motions)."""
    from PIL import Image, ImageDraw

    tiles: list[tuple[str, Image.Image]] = []
    for label, path in images.items():
        with Image.open(path) as img:
            tile = img.convert("RGB")
        if max_tile_width and tile.width > max_tile_width:
            tile = tile.resize((max_tile_width, round(tile.height * max_tile_width / tile.width)))
        tiles.append((label, tile))
    w, h = tiles[0][1].size
    rows = -(-len(tiles) // cols)
    sheet = Image.new("RGB", (cols * (w + 12) + 12, rows * (h + 40) + 12), BG)
    draw = ImageDraw.Draw(sheet)
    for n, (label, tile) in enumerate(tiles):
        x, y = 12 + (n % cols) * (w + 12), 12 + (n // cols) * (h + 40)
        sheet.paste(tile, (x, y))
        draw.text((x + 4, y + h + 8), label, fill=INK, font=_font(18))
    sheet.save(out)
