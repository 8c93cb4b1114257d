"""What makes a volume invalid, in words a user can act on."""

from __future__ import annotations

import math

import numpy as np
import shapely

from deconflict.plans.geometry import Cap, Frame, cap, to_frame
from deconflict.plans.volume import (
    MAX_ALTITUDE_FT,
    MAX_DURATION_S,
    MAX_RADIUS_M,
    MAX_TIME_S,
    MIN_ALTITUDE_FT,
    MIN_RADIUS_M,
    Circle,
    Outline,
    Volume4D,
)


def outline_problem(outline: Outline, bound: Cap | None = None) -> str | None:
    """Why an outline cannot be used, or None (``bound``: its cap, when known)."""
    if isinstance(outline, Circle):
        if not (math.isfinite(outline.lat_deg) and abs(outline.lat_deg) <= 90.0):
            return f"latitude {outline.lat_deg} is not in [-90, 90]"
        if not (math.isfinite(outline.lon_deg) and abs(outline.lon_deg) <= 180.0):
            return f"longitude {outline.lon_deg} is not in [-180, 180]"
        r = outline.radius_m
        if not (math.isfinite(r) and MIN_RADIUS_M <= r <= MAX_RADIUS_M):
            return f"radius_m {r} is not in [{MIN_RADIUS_M:g}, {MAX_RADIUS_M:g}]"
        return None
    if not outline.rings:
        return "polygon has no ring"
    for n, ring in enumerate(outline.rings):
        what = "outer ring" if n == 0 else f"hole {n}"
        if ring.ndim != 2 or ring.shape[1] != 2:
            return f"{what}: positions must be [longitude, latitude]"
        if not np.isfinite(ring).all():
            return f"{what}: a coordinate is not a finite number"
        if (np.abs(ring[:, 0]) > 180.0).any():
            return f"{what}: a longitude is not in [-180, 180]"
        if (np.abs(ring[:, 1]) > 90.0).any():
            return f"{what}: a latitude is not in [-90, 90]"
        if len(ring) < 3:
            return f"{what} has fewer than 3 distinct vertices"
    c = bound or cap(outline)
    if c.radius_m > MAX_RADIUS_M:
        return (
            f"polygon is too large: it reaches {c.radius_m / 1000:.0f} km from its centre "
            f"(at most {MAX_RADIUS_M / 1000:.0f} km)"
        )
    shape = to_frame(Frame(c.lat_deg, c.lon_deg), outline, c.radius_m)
    if not shapely.is_valid(shape):
        reason = shapely.is_valid_reason(shape)
        reason = reason.split("[")[0].strip()
        return f"polygon is not simple ({reason.lower()})"
    if shapely.area(shape) <= 0.0:
        return "polygon has no area"
    return None


def volume_problem(volume: Volume4D, bound: Cap | None = None) -> str | None:
    """Why a volume cannot be used, or None (``bound``: its outline's cap, when known)."""
    lo, hi = volume.alt_lower_ft, volume.alt_upper_ft
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "altitudes must be finite numbers"
    if not lo < hi:
        return f"alt_lower_ft {lo:g} is not below alt_upper_ft {hi:g}"
    if lo < MIN_ALTITUDE_FT or hi > MAX_ALTITUDE_FT:
        return f"altitude band is not within [{MIN_ALTITUDE_FT:g}, {MAX_ALTITUDE_FT:g}] ft"
    t0, t1 = volume.time_start_s, volume.time_end_s
    if not (math.isfinite(t0) and math.isfinite(t1)):
        return "times must be finite"
    if not t0 < t1:
        return "time_end is not after time_start"
    if t0 < 0.0 or t1 > MAX_TIME_S:
        return "time window is not within 1970-01-01 .. 9999-12-31"
    if t1 - t0 > MAX_DURATION_S:
        return (
            f"time window lasts {(t1 - t0) / 86_400:.1f} days, more than "
            f"{MAX_DURATION_S / 86_400:.0f}: split it into several volumes"
        )
    return outline_problem(volume.outline, bound)
