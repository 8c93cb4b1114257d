"""The exact narrow phase: loss-of-separation intervals and closest approach of aircraft pairs.

Each aircraft moves in a straight line at constant velocity. A pair's horizontal geometry
lives in the plane tangent to the ellipsoid between the two aircraft (normal ``n``: the
mean of their verticals, turned to be exactly perpendicular to the chord between them);
both the relative position and the relative velocity are projected onto it. Its vertical
geometry is the difference of pressure altitudes. ``docs/geometry.md`` explains the choice.

All functions take and return arrays, one element per pair, and only use +, -, *, / and
sqrt on per-aircraft inputs: the result for a pair does not depend on which other pairs
are computed with it (the broad phase and the all-pairs reference agree bit for bit).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from deconflict import geo

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Kinematics:
    """Per-aircraft inputs of one snapshot, in ECEF metres and m/s."""

    pos_m: F64  #: (n, 3) the point on the ellipsoid below the aircraft
    vel_mps: F64  #: (n, 3) horizontal velocity
    up: F64  #: (n, 3) local vertical (unit)
    alt_m: F64  #: (n,) pressure altitude
    vz_mps: F64  #: (n,) vertical rate

    def __len__(self) -> int:
        return len(self.alt_m)


def kinematics(
    lat_deg: F64, lon_deg: F64, alt_m: F64, groundspeed_mps: F64, track_deg: F64, vz_mps: F64
) -> Kinematics:
    up, east, north = geo.up_east_north(lat_deg, lon_deg)
    return Kinematics(
        pos_m=geo.surface_ecef(lat_deg, lon_deg),
        vel_mps=geo.horizontal_velocity_ecef(east, north, groundspeed_mps, track_deg),
        up=up,
        alt_m=np.asarray(alt_m, dtype=np.float64),
        vz_mps=np.asarray(vz_mps, dtype=np.float64),
    )


@dataclass(frozen=True)
class PairGeometry:
    """Relative state of pairs (j relative to i): horizontal in the pair's plane, vertical."""

    r2: F64  #: |r|², squared horizontal distance now, m²
    rv: F64  #: r·v, m²/s
    v2: F64  #: |v|², squared horizontal closing speed, m²/s²
    dz_m: F64  #: altitude of j minus altitude of i
    dvz_mps: F64  #: vertical rate of j minus vertical rate of i


def _dot(a: F64, b: F64) -> F64:
    result: F64 = a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1] + a[:, 2] * b[:, 2]
    return result


def pair_geometry(kin: Kinematics, i: I64, j: I64) -> PairGeometry:
    """Relative horizontal state of pairs (i, j) projected on each pair's tangent plane."""
    r = kin.pos_m[j] - kin.pos_m[i]
    v = kin.vel_mps[j] - kin.vel_mps[i]
    m = kin.up[i] + kin.up[j]
    rr = _dot(r, r)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = np.where(rr > 0.0, _dot(m, r) / rr, 0.0)
        normal = m - k[:, None] * r
        length = np.sqrt(_dot(normal, normal))
        # only antipodal aircraft have no mean vertical; any plane serves them
        normal = np.where((length > 0.0)[:, None], normal / length[:, None], kin.up[i])
    rn = _dot(r, normal)
    vn = _dot(v, normal)
    return PairGeometry(
        r2=np.maximum(rr - rn * rn, 0.0),
        rv=_dot(r, v) - rn * vn,
        v2=np.maximum(_dot(v, v) - vn * vn, 0.0),
        dz_m=kin.alt_m[j] - kin.alt_m[i],
        dvz_mps=kin.vz_mps[j] - kin.vz_mps[i],
    )


@dataclass(frozen=True)
class Encounters:
    """Loss-of-separation interval and closest approach of pairs within [0, lookahead]."""

    conflict: NDArray[np.bool_]  #: the LoS interval meets [0, lookahead]
    t_in_s: F64  #: start of LoS, clipped to [0, lookahead] (NaN without conflict)
    t_out_s: F64  #: end of LoS, clipped likewise (NaN without conflict)
    tcpa_s: F64  #: time of horizontal closest approach within [0, lookahead]
    dcpa_m: F64  #: horizontal distance then
    dz_cpa_m: F64  #: |vertical separation| then
    los_now: NDArray[np.bool_]  #: separation lost at time 0

    def take(self, index: NDArray[np.bool_] | I64) -> Encounters:
        return Encounters(*(getattr(self, f.name)[index] for f in fields(self)))


def horizontal_interval(g: PairGeometry, hsep_m: F64 | float) -> tuple[F64, F64]:
    """Open interval of times when the horizontal distance is < hsep (empty: lo > hi)."""
    c = g.r2 - np.square(hsep_m)
    disc = g.rv * g.rv - g.v2 * c
    sq = np.sqrt(np.maximum(disc, 0.0))
    q = -(g.rv + np.copysign(sq, g.rv))  # the stable pair of roots: q / v2 and c / q
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r1 = q / g.v2
        r2 = c / q
    crossing = (g.v2 > 0.0) & (disc > 0.0)
    # no relative motion, or too little to resolve (disc underflows): inside for good or not
    inside_still = ~crossing & (c < 0.0)
    lo = np.where(crossing, np.minimum(r1, r2), np.where(inside_still, -np.inf, np.inf))
    hi = np.where(crossing, np.maximum(r1, r2), np.where(inside_still, np.inf, -np.inf))
    return lo, hi


def vertical_interval(g: PairGeometry, vsep_m: F64 | float) -> tuple[F64, F64]:
    """Open interval of times when the vertical separation is < vsep (empty: lo > hi)."""
    moving = g.dvz_mps != 0.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ta = (-vsep_m - g.dz_m) / g.dvz_mps
        tb = (vsep_m - g.dz_m) / g.dvz_mps
    inside_still = ~moving & (np.abs(g.dz_m) < vsep_m)
    lo = np.where(moving, np.minimum(ta, tb), np.where(inside_still, -np.inf, np.inf))
    hi = np.where(moving, np.maximum(ta, tb), np.where(inside_still, np.inf, -np.inf))
    return lo, hi


def encounters(
    g: PairGeometry, hsep_m: F64 | float, vsep_m: F64 | float, lookahead_s: float
) -> Encounters:
    """LoS (horizontal < hsep and vertical < vsep at the same time) within [0, lookahead].

    ``hsep_m`` and ``vsep_m`` are a scalar or one value per pair; ``lookahead_s`` > 0.
    """
    h_lo, h_hi = horizontal_interval(g, hsep_m)
    v_lo, v_hi = vertical_interval(g, vsep_m)
    t_in = np.maximum(np.maximum(h_lo, v_lo), 0.0)
    t_out = np.minimum(np.minimum(h_hi, v_hi), lookahead_s)
    conflict = t_in < t_out
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tcpa = np.where(g.v2 > 0.0, np.clip(-g.rv / g.v2, 0.0, lookahead_s), 0.0) + 0.0  # no -0
    dcpa = np.sqrt(np.maximum(g.r2 + tcpa * (2.0 * g.rv + tcpa * g.v2), 0.0))
    return Encounters(
        conflict=conflict,
        t_in_s=np.where(conflict, t_in, np.nan),
        t_out_s=np.where(conflict, t_out, np.nan),
        tcpa_s=tcpa,
        dcpa_m=dcpa,
        dz_cpa_m=np.abs(g.dz_m + g.dvz_mps * tcpa),
        los_now=(g.r2 < np.square(hsep_m)) & (np.abs(g.dz_m) < vsep_m),
    )
