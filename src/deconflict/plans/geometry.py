"""Horizontal geometry of plan outlines on the WGS84 ellipsoid.

Outlines are compared in an azimuthal equidistant frame (``Frame``): the distance and the
azimuth of every point from the frame's centre are exactly those of the geodesic on the
ellipsoid (``pyproj.Geod``), and the frame is a homeomorphism of everything within a
hemisphere of its centre, so topology (does A meet B, does A contain B) is exact in it,
and the distance from the centre to anything is exact. Polygon edges are geodesics; they
are densified so that the straight segments between the points, in the frame, stay within
``SAGITTA_M`` of the curve the geodesic makes there (``docs/plans.md``). Nothing here
depends on longitudes being continuous: the antimeridian and the poles are ordinary places.

Each distance is measured in a frame centred where it matters:

- circle to anything: in the frame of the circle's centre, minus the radius (exact);
- polygon to polygon: first in a frame between the two, which tells whether they meet and
  which vertices may be the nearest (``distance_m``); then from each of those, in the frame
  centred on it, where its distance is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod

from deconflict.geo import (
    WGS84_E2,
    WGS84_MIN_CURVATURE_RADIUS_M,
    surface_ecef,
    surface_ecef_point,
)
from deconflict.plans.volume import Circle, Outline, Polygon

F64 = NDArray[np.float64]

GEOD = Geod(ellps="WGS84")
#: how far a densified edge may stray from the geodesic it stands for, in the frame (m)
SAGITTA_M = 0.1
#: densification steps stay within these bounds (m)
MIN_STEP_M, MAX_STEP_M = 50.0, 100_000.0


@dataclass(frozen=True)
class Cap:
    """A geodesic ball around ``(lat_deg, lon_deg)`` that holds the whole outline: every
    point of it is within ``radius_m`` of the centre along the ellipsoid (and so also within
    ``radius_m`` in a straight line, ECEF ``centre_ecef_m``)."""

    lat_deg: float
    lon_deg: float
    radius_m: float
    centre_ecef_m: tuple[float, float, float]


def _geodetic(xyz: F64) -> tuple[float, float]:
    """Latitude and longitude (degrees) of the surface point below an ECEF direction; close
    enough for a centre (any centre works: the radius is measured from it)."""
    x, y, z = (float(v) for v in xyz)
    lat = math.degrees(math.atan2(z, (1.0 - WGS84_E2) * math.hypot(x, y)))
    lon = math.degrees(math.atan2(y, x)) if (x or y) else 0.0
    return lat, lon


def cap(outline: Outline) -> Cap:
    """The bounding cap of an outline. A polygon's geodesic edges stay in any geodesic ball
    that holds their ends (balls this small are convex), so the vertices of the outer ring
    settle the radius."""
    if isinstance(outline, Circle):
        lat, lon, radius = outline.lat_deg, outline.lon_deg, outline.radius_m
    else:
        ring = outline.rings[0]
        ecef = surface_ecef(ring[:, 1], ring[:, 0])
        lat, lon = _geodetic(ecef.mean(axis=0))
        _, _, dist = GEOD.inv(
            np.full(len(ring), lon), np.full(len(ring), lat), ring[:, 0], ring[:, 1]
        )
        radius = float(np.max(dist))
    return Cap(lat, lon, radius, surface_ecef_point(lat, lon))


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


class Frame:
    """The azimuthal equidistant frame centred at ``(lat_deg, lon_deg)``: x east, y north,
    metres; the distance of a point from the origin is its geodesic distance from the
    centre, its direction the geodesic's azimuth there."""

    def __init__(self, lat_deg: float, lon_deg: float) -> None:
        self.lat_deg, self.lon_deg = lat_deg, lon_deg

    def forward(self, lon_deg: F64, lat_deg: F64) -> tuple[F64, F64]:
        n = len(lon_deg)
        az, _, s = GEOD.inv(np.full(n, self.lon_deg), np.full(n, self.lat_deg), lon_deg, lat_deg)
        a = np.radians(np.asarray(az))
        s = np.asarray(s)
        return s * np.sin(a), s * np.cos(a)

    def inverse(self, x: F64, y: F64) -> tuple[F64, F64]:
        n = len(x)
        az = np.degrees(np.arctan2(x, y))
        lon, lat, _ = GEOD.fwd(
            np.full(n, self.lon_deg), np.full(n, self.lat_deg), az, np.hypot(x, y)
        )
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def step_m(reach_m: float) -> float:
    """The densification step for points up to ``reach_m`` from a frame's centre.

    A geodesic at distance r from the centre bends in the frame with a curvature of at most
    about r / R² (R the smallest radius of curvature of the ellipsoid), so a chord of length L
    strays from it by at most r L² / (8 R²); the step keeps that under ``SAGITTA_M``.
    """
    r = max(reach_m, 1.0)
    step = math.sqrt(8.0 * WGS84_MIN_CURVATURE_RADIUS_M**2 * SAGITTA_M / r)
    return min(MAX_STEP_M, max(MIN_STEP_M, step))


def densify(ring: F64, step: float) -> F64:
    """The ring's vertices with points added along each geodesic edge, no more than
    ``step`` apart ((m, 2) lon/lat, not closed).

    Each edge is walked from the lesser of its two vertices (as (lon, lat) pairs), so an
    edge that two polygons share (adjacent sectors, given by the same two vertices) gets
    the very same points in both, whichever way each ring runs: their images in a frame
    coincide exactly and the polygons touch without overlapping."""
    lon0, lat0 = ring[:, 0], ring[:, 1]
    lon1, lat1 = np.roll(lon0, -1), np.roll(lat0, -1)
    flip = (lon1 < lon0) | ((lon1 == lon0) & (lat1 < lat0))
    slon, slat = np.where(flip, lon1, lon0), np.where(flip, lat1, lat0)
    elon, elat = np.where(flip, lon0, lon1), np.where(flip, lat0, lat1)
    az, _, dist = GEOD.inv(slon, slat, elon, elat)
    az, dist = np.asarray(az), np.asarray(dist)
    parts = np.maximum(1, np.ceil(dist / step).astype(np.int64))
    edge = np.repeat(np.arange(len(ring)), parts)
    first = np.cumsum(parts) - parts
    k = np.arange(len(edge)) - first[edge]  # the k-th point from the ring's own vertex
    k_walk = np.where(flip[edge], parts[edge] - k, k)  # the same point, from the start
    lon, lat, _ = GEOD.fwd(slon[edge], slat[edge], az[edge], dist[edge] * (k_walk / parts[edge]))
    out = np.column_stack([lon, lat])
    out[k == 0] = ring[edge[k == 0]]  # the vertices themselves, unmoved
    return out


def to_frame(frame: Frame, outline: Polygon, reach_m: float) -> shapely.Polygon:
    """A polygon outline as a shapely polygon in the frame."""
    step = step_m(reach_m)
    rings = []
    for ring in outline.rings:
        dense = densify(ring, step)
        x, y = frame.forward(dense[:, 0], dense[:, 1])
        rings.append(np.column_stack([x, y]))
    return shapely.Polygon(rings[0], rings[1:])


def circle_to_frame(frame: Frame, circle: Circle, reach_m: float) -> shapely.Polygon:
    """A circle as a polygon in the frame that holds the circle (its sides are tangent to
    the circle's image, or outside it): for regions, not for distances."""
    n = max(16, math.ceil(math.pi / math.acos(1.0 - min(0.5, 50.0 / circle.radius_m))))
    n = min(n, 720)
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    radius = circle.radius_m / math.cos(math.pi / n) + 1.0
    lon, lat, _ = GEOD.fwd(
        np.full(n, circle.lon_deg), np.full(n, circle.lat_deg), az, np.full(n, radius)
    )
    ring = densify(np.column_stack([lon, lat]), step_m(reach_m))
    x, y = frame.forward(ring[:, 0], ring[:, 1])
    return shapely.Polygon(np.column_stack([x, y]))


def _reach(frame: Frame, *caps: Cap) -> float:
    return max(
        geodesic_m(frame.lat_deg, frame.lon_deg, c.lat_deg, c.lon_deg) + c.radius_m for c in caps
    )


def _midpoint(a: Cap, b: Cap) -> tuple[float, float]:
    az, _, dist = GEOD.inv(a.lon_deg, a.lat_deg, b.lon_deg, b.lat_deg)
    lon, lat, _ = GEOD.fwd(a.lon_deg, a.lat_deg, az, dist / 2.0)
    return float(lat), float(lon)


def chord_lower_bound_m(a: Cap, b: Cap) -> float:
    """A lower bound of the geodesic distance between two outlines, from their caps alone
    (straight lines are never longer than geodesics)."""
    d = math.dist(a.centre_ecef_m, b.centre_ecef_m)
    return max(0.0, d - a.radius_m - b.radius_m)


def _point_distance_m(circle: Circle, other: Outline, other_cap: Cap) -> float:
    """Geodesic distance from a circle's centre to an outline (0 inside it)."""
    if isinstance(other, Circle):
        return (
            geodesic_m(circle.lat_deg, circle.lon_deg, other.lat_deg, other.lon_deg)
            - other.radius_m
        )
    frame = Frame(circle.lat_deg, circle.lon_deg)
    shape = to_frame(frame, other, _reach(frame, other_cap))
    if geodesic_m(frame.lat_deg, frame.lon_deg, other_cap.lat_deg, other_cap.lon_deg) > (
        other_cap.radius_m
    ):
        # outside the cap, so outside the polygon, which may then be far enough to hold the
        # frame's antipode (its image is then inside out): the distance to its boundary,
        # exact in the frame wherever the boundary is
        shape = shapely.boundary(shape)
    return float(shapely.distance(shapely.Point(0.0, 0.0), shape))


def distance_m(a: Outline, b: Outline, cap_a: Cap | None = None, cap_b: Cap | None = None) -> float:
    """The geodesic distance between two outlines (as closed regions): 0 when they meet or
    one holds the other."""
    cap_a = cap_a or cap(a)
    cap_b = cap_b or cap(b)
    if isinstance(a, Circle):
        return max(0.0, _point_distance_m(a, b, cap_b) - a.radius_m)
    if isinstance(b, Circle):
        return max(0.0, _point_distance_m(b, a, cap_a) - b.radius_m)
    lat, lon = _midpoint(cap_a, cap_b)
    frame = Frame(lat, lon)
    reach = _reach(frame, cap_a, cap_b)
    sa, sb = to_frame(frame, a, reach), to_frame(frame, b, reach)
    if shapely.intersects(sa, sb):
        return 0.0
    # Apart. Two geodesic edges that do not cross are closest at an end of one of them, so
    # the distance is that from some vertex to the other's boundary. The frame never
    # shortens distances and stretches them by at most ``_stretch(reach)``, so only the
    # vertices whose distance in it is within that factor of the least can be the one: each
    # is measured again in a frame centred on it, where its distance is exact.
    sides = (
        (np.concatenate(a.rings), shapely.boundary(sb), b, cap_b),
        (np.concatenate(b.rings), shapely.boundary(sa), a, cap_a),
    )
    frame_d = [
        np.asarray(shapely.distance(shapely.points(*frame.forward(v[:, 0], v[:, 1])), edges))
        for v, edges, _, _ in sides
    ]
    limit = min(float(d.min()) for d in frame_d) * _stretch(reach) + 2.0 * SAGITTA_M
    best = math.inf
    for (v, _, other, other_cap), d in zip(sides, frame_d, strict=True):
        for lon, lat in v[d <= limit]:
            own = Frame(float(lat), float(lon))
            # the other's boundary (it may hold the antipode of this centre, where its
            # image as a polygon would be inside out)
            edge = shapely.boundary(to_frame(own, other, _reach(own, other_cap)))
            best = min(best, float(shapely.distance(shapely.Point(0.0, 0.0), edge)))
    return best


def _stretch(reach_m: float) -> float:
    """The most the frame stretches the distance between two points within ``reach_m`` of
    its centre, twice over for safety: across the geodesics from the centre, a frame scales
    lengths by r / m(r), m the reduced length, and m(r) >= R sin(r / R) where the curvature
    is at most 1 / R² (Rauch), here R = a (1 - e²), the least radius of curvature."""
    t = reach_m / WGS84_MIN_CURVATURE_RADIUS_M
    if t >= 3.0:
        return math.inf
    return 1.0 + 2.0 * (t / math.sin(t) - 1.0) if t > 0.0 else 1.0


def interiors_meet(
    a: Outline, b: Outline, cap_a: Cap | None = None, cap_b: Cap | None = None
) -> bool:
    """Whether the interiors of two outlines share a point (touching edges do not count)."""
    cap_a = cap_a or cap(a)
    cap_b = cap_b or cap(b)
    if isinstance(a, Circle):
        return _point_distance_m(a, b, cap_b) < a.radius_m
    if isinstance(b, Circle):
        return _point_distance_m(b, a, cap_a) < b.radius_m
    lat, lon = _midpoint(cap_a, cap_b)
    frame = Frame(lat, lon)
    reach = _reach(frame, cap_a, cap_b)
    return bool(
        shapely.relate_pattern(to_frame(frame, a, reach), to_frame(frame, b, reach), "T********")
    )


def horizontal_conflict(
    a: Outline, b: Outline, hsep_m: float, cap_a: Cap | None = None, cap_b: Cap | None = None
) -> bool:
    """The horizontal half of the conflict rule: the outlines are less than ``hsep_m`` apart
    (0 when they meet); with ``hsep_m == 0``, their interiors share a point."""
    cap_a = cap_a or cap(a)
    cap_b = cap_b or cap(b)
    if chord_lower_bound_m(cap_a, cap_b) >= max(hsep_m, 1e-9):
        return False
    if hsep_m == 0.0:
        return interiors_meet(a, b, cap_a, cap_b)
    return distance_m(a, b, cap_a, cap_b) < hsep_m
