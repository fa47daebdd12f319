"""The moc3 reader on generated and mutated binaries: it never raises and never hides a parser crash."""

from __future__ import annotations

import re
from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from live2d_tools.moc3 import MOC_VERSIONS, Moc3Info, build_moc3, parse_moc3
from live2d_tools.rules import RULES

RULE = re.compile(r"^MOC-\d{3}$")


@cache
def valid(version: int) -> bytes:
    return build_moc3(
        parts=["PartHead", "PartBody"],
        parameters=[("ParamAngleX", -30.0, 30.0, 0.0), ("ParamMouthOpenY", 0.0, 1.0, 0.0)],
        drawables=[("ArtMesh0", 0), ("ArtMesh1", 0)],
        deformers=(["Warp0", "Rot0"], 1),
        version=version,
    )


def check(info: Moc3Info) -> None:
    for problem in info.problems:
        assert RULE.match(problem.rule_id) and problem.rule_id in RULES
        # parse_moc3's last-resort handler says "could not be parsed (<exception>)": that is a parser bug
        assert "could not be parsed (" not in problem.message, problem.message
    assert len(info.part_ids) <= info.size and len(info.parameter_ids) <= info.size


@given(st.binary(max_size=2048), st.one_of(st.none(), st.integers(0, 8)))
def test_random_bytes(data: bytes, textures: int | None) -> None:
    check(parse_moc3(data, texture_count=textures))


@given(
    st.sampled_from(sorted(MOC_VERSIONS)),
    st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), min_size=1, max_size=12),
    st.one_of(st.none(), st.integers(0, 1 << 16)),
)
def test_mutated_valid_files(version: int, flips: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(valid(version))
    assert parse_moc3(bytes(data)).ok
    for where, value in flips:
        data[where % len(data)] = value
    if cut is not None:
        del data[cut % len(data):]
    check(parse_moc3(bytes(data), texture_count=1))


@given(st.sampled_from(sorted(MOC_VERSIONS)), st.integers(0, 159), st.sampled_from([0xFFFFFFFF, 0x7FFFFFFF, 1 << 20]))
def test_offsets_pointing_anywhere(version: int, slot: int, value: int) -> None:
    data = bytearray(valid(version))
    data[64 + 4 * slot: 64 + 4 * slot + 4] = value.to_bytes(4, "little")
    check(parse_moc3(bytes(data), texture_count=1))
