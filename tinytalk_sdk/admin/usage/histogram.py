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
    return [percentile(hist, p) for p in ps]
