"""Safe extraction of an artist's zip into a temp folder (every entry checked before any byte is written).

Rejected (errors): zip-slip ``..`` paths, absolute paths and drive letters, symlinks and other special
files, encrypted entries, zip bombs (entry count, total size, per-entry compression ratio; sizes are
enforced while streaming, not trusted from the header), and names that differ only in case or Unicode
normalisation. ``__MACOSX/``, ``.DS_Store`` and ``Thumbs.db`` are skipped with an info.
Nothing is written outside ``dest``: each target path is resolved and checked to lie inside it.
"""

from __future__ import annotations

import contextlib
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["ZipLimits", "ZipProblem", "safe_extract"]


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int = 5000
    max_total_bytes: int = 1 << 30  # 1 GiB uncompressed
    max_entry_bytes: int = 512 << 20
    max_ratio: float = 200.0  # uncompressed / compressed per entry (above 1 MiB)


@dataclass(frozen=True)
class ZipProblem:
    rule_id: str
    file: str
    message: str
    hint: str


_JUNK = {".ds_store", "thumbs.db", "desktop.ini"}


def _is_junk(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and (parts[0] == "__MACOSX" or parts[-1].lower() in _JUNK or parts[-1].startswith("._"))


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):  # it may never have been created (a name the file system refuses)
        path.unlink(missing_ok=True)


def safe_extract(zip_path: Path, dest: Path, limits: ZipLimits | None = None) -> list[ZipProblem]:
    """Check every entry, then extract into ``dest`` only if no entry is rejected. Returns the problems."""
    limits = limits or ZipLimits()
    problems: list[ZipProblem] = []
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return [ZipProblem("ZIP-001", zip_path.name, f"not a readable zip archive ({exc})", "Re-create the zip.")]
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            return [
                ZipProblem(
                    "ZIP-006",
                    zip_path.name,
                    f"the zip has {len(infos)} entries (limit {limits.max_entries})",
                    "Send only the model folder.",
                )
            ]
        keep: list[zipfile.ZipInfo] = []
        total = 0
        junk = 0
        seen_case: dict[str, str] = {}
        seen_nfc: dict[str, str] = {}
        for info in infos:
            name = info.filename
            if _is_junk(name):
                junk += 1
                continue
            raw = name.replace("\\", "/")
            if not raw.strip("/"):  # zipfile strips a leading "/": "/" becomes "" (and is_dir() then crashes)
                problems.append(ZipProblem("ZIP-003", name, "entry has an empty name", "Re-create the zip."))
                continue
            if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":") or raw.startswith("//"):
                problems.append(
                    ZipProblem("ZIP-003", name, "entry has an absolute path", "Zip the folder with relative paths.")
                )
                continue
            if ".." in PurePosixPath(raw).parts:
                problems.append(
                    ZipProblem(
                        "ZIP-002",
                        name,
                        "entry path climbs out of the archive with '..'",
                        "Re-create the zip from the model folder.",
                    )
                )
                continue
            kind = stat.S_IFMT(info.external_attr >> 16)
            # only Unix-made entries carry a file type; 0 means "plain file" (Python's writestr, Windows tools)
            if info.create_system == 3 and kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
                problems.append(
                    ZipProblem(
                        "ZIP-004", name, "entry is a symbolic link or special file", "Replace links with real files."
                    )
                )
                continue
            if info.flag_bits & 0x1:
                problems.append(
                    ZipProblem(
                        "ZIP-005", name, "entry is encrypted (password-protected)", "Send the zip without a password."
                    )
                )
                continue
            if info.is_dir():
                continue
            total += info.file_size
            if info.file_size > limits.max_entry_bytes or (
                info.file_size > (1 << 20) and info.file_size > limits.max_ratio * max(1, info.compress_size)
            ):
                problems.append(
                    ZipProblem(
                        "ZIP-006",
                        name,
                        f"entry expands to {info.file_size} bytes from {info.compress_size} (zip bomb limits: "
                        f"{limits.max_entry_bytes} bytes, ratio {limits.max_ratio:g})",
                        "Send the real model files; nothing in a Live2D model compresses like that.",
                    )
                )
                continue
            low = raw.rstrip("/").lower()
            if low in seen_case and seen_case[low] != raw:
                problems.append(
                    ZipProblem(
                        "ZIP-008",
                        name,
                        f"entry differs only in letter case from '{seen_case[low]}'",
                        "Rename one of them; on Windows/macOS one overwrites the other.",
                    )
                )
                continue
            nfc = unicodedata.normalize("NFC", raw.rstrip("/"))
            if nfc in seen_nfc and seen_nfc[nfc] != raw:
                problems.append(
                    ZipProblem(
                        "ZIP-009",
                        name,
                        f"entry differs only in Unicode normalisation from '{seen_nfc[nfc]}'",
                        "Rename the files with plain ASCII names.",
                    )
                )
                continue
            seen_case[low] = raw
            seen_nfc[nfc] = raw
            keep.append(info)
        if total > limits.max_total_bytes:
            problems.append(
                ZipProblem(
                    "ZIP-006",
                    zip_path.name,
                    f"the zip expands to {total} bytes (limit {limits.max_total_bytes})",
                    "Send only the model folder.",
                )
            )
        if junk:
            problems.append(
                ZipProblem(
                    "ZIP-007",
                    zip_path.name,
                    f"{junk} macOS/Windows metadata entr{'y' if junk == 1 else 'ies'} (__MACOSX/, .DS_Store) ignored",
                    "Nothing to do; they are not extracted.",
                )
            )
        if any(p.rule_id != "ZIP-007" for p in problems):
            return problems
        root = dest.resolve()
        written = 0
        for info in keep:
            target = (root / info.filename.replace("\\", "/")).resolve()
            if root not in target.parents:
                problems.append(
                    ZipProblem(
                        "ZIP-002", info.filename, "entry would be written outside the folder", "Re-create the zip."
                    )
                )
                return problems
            # Stream with our own byte budget: header sizes can lie.
            budget = min(limits.max_entry_bytes, limits.max_total_bytes - written)
            try:
                # Inside the try: a name too long for the file system, or a file where a folder must go
                # ("a" and "a/b"), is a problem of the archive, not a crash (found by tests/properties).
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "xb") as out:
                    while chunk := src.read(1 << 20):
                        budget -= len(chunk)
                        written += len(chunk)
                        if budget < 0:
                            raise OverflowError
                        out.write(chunk)
            except OverflowError:
                _remove(target)  # never leave a half-written entry behind
                problems.append(
                    ZipProblem(
                        "ZIP-006",
                        info.filename,
                        "entry expands beyond its declared size (zip bomb)",
                        "Re-create the zip.",
                    )
                )
                return problems
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, NotImplementedError) as exc:
                # zipfile stops at the size the central directory declares, so an entry whose data is larger
                # than its header claims surfaces here as a CRC mismatch (never as extra bytes on disk)
                _remove(target)
                why = " (its data does not match the size/CRC in its header)" if "CRC" in str(exc) else ""
                problems.append(
                    ZipProblem("ZIP-001", info.filename, f"entry cannot be read ({exc}){why}", "Re-create the zip.")
                )
                return problems
    return problems
