"""Pairs of aircraft near each other at the same grid time, over many grid times at once.

Rows are sorted by grid index. Within each grid time, the points on the ellipsoid are
hashed into cubes of ECEF space ``radius_m`` wide; two points at most ``radius_m`` apart
lie in the same or in neighbouring cubes, so each row looks in the 27 cubes around its
own and keeps the rows of higher aircraft code within both the radius (straight-line
distance between the surface points, the horizontal separation of ``docs/analysis.md``)
and the vertical limit. Each pair is found once, from its lower aircraft.
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
    capacity = 1024
    first = np.empty(capacity, dtype=np.int64)
    second = np.empty(capacity, dtype=np.int64)
    found = 0
    mask = (1 << _BITS) - 1
    for g in range(len(bounds) - 1):
        s0, s1 = bounds[g], bounds[g + 1]
        n = s1 - s0
        if n < 2:
            continue
        if n < ALL_PAIRS_BELOW:
            for i in range(s0, s1):
                for j in range(s0, s1):
                    if aircraft[j] <= aircraft[i] or abs(alt[j] - alt[i]) > vertical:
                        continue
                    d0 = pos[j, 0] - pos[i, 0]
                    d1 = pos[j, 1] - pos[i, 1]
                    d2 = pos[j, 2] - pos[i, 2]
                    if d0 * d0 + d1 * d1 + d2 * d2 > r2:
                        continue
                    if found == capacity:
                        capacity *= 2
                        first = _grown(first, capacity, found)
                        second = _grown(second, capacity, found)
                    first[found] = i
                    second[found] = j
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
        for i in range(n):
            row = s0 + i
            cx = (keys[i] >> (2 * _BITS)) & mask
            cy = (keys[i] >> _BITS) & mask
            cz = keys[i] & mask
            for dx in range(-1, 2):
                for dy in range(-1, 2):
                    for dz in range(-1, 2):
                        key = (
                            (((cx + dx) & mask) << (2 * _BITS))
                            | (((cy + dy) & mask) << _BITS)
                            | ((cz + dz) & mask)
                        )
                        at = np.searchsorted(sorted_keys, key)
                        while at < n and sorted_keys[at] == key:
                            other = s0 + order[at]
                            at += 1
                            if aircraft[other] <= aircraft[row]:
                                continue
                            if abs(alt[other] - alt[row]) > vertical:
                                continue
                            d0 = pos[other, 0] - pos[row, 0]
                            d1 = pos[other, 1] - pos[row, 1]
                            d2 = pos[other, 2] - pos[row, 2]
                            if d0 * d0 + d1 * d1 + d2 * d2 > r2:
                                continue
                            if found == capacity:
                                capacity *= 2
                                first = _grown(first, capacity, found)
                                second = _grown(second, capacity, found)
                            first[found] = row
                            second[found] = other
                            found += 1
    return first[:found].copy(), second[:found].copy()


@numba.njit(cache=True, nogil=True)
def _grown(x: I64, capacity: int, used: int) -> I64:
    out = np.empty(capacity, dtype=np.int64)
    out[:used] = x[:used]
    return out
