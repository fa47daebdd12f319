"""Textures (TEX-*): read the image header only (never the pixels) and check format, size, shape and alpha."""

from __future__ import annotations

import warnings
from typing import Any

from ._core import Checker

# A texture with more pixels than this is treated as a decompression bomb and never decoded.
BOMB_PIXELS = 16384 * 16384


def check(c: Checker, owner: str, pointer: str, rel: str) -> None:
    from PIL import Image

    entry: dict[str, Any] = {"file": rel}
    c.info.textures.append(entry)
    try:
        with warnings.catch_warnings():
            # Pillow warns (an error under -W error) above MAX_IMAGE_PIXELS; we apply our own limit below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(c.files[rel]) as img:  # reads the header only; pixels are never decoded here
                w, h = img.size
                fmt, mode = img.format or "?", img.mode
                has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    except Image.DecompressionBombError as exc:
        c.add(
            "TEX-006", rel, "", f"the image declares too many pixels ({exc})", "Export the texture at 4096 px or less."
        )
        return
    except Exception as exc:  # Pillow raises many types for garbage input; all mean "not an image"
        c.add(
            "TEX-001",
            rel,
            "",
            f"the texture is not a readable PNG/JPEG/WebP image ({type(exc).__name__})",
            "Re-export the texture atlas from Cubism Editor.",
        )
        return
    entry.update({"width": w, "height": h, "format": fmt, "mode": mode})
    if w * h > BOMB_PIXELS:
        c.add(
            "TEX-006",
            rel,
            "",
            f"the image declares {w}x{h} pixels, above the decompression-bomb limit",
            "Export the texture at 4096 px or less.",
        )
        return
    if fmt != "PNG":
        c.add("TEX-002", rel, "", f"the texture is {fmt}, not PNG", "Export textures as PNG from Cubism Editor.")
    if w != h or w & (w - 1) or w == 0:
        c.add(
            "TEX-003",
            rel,
            "",
            f"the texture is {w}x{h}; not a square power of two",
            "Use a square power-of-two atlas (1024, 2048 or 4096 px) in the Editor's texture atlas settings.",
        )
    if max(w, h) > c.max_texture_size:
        c.add(
            "TEX-004",
            rel,
            "",
            f"the texture is {w}x{h}, larger than {c.max_texture_size} px (phones show a black model)",
            f"Export the atlas at {c.max_texture_size} px or less.",
        )
    if not has_alpha:
        c.add(
            "TEX-005",
            rel,
            "",
            f"the texture has no alpha channel (mode {mode})",
            "Export PNG with transparency (RGBA).",
        )
