"""The moc3 reader: real layout facts (LIVE2D.md §5) and fuzzing (never raises, bounded time)."""

from __future__ import annotations

import random
import struct
import time
from pathlib import Path

import pytest

from live2d_tools import validate
from live2d_tools.generate import PARAMETERS, PARTS
from live2d_tools.moc3 import MOC_VERSIONS, build_moc3, parse_moc3
from live2d_tools.moc3_writer import Quad, write_moc3


def _moc(version: int = 3) -> bytes:
    return build_moc3(
        parts=PARTS,
        parameters=PARAMETERS,
        drawables=[("ArtMeshFace", 0), ("ArtMeshBody", 1)],
        deformers=(["Warp1", "Rotation1"], 1),
        version=version,
    )


@pytest.mark.parametrize("version", sorted(MOC_VERSIONS))
def test_reader_follows_the_offset_table_for_every_version(version: int) -> None:
    data = _moc(version)
    info = parse_moc3(data, texture_count=2)
    assert info.problems == []
    assert info.version == version
    slots = MOC_VERSIONS[version][2]
    assert len(info.offsets) == slots
    assert len(info.counts) == MOC_VERSIONS[version][3]
    assert info.part_ids == PARTS
    assert info.parameter_ids == [p[0] for p in PARAMETERS]
    assert info.parameter_ranges["ParamAngleX"] == (-30.0, 30.0, 0.0)
    assert info.drawable_ids == ["ArtMeshFace", "ArtMeshBody"]
    assert info.texture_numbers == [0, 1]
    assert info.deformer_ids == ["Warp1", "Rotation1"]
    assert len(data) % 64 == 0
    # the count table is found through slot 0, not at a fixed position
    assert struct.unpack_from("<I", data, 0x40)[0] == info.offsets[0] >= 64 + 4 * slots


@pytest.mark.parametrize("version", [1, 2, 3])
def test_full_writer_output_reads_back(version: int) -> None:
    quads = [
        Quad(
            "ArtMeshFace", 0, 1, (-0.2, 0.0, 0.2, 0.4), bind=("ParamAngleX", (-0.3, 0, 0.1, 0.4), (-0.1, 0, 0.3, 0.4))
        ),
        Quad("ArtMeshBody", 1, 0, (-0.3, -0.4, 0.3, 0.0)),
    ]
    data = write_moc3(parts=PARTS, parameters=PARAMETERS, quads=quads, version=version)
    info = parse_moc3(data, texture_count=2)
    assert info.problems == [] and info.version == version
    assert len([o for o in info.offsets if o]) == (101 if version == 1 else 102)
    assert info.offsets[0] == 0x7C0  # where the Editor puts the count table
    assert info.offsets == sorted(info.offsets[: len([o for o in info.offsets if o])]) + [0] * (
        160 - len([o for o in info.offsets if o])
    )
    assert info.part_ids == PARTS and info.drawable_ids == ["ArtMeshFace", "ArtMeshBody"]
    assert info.texture_numbers == [0, 1] and info.parameter_ranges["ParamMouthOpenY"] == (0.0, 1.0, 0.0)
    with pytest.raises(ValueError):
        write_moc3(parts=PARTS, parameters=PARAMETERS, quads=quads, version=4)


def test_texture_number_beyond_textures_is_moc007() -> None:
    assert [p.rule_id for p in parse_moc3(_moc(), texture_count=1).problems] == ["MOC-007"]


def test_cubism2_moc_is_recognised() -> None:
    info = parse_moc3(b"moc\x0a" + b"\0" * 60 + b"\x88\x88\x88\x88")
    assert info.is_cubism2 and info.problems[0].rule_id == "MOC-002"


def test_fuzz_random_and_truncated_bytes_never_raise() -> None:
    rng = random.Random(1234)
    valid = _moc(5)
    samples: list[bytes] = [b"", b"MOC3", b"MOC3" + bytes([3, 0])]
    samples += [valid[:n] for n in range(0, len(valid), 37)]
    samples += [bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 3000))) for _ in range(150)]
    samples += [
        b"MOC3" + bytes([rng.randrange(0, 8), 0]) + bytes(rng.getrandbits(8) for _ in range(2000)) for _ in range(150)
    ]
    for _ in range(300):  # flip bytes in the header, offset table and count table of a valid file
        buf = bytearray(valid)
        for _ in range(rng.randrange(1, 6)):
            pos = rng.randrange(0, min(len(buf), 0x40 + 4 * 160 + 256))
            buf[pos] = rng.getrandbits(8)
        samples.append(bytes(buf))
    # crafted counts: huge entries pointing into the file
    crafted = bytearray(valid)
    off = struct.unpack_from("<I", crafted, 0x40)[0]
    struct.pack_into("<6i", crafted, off, 999_999, 0, 0, 0, 999_999, 999_999)
    samples.append(bytes(crafted))
    struct.pack_into("<i", crafted, off, 2_000_000_000)
    samples.append(bytes(crafted))
    start = time.perf_counter()
    for data in samples:
        info = parse_moc3(data, texture_count=1)
        assert all(p.rule_id.startswith("MOC-") for p in info.problems)
    assert time.perf_counter() - start < 10


def test_fuzzed_moc3_through_validate_gives_findings_only(live2d_model: Path) -> None:
    rng = random.Random(99)
    moc = live2d_model.parent / "Hiyori.moc3"
    valid = moc.read_bytes()
    for i in range(20):
        buf = bytearray(valid)
        for _ in range(8):
            buf[rng.randrange(0, 1024)] = rng.getrandbits(8)
        moc.write_bytes(bytes(buf[: rng.randrange(0, len(buf))]) if i % 2 else bytes(buf))
        report = validate(live2d_model.parent)
        assert all(f.rule_id in report.rule_ids for f in report.findings)  # completes, returns a report
