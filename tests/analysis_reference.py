"""A plain all-pairs yardstick for the incident review's ``losses`` and ``closest`` tables.

It follows ``docs/analysis.md`` step by step and shares no code with the fast path
(``deconflict.analysis``) nor with ``deconflict.geo``: no partitions, no spatial index, no
numba. Each aircraft is resampled on its own; then every pair of aircraft is walked over
the grid times both cover, and every segment that could be close is solved in scalar
Python, from the formulas of the docs:

- horizontal: ``|(1 - τ) d_k + τ d_k+1|`` where ``d`` is the vector between the two points
  of the WGS84 ellipsoid below the aircraft (ECEF): a quadratic in τ under the root;
- vertical: ``|(1 - τ) dz_k + τ dz_k+1|``, linear in τ;
- the τ where both are below the limits is one interval per segment; intervals that touch
  are joined.

Readings of the docs where they leave a choice (each repeated where it is used):

- **Isolated grid times.** A grid time both aircraft cover but with no segment on either
  side (one aircraft covers no neighbouring grid time) is a zero-length interval there when
  the pair is within the limits: the docs' "a pair present at one grid time only", applied
  to every such run of one grid time.
- **Ties.** The time of the minimum horizontal separation is the earliest one when several
  are equal (a pair flying parallel at a constant distance).
- **Where.** ``latitude_deg``/``longitude_deg`` are the point of the ellipsoid below the
  mean of the two aircraft's surface points (ECEF), interpolated linearly between grid
  times like the vector between them; ``altitude_ft`` is the mean of the two altitudes.
  For aircraft a few miles apart this is the midpoint of the pair to well under a metre,
  and it has no trouble at the antimeridian or the poles.
- **Party, callsign.** Each aircraft's last non-empty party and callsign, in time order
  (rows of the same time in file order).
- **Minima applied.** ``hsep_applied_nm``/``vsep_applied_ft`` are the minima asked for,
  before the tolerance.
- **Loss in an encounter.** ``closest.loss`` is true when a loss of the pair overlaps the
  encounter as closed intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from deconflict.analysis.review import CLOSEST, LOSSES
from deconflict.states import StateVectors
from deconflict.units import ft_to_m, m_to_ft, m_to_nm, nm_to_m

F64 = NDArray[np.float64]

#: WGS84, written out here so that the yardstick does not share deconflict.geo's
WGS84_A_M = 6_378_137.0
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)

#: distances within this of a threshold are at it, not below it (docs/analysis.md)
AT_THRESHOLD_M = 1e-6


def surface_ecef(lat_deg: F64, lon_deg: F64) -> F64:
    """The points of the WGS84 ellipsoid at these latitudes and longitudes, ECEF (n, 3), m."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)  # prime vertical radius
    return np.stack(
        [
            n * np.cos(lat) * np.cos(lon),
            n * np.cos(lat) * np.sin(lon),
            n * (1.0 - WGS84_E2) * np.sin(lat),
        ],
        axis=-1,
    )


def ecef_latlon(x: float, y: float, z: float) -> tuple[float, float]:
    """Latitude and longitude (deg) of a point near the ellipsoid: the fixed-point iteration
    ``lat = atan2(z + e² N sin lat, p)``, which converges in a few steps near the surface
    and is fine at the poles (p = 0)."""
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1.0 - WGS84_E2))
    for _ in range(6):
        n = WGS84_A_M / math.sqrt(1.0 - WGS84_E2 * math.sin(lat) ** 2)
        lat = math.atan2(z + WGS84_E2 * n * math.sin(lat), p)
    return math.degrees(lat), math.degrees(math.atan2(y, x))


# --- one aircraft on the grid ----------------------------------------------------------------


@dataclass(frozen=True)
class Track:
    """One aircraft resampled to the grid times ``(k0 + i) * step_s``."""

    id: str
    party: str
    callsign: str
    k0: int
    covered: NDArray[np.bool_]
    xyz: F64  #: (K, 3) surface point below the aircraft, ECEF m (NaN where not covered)
    alt_m: F64  #: pressure altitude (NaN where not covered)

    @property
    def k1(self) -> int:
        """One past the last grid index."""
        return self.k0 + len(self.covered)


def _last_nonempty(values: NDArray[np.str_]) -> str:
    filled = [str(v) for v in values if str(v) != ""]
    return filled[-1] if filled else ""


def resample(
    states: StateVectors, rows: NDArray[np.int64], step_s: float, max_gap_s: float
) -> Track:
    """One aircraft's rows (``rows``, in file order) on the grid, as ``docs/analysis.md``
    says: a grid time is covered when it is a sample's time or lies between two consecutive
    samples at most ``max_gap_s`` apart; positions and altitude are interpolated linearly
    there, the longitude unwrapped from each sample to the next; of two samples at the
    same time the later row wins."""
    order = rows[np.argsort(states.time_s[rows], kind="stable")]  # time order, file order kept
    t_all = states.time_s[order]
    last_of_time = np.append(t_all[1:] != t_all[:-1], True)
    keep = order[last_of_time]
    t = states.time_s[keep]
    lat = states.latitude_deg[keep]
    lon = states.longitude_deg[keep]
    alt = states.altitude_m[keep]
    # b's longitude within 180° of a's, sample after sample
    step_lon = (np.diff(lon) + 180.0) % 360.0 - 180.0
    lon = lon[0] + np.concatenate([[0.0], np.cumsum(step_lon)])

    k0 = math.ceil(t[0] / step_s)
    k1 = math.floor(t[-1] / step_s) + 1
    tg = np.arange(k0, max(k1, k0), dtype=np.float64) * step_s
    a = np.clip(np.searchsorted(t, tg, side="right") - 1, 0, len(t) - 1)  # t[a] <= tg
    b = np.minimum(a + 1, len(t) - 1)
    on_sample = t[a] == tg
    between = (b > a) & (t[b] - t[a] <= max_gap_s)
    covered = on_sample | between
    span = np.where(b > a, t[b] - t[a], 1.0)
    w = np.where(on_sample, 0.0, (tg - t[a]) / span)
    lat_g = lat[a] + w * (lat[b] - lat[a])
    lon_g = lon[a] + w * (lon[b] - lon[a])
    alt_g = alt[a] + w * (alt[b] - alt[a])
    xyz = surface_ecef(lat_g, lon_g)
    xyz[~covered] = np.nan
    alt_g[~covered] = np.nan
    by_time = states.callsign[order], states.party[order]
    return Track(
        id=str(states.id[rows[0]]),
        party=_last_nonempty(by_time[1]),
        callsign=_last_nonempty(by_time[0]),
        k0=k0,
        covered=covered,
        xyz=xyz,
        alt_m=alt_g,
    )


# --- one segment -----------------------------------------------------------------------------


def _below_horizontal(d0: F64, d1: F64, limit_m: float) -> tuple[float, float, bool, bool] | None:
    """The τ in [0, 1] where ``|(1 - τ) d0 + τ d1| < limit_m``, as (lo, hi, at 0, at 1), or
    None. The ends are decided from d0 and d1 themselves, so that two segments that meet
    at a grid time agree on it."""
    in0 = float(np.linalg.norm(d0)) < limit_m
    in1 = float(np.linalg.norm(d1)) < limit_m
    if in0 and in1:
        return 0.0, 1.0, True, True  # the distance is convex along the segment
    b = d1 - d0
    bb = float(b @ b)
    ab = float(d0 @ b)
    c = float(d0 @ d0) - limit_m * limit_m
    disc = ab * ab - bb * c
    if bb == 0.0 or disc <= 0.0:
        return None  # (in0 != in1 implies bb > 0 and disc > 0)
    root = math.sqrt(disc)
    r1, r2 = (-ab - root) / bb, (-ab + root) / bb
    return _clamp(r1, r2, in0, in1)


def _below_vertical(
    dz0: float, dz1: float, limit_m: float
) -> tuple[float, float, bool, bool] | None:
    """The τ in [0, 1] where ``|(1 - τ) dz0 + τ dz1| < limit_m``, like ``_below_horizontal``."""
    in0, in1 = abs(dz0) < limit_m, abs(dz1) < limit_m
    if in0 and in1:
        return 0.0, 1.0, True, True
    slope = dz1 - dz0
    if slope == 0.0:
        return None
    r1, r2 = sorted(((-limit_m - dz0) / slope, (limit_m - dz0) / slope))
    return _clamp(r1, r2, in0, in1)


def _clamp(r1: float, r2: float, in0: bool, in1: bool) -> tuple[float, float, bool, bool] | None:
    """The open interval (r1, r2) within [0, 1], given which ends of [0, 1] are inside."""
    lo = 0.0 if in0 else min(max(r1, 0.0), 1.0)
    hi = 1.0 if in1 else min(max(r2, 0.0), 1.0)
    if in0 or in1:
        return lo, max(lo, hi), in0, in1
    return (lo, hi, False, False) if lo < hi else None


@dataclass
class Piece:
    """A time interval of a pair under the limits, with its minima."""

    start_s: float
    end_s: float
    min_h_m: float
    time_min_s: float
    k_min: int  #: the segment (its first grid index, relative) of the horizontal minimum
    tau_min: float
    min_v_m: float
    v_at_min_m: float  #: the vertical separation at the horizontal minimum


def _segment_piece(
    k: int,
    kabs: int,
    step_s: float,
    d: F64,
    dz: F64,
    limit_h_m: float,
    limit_v_m: float,
) -> Piece | None:
    """The part of segment k (grid times k, k + 1) where the pair is under both limits."""
    h = _below_horizontal(d[k], d[k + 1], limit_h_m)
    v = _below_vertical(float(dz[k]), float(dz[k + 1]), limit_v_m)
    if h is None or v is None:
        return None
    lo, hi = max(h[0], v[0]), min(h[1], v[1])
    at0, at1 = h[2] and v[2], h[3] and v[3]
    if not (lo < hi or at0 or at1):
        return None
    # the horizontal minimum over [lo, hi]: the quadratic's vertex, clamped
    b = d[k + 1] - d[k]
    bb = float(b @ b)
    tau = lo if bb == 0.0 else min(max(-float(d[k] @ b) / bb, lo), hi)

    def hsep(tau: float) -> float:
        return float(np.linalg.norm((1.0 - tau) * d[k] + tau * d[k + 1]))

    def vsep(tau: float) -> float:
        return (1.0 - tau) * float(dz[k]) + tau * float(dz[k + 1])

    v_lo, v_hi = vsep(lo), vsep(hi)
    min_v = 0.0 if v_lo * v_hi <= 0.0 else min(abs(v_lo), abs(v_hi))
    return Piece(
        start_s=(kabs + lo) * step_s,
        end_s=(kabs + hi) * step_s,
        min_h_m=hsep(tau),
        time_min_s=(kabs + tau) * step_s,
        k_min=k,
        tau_min=tau,
        min_v_m=min_v,
        v_at_min_m=abs(vsep(tau)),
    )


def _point_piece(k: int, kabs: int, step_s: float, d: F64, dz: F64) -> Piece:
    at = kabs * step_s
    h, v = float(np.linalg.norm(d[k])), abs(float(dz[k]))
    return Piece(at, at, h, at, k, 0.0, v, v)


def _join(pieces: list[Piece]) -> list[Piece]:
    """Pieces in time order; those that touch (or overlap) become one."""
    joined: list[Piece] = []
    for p in pieces:
        if joined and p.start_s <= joined[-1].end_s:
            last = joined[-1]
            last.end_s = max(last.end_s, p.end_s)
            last.min_v_m = min(last.min_v_m, p.min_v_m)
            if p.min_h_m < last.min_h_m:  # on a tie the earliest stays
                last.min_h_m, last.time_min_s = p.min_h_m, p.time_min_s
                last.k_min, last.tau_min, last.v_at_min_m = p.k_min, p.tau_min, p.v_at_min_m
        else:
            joined.append(Piece(**vars(p)))
    return joined


# --- all pairs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Limits:
    h_m: float
    v_m: float


def _pair_pieces(
    t1: Track, t2: Track, step_s: float, limits: tuple[_Limits, _Limits]
) -> tuple[list[list[Piece]], int, F64, F64]:
    """For each limit, the pair's joined pieces; plus the first grid index of the overlap
    and the pair's mean surface point and mean altitude on it."""
    k0, k1 = max(t1.k0, t2.k0), min(t1.k1, t2.k1)
    if k1 <= k0:
        return [[] for _ in limits], k0, np.empty((0, 3)), np.empty(0)
    s1, s2 = slice(k0 - t1.k0, k1 - t1.k0), slice(k0 - t2.k0, k1 - t2.k0)
    both = t1.covered[s1] & t2.covered[s2]
    if not both.any():
        return [[] for _ in limits], k0, np.empty((0, 3)), np.empty(0)
    d = t1.xyz[s1] - t2.xyz[s2]
    dz = t1.alt_m[s1] - t2.alt_m[s2]
    dist = np.linalg.norm(d, axis=1)
    segment = both[:-1] & both[1:]
    alone = both.copy()  # covered by both, with no segment on either side
    alone[:-1] &= ~segment
    alone[1:] &= ~segment
    # Segments that cannot come under the widest limits are skipped: along a segment
    # |d(τ)| >= |d_k| - |d_k+1 - d_k| (triangle inequality) and |dz(τ)| >= 0 where dz
    # changes sign, else >= the smaller end.
    h_max = max(lim.h_m for lim in limits)
    v_max = max(lim.v_m for lim in limits)
    with np.errstate(invalid="ignore"):
        lower_h = dist[:-1] - np.linalg.norm(d[1:] - d[:-1], axis=1)
        lower_v = np.where(
            dz[:-1] * dz[1:] <= 0.0, 0.0, np.minimum(np.abs(dz[:-1]), np.abs(dz[1:]))
        )
        maybe = segment & (lower_h < h_max) & (lower_v < v_max)
        near = alone & (dist < h_max) & (np.abs(dz) < v_max)
    candidates = sorted(
        [(int(k), "segment") for k in np.flatnonzero(maybe)]
        + [(int(k), "point") for k in np.flatnonzero(near)]
    )
    found: list[list[Piece]] = []
    for lim in limits:
        pieces: list[Piece] = []
        for k, kind in candidates:
            if kind == "segment":
                piece = _segment_piece(k, k0 + k, step_s, d, dz, lim.h_m, lim.v_m)
            elif dist[k] < lim.h_m and abs(dz[k]) < lim.v_m:
                piece = _point_piece(k, k0 + k, step_s, d, dz)
            else:
                piece = None
            if piece is not None:
                pieces.append(piece)
        found.append(_join(pieces))
    mid = (t1.xyz[s1] + t2.xyz[s2]) / 2.0
    alt = (t1.alt_m[s1] + t2.alt_m[s2]) / 2.0
    return found, k0, mid, alt


def _where(p: Piece, mid: F64, alt: F64) -> tuple[float, float, float]:
    """Latitude, longitude (deg) and mean altitude (ft) of the pair at a piece's minimum."""
    k, tau = p.k_min, p.tau_min
    if tau == 0.0:
        m, a = mid[k], float(alt[k])
    else:
        m = (1.0 - tau) * mid[k] + tau * mid[k + 1]
        a = (1.0 - tau) * float(alt[k]) + tau * float(alt[k + 1])
    lat, lon = ecef_latlon(float(m[0]), float(m[1]), float(m[2]))
    return lat, lon, m_to_ft(a)


def tracks(states: StateVectors, step_s: float = 1.0, max_gap_s: float = 20.0) -> list[Track]:
    """Every aircraft on the grid, sorted by id."""
    ids = np.unique(states.id)
    rows_of = {str(i): np.flatnonzero(states.id == i) for i in ids}
    return [resample(states, rows_of[str(i)], step_s, max_gap_s) for i in ids]


def reference_review(
    states: StateVectors,
    *,
    hsep_nm: float = 5.0,
    vsep_ft: float = 1000.0,
    vsep_tolerance_ft: float = 0.0,
    cpa_nm: float = 10.0,
    cpa_ft: float = 2000.0,
    step_s: float = 1.0,
    max_gap_s: float = 20.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(losses, closest)`` with the columns of ``review.LOSSES`` and ``review.CLOSEST``,
    sorted by (id1, id2, start_s), over all pairs of ``states``."""
    tolerance_m = ft_to_m(vsep_tolerance_ft)
    loss_limits = _Limits(
        nm_to_m(hsep_nm) - AT_THRESHOLD_M, ft_to_m(vsep_ft) - tolerance_m - AT_THRESHOLD_M
    )
    # no tolerance on the reporting limits: it is an allowance of the minima only (docs)
    cpa_limits = _Limits(nm_to_m(cpa_nm) - AT_THRESHOLD_M, ft_to_m(cpa_ft) - AT_THRESHOLD_M)
    all_tracks = tracks(states, step_s, max_gap_s) if len(states) else []
    losses: list[dict[str, object]] = []
    closest: list[dict[str, object]] = []
    for i, t1 in enumerate(all_tracks):
        for t2 in all_tracks[i + 1 :]:
            (lost, close), _, mid, alt = _pair_pieces(t1, t2, step_s, (loss_limits, cpa_limits))
            pair = {
                "id1": t1.id,
                "id2": t2.id,
                "party1": t1.party,
                "party2": t2.party,
                "callsign1": t1.callsign,
                "callsign2": t2.callsign,
            }
            for p in lost:
                lat, lon, alt_ft = _where(p, mid, alt)
                losses.append(
                    pair
                    | {
                        "start_s": p.start_s,
                        "end_s": p.end_s,
                        "duration_s": p.end_s - p.start_s,
                        "min_hsep_nm": m_to_nm(p.min_h_m),
                        "min_vsep_ft": m_to_ft(p.min_v_m),
                        "time_min_s": p.time_min_s,
                        "latitude_deg": lat,
                        "longitude_deg": lon,
                        "altitude_ft": alt_ft,
                        "hsep_applied_nm": hsep_nm,
                        "vsep_applied_ft": vsep_ft,
                    }
                )
            for p in close:
                lat, lon, alt_ft = _where(p, mid, alt)
                overlaps = any(q.start_s <= p.end_s and q.end_s >= p.start_s for q in lost)
                closest.append(
                    pair
                    | {
                        "time_s": p.time_min_s,
                        "hsep_nm": m_to_nm(p.min_h_m),
                        "vsep_ft": m_to_ft(p.v_at_min_m),
                        "latitude_deg": lat,
                        "longitude_deg": lon,
                        "altitude_ft": alt_ft,
                        "start_s": p.start_s,
                        "end_s": p.end_s,
                        "loss": overlaps,
                    }
                )
    return _table(losses, LOSSES), _table(closest, CLOSEST)


def _table(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    if not rows:
        text = [c for c in columns if c.startswith(("id", "party", "callsign"))]
        frame = frame.astype(
            {c: (bool if c == "loss" else str if c in text else float) for c in columns}
        )
    return frame.sort_values(["id1", "id2", "start_s"], kind="stable", ignore_index=True)
