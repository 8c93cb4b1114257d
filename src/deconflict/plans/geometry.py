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

``horizontal_conflicts`` answers as ``horizontal_conflict`` for one outline against many,
settling most pairs together from bounds in one frame (see the notes above it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    nxt = np.concatenate((ring[1:], ring[:1]))  # each vertex's next (np.roll is slow)
    return _densify_edges(ring, nxt, step)


def densify_path(path: F64, step: float) -> F64:
    """An open path's vertices with points added along each geodesic leg, no more than
    ``step`` apart ((m, 2) lon/lat, from the first vertex to the last)."""
    return np.vstack([_densify_edges(path[:-1], path[1:], step), path[-1:]])


def _densify_edges(start: F64, end: F64, step: float) -> F64:
    """The points of the geodesic edges start[i] -> end[i], each edge's start and the
    points added along it (not its end), edge after edge; see ``densify``."""
    lon0, lat0 = start[:, 0], start[:, 1]
    lon1, lat1 = end[:, 0], end[:, 1]
    flip = (lon1 < lon0) | ((lon1 == lon0) & (lat1 < lat0))
    slon, slat = np.where(flip, lon1, lon0), np.where(flip, lat1, lat0)
    elon, elat = np.where(flip, lon0, lon1), np.where(flip, lat0, lat1)
    az, _, dist = GEOD.inv(slon, slat, elon, elat)
    az, dist = np.asarray(az), np.asarray(dist)
    parts = np.maximum(1, np.ceil(dist / step).astype(np.int64))
    edge = np.repeat(np.arange(len(start)), parts)
    first = np.cumsum(parts) - parts
    k = np.arange(len(edge)) - first[edge]  # the k-th point from the edge's own start
    k_walk = np.where(flip[edge], parts[edge] - k, k)  # the same point, from the start
    lon, lat, _ = GEOD.fwd(slon[edge], slat[edge], az[edge], dist[edge] * (k_walk / parts[edge]))
    out = np.column_stack([lon, lat])
    out[k == 0] = start[edge[k == 0]]  # the vertices themselves, unmoved
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


def circle_sides(radius_m: float) -> int:
    """The sides of the polygon that stands for a circle of this radius in a frame (for
    regions): they stray no more than about 50 m outside it."""
    n = max(16, math.ceil(math.pi / math.acos(1.0 - min(0.5, 50.0 / radius_m))))
    return min(n, 720)


def circle_to_frame(frame: Frame, circle: Circle, reach_m: float) -> shapely.Polygon:
    """A circle as a polygon in the frame that holds the circle (its sides are tangent to
    the circle's image, or outside it): for regions, not for distances."""
    n = circle_sides(circle.radius_m)
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


# --- one outline against many ------------------------------------------------------------------
#
# ``horizontal_conflicts`` settles the pairs that share their first outline together, in one
# frame: that of the first outline's centre (its cap's, for a polygon). There every outline
# is the images of its vertices (one ``Geod.inv`` for all of them) joined by straight chords,
# and the image of each geodesic edge lies within ``chord_band_m`` of its chord. So, with the
# premises the per-pair function rests on (the frame never shortens distances, and stretches
# them by at most ``_stretch`` of its reach):
#
# - the true distance is at most the chords' distance plus the bands, and at least the
#   chords' distance less the bands, over the stretch (in the frame of a circle's centre,
#   distances from the centre are exact: no stretch);
# - a point farther than the band from a ring of chords is inside it just when it is inside
#   the ring's true image; boundaries farther apart than their bands meet just when a ring
#   of one lies inside the other; a vertex inside the other, deeper than the band, is a
#   point of both, and the interiors share points about it.
#
# A pair is settled there only
#
# - where these bounds put the true distance at least ``shortcut_margin_m`` on one side of H
#   (for H = 0: a common point of the interiors that deep, or interiors that far apart): the
#   per-pair function, accurate to well within that margin, answers the same; or
# - by the per-pair function's own arithmetic: between two circles (the same ``Geod.inv``,
#   the same sums), and where a vertex of a polygon is nearer a circle's centre than the
#   threshold (the per-pair function measures from that centre, exactly, to a densified
#   polygon that holds the vertex).
#
# The pairs left (within metres of H, touching under H = 0, too large for the bounds) go to
# ``horizontal_conflict`` itself.

I64 = NDArray[np.int64]
Shapes = NDArray[np.object_]

#: what rounding may change in a computation that reproduces the per-pair one (m)
_ROUNDING_M = 1e-6
#: no shortcut in a frame reaching farther than this (m): geodesic balls this small are convex
#: and a frame never shortens distances within them; the bands are checked this far
_SHORTCUT_REACH_M = 5_000_000.0


def shortcut_margin_m(hsep_m: float) -> float:
    """How far (m) the shortcuts of ``horizontal_conflicts`` must prove the true distance
    from H: the tolerance the per-pair function is held to against the reference,
    max(1 m, 1e-5 H), some ten times the error it was seen to make (``docs/plans.md``)."""
    return max(1.0, 1e-5 * hsep_m)


def chord_band_m(reach_m: F64, chord_m: F64) -> F64:
    """How far the image in a frame of a geodesic edge strays, at most, from the straight
    chord between its ends' images: ``reach_m`` the farther end's distance from the centre
    (the edge stays within it), ``chord_m`` the chord's length (no shorter than the edge).
    Twice the bound that ``step_m`` relies on, r L² / (8 R²), which holds with a third to
    spare (``tests/test_plans_batch.py``), plus rounding."""
    band: F64 = reach_m * chord_m**2 / (4.0 * WGS84_MIN_CURVATURE_RADIUS_M**2) + _ROUNDING_M
    return band


@dataclass(frozen=True)
class _Chords:
    """Polygons in a frame as the images of their vertices joined by straight chords.

    ``shapes`` hold the chords as rings: they may cross where the true images do not (the
    bounds never ask shapely whether they are valid), and a point more than ``band`` from
    the chords is inside a ring of chords just when it is inside the true image of the ring
    (the one turns into the other without crossing the point)."""

    shapes: Shapes
    #: their boundaries
    edges: Shapes
    #: each polygon's widest band (m)
    band: F64
    #: each polygon's farthest vertex from the centre (m): its edges stay within that
    reach: F64
    #: and its nearest vertex (m)
    nearest: F64
    #: the vertices, polygons end to end, and the polygon of each
    x: F64
    y: F64
    owner: I64
    #: the first vertex of each ring, and the polygon of each ring
    first: I64
    first_owner: I64


def _starts(sizes: I64) -> I64:
    out: I64 = np.cumsum(sizes) - sizes
    return out


def _chords(x: F64, y: F64, dist: F64, ring_sizes: I64, rings_per_shape: I64) -> _Chords:
    """Polygons from the images of their vertices, rings end to end, each polygon's outer ring
    first; ``dist`` the vertices' distances from the centre."""
    n = len(rings_per_shape)
    ring_owner = np.repeat(np.arange(n), rings_per_shape)
    first = _starts(ring_sizes)
    nxt = np.arange(len(x)) + 1
    nxt[first + ring_sizes - 1] = first
    band = chord_band_m(np.maximum(dist, dist[nxt]), np.hypot(x[nxt] - x, y[nxt] - y))
    owner = np.repeat(ring_owner, ring_sizes)
    vertex_start = _starts(np.bincount(owner, minlength=n))
    rings = shapely.linearrings(
        np.column_stack([x, y]), indices=np.repeat(np.arange(len(ring_sizes)), ring_sizes)
    )
    shapes = shapely.polygons(rings, indices=ring_owner)
    return _Chords(
        shapes,
        shapely.boundary(shapes),
        np.maximum.reduceat(band, vertex_start),
        np.maximum.reduceat(dist, vertex_start),
        np.minimum.reduceat(dist, vertex_start),
        x,
        y,
        owner,
        first,
        ring_owner,
    )


def _usable(p: Polygon) -> bool:
    """Whether the shortcuts take the polygon (else it goes to the per-pair function)."""
    return len(p.rings) > 0 and all(
        r.ndim == 2 and r.shape[1] == 2 and len(r) >= 3 for r in p.rings
    )


def _split(
    others: Sequence[Outline], near: list[int]
) -> tuple[list[int], list[Circle], list[int], list[Polygon]]:
    """The ``near`` circles and the usable ``near`` polygons, each with its index."""
    ci: list[int] = []
    cc: list[Circle] = []
    pi: list[int] = []
    pp: list[Polygon] = []
    for i in near:
        o = others[i]
        if isinstance(o, Circle):
            ci.append(i)
            cc.append(o)
        elif _usable(o):
            pi.append(i)
            pp.append(o)
    return ci, cc, pi, pp


def _rings_of(polys: Sequence[Polygon]) -> tuple[F64, I64, I64]:
    """The vertices of the polygons' rings end to end (lon, lat rows), each ring's size, and
    each polygon's number of rings."""
    rings = [r for p in polys for r in p.rings]
    vertices = (
        np.concatenate([np.asarray(r, dtype=np.float64) for r in rings])
        if rings
        else np.zeros((0, 2))
    )
    return (
        vertices,
        np.array([len(r) for r in rings], dtype=np.int64),
        np.array([len(p.rings) for p in polys], dtype=np.int64),
    )


def _from(lat_deg: float, lon_deg: float, lonlat: F64) -> tuple[F64, F64, F64]:
    """The frame coordinates of points (lon, lat rows) and their distances from the centre
    (as ``Frame.forward`` has them, with ``Geod.inv`` called as the per-pair function calls
    it)."""
    n = len(lonlat)
    az, _, dist = GEOD.inv(np.full(n, lon_deg), np.full(n, lat_deg), lonlat[:, 0], lonlat[:, 1])
    a = np.radians(np.asarray(az))
    dist = np.asarray(dist, dtype=np.float64)
    return dist * np.sin(a), dist * np.cos(a), dist


def _stretches(reach_m: F64) -> F64:
    """``_stretch`` of each reach; infinite beyond ``_SHORTCUT_REACH_M`` (no shortcut)."""
    t = np.maximum(reach_m, 1.0) / WGS84_MIN_CURVATURE_RADIUS_M
    out: F64 = np.where(reach_m <= _SHORTCUT_REACH_M, 1.0 + 2.0 * (t / np.sin(t) - 1.0), np.inf)
    return out


def _settle(
    found: dict[int, bool], index: Sequence[int], lower: F64, upper: F64, hsep_m: float
) -> None:
    """Settle the pairs whose bounds on the signed distance (the distance, less a circle's
    radius; or minus how deep the interiors overlap) clear H by the margin: a conflict
    below H, none above (H = 0 too: the interiors meet where it is negative)."""
    margin = shortcut_margin_m(hsep_m)
    yes = (upper < hsep_m - margin).tolist()
    no = (lower >= hsep_m + margin).tolist()
    for i, y, n in zip(index, yes, no, strict=True):
        if y != n:
            found[i] = y


def _circle_against(
    a: Circle, others: Sequence[Outline], near: list[int], hsep_m: float
) -> dict[int, bool]:
    """The pairs (a, others[i]) settled in the frame of a's centre, where the per-pair
    function measures them all: there a's image is the disc of its radius, exactly."""
    found: dict[int, bool] = {}
    ci, cc, pi, pp = _split(others, near)
    vertices, ring_sizes, rings_per = _rings_of(pp)
    centres = np.array([[c.lon_deg, c.lat_deg] for c in cc], dtype=np.float64).reshape(-1, 2)
    x, y, dist = _from(a.lat_deg, a.lon_deg, np.concatenate([centres, vertices]))
    if not np.isfinite(dist).all():
        return found
    ra, nc = a.radius_m, len(cc)

    # circles: the per-pair function's own arithmetic
    less = dist[:nc] - np.array([c.radius_m for c in cc])
    hits = np.maximum(0.0, less - ra) < hsep_m if hsep_m > 0.0 else less < ra
    found.update(zip(ci, hits.tolist(), strict=True))
    if not pp:
        return found

    # polygons: bounds on the distance from the centre, which the frame keeps
    b = _chords(x[nc:], y[nc:], dist[nc:], ring_sizes, rings_per)
    to_edge = shapely.distance(shapely.Point(0.0, 0.0), b.edges)
    off = to_edge > b.band  # the centre is off the true boundary, and in or out as in the frame
    inside = off & shapely.contains_xy(b.shapes, 0.0, 0.0)
    upper = np.minimum(np.where(inside, 0.0, to_edge + b.band), b.nearest) - ra
    lower = np.where(off & ~inside, to_edge - b.band, 0.0) - ra
    far = ~(b.reach <= _SHORTCUT_REACH_M)
    upper[far], lower[far] = np.inf, -np.inf
    _settle(found, pi, lower, upper, hsep_m)
    # a vertex nearer than the threshold: so is the per-pair function's densified polygon
    close = (b.nearest - ra < hsep_m - _ROUNDING_M).tolist()
    found.update((i, True) for i, c in zip(pi, close, strict=True) if c)
    return found


def _polygon_against(
    a: Polygon, cap_a: Cap, others: Sequence[Outline], near: list[int], hsep_m: float
) -> dict[int, bool]:
    """The pairs (a, others[i]) settled in the frame of a's cap."""
    found: dict[int, bool] = {}
    if not _usable(a):
        return found
    ci, cc, pi, pp = _split(others, near)
    vertices, ring_sizes, rings_per = _rings_of([a, *pp])  # a is polygon 0
    centres = np.array([[c.lon_deg, c.lat_deg] for c in cc], dtype=np.float64).reshape(-1, 2)
    x, y, dist = _from(cap_a.lat_deg, cap_a.lon_deg, np.concatenate([vertices, centres]))
    if not np.isfinite(dist).all():
        return found
    nv = len(vertices)
    ch = _chords(x[:nv], y[:nv], dist[:nv], ring_sizes, rings_per)
    reach_a, band_a = float(ch.reach[0]), float(ch.band[0])
    if not reach_a <= _SHORTCUT_REACH_M:
        return found
    shape_a, edge_a = ch.shapes[0], ch.edges[0]
    shapely.prepare(shape_a)

    if cc:
        # circles: the distance from the centre to a, less the radius
        cx, cy = x[nv:], y[nv:]
        to_edge = shapely.distance(shapely.points(cx, cy), edge_a)
        off = to_edge > band_a  # off the true boundary, and in or out as in the frame
        inside = off & shapely.contains_xy(shape_a, cx, cy)
        stretch = _stretches(np.maximum(reach_a, dist[nv:]))
        rb = np.array([c.radius_m for c in cc])
        upper = np.where(inside, 0.0, to_edge + band_a) - rb
        lower = np.where(off & ~inside, (to_edge - band_a) / stretch, 0.0) - rb
        far = ~np.isfinite(stretch)
        upper[far], lower[far] = np.inf, -np.inf
        _settle(found, ci, lower, upper, hsep_m)
    if not pp:
        return found

    # polygons: the distance between the boundaries, and whether a ring of one lies in the
    # other (which settles whether the regions meet, once the boundaries are apart)
    band_b, shapes_b = ch.band[1:], ch.shapes[1:]
    stretch = _stretches(np.maximum(reach_a, ch.reach[1:]))
    between = shapely.distance(edge_a, ch.edges[1:])
    apart = between > band_a + band_b
    gap = (between - band_a - band_b) / stretch  # the true boundaries are at least this apart
    b_rings = ch.first_owner > 0
    first_x, first_y = ch.x[ch.first], ch.y[ch.first]
    ring_in_a = shapely.contains_xy(shape_a, first_x[b_rings], first_y[b_rings])
    b_in_a = np.bincount(ch.first_owner[b_rings] - 1, weights=ring_in_a, minlength=len(pp)) > 0
    a_in_b = shapely.contains_xy(
        shapes_b[:, None], first_x[~b_rings][None, :], first_y[~b_rings][None, :]
    ).any(axis=1)
    meet = apart & (b_in_a | a_in_b)
    lower = np.where(apart & ~meet, gap, -np.inf)
    # where they meet, a ring of one lies at least ``gap`` inside the other
    upper = np.where(meet, -gap, between + band_a + band_b)
    # boundaries that may meet: how deep a vertex of one lies inside the other
    todo = np.flatnonzero(~apart & (upper >= hsep_m - shortcut_margin_m(hsep_m)))
    if len(todo):
        upper[todo] = np.minimum(upper[todo], -_deepest(ch, todo + 1, stretch[todo]))
    far = ~np.isfinite(stretch)
    upper[far], lower[far] = np.inf, -np.inf
    _settle(found, pi, lower, upper, hsep_m)
    return found


def _deepest(ch: _Chords, which: I64, stretch: F64) -> F64:
    """For the polygons ``which`` (> 0) of ``ch``: how deep (m, on the ellipsoid, at least)
    the deepest vertex of either it or polygon 0 lies inside the other; 0 if none is surely
    inside. The interiors share points that deep, near that vertex."""
    out = np.zeros(len(which))
    slot = np.full(len(ch.band), -1)
    slot[which] = np.arange(len(which))
    # their vertices in polygon 0
    mask = slot[ch.owner] >= 0
    vx, vy, own = ch.x[mask], ch.y[mask], slot[ch.owner[mask]]
    to_edge = shapely.distance(shapely.points(vx, vy), ch.edges[0])
    inside = (to_edge > ch.band[0]) & shapely.contains_xy(ch.shapes[0], vx, vy)
    np.maximum.at(out, own, np.where(inside, (to_edge - ch.band[0]) / stretch[own], 0.0))
    # polygon 0's vertices in them
    mine = ch.owner == 0
    ax, ay = ch.x[mine], ch.y[mine]
    to_edge = shapely.distance(shapely.points(ax, ay)[None, :], ch.edges[which][:, None])
    band = ch.band[which][:, None]
    inside = (to_edge > band) & shapely.contains_xy(
        ch.shapes[which][:, None], ax[None, :], ay[None, :]
    )
    depth: F64 = np.where(inside, (to_edge - band) / stretch[:, None], 0.0)
    deepest: F64 = np.maximum(out, depth.max(axis=1))
    return deepest


def horizontal_conflicts(
    a: Outline, cap_a: Cap, others: Sequence[Outline], caps: Sequence[Cap], hsep_m: float
) -> NDArray[np.bool_]:
    """``horizontal_conflict(a, b, hsep_m, cap_a, cap_b)`` for each of ``others`` and its cap:
    the same quick reject, then the pairs left settled together in a few array calls (see
    the notes above), and the few they leave open (within metres of H, touching under
    H = 0) by ``horizontal_conflict`` itself."""
    if len(others) != len(caps):
        raise ValueError(f"{len(others)} outlines but {len(caps)} caps")
    out = np.zeros(len(others), dtype=np.bool_)
    # the per-pair function's quick reject, as it has it
    limit = max(hsep_m, 1e-9)
    near = [i for i, c in enumerate(caps) if not chord_lower_bound_m(cap_a, c) >= limit]
    if not near:
        return out
    found: dict[int, bool] = {}
    if hsep_m >= 0.0 and math.isfinite(hsep_m):
        if isinstance(a, Circle):
            found = _circle_against(a, others, near, hsep_m)
        else:
            found = _polygon_against(a, cap_a, others, near, hsep_m)
    for i in near:
        hit = found.get(i)
        out[i] = horizontal_conflict(a, others[i], hsep_m, cap_a, caps[i]) if hit is None else hit
    return out
