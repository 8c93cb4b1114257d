"""The broad phase: the candidate pairs of one snapshot, without an N x N array.

Each aircraft sweeps a segment over the lookahead. Its axis-aligned box in ECEF, inflated
by a margin, and its altitude band over the lookahead form a 4-D box, hashed into a uniform
4-D grid. A pair is examined once, in the grid cell that holds the lower corner of the
overlap of the two boxes, and kept when

1. the two 4-D boxes overlap, and
2. the exact test of ``cpa.py``, run with slightly widened minima and lookahead, finds a
   conflict.

Why nothing is missed. Let ``x(t)`` be the 3-D relative position and ``P`` the projection
on the pair's plane (normal ``n``). A conflict needs ``|P x(t)| < H`` for some t, and
``|x(t)|² = |P x(t)|² + (n·x(t))²`` with ``n·x(t) = t n·(v_j - v_i)`` (``n`` is
perpendicular to the chord). Each velocity is horizontal at its own aircraft, so
``|n·v| <= |v| sin(angle(n, up))``. ``n`` is the mean of the two verticals turned onto
the chord's normal plane, so ``angle(n, up_i)`` is about half the angle between the
verticals: on a sphere of radius rho it is ``asin(chord / 2 rho)``, below ``chord / rho``.
On the ellipsoid, whose radii of curvature are all at least rho_min = a (1 - e²), the bound
``angle(n, up_i) <= min(chord / rho_min, pi/2)`` holds too (``tests/test_broad.py`` checks
it over random pairs at every separation). A pair that can conflict has
``chord < H + 2 T v_max``. So ``|x(t)| < H + T (|v_i| + |v_j|) s`` with
``s = sin(min((H + 2 T v_max) / rho_min, pi/2))``, and ECEF boxes inflated by
``H/2 + T |v| s`` around each segment must overlap; so must the altitude bands, inflated
by ``V/2``. Both get another metre, and the segments run to the widened lookahead.
Step 2 widens H and V by a millimetre and the lookahead by a microsecond, far above the
rounding of either computation, so its candidates are a superset of the exact conflicts.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from deconflict import geo
from deconflict.tactical.cpa import Kinematics

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

_BITS = 15  # bits of each of the four cell coordinates in a key
_MAX_CELLS = (1 << _BITS) - 1
SLACK_M = 1e-3  #: widening of the minima in the prefilter
SLACK_S = 1e-6  #: widening of the lookahead in the prefilter


@dataclass(frozen=True)
class Boxes:
    """Swept boxes of a snapshot: ECEF (n, 3) corners and altitude bands."""

    lo_m: F64
    hi_m: F64
    alt_lo_m: F64
    alt_hi_m: F64


def swept_boxes(kin: Kinematics, hsep_m: float, vsep_m: float, lookahead_s: float) -> Boxes:
    """The box each aircraft can occupy over the lookahead, inflated so that any pair in
    conflict has overlapping boxes (see the module's docstring)."""
    end = kin.pos_m + lookahead_s * kin.vel_mps
    speed = np.sqrt(np.einsum("ij,ij->i", kin.vel_mps, kin.vel_mps))
    vmax = float(speed.max()) if len(speed) else 0.0
    angle = min((hsep_m + 2.0 * lookahead_s * vmax) / geo.WGS84_MIN_CURVATURE_RADIUS_M, np.pi / 2)
    margin = 0.5 * hsep_m + lookahead_s * speed * np.sin(angle) + 1.0
    alt_end = kin.alt_m + lookahead_s * kin.vz_mps
    alt_margin = 0.5 * vsep_m + 1.0
    return Boxes(
        lo_m=np.minimum(kin.pos_m, end) - margin[:, None],
        hi_m=np.maximum(kin.pos_m, end) + margin[:, None],
        alt_lo_m=np.minimum(kin.alt_m, alt_end) - alt_margin,
        alt_hi_m=np.maximum(kin.alt_m, alt_end) + alt_margin,
    )


#: below this many aircraft every pair is a candidate: cheaper than building a grid
ALL_PAIRS_BELOW = 48


def candidate_pairs(
    kin: Kinematics,
    hsep_m: float,
    vsep_m: float,
    lookahead_s: float,
    all_pairs_below: int = ALL_PAIRS_BELOW,
) -> tuple[I64, I64]:
    """Pairs (i < j), sorted, that may be in conflict: a superset of the exact conflicts,
    usually only slightly larger. ``hsep_m`` and ``vsep_m`` are the largest minima of any
    pair. Snapshots of fewer than ``all_pairs_below`` aircraft skip the grid."""
    if len(kin) < max(all_pairs_below, 2):
        i, j = np.triu_indices(len(kin), 1)
        return i.astype(np.int64), j.astype(np.int64)
    boxes = swept_boxes(kin, hsep_m, vsep_m, lookahead_s + SLACK_S)
    # 4-D boxes: ECEF x, y, z and altitude
    lo = np.column_stack([boxes.lo_m, boxes.alt_lo_m])
    hi = np.column_stack([boxes.hi_m, boxes.alt_hi_m])
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise ValueError("candidate_pairs needs finite positions, velocities and minima")
    origin = lo.min(axis=0)
    cell_lo, cell_hi = _grid(lo - origin, hi - origin)
    # number the aircraft in cell order, so that the members of a cell are near in memory
    rank = np.argsort(_key(cell_lo[:, 0], cell_lo[:, 1], cell_lo[:, 2], cell_lo[:, 3]))
    lo, hi, cell_lo, cell_hi = lo[rank], hi[rank], cell_lo[rank], cell_hi[rank]
    state = np.column_stack([kin.pos_m, kin.vel_mps, kin.up, kin.alt_m, kin.vz_mps])[rank]
    keys, owners = _entries(cell_lo, cell_hi, np.prod(cell_hi - cell_lo + 1, axis=1))
    order = np.argsort(keys)
    keys, owners = keys[order], owners[order]
    box, starts = _entry_table(keys, owners, lo, hi, cell_lo)
    limits = (hsep_m + SLACK_M) ** 2, vsep_m + SLACK_M, lookahead_s + SLACK_S
    chunks = _chunks(keys, _WORKERS * 4)
    if len(chunks) == 1:
        found = [_pairs_in_cells(keys, owners, box, starts, state, *limits, *chunks[0])]
    else:
        with ThreadPoolExecutor(_WORKERS) as pool:
            found = list(
                pool.map(
                    lambda c: _pairs_in_cells(keys, owners, box, starts, state, *limits, *c),
                    chunks,
                )
            )
    a = rank[np.concatenate([f[0] for f in found])]
    b = rank[np.concatenate([f[1] for f in found])]
    first, second = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((second, first))
    return first[order], second[order]


PairFinder = Callable[[Kinematics, float, float, float], tuple[I64, I64]]
"""What ``candidate_pairs(kin, hsep_m, vsep_m, lookahead_s)`` returns, however found."""


@dataclass(frozen=True)
class Superset:
    """The candidate pairs of a snapshot for the largest minima and lookahead in use, found
    once; those of smaller ones, for any subset of its aircraft, are drawn from it exactly.

    ``candidate_pairs`` keeps a pair when the boxes overlap and the exact test (with the
    widened minima) passes; the exact test implies the overlap (see the module), and it
    passes for smaller minima and a shorter lookahead only where it passes for larger ones.
    So the candidates for smaller minima are those of the superset that pass the exact
    test with them: ``finder`` runs that test only.
    """

    i: I64
    j: I64
    size: int  #: aircraft in the snapshot
    hsep_m: float
    vsep_m: float
    lookahead_s: float

    @classmethod
    def find(cls, kin: Kinematics, hsep_m: float, vsep_m: float, lookahead_s: float
             ) -> Superset:  # fmt: skip
        """The candidates of ``kin`` for these minima (one metre and one second wider, so
        that kinematics computed again for a subset cannot fall outside by a rounding)."""
        h, v, t = hsep_m + 1.0, vsep_m + 1.0, lookahead_s + 1.0
        i, j = candidate_pairs(kin, h, v, t, all_pairs_below=0)
        return cls(i, j, len(kin), h, v, t)

    def finder(self, rows: I64, all_pairs_below: int = ALL_PAIRS_BELOW) -> PairFinder:
        """A pair finder for the kinematics of the aircraft ``rows`` (sorted rows of the
        snapshot), in their order: it answers as ``candidate_pairs`` would, for minima up to
        the superset's."""
        where = np.full(self.size, -1, dtype=np.int64)
        where[rows] = np.arange(len(rows))
        a, b = where[self.i], where[self.j]
        both = (a >= 0) & (b >= 0)
        first, second = np.minimum(a[both], b[both]), np.maximum(a[both], b[both])
        order = np.lexsort((second, first))
        first, second = first[order], second[order]

        def find(kin: Kinematics, hsep_m: float, vsep_m: float, lookahead_s: float
                 ) -> tuple[I64, I64]:  # fmt: skip
            if len(kin) != len(rows):
                raise ValueError(f"this finder is for {len(rows)} aircraft, not {len(kin)}")
            if hsep_m > self.hsep_m or vsep_m > self.vsep_m or lookahead_s > self.lookahead_s:
                raise ValueError("these minima are beyond the superset's")
            if len(kin) < max(all_pairs_below, 2):
                i, j = np.triu_indices(len(kin), 1)
                return i.astype(np.int64), j.astype(np.int64)
            state = np.column_stack([kin.pos_m, kin.vel_mps, kin.up, kin.alt_m, kin.vz_mps])
            keep = _exact(first, second, state, (hsep_m + SLACK_M) ** 2, vsep_m + SLACK_M,
                          lookahead_s + SLACK_S)  # fmt: skip
            return first[keep], second[keep]

        return find


@numba.njit(cache=True, nogil=True)
def _exact(i: I64, j: I64, state: F64, h2: float, vsep: float, lookahead: float
           ) -> NDArray[np.bool_]:  # fmt: skip
    keep = np.empty(len(i), dtype=np.bool_)
    for k in range(len(i)):
        keep[k] = _may_conflict(i[k], j[k], state, h2, vsep, lookahead)
    return keep


#: most grid entries per aircraft, on average; beyond it the cells grow (see ``_grid``)
ENTRIES_PER_AIRCRAFT = 64


def _grid(lo: F64, hi: F64) -> tuple[I64, I64]:
    """The first and last cell of each box on each axis.

    Cells are about one median box wide (three on the altitude axis, where most boxes are
    thin and a few very tall). Where a few boxes are far larger than the median (a fast
    aircraft over a long lookahead), they would cover millions of cells: the cells then
    double in size until the grid holds at most ENTRIES_PER_AIRCRAFT entries per
    aircraft. Any cell size finds the same pairs; this one bounds memory and time.
    """
    span = hi.max(axis=0)
    cell = np.median(hi - lo, axis=0) * np.array([1.0, 1.0, 1.0, 3.0])
    cell = np.maximum(np.maximum(cell, span / _MAX_CELLS), 1.0)
    budget = ENTRIES_PER_AIRCRAFT * len(lo) + 1024.0
    while True:
        cell_lo = np.floor(lo / cell).astype(np.int64)
        cell_hi = np.floor(hi / cell).astype(np.int64)
        entries = np.prod((cell_hi - cell_lo + 1).astype(np.float64), axis=1).sum()
        if entries <= budget:
            return cell_lo, cell_hi
        cell = cell * 2.0


_WORKERS = max(1, min(len(os.sched_getaffinity(0)), 8))
_SERIAL_ENTRIES = 50_000  #: below this many entries, one thread does it all


def _chunks(keys: I64, count: int) -> list[tuple[int, int]]:
    """Split the sorted entries at cell boundaries into ranges of about equal work (the
    work of a cell grows with the square of its entries)."""
    if len(keys) < _SERIAL_ENTRIES:
        return [(0, len(keys))]
    bounds = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate([[0], bounds])
    sizes = np.diff(np.concatenate([starts, [len(keys)]]))
    work = np.cumsum(sizes.astype(np.float64) ** 2)
    cuts = np.searchsorted(work, work[-1] * np.arange(1, count) / count)
    edges = np.unique(np.concatenate([[0], starts[np.minimum(cuts, len(starts) - 1)], [len(keys)]]))
    return [(int(s), int(e)) for s, e in itertools.pairwise(edges) if e > s]


def _key(x: I64, y: I64, z: I64, a: I64) -> I64:
    key: I64 = (((x << _BITS) | y) << _BITS | z) << _BITS | a
    return key


@numba.njit(cache=True, nogil=True)
def _entries(cell_lo: I64, cell_hi: I64, counts: I64) -> tuple[I64, I64]:
    """One (cell key, aircraft) entry for every cell an aircraft's 4-D box touches."""
    total = 0
    for c in counts:
        total += c
    keys = np.empty(total, dtype=np.int64)
    owners = np.empty(total, dtype=np.int64)
    k = 0
    for i in range(cell_lo.shape[0]):
        for x in range(cell_lo[i, 0], cell_hi[i, 0] + 1):
            for y in range(cell_lo[i, 1], cell_hi[i, 1] + 1):
                for z in range(cell_lo[i, 2], cell_hi[i, 2] + 1):
                    for a in range(cell_lo[i, 3], cell_hi[i, 3] + 1):
                        keys[k] = (((x << _BITS) | y) << _BITS | z) << _BITS | a
                        owners[k] = i
                        k += 1
    return keys, owners


@numba.njit(cache=True, nogil=True)
def _entry_table(keys: I64, owners: I64, lo: F64, hi: F64, cell_lo: I64) -> tuple[F64, I64]:
    """For each entry, a copy of its 4-D box (so that the scan reads memory in order) and
    a 4-bit mask of the axes on which its box starts in the entry's cell."""
    total = keys.shape[0]
    mask = (1 << _BITS) - 1
    box = np.empty((total, 8), dtype=np.float64)
    starts = np.empty(total, dtype=np.int64)
    for e in range(total):
        i, key = owners[e], keys[e]
        for d in range(4):
            box[e, d] = lo[i, d]
            box[e, 4 + d] = hi[i, d]
        starts[e] = (
            np.int64(cell_lo[i, 0] == key >> (3 * _BITS))
            | np.int64(cell_lo[i, 1] == (key >> (2 * _BITS)) & mask) << 1
            | np.int64(cell_lo[i, 2] == (key >> _BITS) & mask) << 2
            | np.int64(cell_lo[i, 3] == key & mask) << 3
        )
    return box, starts


@numba.njit(cache=True, nogil=True)
def _may_conflict(i: int, j: int, state: F64, h2: float, vsep: float, lookahead: float) -> bool:
    """The exact test of cpa.py for one pair, with the widened minima. ``state`` rows are
    ECEF position (3), velocity (3), vertical (3), altitude, vertical rate."""
    # vertical interval first: it is the cheaper filter
    dz = state[j, 9] - state[i, 9]
    dvz = state[j, 10] - state[i, 10]
    if dvz != 0.0:
        ta = (-vsep - dz) / dvz
        tb = (vsep - dz) / dvz
        lo, hi = min(ta, tb), max(ta, tb)
    elif abs(dz) < vsep:
        lo, hi = -np.inf, np.inf
    else:
        return False
    lo = max(lo, -SLACK_S)
    hi = min(hi, lookahead)
    if not lo < hi:
        return False
    r0, r1, r2 = state[j, 0] - state[i, 0], state[j, 1] - state[i, 1], state[j, 2] - state[i, 2]
    v0, v1, v2 = state[j, 3] - state[i, 3], state[j, 4] - state[i, 4], state[j, 5] - state[i, 5]
    m0, m1, m2 = state[i, 6] + state[j, 6], state[i, 7] + state[j, 7], state[i, 8] + state[j, 8]
    rr = r0 * r0 + r1 * r1 + r2 * r2
    k = (m0 * r0 + m1 * r1 + m2 * r2) / rr if rr > 0.0 else 0.0
    n0, n1, n2 = m0 - k * r0, m1 - k * r1, m2 - k * r2
    length = np.sqrt(n0 * n0 + n1 * n1 + n2 * n2)
    if length > 0.0:
        n0, n1, n2 = n0 / length, n1 / length, n2 / length
    else:
        n0, n1, n2 = state[i, 6], state[i, 7], state[i, 8]
    rn = r0 * n0 + r1 * n1 + r2 * n2
    vn = v0 * n0 + v1 * n1 + v2 * n2
    hr2 = max(rr - rn * rn, 0.0)
    rv = r0 * v0 + r1 * v1 + r2 * v2 - rn * vn
    vv = max(v0 * v0 + v1 * v1 + v2 * v2 - vn * vn, 0.0)
    c = hr2 - h2
    disc = rv * rv - vv * c
    if vv == 0.0 or disc <= 0.0:  # no relative motion (or too little to resolve): inside or not
        return bool(c < 0.0)
    sq = np.sqrt(disc)
    q = -(rv + sq) if rv >= 0.0 else -(rv - sq)  # the stable pair of roots, as in cpa.py
    t1, t2 = q / vv, c / q
    return bool(max(min(t1, t2), lo) < min(max(t1, t2), hi))


@numba.njit(cache=True, nogil=True)
def _pairs_in_cells(
    keys: I64,
    owners: I64,
    box: F64,
    starts: I64,
    state: F64,
    h2: float,
    vsep: float,
    lookahead: float,
    begin: int,
    stop: int,
) -> tuple[I64, I64]:
    """Scan the cells of entries [begin, stop) and keep the pairs that pass both tests.

    A pair belongs to the cell where the overlap of its boxes starts, that is where on
    every axis one of the two boxes starts: ``starts[a] | starts[b] == 0b1111``. The scan
    is branch-free: it writes every candidate and advances only on a hit.
    """
    capacity = 1024
    hit = np.empty(stop - begin + 1, dtype=np.int64)
    first = np.empty(capacity, dtype=np.int64)
    second = np.empty(capacity, dtype=np.int64)
    found = 0
    start = begin
    while start < stop:
        end = start + 1
        while end < stop and keys[end] == keys[start]:
            end += 1
        for a in range(start, end):
            sa = starts[a]
            hits = 0
            for b in range(a + 1, end):
                overlap = (
                    ((sa | starts[b]) == 15)
                    & (box[a, 3] <= box[b, 7])
                    & (box[b, 3] <= box[a, 7])
                    & (box[a, 0] <= box[b, 4])
                    & (box[b, 0] <= box[a, 4])
                    & (box[a, 1] <= box[b, 5])
                    & (box[b, 1] <= box[a, 5])
                    & (box[a, 2] <= box[b, 6])
                    & (box[b, 2] <= box[a, 6])
                )
                hit[hits] = b
                hits += int(overlap)
            i = owners[a]
            for k in range(hits):
                j = owners[hit[k]]
                if not _may_conflict(i, j, state, h2, vsep, lookahead):
                    continue
                if found == capacity:
                    capacity *= 2
                    grown = np.empty(capacity, dtype=np.int64)
                    grown[:found] = first[:found]
                    first = grown
                    grown = np.empty(capacity, dtype=np.int64)
                    grown[:found] = second[:found]
                    second = grown
                first[found] = i
                second[found] = j
                found += 1
        start = end
    return first[:found].copy(), second[:found].copy()
