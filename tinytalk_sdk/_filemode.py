"""Is a file that holds secrets readable by others? The check ssh makes of a private key, for ``config.toml``.

ssh refuses a private key whose mode lets the group or others in (``Permissions 0644 … are too open``). The
toolkit warns instead of refusing (a school laptop with a shared account must still run the CLI), and
``tinytalk doctor`` fails its ``config`` check until the file is ``chmod 600`` or the secrets move to the
keyring. POSIX only: Windows modes say nothing about other users.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

__all__ = ["exposed_secret_warning", "too_open"]


def too_open(path: Path) -> int | None:
    """The file's permission bits when the group or others may read or write it, else None."""
    if os.name != "posix":
        return None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return mode if mode & 0o077 else None


def exposed_secret_warning(path: Path, secrets: Iterable[str]) -> str | None:
    """A one-line warning naming the file, its mode and the settings at risk (names only, never values)."""
    names = sorted(set(secrets))
    if not names:
        return None
    mode = too_open(path)
    if mode is None:
        return None
    keyring = [n for n in names if " " not in n]  # "database_url (its password)" has no keyring slot
    instead = (
        f"keep the secrets in the OS keyring (`tinytalk config set {keyring[0]} --keyring`)" if keyring
        else "give the URL in the TINYTALK_DATABASE_URL environment variable instead"
    )
    return (
        f"permissions {mode:04o} for '{path}' are too open: it holds {', '.join(names)} and other users of "
        f"this machine can read it; run `chmod 600 {path}`, or {instead}"
    )
