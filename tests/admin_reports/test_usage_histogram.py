"""The latency histogram: its error bound over every latency, and nearest-rank percentiles on generated data."""

from __future__ import annotations

import numpy as np
import pytest

from tinytalk_sdk.admin.usage import histogram as h


def _nearest_rank(values: np.ndarray, p: int) -> int:
    ordered = np.sort(values)
    rank = (p * len(ordered) + 99) // 100  # smallest rank with rank * 100 >= p * n, as the SQL
    return int(ordered[rank - 1])


def test_every_latency_up_to_an_hour_is_within_two_percent() -> None:
    values = np.arange(0, 3_600_001)
    rep = h.REPRESENTATIVE[h.bins_of(values)]
    err = np.abs(rep[1:] - values[1:]) / values[1:]
    assert rep[0] == 0 and err.max() <= h.MAX_RELATIVE_ERROR
    assert (rep[:52] == values[:52]).all()  # below 51 ms every bin holds one value: exact


@pytest.mark.parametrize("seed", range(6))
def test_percentiles_match_exact_nearest_rank_within_two_percent(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 20_000))
    shape = seed % 3
    values = (rng.lognormal(6, 1.3, n) if shape == 0 else rng.integers(0, 5000, n) if shape == 1
              else rng.pareto(1.5, n) * 100).astype(np.int64)
    hist = h.dense(values)
    for p in (50, 95, 99):
        exact = _nearest_rank(values, p)
        got = h.percentile(hist, p)
        assert got is not None
        assert abs(got - exact) <= h.MAX_RELATIVE_ERROR * exact, (p, got, exact)


def test_stored_form_round_trips_and_merges_by_addition() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.integers(1, 100_000, 5000), rng.integers(0, 300, 700)
    ha, hb = h.dense(a), h.dense(b)
    assert (h.decode([h.encode(ha)]) == ha).all()
    values, counts = np.unique(a, return_counts=True)
    assert h.encode_values(values.tolist(), counts.tolist()) == h.encode(ha)
    assert (h.decode([h.encode(ha), h.encode(hb)]) == h.dense(np.concatenate([a, b]))).all()
    assert len(h.encode(hb)) == 6 * np.count_nonzero(hb)  # 6 bytes per non-empty bin
    assert h.percentile(h.dense([]), 50) is None
    assert h.percentile(h.dense([7], [3]), 99) == 7


def test_group_percentiles_equal_one_histogram_at_a_time() -> None:
    rng = np.random.default_rng(9)
    groups = [rng.integers(0, 20_000, int(rng.integers(0, 40))) for _ in range(2500)]  # > one chunk
    blob_groups, blobs = [], []
    extra: tuple[list[int], list[int], list[int]] = ([], [], [])
    for gid, values in enumerate(groups):
        half = len(values) // 2
        blob_groups += [gid, gid]
        blobs += [h.encode(h.dense(values[:half])), h.encode(h.dense(values[half:2 * half]))]
        if len(values) % 2:  # the odd one out as a raw latency, counted twice in the open edge: 1 + 1
            extra[0].extend([gid, gid])
            extra[1].extend([int(values[-1])] * 2)
            extra[2].extend([1, 0])
    got = h.group_percentiles(len(groups), blob_groups, blobs, extra, (50, 95, 99))
    assert got == [h.percentiles(h.dense(values), (50, 95, 99)) for values in groups]
