"""Pairs of aircraft near each other at the same grid time, over many grid times at once.

Rows are sorted by grid index. Within each grid time, the points on the ellipsoid are
hashed into cubes of ECEF space ``radius_m`` wide; two points at most ``radius_m`` apart
lie in the same or in neighbouring cubes, so the rows of each cube are paired with each
other and with those of the neighbouring cubes of higher key, and kept within both the
radius (straight-line distance between the surface points, the horizontal separation of
``docs/analysis.md``) and the vertical limit. Each pair is looked at once.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: below this many aircraft at one grid time, every pair is looked at: cheaper than hashing
ALL_PAIRS_BELOW = 32
_BITS = 20  #: bits per cube coordinate in a key (cubes of >= 13 m cover the Earth)
_OFFSET = 1 << (_BITS - 1)


def near_pairs(
    step: I64, aircraft: I64, pos_m: F64, alt_m: F64, radius_m: float, vertical_m: float
) -> tuple[I64, I64]:
    """Row pairs (a, b), same grid time, aircraft[a] < aircraft[b], at most ``radius_m``
    apart horizontally and ``vertical_m`` vertically; sorted by a's row, then b's."""
    if len(step) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if not (np.isfinite(pos_m).all() and np.isfinite(alt_m).all()):
        raise ValueError("near_pairs needs finite positions and altitudes")
    # cubes at least radius wide and few enough per axis for the key's bits
    cube_m = max(radius_m, 2 * 6_400_000.0 / (1 << _BITS), 1.0)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(step)) + 1, [len(step)]])
    a, b = _near(bounds, aircraft, pos_m, alt_m, radius_m * radius_m, vertical_m, cube_m)
    order = np.lexsort((b, a))
    return a[order], b[order]


@numba.njit(cache=True, nogil=True)
def _near(
    bounds: I64, aircraft: I64, pos: F64, alt: F64, r2: float, vertical: float, cube: float
) -> tuple[I64, I64]:
    first = np.empty(1024, dtype=np.int64)
    second = np.empty(1024, dtype=np.int64)
    found = 0
    mask = (1 << _BITS) - 1
    for g in range(len(bounds) - 1):
        s0, s1 = bounds[g], bounds[g + 1]
        n = s1 - s0
        if n < 2:
            continue
        if n < ALL_PAIRS_BELOW:
            for i in range(s0, s1):
                for j in range(i + 1, s1):
                    if _near_enough(i, j, pos, alt, r2, vertical):
                        first, second = _kept(first, second, found, i, j, aircraft)
                        found += 1
            continue
        keys = np.empty(n, dtype=np.int64)
        for i in range(n):
            cx = np.int64(np.floor(pos[s0 + i, 0] / cube)) + _OFFSET
            cy = np.int64(np.floor(pos[s0 + i, 1] / cube)) + _OFFSET
            cz = np.int64(np.floor(pos[s0 + i, 2] / cube)) + _OFFSET
            keys[i] = ((cx & mask) << (2 * _BITS)) | ((cy & mask) << _BITS) | (cz & mask)
        order = np.argsort(keys)
        sorted_keys = keys[order]
        # each cube's run of rows against its own and against the neighbours with a higher
        # key: every pair of rows is looked at once
        start = 0
        while start < n:
            key = sorted_keys[start]
            end = start + 1
            while end < n and sorted_keys[end] == key:
                end += 1
            cx = (key >> (2 * _BITS)) & mask
            cy = (key >> _BITS) & mask
            cz = key & mask
            for dx in range(-1, 2):
                for dy in range(-1, 2):
                    for dz in range(-1, 2):
                        other = (
                            (((cx + dx) & mask) << (2 * _BITS))
                            | (((cy + dy) & mask) << _BITS)
                            | ((cz + dz) & mask)
                        )
                        if other < key:
                            continue
                        if other == key:
                            lo, hi = start, end
                        else:
                            lo = _lower_bound(sorted_keys, end, n, other)
                            hi = lo
                            while hi < n and sorted_keys[hi] == other:
                                hi += 1
                        for x in range(start, end):
                            i = s0 + order[x]
                            for y in range(max(lo, x + 1) if other == key else lo, hi):
                                j = s0 + order[y]
                                if _near_enough(i, j, pos, alt, r2, vertical):
                                    first, second = _kept(first, second, found, i, j, aircraft)
                                    found += 1
            start = end
    return first[:found].copy(), second[:found].copy()


@numba.njit(cache=True, nogil=True)
def _lower_bound(x: I64, lo: int, hi: int, value: int) -> int:
    """The first index in [lo, hi) of the sorted ``x`` whose value is >= ``value``."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if x[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, nogil=True)
def _near_enough(i: int, j: int, pos: F64, alt: F64, r2: float, vertical: float) -> bool:
    if abs(alt[j] - alt[i]) > vertical:
        return False
    d0, d1, d2 = pos[j, 0] - pos[i, 0], pos[j, 1] - pos[i, 1], pos[j, 2] - pos[i, 2]
    return bool(d0 * d0 + d1 * d1 + d2 * d2 <= r2)


@numba.njit(cache=True, nogil=True)
def _kept(first: I64, second: I64, found: int, i: int, j: int, aircraft: I64) -> tuple[I64, I64]:
    """The pair (i, j) written at ``found``, lower aircraft first (the arrays grown when
    full)."""
    if found == len(first):
        grown = np.empty(2 * found, dtype=np.int64)
        grown[:found] = first[:found]
        first = grown
        grown = np.empty(2 * found, dtype=np.int64)
        grown[:found] = second[:found]
        second = grown
    if aircraft[i] < aircraft[j]:
        first[found], second[found] = i, j
    else:
        first[found], second[found] = j, i
    return first, second
