"""Tracks resampled to a common time grid (``docs/analysis.md``, Grid).

Each aircraft's samples are interpolated linearly to the times ``k * step_s`` between two
consecutive samples at most ``max_gap_s`` apart, or taken as they are on a sample that
falls on the grid. Every grid time in ``[t_a, t_b)`` of a pair of samples (a, b) comes
from that pair; a sample on the grid that no pair starts from (the last of a track, or
the last before a gap) gives its own grid time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from deconflict.states import StateVectors

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Grid:
    """Resampled states, one row per (grid time, aircraft), sorted by step then aircraft.

    ``aircraft`` indexes ``ids`` (sorted, so that codes order as the ids do)."""

    step: I64  #: grid index k: the time is k * step_s
    aircraft: I64
    latitude_deg: F64
    longitude_deg: F64
    altitude_m: F64
    groundspeed_mps: F64
    track_deg: F64
    vertical_rate_mps: F64
    ids: NDArray[np.str_]
    step_s: float

    def __len__(self) -> int:
        return len(self.step)


def _wrapped(delta_deg: F64) -> F64:
    """An angle difference brought into [-180, 180)."""
    out: F64 = (delta_deg + 180.0) % 360.0 - 180.0
    return out


def _grid_at_or_after(t: F64, step_s: float) -> I64:
    """The first k with k * step_s >= t (exactly, whatever the rounding of the division)."""
    k = np.ceil(t / step_s).astype(np.int64)
    k += (k * step_s < t).astype(np.int64)
    k -= ((k - 1) * step_s >= t).astype(np.int64)
    return k


def aircraft_codes(ids: NDArray[np.generic]) -> tuple[NDArray[np.str_], I64]:
    """The distinct ids, sorted, and each row's index among them (hashed, not sorted row
    by row: ids are strings)."""
    codes, distinct = pd.factorize(ids, sort=True)
    return np.asarray(distinct, dtype=np.str_), np.asarray(codes, dtype=np.int64)


def last_per_time(states: StateVectors, code: I64) -> I64:
    """Row indices of the samples kept, in (aircraft, time) order: of samples of one
    aircraft at one time, the last in the source. ``code`` numbers the aircraft."""
    order = np.lexsort((states.source_row, states.time_s, code))
    c, t = code[order], states.time_s[order]
    last = np.ones(len(order), dtype=np.bool_)
    last[:-1] = (c[1:] != c[:-1]) | (t[1:] != t[:-1])
    kept: I64 = order[last]
    return kept


def resample(
    states: StateVectors,
    step_s: float,
    max_gap_s: float,
    first_step: int | None = None,
    last_step: int | None = None,
) -> Grid:
    """The grid rows of every aircraft, for the grid indices in [first_step, last_step]
    (all when None)."""
    ids_all, code_all = aircraft_codes(states.id)
    rows = last_per_time(states, code_all)
    code = code_all[rows]
    t = states.time_s[rows]
    lat, lon = states.latitude_deg[rows], states.longitude_deg[rows]
    alt, gs = states.altitude_m[rows], states.groundspeed_mps[rows]
    trk, vz = states.track_deg[rows], states.vertical_rate_mps[rows]
    n = len(rows)
    lo_k = np.iinfo(np.int64).min if first_step is None else first_step
    hi_k = np.iinfo(np.int64).max if last_step is None else last_step

    # pairs of consecutive samples (a, a + 1) of one aircraft, close enough in time
    a = np.arange(max(n - 1, 0), dtype=np.int64)
    linked = (code[a] == code[a + 1]) & (t[a + 1] - t[a] <= max_gap_s)
    a = a[linked]
    k0 = np.maximum(_grid_at_or_after(t[a], step_s), lo_k)
    k1 = np.minimum(_grid_at_or_after(t[a + 1], step_s) - 1, hi_k)  # k * step < t_b
    count = np.maximum(k1 - k0 + 1, 0)
    seg = np.repeat(a, count)
    k = np.repeat(k0 - np.cumsum(count) + count, count) + np.arange(int(count.sum()))

    # samples on the grid that start no pair
    starts = np.zeros(n, dtype=np.bool_)
    starts[a] = True
    ks = _grid_at_or_after(t, step_s)
    alone = np.flatnonzero(~starts & (ks * step_s == t) & (ks >= lo_k) & (ks <= hi_k))

    b = seg + 1
    w = (k * step_s - t[seg]) / (t[b] - t[seg])
    out_k = np.concatenate([k, ks[alone]])
    out_code = np.concatenate([code[seg], code[alone]])

    def lerp(x: F64) -> F64:
        out: F64 = np.concatenate([x[seg] + w * (x[b] - x[seg]), x[alone]])
        return out

    lon_i = np.concatenate([lon[seg] + w * _wrapped(lon[b] - lon[seg]), lon[alone]])
    trk_i = np.concatenate([trk[seg] + w * _wrapped(trk[b] - trk[seg]), trk[alone]])
    order = np.lexsort((out_code, out_k))
    return Grid(
        step=out_k[order],
        aircraft=out_code[order],
        latitude_deg=lerp(lat)[order],
        longitude_deg=_wrapped(lon_i)[order],
        altitude_m=lerp(alt)[order],
        groundspeed_mps=lerp(gs)[order],
        track_deg=(trk_i % 360.0)[order],
        vertical_rate_mps=lerp(vz)[order],
        ids=ids_all,
        step_s=step_s,
    )
