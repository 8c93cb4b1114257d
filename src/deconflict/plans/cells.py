"""A space-and-time index for volumes that plain SQL can search (``docs/plans.md``).

Space: a hierarchy of cubic cells over Earth-centred, Earth-fixed coordinates (the cube of
side 2²⁴ m around the Earth, halved at every level down to ``MAX_LEVEL``, 64 m). A volume
is held by a ball in ECEF (its cap's centre and radius, ``geometry.Cap``) and registers the
cells, at the finest level whose cells are at least as wide as the ball, that meet the
ball's bounding box: at most 2 × 2 × 2. A cell's key is its Morton code, shifted to the
finest level, with the level in the low 5 bits, so that all the cells inside a cell have
keys in one range. A search for everything that may come within H of a volume looks, at
its own level, at the ranges of the cells that meet its box widened by H (which finds
everything registered at that level or finer), and at the exact keys of their ancestors
(everything registered coarser). Two outlines less than H apart along the ellipsoid are less
than H apart in a straight line, so their boxes meet, so the search finds it: no false
negatives, whatever the sizes.

Time: buckets of ``BUCKET_S``; a volume registers every bucket its window touches.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

#: the finest level; cells there are 2 ** (24 - MAX_LEVEL) = 64 m wide
MAX_LEVEL = 18
_HALF_M = 2.0**23
_LEVEL_BITS = 5
#: time buckets (s)
BUCKET_S = 6 * 3600


def cell_size_m(level: int) -> float:
    return 2.0 ** (24 - level)


def level_for(extent_m: float) -> int:
    """The finest level whose cells are at least ``extent_m`` wide."""
    if extent_m <= cell_size_m(MAX_LEVEL):
        return MAX_LEVEL
    return max(0, 24 - math.ceil(math.log2(extent_m)))


def _spread(x: int) -> int:
    """The bits of x (< 2**21) moved to every third position."""
    x &= 0x1FFFFF
    x = (x | x << 32) & 0x1F00000000FFFF
    x = (x | x << 16) & 0x1F0000FF0000FF
    x = (x | x << 8) & 0x100F00F00F00F00F
    x = (x | x << 4) & 0x10C30C30C30C30C3
    x = (x | x << 2) & 0x1249249249249249
    return x


def _key(morton: int, level: int) -> int:
    return (morton << (3 * (MAX_LEVEL - level))) << _LEVEL_BITS | level


def _axis_range(lo_m: float, hi_m: float, level: int) -> range:
    size = cell_size_m(level)
    top = (1 << level) - 1
    first = min(top, max(0, math.floor((lo_m + _HALF_M) / size)))
    last = min(top, max(0, math.floor((hi_m + _HALF_M) / size)))
    return range(first, last + 1)


def _mortons(centre: Sequence[float], radius_m: float, level: int) -> list[int]:
    xs, ys, zs = (_axis_range(c - radius_m, c + radius_m, level) for c in centre)
    return [_spread(i) | _spread(j) << 1 | _spread(k) << 2 for i in xs for j in ys for k in zs]


def cell_keys(centre_ecef_m: Sequence[float], radius_m: float) -> list[int]:
    """The keys a volume registers: the cells of its level that meet its ball's box."""
    level = level_for(2.0 * radius_m)
    return [_key(m, level) for m in _mortons(centre_ecef_m, radius_m, level)]


def probe_ranges(
    centre_ecef_m: Sequence[float], radius_m: float, coarsest: int = 0
) -> list[tuple[int, int]]:
    """Inclusive key ranges that hold every key registered by a ball that meets this one's
    box (give the radius widened by the separation). Sorted, merged. ``coarsest``: the
    coarsest level anything is registered at (the ancestors' cells above it are left out;
    ``level_for`` of the widest ball allowed)."""
    level = level_for(2.0 * radius_m)
    mortons = _mortons(centre_ecef_m, radius_m, level)
    shift = 3 * (MAX_LEVEL - level)
    ranges = [(_key(m, level), (((m + 1) << shift) << _LEVEL_BITS) - 1) for m in mortons]
    for coarser in range(coarsest, level):
        for a in {m >> (3 * (level - coarser)) for m in mortons}:
            k = _key(a, coarser)
            ranges.append((k, k))
    return merge(ranges)


def merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def buckets(time_start_s: float, time_end_s: float) -> range:
    """The time buckets a window [start, end) touches."""
    return range(math.floor(time_start_s / BUCKET_S), math.floor(time_end_s / BUCKET_S) + 1)
