"""Where the local server keeps uploads and finds the CDN folder, from a profile's config."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from ..config import Config

__all__ = ["server_folders"]


def server_folders(config: Config) -> tuple[Path, Path]:
    """``(uploads_dir, cdn_dir)``: the ``uploads_dir`` setting, else ``<data dir>/uploads``; the folder of a
    ``file://`` ``cdn_url``, else ``<data dir>/cdn`` (sftp:// and s3:// targets are not served locally)."""
    from ..config import data_dir

    base = data_dir(config.env)
    uploads = Path(config.get("uploads_dir") or base / "uploads").expanduser()
    cdn = base / "cdn"
    url = config.get("cdn_url")
    if url and urlsplit(url).scheme.lower() == "file":
        parts = urlsplit(url)
        path = unquote(parts.path)
        if parts.netloc and parts.netloc != "localhost":
            path = parts.netloc + path
        if path:
            cdn = Path(path).expanduser()
    return uploads, cdn
