"""Intervals of time that a pair spends within limits, exact along each segment, and their
joining (``docs/analysis.md``: segments, losses, close encounters).

A *piece* is the interval of one segment (two consecutive grid times of a pair) or of one
isolated grid time; pieces of a pair that touch are joined into one interval, inside a
partition and across partitions by the same function (``join``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deconflict import geo

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B64 = NDArray[np.bool_]

#: the columns of a table of pieces or intervals (``join`` keeps them)
PIECE_COLUMNS = (
    "start_s", "end_s", "min_h_m", "time_min_s", "v_at_min_m", "min_v_m",
    "latitude_deg", "longitude_deg", "altitude_m", "h_limit_m", "v_limit_m",
)  # fmt: skip


@dataclass(frozen=True)
class PairSteps:
    """A pair's state at each grid time it is present, rows sorted by (pair, step).

    ``d_m`` is the vector from the first aircraft's surface point to the second's,
    ``dz_m`` the second's altitude minus the first's; ``mid_m`` the midpoint of the two
    surface points (ECEF); ``alt_m`` is (n, 2): both aircraft's altitudes."""

    pair: I64  #: one number per pair, ordered as the pairs are
    step: I64
    d_m: F64
    dz_m: F64
    mid_m: F64
    alt_m: F64

    def __len__(self) -> int:
        return len(self.step)

    def next_is_segment(self) -> B64:
        """Whether each row and the next form a segment (same pair, next grid time)."""
        nxt = np.zeros(len(self), dtype=np.bool_)
        nxt[:-1] = (self.pair[1:] == self.pair[:-1]) & (self.step[1:] == self.step[:-1] + 1)
        return nxt


def _horizontal(d0: F64, d1: F64, limit: F64) -> tuple[F64, F64, F64, F64]:
    """Where |(1-τ) d0 + τ d1| < limit: the open interval (lo, hi) of τ (empty: lo >= hi),
    and the quadratic's a, b (for its minimum at -b / 2a)."""
    delta = d1 - d0
    a = np.einsum("ij,ij->i", delta, delta)
    b = 2.0 * np.einsum("ij,ij->i", d0, delta)
    c = np.einsum("ij,ij->i", d0, d0) - limit * limit
    disc = b * b - 4.0 * a * c
    moving = a > 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        sq = np.sqrt(np.where(disc > 0.0, disc, 0.0))
        q = -0.5 * (b + np.where(b >= 0.0, sq, -sq))  # the stable roots q / a and c / q
        r1, r2 = q / a, np.where(q != 0.0, c / q, np.where(c < 0.0, np.inf, -np.inf))
    lo = np.where(moving, np.where(disc > 0.0, np.minimum(r1, r2), np.inf), -np.inf)
    hi = np.where(moving, np.where(disc > 0.0, np.maximum(r1, r2), -np.inf), np.inf)
    still_inside = ~moving & (c < 0.0)
    lo = np.where(~moving & ~still_inside, np.inf, lo)
    hi = np.where(~moving & ~still_inside, -np.inf, hi)
    return lo, hi, a, b


def _vertical(z0: F64, z1: F64, limit: F64) -> tuple[F64, F64]:
    """Where |(1-τ) z0 + τ z1| < limit: the open interval (lo, hi) of τ."""
    dz = z1 - z0
    with np.errstate(invalid="ignore", divide="ignore"):
        ta, tb = (-limit - z0) / dz, (limit - z0) / dz
    flat = dz == 0.0
    inside = np.abs(z0) < limit
    lo = np.where(flat, np.where(inside, -np.inf, np.inf), np.minimum(ta, tb))
    hi = np.where(flat, np.where(inside, np.inf, -np.inf), np.maximum(ta, tb))
    return lo, hi


def pieces(
    ps: PairSteps, h_limit_m: F64, v_limit_m: F64, step_s: float, owned: tuple[int, int]
) -> tuple[I64, dict[str, F64]]:
    """The pieces of every pair within the limits (per row; a segment takes the larger of
    its two ends'), for the segments and isolated grid times whose first grid time is in
    ``owned`` = [first, stop). Returns each piece's pair and its columns."""
    seg = ps.next_is_segment()
    i = np.flatnonzero(seg)
    j = i + 1
    h = np.maximum(h_limit_m[i], h_limit_m[j])
    v = np.maximum(v_limit_m[i], v_limit_m[j])
    h_lo, h_hi, qa, qb = _horizontal(ps.d_m[i], ps.d_m[j], h)
    v_lo, v_hi = _vertical(ps.dz_m[i], ps.dz_m[j], v)
    lo = np.maximum(np.maximum(h_lo, v_lo), 0.0)
    hi = np.minimum(np.minimum(h_hi, v_hi), 1.0)
    hit = (lo < hi) & (ps.step[i] >= owned[0]) & (ps.step[i] < owned[1])
    i, j = i[hit], j[hit]
    lo, hi, qa, qb, h, v = lo[hit], hi[hit], qa[hit], qb[hit], h[hit], v[hit]
    with np.errstate(invalid="ignore", divide="ignore"):
        vertex = np.where(qa > 0.0, -qb / (2.0 * qa), lo)
    tau = np.clip(vertex, lo, hi)

    # isolated grid times within the limits: pieces of zero length
    prev = np.zeros(len(ps), dtype=np.bool_)
    prev[1:] = seg[:-1]
    k = np.flatnonzero(
        ~seg
        & ~prev
        & (np.sqrt(np.einsum("ij,ij->i", ps.d_m, ps.d_m)) < h_limit_m)
        & (np.abs(ps.dz_m) < v_limit_m)
        & (ps.step >= owned[0])
        & (ps.step < owned[1])
    )
    i = np.concatenate([i, k]).astype(np.int64)
    j = np.concatenate([j, k]).astype(np.int64)
    lo = np.concatenate([lo, np.zeros(len(k))])
    hi = np.concatenate([hi, np.zeros(len(k))])
    tau = np.concatenate([tau, np.zeros(len(k))])
    h = np.concatenate([h, h_limit_m[k]])
    v = np.concatenate([v, v_limit_m[k]])

    def at(x0: F64, x1: F64, t: F64) -> F64:
        out: F64 = x0 + t * (x1 - x0)
        return out

    d = ps.d_m[i] + tau[:, None] * (ps.d_m[j] - ps.d_m[i])
    z_lo, z_hi = at(ps.dz_m[i], ps.dz_m[j], lo), at(ps.dz_m[i], ps.dz_m[j], hi)
    min_v = np.where(z_lo * z_hi <= 0.0, 0.0, np.minimum(np.abs(z_lo), np.abs(z_hi)))
    lat, lon = geo.surface_latlon(ps.mid_m[i] + tau[:, None] * (ps.mid_m[j] - ps.mid_m[i]))
    step = ps.step[i].astype(np.float64)
    columns = {
        "start_s": (step + lo) * step_s,
        "end_s": (step + hi) * step_s,
        "min_h_m": np.sqrt(np.einsum("ij,ij->i", d, d)),
        "time_min_s": (step + tau) * step_s,
        "v_at_min_m": np.abs(at(ps.dz_m[i], ps.dz_m[j], tau)),
        "min_v_m": min_v,
        "latitude_deg": lat,
        "longitude_deg": lon,
        "altitude_m": at(ps.alt_m[i], ps.alt_m[j], tau[:, None]).mean(axis=1),
        "h_limit_m": h,
        "v_limit_m": v,
    }
    order = np.lexsort((columns["start_s"], ps.pair[i]))
    return ps.pair[i][order], {name: x[order] for name, x in columns.items()}


def join(
    pair: NDArray[np.generic], columns: dict[str, F64]
) -> tuple[NDArray[np.generic], dict[str, F64]]:
    """Join the pieces (or intervals) of each pair that touch or overlap: the start of the
    first, the end of the last, the smallest separations (the horizontal one with its
    time, place and vertical separation then), the largest limits. Rows need not be
    sorted; the result is sorted by pair, then start."""
    if len(pair) == 0:
        return pair, columns
    order = np.lexsort((columns["start_s"], pair))
    pair = pair[order]
    c = {name: x[order] for name, x in columns.items()}
    new = np.ones(len(pair), dtype=np.bool_)
    # the intervals of one pair never overlap (segments are disjoint): only touch
    new[1:] = (pair[1:] != pair[:-1]) | (c["start_s"][1:] > c["end_s"][:-1])
    group = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    # the row of each group's smallest horizontal separation (first on ties)
    best = np.lexsort((np.arange(len(pair)), c["min_h_m"], group))
    first_of_group = np.ones(len(best), dtype=np.bool_)
    first_of_group[1:] = group[best][1:] != group[best][:-1]
    at_min = best[first_of_group]
    out = {name: x[at_min] for name, x in c.items()}
    out["start_s"] = np.minimum.reduceat(c["start_s"], starts)
    out["end_s"] = np.maximum.reduceat(c["end_s"], starts)
    out["min_v_m"] = np.minimum.reduceat(c["min_v_m"], starts)
    out["h_limit_m"] = np.maximum.reduceat(c["h_limit_m"], starts)
    out["v_limit_m"] = np.maximum.reduceat(c["v_limit_m"], starts)
    return pair[starts], out
