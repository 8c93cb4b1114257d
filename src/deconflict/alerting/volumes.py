"""Well-clear volumes: when a pair violates them, from its relative state.

The math is DO-365's as implemented by DAIDALUS (``shared/domain/well-clear.md``). Pairs
are given by the relative state of the ownship with respect to the intruder,
``s = s_own - s_int`` and ``v = v_own - v_int``, horizontal in a plane (east, north)
and vertical apart, in metres and seconds. Every function is vectorised over pairs.

- ``WellClear`` (the detector WCV_TAUMOD): distance threshold D (DTHR, used as both DMOD and
  HMD), vertical threshold ZTHR, modified-tau threshold TTHR, time-to-co-altitude TCOA.
- ``Cylinder`` (CD3D): horizontal distance D and vertical distance H.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
B64 = NDArray[np.bool_]


@dataclass(frozen=True)
class WellClear:
    """The DO-365 well-clear volume (WCV_TAUMOD)."""

    dthr_m: float
    zthr_m: float
    tthr_s: float
    tcoa_s: float = 0.0


@dataclass(frozen=True)
class Cylinder:
    """The plain cylinder (CD3D)."""

    d_m: float
    h_m: float


Volume = WellClear | Cylinder


@dataclass(frozen=True)
class Relative:
    """Relative states of pairs: ownship minus intruder (horizontal: east, north)."""

    sx_m: F64
    sy_m: F64
    sz_m: F64
    vx_mps: F64
    vy_mps: F64
    vz_mps: F64


def vertical_interval(
    sz: F64, vz: F64, zthr: float, tcoa: float, start: float, end: float
) -> tuple[F64, F64]:
    """The interval within [start, end] when the pair is vertically not well clear: within
    ZTHR, or closing to co-altitude within TCOA. Empty: lo > hi."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        moving = vz != 0.0
        sign = np.sign(vz)
        reach = np.maximum(zthr, np.abs(vz) * tcoa)  # H' of the write-up
        t_in = (-sign * reach - sz) / vz
        t_out = (sign * zthr - sz) / vz
    level_inside = ~moving & (np.abs(sz) <= zthr)
    t_in = np.where(moving, t_in, np.where(level_inside, start, np.inf))
    t_out = np.where(moving, t_out, np.where(level_inside, end, -np.inf))
    empty = (end < t_in) | (t_out < start)
    lo = np.where(empty, np.inf, np.maximum(start, t_in))
    hi = np.where(empty, -np.inf, np.minimum(end, t_out))
    return lo, hi


def _exit_time(px: F64, py: F64, vx: F64, vy: F64, d: float) -> F64:
    """When a point at p moving at v leaves the circle of radius d (inf if it never does)."""
    a = vx * vx + vy * vy
    pv = px * vx + py * vy
    disc = pv * pv - a * (px * px + py * py - d * d)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        exit_time = (-pv + np.sqrt(np.maximum(disc, 0.0))) / a
    return np.where(a > 0.0, exit_time, np.inf)


def well_clear_interval(
    r: Relative, volume: WellClear, start: float, end: float
) -> tuple[F64, F64]:
    """The interval within [start, end] when the pair violates the well-clear volume
    (empty: lo > hi)."""
    lo, hi = vertical_interval(r.sz_m, r.vz_mps, volume.zthr_m, volume.tcoa_s, start, end)
    finite_lo = np.where(np.isfinite(lo), lo, 0.0)
    px, py = r.sx_m + finite_lo * r.vx_mps, r.sy_m + finite_lo * r.vy_mps
    vx, vy = r.vx_mps, r.vy_mps
    length = hi - lo
    d, tthr = volume.dthr_m, volume.tthr_s
    a = vx * vx + vy * vy
    pv = px * vx + py * vy
    pp = px * px + py * py
    exit_time = _exit_time(px, py, vx, vy, d)
    inside = pp <= d * d
    b = 2.0 * pv + tthr * a
    c = pp + tthr * pv - d * d
    disc = b * b - 4.0 * a * c
    cross = px * vy - py * vx
    root = np.sqrt(np.maximum(disc, 0.0))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # the smaller root, in the form without cancellation: with b < 0 the textbook form
        # subtracts two near-equal numbers, which for tiny speeds gives 0 or a wrong sign
        t = np.where(b < 0.0, 2.0 * c / (root - b), (-b - root) / (2.0 * a))
    entering = (~inside & (a > 0.0) & (pv < 0.0) & (disc >= 0.0) & (d * d * a >= cross * cross)) & (
        t <= length
    )
    h_lo = np.where(inside, 0.0, np.where(entering, np.maximum(0.0, t), np.inf))
    h_hi = np.where(inside | entering, np.minimum(length, exit_time), -np.inf)
    vertical_empty = lo > hi
    return (
        np.where(vertical_empty, np.inf, h_lo + finite_lo),
        np.where(vertical_empty, -np.inf, h_hi + finite_lo),
    )


def cylinder_interval(r: Relative, volume: Cylinder, start: float, end: float) -> tuple[F64, F64]:
    """The interval within [start, end] when the pair is inside the cylinder (CD3D)."""
    a = r.vx_mps**2 + r.vy_mps**2
    pv = r.sx_m * r.vx_mps + r.sy_m * r.vy_mps
    c = r.sx_m**2 + r.sy_m**2 - volume.d_m**2
    disc = pv * pv - a * c
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        root = np.sqrt(np.maximum(disc, 0.0))
        h_lo = np.where(a > 0.0, (-pv - root) / a, np.where(c < 0.0, -np.inf, np.inf))
        h_hi = np.where(a > 0.0, (-pv + root) / a, np.where(c < 0.0, np.inf, -np.inf))
    h_lo = np.where((a > 0.0) & (disc <= 0.0), np.inf, h_lo)
    h_hi = np.where((a > 0.0) & (disc <= 0.0), -np.inf, h_hi)
    v_lo, v_hi = vertical_interval(r.sz_m, r.vz_mps, volume.h_m, 0.0, -np.inf, np.inf)
    lo = np.maximum(np.maximum(h_lo, v_lo), start)
    hi = np.minimum(np.minimum(h_hi, v_hi), end)
    empty = ~(lo < hi)
    return np.where(empty, np.inf, lo), np.where(empty, -np.inf, hi)


def interval(r: Relative, volume: Volume, start: float, end: float) -> tuple[F64, F64]:
    if isinstance(volume, WellClear):
        return well_clear_interval(r, volume, start, end)
    return cylinder_interval(r, volume, start, end)


def time_to_violation(r: Relative, volume: Volume, lookahead_s: float) -> F64:
    """Start of the violation within [0, lookahead]; inf when there is none (or it is a
    single instant)."""
    lo, hi = interval(r, volume, 0.0, lookahead_s)
    return np.where(lo < hi, lo, np.inf)


def tau_mod(r: Relative, dthr_m: float) -> F64:
    """Modified tau (D² - |s|²) / (s·v), where the pair is closing (s·v < 0); else inf."""
    sv = r.sx_m * r.vx_mps + r.sy_m * r.vy_mps
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tau = (dthr_m**2 - (r.sx_m**2 + r.sy_m**2)) / sv
    return np.where(sv < 0.0, tau, np.inf)


def time_to_coaltitude(r: Relative) -> F64:
    """-s_z / v_z where it is not negative (converging, or co-altitude now); else inf."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = -r.sz_m / r.vz_mps + 0.0  # + 0.0: no -0
    return np.where((r.vz_mps != 0.0) & (t >= 0.0), t, np.inf)
