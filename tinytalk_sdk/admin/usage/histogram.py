"""A fixed log-scale latency histogram: percentiles within 2 % of exact nearest-rank, mergeable by addition.

Latencies are whole milliseconds. Bin 0 holds ``<= 0``; bin ``j >= 1`` holds the integers
``EDGES[j-1] .. EDGES[j] - 1`` where ``EDGES[0] = 1`` and ``EDGES[j+1] = max(EDGES[j] + 1,
ceil(EDGES[j] * 1.02))`` in integer arithmetic. So every bin spans less than a factor ``RATIO`` = 1.02, and
bins below 51 ms hold a single value (exact). A percentile is the nearest-rank bin's representative
``round(2ab / (a + b))`` for a bin ``[a, b]``: off from any value in the bin by at most ``(b - a) / (a + b)
< (RATIO - 1) / 2`` = 1 %, plus 0.5 ms of rounding, which only matters when a bin holds two or more integers
(``a >= 51``), i.e. ≤ 0.98 %. Together: relative error ≤ 2 % (``MAX_RELATIVE_ERROR``). About 940 bins cover
0 ms to 24 days.

Stored compactly (``api_usage_rollups.latency_hist``): the non-empty bins as little-endian
``(uint16 bin, uint32 count)`` pairs, 6 bytes each, in bin order.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

RATIO_PERCENT = 102
MAX_RELATIVE_ERROR = 0.02
_MAX_MS = 2**31


def _edges() -> np.ndarray:
    edges = [1]
    while edges[-1] < _MAX_MS:
        e = edges[-1]
        edges.append(max(e + 1, (e * RATIO_PERCENT + 99) // 100))
    return np.array(edges, dtype=np.int64)


EDGES = _edges()
N_BINS = len(EDGES) + 1  # bin 0 (<= 0 ms) plus one per edge; the last is open-ended
_PAIR = np.dtype([("b", "<u2"), ("c", "<u4")])


def _representatives() -> np.ndarray:
    a = EDGES.astype(np.float64)
    b = np.append(EDGES[1:] - 1, EDGES[-1]).astype(np.float64)
    rep = np.rint(2 * a * b / (a + b)).astype(np.int64)
    return np.concatenate([[0], rep])


REPRESENTATIVE = _representatives()


def bins_of(values: Sequence[int] | np.ndarray) -> np.ndarray:
    """The bin of each latency (ms)."""
    arr = np.asarray(values, dtype=np.int64)
    return np.where(arr <= 0, 0, np.searchsorted(EDGES, arr, side="right"))


def dense(values: Sequence[int] | np.ndarray, counts: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
    """A dense histogram (``N_BINS`` int64 counts) of ``values``, each counted ``counts`` times (default 1)."""
    bins = bins_of(values)
    weights = None if counts is None else np.asarray(counts, dtype=np.float64)
    return np.bincount(bins, weights=weights, minlength=N_BINS).astype(np.int64)


_EDGE_LIST = EDGES.tolist()


def encode_values(values: Sequence[int], counts: Sequence[int]) -> bytes:
    """:func:`encode` of the histogram of ``values`` × ``counts``, without numpy: the rollup job encodes one
    small group at a time, where numpy's per-call overhead would dominate."""
    bins: dict[int, int] = {}
    edges = _EDGE_LIST
    for value, count in zip(values, counts, strict=True):
        b = 0 if value <= 0 else bisect.bisect_right(edges, value)
        bins[b] = bins.get(b, 0) + count
    flat: list[int] = []
    for b in sorted(bins):
        flat += (b, bins[b])
    return struct.pack("<" + "HI" * len(bins), *flat)


def encode(hist: np.ndarray) -> bytes:
    """The stored form of a dense histogram: its non-empty bins as ``(uint16, uint32)`` pairs."""
    nz = np.flatnonzero(hist)
    pairs = np.empty(len(nz), dtype=_PAIR)
    pairs["b"] = nz
    pairs["c"] = hist[nz]
    return pairs.tobytes()


def merge_each(blobs: Sequence[bytes]) -> list[bytes]:
    """Each blob — several stored histograms laid end to end — as the one stored histogram of their sum,
    all in one vectorised pass (the rollup job merges a block's two halves for thousands of pupils at once)."""
    if not blobs:
        return []
    lengths = np.fromiter((len(b) // _PAIR.itemsize for b in blobs), dtype=np.int64, count=len(blobs))
    pairs = np.frombuffer(b"".join(blobs), dtype=_PAIR)
    keys = np.repeat(np.arange(len(blobs), dtype=np.int64), lengths) * N_BINS + pairs["b"]
    unique, inverse = np.unique(keys, return_inverse=True)
    merged = np.empty(len(unique), dtype=_PAIR)
    merged["b"] = unique % N_BINS
    merged["c"] = np.bincount(inverse, weights=pairs["c"].astype(np.float64), minlength=len(unique))
    bounds = np.searchsorted(unique // N_BINS, np.arange(len(blobs) + 1)) * _PAIR.itemsize
    raw = merged.tobytes()
    return [raw[bounds[i] : bounds[i + 1]] for i in range(len(blobs))]


def decode(blobs: Iterable[bytes]) -> np.ndarray:
    """The sum of stored histograms as one dense histogram (one pass over all their bytes)."""
    raw = b"".join(blobs)
    pairs = np.frombuffer(raw, dtype=_PAIR)
    return np.bincount(pairs["b"], weights=pairs["c"].astype(np.float64), minlength=N_BINS).astype(np.int64)


def percentile(hist: np.ndarray, p: int) -> int | None:
    """Nearest-rank ``p``-th percentile (``p`` in 1..100): the representative of the bin holding the value of
    rank ``ceil(p * n / 100)``, the same rank the exact SQL picks. ``None`` for an empty histogram."""
    n = int(hist.sum())
    if n == 0:
        return None
    rank = (p * n + 99) // 100
    index = int(np.searchsorted(np.cumsum(hist), rank, side="left"))
    return int(REPRESENTATIVE[index])


def percentiles(hist: np.ndarray, ps: Sequence[int]) -> list[Any]:
    """:func:`percentile` for several ``ps`` over one cumulative sum."""
    cum = np.cumsum(hist)
    n = int(cum[-1])
    if n == 0:
        return [None for _ in ps]
    ranks = [(p * n + 99) // 100 for p in ps]
    return [int(REPRESENTATIVE[i]) for i in np.searchsorted(cum, ranks, side="left")]


_CHUNK_GROUPS = 1024  # dense rows built at a time: memory ~ 1024 × N_BINS × 8 bytes, whatever the groups


def group_percentiles(n_groups: int, blob_groups: Sequence[int], blobs: Sequence[bytes],
                      extra: tuple[Sequence[int], Sequence[int], Sequence[int]], ps: Sequence[int]
                      ) -> list[list[Any]]:
    """Nearest-rank percentiles per group, from stored histograms (``blobs[i]`` belongs to group
    ``blob_groups[i]``) plus raw latencies ``extra = (groups, values, counts)`` (the open edge: value
    ``values[i]`` seen ``counts[i]`` times in group ``groups[i]``), vectorised over groups in bounded chunks."""
    lengths = np.fromiter((len(b) // _PAIR.itemsize for b in blobs), dtype=np.int64, count=len(blobs))
    pairs = np.frombuffer(b"".join(blobs), dtype=_PAIR)
    extra_groups, extra_values, extra_counts = extra
    gid = np.concatenate([np.repeat(np.asarray(blob_groups, dtype=np.int64), lengths),
                          np.asarray(extra_groups, dtype=np.int64)])
    bins = np.concatenate([pairs["b"].astype(np.int64), bins_of(extra_values)])
    counts = np.concatenate([pairs["c"].astype(np.float64), np.asarray(extra_counts, dtype=np.float64)])
    order = np.argsort(gid, kind="stable")
    gid, bins, counts = gid[order], bins[order], counts[order]
    out: list[list[Any]] = []
    for g0 in range(0, n_groups, _CHUNK_GROUPS):
        g1 = min(g0 + _CHUNK_GROUPS, n_groups)
        a, b = np.searchsorted(gid, [g0, g1])
        flat = np.bincount((gid[a:b] - g0) * N_BINS + bins[a:b], weights=counts[a:b],
                           minlength=(g1 - g0) * N_BINS)
        cum = np.cumsum(flat.reshape(g1 - g0, N_BINS).astype(np.int64), axis=1)
        n = cum[:, -1]
        picks = []
        for p in ps:
            rank = (p * n + 99) // 100
            index = np.minimum((cum < rank[:, None]).sum(axis=1), N_BINS - 1)
            picks.append(REPRESENTATIVE[index].tolist())
        n_list = n.tolist()
        for row in range(g1 - g0):
            out.append([None if n_list[row] == 0 else pick[row] for pick in picks])
    return out
