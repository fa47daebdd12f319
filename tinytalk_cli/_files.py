"""Where a command's data goes: stdout, or ``-o FILE`` written atomically.

A file is written to ``FILE.part`` next to it and renamed over ``FILE`` only when the command succeeds, so
an error half way (a database that goes away, a bad row) never leaves a truncated export behind, and a
folder that is missing or read-only fails with one line naming the file before anything is read.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["open_output", "write_text_file"]


def _cannot_write(path: Path, exc: OSError) -> Exception:
    from tinytalk_sdk import TinyTalkError

    reason = exc.strerror or exc.__class__.__name__
    return TinyTalkError(f"{path}: cannot write ({reason})", hint="check that the folder exists and is writable")


@contextmanager
def open_output(
    path: Path | None, *, binary: bool = False, newline: str | None = "", encoding: str = "utf-8"
) -> Iterator[IO[Any]]:
    """Yield stdout (``path`` None) or a temp file that replaces ``path`` when the block succeeds.

    ``binary`` yields ``sys.stdout.buffer`` / a binary file. stdout is flushed at the end either way.
    """
    if path is None:
        out: IO[Any] = sys.stdout.buffer if binary else sys.stdout
        try:
            yield out
        finally:
            out.flush()
        return
    if path.is_dir():
        from tinytalk_sdk import ValidationError

        raise ValidationError(f"{path}: is a folder; give a file name for --output")
    tmp = path.with_name(path.name + ".part")
    try:
        fh: IO[Any] = tmp.open("wb") if binary else tmp.open("w", encoding=encoding, newline=newline)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        with fh:
            yield fh
        os.replace(tmp, path)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    finally:
        tmp.unlink(missing_ok=True)


def write_text_file(path: Path, text: str, *, make_parents: bool = False) -> None:
    """Write a whole text file atomically (UTF-8, ``\\n`` line ends); errors name the file."""
    if make_parents:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _cannot_write(path, exc) from None
    with open_output(path, newline="\n") as fh:
        fh.write(text)
