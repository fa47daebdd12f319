"""Zips as artists send them: a good zip validates; attacks are rejected and nothing escapes the temp folder."""

from __future__ import annotations

import stat
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from live2d_tools import build_zip, validate
from live2d_tools.ziputil import ZipLimits, safe_extract


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the temp folder at a private directory so the test can see everything that is written there."""
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    yield tmp
    # validate() must always remove its extraction folder
    assert list(tmp.iterdir()) == []


def _listing(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def _zip_with(model_dir: Path, dest: Path, extra: Callable[[zipfile.ZipFile], object]) -> Path:
    build_zip(model_dir, dest)
    with zipfile.ZipFile(dest, "a") as zf:
        extra(zf)
    return dest


def test_valid_zip_has_no_errors_or_warnings(live2d_model: Path, tmp_path: Path, sandbox: Path) -> None:
    z = build_zip(live2d_model.parent, tmp_path / "out" / "Hiyori.zip")
    report = validate(z, emotions=True)
    assert report.ok_strict, [f.to_dict() for f in report.errors + report.warnings]
    assert report.model.format == "cubism3"
    assert set(report.model.emotions) == {"idle", "listening", "thinking", "speaking", "praise", "review", "error"}


def test_macos_junk_is_ignored_with_an_info(live2d_model: Path, tmp_path: Path, sandbox: Path) -> None:
    def junk(zf: zipfile.ZipFile) -> None:
        zf.writestr("__MACOSX/Hiyori/._Hiyori.moc3", b"\0\5\26\7")
        zf.writestr("Hiyori/.DS_Store", b"Bud1")

    report = validate(_zip_with(live2d_model.parent, tmp_path / "j.zip", junk))
    assert report.ok_strict
    assert "ZIP-007" in report.rule_ids
    assert "PKG-005" not in report.rule_ids  # junk was never extracted


def _symlink(zf: zipfile.ZipFile) -> None:
    info = zipfile.ZipInfo("Hiyori/link.png")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    zf.writestr(info, "/etc/passwd")


def _encrypted(zf: zipfile.ZipFile) -> None:
    # zipfile clears flag_bits when writing, so the encrypted flag is set in the bytes afterwards (_set_flag)
    zf.writestr("Hiyori/secret.txt", b"x" * 32)


def _set_encrypted_flag(path: Path, name: bytes) -> None:
    data = bytearray(path.read_bytes())
    for sig, flag_at, len_at, name_at in ((b"PK\3\4", 6, 26, 30), (b"PK\1\2", 8, 28, 46)):
        pos = data.find(sig)
        while pos >= 0:
            n = int.from_bytes(data[pos + len_at : pos + len_at + 2], "little")
            if bytes(data[pos + name_at : pos + name_at + n]) == name:
                data[pos + flag_at] |= 0x1
            pos = data.find(sig, pos + 4)
    path.write_bytes(bytes(data))


def _nfc_nfd(zf: zipfile.ZipFile) -> None:
    zf.writestr(unicodedata.normalize("NFC", "Hiyori/é.txt"), b"a")
    zf.writestr(unicodedata.normalize("NFD", "Hiyori/é.txt"), b"b")


ATTACKS: dict[str, tuple[str, Callable[[zipfile.ZipFile], object]]] = {
    "slip": ("ZIP-002", lambda zf: zf.writestr("../../evil.txt", b"pwned")),
    "slip-nested": ("ZIP-002", lambda zf: zf.writestr("Hiyori/../../evil.txt", b"pwned")),
    "absolute": ("ZIP-003", lambda zf: zf.writestr(zipfile.ZipInfo("/tmp/evil.txt"), b"pwned")),
    "drive": ("ZIP-003", lambda zf: zf.writestr(zipfile.ZipInfo("C:/evil.txt"), b"pwned")),
    "symlink": ("ZIP-004", _symlink),
    "encrypted": ("ZIP-005", _encrypted),
    "bomb-ratio": ("ZIP-006", lambda zf: zf.writestr("Hiyori/big.bin", b"\0" * (8 << 20), zipfile.ZIP_DEFLATED)),
    "case": ("ZIP-008", lambda zf: zf.writestr("Hiyori/hiyori.moc3", b"dup")),
    "nfc-nfd": ("ZIP-009", _nfc_nfd),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_zip_attacks_are_rejected_and_nothing_escapes(
    attack: str, live2d_model: Path, tmp_path: Path, sandbox: Path
) -> None:
    rule, add = ATTACKS[attack]
    z = _zip_with(live2d_model.parent, tmp_path / "in" / "attack.zip", add)
    if attack == "encrypted":
        _set_encrypted_flag(z, b"Hiyori/secret.txt")
    before = _listing(tmp_path)
    report = validate(z)
    assert rule in report.rule_ids, [f.to_dict() for f in report.findings]
    assert not report.ok
    # exactly that rule: an attack is reported as itself, not as a side effect (nothing is extracted)
    assert {f.rule_id for f in report.findings if f.severity != "info"} == {rule}, [
        f.to_dict() for f in report.findings
    ]
    finding = next(f for f in report.findings if f.rule_id == rule)
    assert finding.message and finding.hint and finding.file
    # nothing written anywhere under tmp_path (the sandboxed temp dir is checked by the fixture)
    assert _listing(tmp_path) == before
    assert not Path("/tmp/evil.txt").exists() and not (tmp_path / "evil.txt").exists()


def test_total_size_and_entry_count_limits(live2d_model: Path, tmp_path: Path, sandbox: Path) -> None:
    z = build_zip(live2d_model.parent, tmp_path / "m.zip")
    assert "ZIP-006" in validate(z, zip_limits=ZipLimits(max_total_bytes=1000)).rule_ids
    assert "ZIP-006" in validate(z, zip_limits=ZipLimits(max_entries=3)).rule_ids


def test_not_a_zip(tmp_path: Path, sandbox: Path) -> None:
    bad = tmp_path / "model.zip"
    bad.write_bytes(b"PK\3\4 this is not really a zip")
    report = validate(bad)
    assert report.rule_ids == {"ZIP-001"}


def test_zip_without_model3_reports_pkg001(tmp_path: Path, sandbox: Path) -> None:
    z = tmp_path / "empty.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "no model here")
    assert "PKG-001" in validate(z).rule_ids


def _patch_sizes(path: Path, name: bytes, size: int, *, central: bool) -> None:
    """Overwrite the uncompressed size of ``name`` in its local header (and the central directory if asked)."""
    data = bytearray(path.read_bytes())
    targets = [(b"PK\3\4", 22, 26, 30)] + ([(b"PK\1\2", 24, 28, 46)] if central else [])
    for sig, size_at, len_at, name_at in targets:
        pos = data.find(sig)
        while pos >= 0:
            n = int.from_bytes(data[pos + len_at : pos + len_at + 2], "little")
            if bytes(data[pos + name_at : pos + name_at + n]) == name:
                data[pos + size_at : pos + size_at + 4] = size.to_bytes(4, "little")
            pos = data.find(sig, pos + 4)
    path.write_bytes(bytes(data))


BIG = 8 << 20  # 8 MiB of zeros deflates to ~8 KiB: far above the ratio limit


def _bomb_zip(model_dir: Path, dest: Path) -> Path:
    return _zip_with(model_dir, dest, lambda zf: zf.writestr("Hiyori/big.bin", b"\0" * BIG, zipfile.ZIP_DEFLATED))


def test_local_header_that_under_reports_size_does_not_bypass_bomb_check(
    live2d_model: Path, tmp_path: Path, sandbox: Path
) -> None:
    """Sizes are taken from the central directory: a local header claiming 100 bytes changes nothing."""
    z = _bomb_zip(live2d_model.parent, tmp_path / "in" / "lie-local.zip")
    _patch_sizes(z, b"Hiyori/big.bin", 100, central=False)
    report = validate(z)
    assert not report.ok
    assert [f.file for f in report.findings if f.rule_id == "ZIP-006"] == ["Hiyori/big.bin"]


def test_entry_larger_than_all_its_headers_claim_is_rejected_and_never_written_beyond(
    live2d_model: Path, tmp_path: Path, sandbox: Path
) -> None:
    """Both headers claim 4 KiB while the deflate stream expands to 8 MiB: the entry is rejected and never more
    than the declared 4 KiB is written (zipfile stops there; the CRC then fails and the partial file is removed)."""
    z = _bomb_zip(live2d_model.parent, tmp_path / "in" / "lie-both.zip")
    _patch_sizes(z, b"Hiyori/big.bin", 4096, central=True)
    report = validate(z)
    assert not report.ok
    bad = [f for f in report.findings if f.severity == "error"]
    assert [(f.rule_id, f.file) for f in bad] == [("ZIP-001", "Hiyori/big.bin")], [f.to_dict() for f in bad]
    assert "header" in bad[0].message
    dest = tmp_path / "direct"
    problems = safe_extract(z, dest)
    assert [p.rule_id for p in problems] == ["ZIP-001"]
    assert not (dest / "Hiyori/big.bin").exists()  # the partial entry is removed
    assert sum(p.stat().st_size for p in dest.rglob("*") if p.is_file()) < 1 << 20  # the model itself is ~115 KB
