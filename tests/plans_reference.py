"""Simple, slow references for ``deconflict.plans``, written from first principles.

Nothing here uses ``deconflict.plans.geometry`` (its frames, densification or shapely): only
``pyproj.Geod`` (Karney's exact geodesics on WGS84), numpy and ``deconflict.geo.surface_ecef``.

- ``boundary_distance``: the geodesic distance between two sets of geodesic edges (polygon
  rings; a point is an edge of length 0) by branch and bound. Each edge is cut into pieces;
  a piece is its midpoint and a half-length h, and every point of it is within h of the
  midpoint along the ellipsoid, so by the triangle inequality the distance between any two
  points of pieces i and j is at least d(mid_i, mid_j) - h_i - h_j (a rigorous lower bound)
  while d(mid_i, mid_j) is the distance of two actual points (an upper bound). Pairs whose
  lower bound exceeds the best upper bound are dropped, the others halved, until the bounds
  are within ``max(abs_tol, rel_tol * distance)`` of each other.
- ``in_polygon``: point in polygon on the unit sphere (winding number of the ring around the
  point, the sum of the signed angles the ring's arcs subtend there). The ring is sampled
  along its geodesic edges every ``PIP_SPACING_M``; between samples the arcs are great
  circles, which stray from the image of the ellipsoid's geodesic by well under a millimetre
  (checked in ``test_pip_arcs_follow_the_geodesics``), so the answer is exact for any point
  more than a millimetre from the boundary. Valid for rings within ``PIP_REACH_UNIT`` of the
  point (far points are outside: the rings here are less than 2,000 km across).
- ``region_distance``: the distance between two outlines as closed regions, as bounds
  [lo, hi]: 0 when their boundaries meet or one holds a ring of the other (decided with
  ``in_polygon`` only when the boundaries are apart, so that the point tested is off the
  boundary), else the boundary distance. Circles are their centre and radius: the distance
  from a disc to a set is the distance from its centre, less the radius (exact in any
  geodesic metric space).
- ``interiors_meet``: True, False, or None where the reference cannot tell (outlines that
  touch within its tolerance).
- ``volume_conflict`` / ``all_pairs_conflicts``: the rule from the issue, on these, and every
  pair of volumes of every pair of plans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

from deconflict.geo import surface_ecef
from deconflict.plans.volume import Circle, Outline, Plan, Polygon, Volume4D, polygon

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

GEOD = Geod(ellps="WGS84")
#: spacing of the ring samples of the point-in-polygon test (m)
PIP_SPACING_M = 2_000.0
#: points farther than this chord (on the unit sphere, about 3,200 km) from a ring are outside
PIP_REACH_UNIT = 0.5
#: the bounds of a boundary distance are this close (m), or rel_tol of the distance
ABS_TOL_M = 0.02
REL_TOL = 1e-7
#: the tighter lower bound of ``_lower_bound`` holds within this distance (m)
CONVEX_REACH_M = 5_000_000.0


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


# --- edges -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edges:
    """Geodesic edges: each starts at (lon, lat), leaves at azimuth ``az`` and is ``length``
    metres long. A point is one edge of length 0."""

    lon: F64
    lat: F64
    az: F64
    length: F64

    def at(self, edge: I64, s: F64) -> tuple[F64, F64]:
        """The points at arc length ``s`` along edges ``edge`` (lon, lat)."""
        lon, lat, _ = self.along(edge, s)
        return lon, lat

    def along(self, edge: I64, s: F64) -> tuple[F64, F64, F64]:
        """The points at arc length ``s`` along edges ``edge`` and the edges' direction there
        (lon, lat, azimuth up to 180°)."""
        lon, lat, back = GEOD.fwd(self.lon[edge], self.lat[edge], self.az[edge], s)
        f = np.float64
        return np.asarray(lon, dtype=f), np.asarray(lat, dtype=f), np.asarray(back, dtype=f)


def ring_edges(ring: F64) -> Edges:
    lon0, lat0 = ring[:, 0].astype(np.float64), ring[:, 1].astype(np.float64)
    lon1, lat1 = np.roll(lon0, -1), np.roll(lat0, -1)
    az, _, dist = GEOD.inv(lon0, lat0, lon1, lat1)
    return Edges(lon0, lat0, np.asarray(az, dtype=np.float64), np.asarray(dist, dtype=np.float64))


def concat(*edges: Edges) -> Edges:
    return Edges(
        np.concatenate([e.lon for e in edges]),
        np.concatenate([e.lat for e in edges]),
        np.concatenate([e.az for e in edges]),
        np.concatenate([e.length for e in edges]),
    )


def polygon_edges(p: Polygon) -> Edges:
    """The edges of every ring of a polygon."""
    return concat(*(ring_edges(r) for r in p.rings))


def point_edges(lat: float, lon: float) -> Edges:
    return Edges(np.array([lon]), np.array([lat]), np.zeros(1), np.zeros(1))


def sample(edges: Edges, spacing_m: float) -> tuple[F64, F64]:
    """Points along the edges no more than ``spacing_m`` apart, each edge's start included and
    its end left to the next edge (lon, lat)."""
    parts = np.maximum(1, np.ceil(edges.length / spacing_m)).astype(np.int64)
    edge = np.repeat(np.arange(len(parts)), parts)
    first = np.cumsum(parts) - parts
    k = np.arange(len(edge)) - first[edge]
    return edges.at(edge, edges.length[edge] * k / parts[edge])


def outline_boundary(outline: Outline, spacing_m: float) -> tuple[F64, F64]:
    """Points along an outline's boundary (a circle's at every ``spacing_m`` of its
    perimeter, by ``Geod.fwd`` from the centre)."""
    if isinstance(outline, Circle):
        n = max(16, math.ceil(2 * math.pi * outline.radius_m / spacing_m))
        az = np.linspace(0.0, 360.0, n, endpoint=False)
        lon, lat, _ = GEOD.fwd(
            np.full(n, outline.lon_deg),
            np.full(n, outline.lat_deg),
            az,
            np.full(n, outline.radius_m),
        )
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    return sample(polygon_edges(outline), spacing_m)


# --- distance between boundaries: branch and bound --------------------------------------------


Points = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Bounds:
    """The distance lies in [lo, hi]; ``hi`` is the distance of the points ``a`` and ``b``
    (lon, lat)."""

    lo: float
    hi: float
    a: tuple[float, float]
    b: tuple[float, float]


class ReferenceError(RuntimeError):
    """The branch and bound kept too many pairs (boundaries that run parallel at the minimum
    distance): the reference cannot answer; the test must not make such a case."""


def boundary_distance(
    ea: Edges,
    eb: Edges,
    abs_tol: float = ABS_TOL_M,
    rel_tol: float = REL_TOL,
    max_pairs: int = 3_000_000,
    stop_below: float = 1e-3,
) -> Bounds:
    """Bounds on the geodesic distance between the union of edges ``ea`` and that of ``eb``;
    (0, d) as soon as two points ``d <= stop_below`` apart are found (the boundaries meet)."""
    na, nb = len(ea.length), len(eb.length)
    # pairs of pieces, one a row: edge, midpoint arc length and half-length on a, then on b;
    # to start, whole edges, every pair
    ia = np.repeat(np.arange(na), nb)
    ib = np.tile(np.arange(nb), na)
    P = np.column_stack(
        [ia, ea.length[ia] / 2.0, ea.length[ia] / 2.0, ib, eb.length[ib] / 2.0, eb.length[ib] / 2.0]
    )
    best = math.inf
    best_points: Points = ((math.nan, math.nan), (math.nan, math.nan))
    while True:
        lon_a, lat_a, dir_a = ea.along(P[:, 0].astype(np.int64), P[:, 1])
        lon_b, lat_b, dir_b = eb.along(P[:, 3].astype(np.int64), P[:, 4])
        az_ab, az_ba, dist = GEOD.inv(lon_a, lat_a, lon_b, lat_b)
        d = np.asarray(dist, dtype=np.float64)
        k = int(np.argmin(d))
        if d[k] < best:
            best = float(d[k])
            best_points = ((float(lon_a[k]), float(lat_a[k])), (float(lon_b[k]), float(lat_b[k])))
            dived, points = _dive(ea, eb, P[k])
            if dived < best:
                best, best_points = dived, points
        if best <= stop_below:
            return Bounds(0.0, best, *best_points)
        lower = _lower_bound(
            d, np.asarray(az_ab), np.asarray(az_ba), dir_a, dir_b, P[:, 2], P[:, 5]
        )
        keep = lower <= best
        if not keep.any():  # the dive's point beat every bound by a rounding error: done
            return Bounds(best, best, *best_points)
        lo = float(lower[keep].min())
        if best - lo <= max(abs_tol, rel_tol * best):
            return Bounds(max(0.0, lo), best, *best_points)
        P = P[keep]
        # halve the longer piece of each pair (both when they are as long)
        P = _halve(P, (P[:, 2] >= P[:, 5]) & (P[:, 2] > 0.0), 1)
        P = _halve(P, (P[:, 5] >= P[:, 2]) & (P[:, 5] > 0.0), 4)
        if len(P) > max_pairs:
            raise ReferenceError(f"{len(P)} pairs at the distance {best} m")


def _lower_bound(d: F64, az_ab: F64, az_ba: F64, dir_a: F64, dir_b: F64, ha: F64, hb: F64) -> F64:
    """Lower bounds of the distance between two pieces of geodesic: midpoints ``d`` apart,
    half-lengths ``ha`` and ``hb``, directions ``dir_a`` and ``dir_b`` there (mod 180°), and
    ``az_ab``/``az_ba`` the azimuths of the geodesic joining the midpoints, at each end.

    Always: d - ha - hb (triangle inequality). Tighter, when the pieces are within
    ``CONVEX_REACH_M`` of each other: the ellipsoid's curvature is positive and at most
    K = 1 / (6,356.7 km)², so the distance from a point is convex along any geodesic within
    π / (2 √K) = 9,985 km of it (Hessian comparison), and lies above its tangent: moving
    along piece a changes the distance to a point q by at least -ha |cos(angle at m_a between
    a and q)|, and likewise along b. The angle at m_a between the directions to m_b and to any
    point of b differs by at most 2 hb / d when hb <= d / 4 and d <= 5,000 km (CAT(K) angle
    comparison with the sphere of curvature K), so
        distance >= d - ha |cos α_a| - hb |cos α_b| - 2 ha hb / d.
    This is what keeps the pairs few where the distance is flat (a vertex facing the middle
    of an edge, edges nearly parallel)."""
    lipschitz = d - ha - hb
    ca = np.abs(np.cos(np.radians(dir_a - az_ab)))
    cb = np.abs(np.cos(np.radians(dir_b - az_ba)))
    with np.errstate(divide="ignore", invalid="ignore"):
        convex = d - ha * ca - hb * cb - np.where(ha * hb > 0.0, 2.0 * ha * hb / d, 0.0)
    ok = (np.minimum(ha, hb) <= d / 4.0) & (d + ha + hb <= CONVEX_REACH_M)
    out: F64 = np.where(ok, np.maximum(lipschitz, convex), lipschitz)
    return out


def _dive(ea: Edges, eb: Edges, pair: F64) -> tuple[float, Points]:
    """A quick upper bound: from a pair of pieces, the closer of the children again and again
    (points of the boundaries, so the distance is an upper bound; not necessarily the least)."""
    P = pair[None, :]
    best = math.inf
    points: Points = ((math.nan, math.nan), (math.nan, math.nan))
    for _ in range(64):
        P = _halve(P, P[:, 2] > 0.0, 1)
        P = _halve(P, P[:, 5] > 0.0, 4)
        lon_a, lat_a = ea.at(P[:, 0].astype(np.int64), P[:, 1])
        lon_b, lat_b = eb.at(P[:, 3].astype(np.int64), P[:, 4])
        d = np.asarray(GEOD.inv(lon_a, lat_a, lon_b, lat_b)[2], dtype=np.float64)
        k = int(np.argmin(d))
        if d[k] < best:
            best = float(d[k])
            points = ((float(lon_a[k]), float(lat_a[k])), (float(lon_b[k]), float(lat_b[k])))
        P = P[k : k + 1]
        if P[0, 2] < 1e-4 and P[0, 5] < 1e-4:
            break
    return best, points


def _halve(P: F64, which: NDArray[np.bool_], s: int) -> F64:
    """The pairs with the piece in columns (s, s + 1) of the rows ``which`` cut in two."""
    first, second = P[which], P[which]
    first[:, s + 1] /= 2.0
    second[:, s + 1] /= 2.0
    first[:, s] -= first[:, s + 1]
    second[:, s] += second[:, s + 1]
    out: F64 = np.concatenate([P[~which], first, second])
    return out


# --- point in polygon on the sphere ------------------------------------------------------------


def unit(lon: F64, lat: F64) -> F64:
    """Unit vectors (n, 3) towards the surface points (any homeomorphism of the ellipsoid
    onto the sphere would do: the test is topological)."""
    v = surface_ecef(np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64))
    out: F64 = v / np.linalg.norm(v, axis=1)[:, None]
    return out


def ring_units(ring: F64) -> F64:
    lon, lat = sample(ring_edges(ring), PIP_SPACING_M)
    return unit(lon, lat)


def winding(points: F64, ring: F64) -> F64:
    """The winding number of ``ring`` (unit vectors, closed implicitly) around each of
    ``points`` (unit vectors): the sum of the signed angles of its arcs seen from the point,
    over 2π. 0 for points farther than ``PIP_REACH_UNIT`` from it."""
    nxt = np.roll(ring, -1, axis=0)
    cross = np.cross(ring, nxt)
    dot = np.einsum("ij,ij->i", ring, nxt)
    out = np.zeros(len(points))
    for start in range(0, len(points), max(1, 2_000_000 // len(ring))):
        p = points[start : start + max(1, 2_000_000 // len(ring))]
        pv = p @ ring.T  # (m, n)
        num = p @ cross.T
        den = dot[None, :] - pv * np.roll(pv, -1, axis=1)
        w = np.arctan2(num, den).sum(axis=1) / (2.0 * math.pi)
        near = (np.sqrt(np.maximum(0.0, 2.0 - 2.0 * pv.max(axis=1)))) < PIP_REACH_UNIT
        out[start : start + len(p)] = np.where(near, w, 0.0)
    return out


def in_polygon(lon: F64, lat: F64, p: Polygon) -> NDArray[np.bool_]:
    """Whether each point is inside the polygon (in the outer ring, in no hole); exact for
    points more than a millimetre from its boundary."""
    pts = unit(lon, lat)
    inside: NDArray[np.bool_] = np.abs(winding(pts, ring_units(p.rings[0]))) > 0.5
    for hole in p.rings[1:]:
        inside &= np.abs(winding(pts, ring_units(hole))) < 0.5
    return inside


def in_outline(lon: F64, lat: F64, o: Outline) -> NDArray[np.bool_]:
    if isinstance(o, Circle):
        n = len(lon)
        _, _, d = GEOD.inv(np.full(n, o.lon_deg), np.full(n, o.lat_deg), lon, lat)
        inside: NDArray[np.bool_] = np.asarray(d) <= o.radius_m
        return inside
    return in_polygon(lon, lat, o)


# --- distances between regions -------------------------------------------------------------


def _point_region(lat: float, lon: float, p: Polygon) -> Bounds:
    """Bounds on the distance from a point to a polygon (0 inside)."""
    bd = boundary_distance(point_edges(lat, lon), polygon_edges(p))
    if bd.lo > 0.0 and bool(in_polygon(np.array([lon]), np.array([lat]), p)[0]):
        return Bounds(0.0, 0.0, (lon, lat), (lon, lat))
    return bd


def _toward(frm: tuple[float, float], to: tuple[float, float], r: float) -> tuple[float, float]:
    """The point ``r`` along the geodesic from ``frm`` towards ``to`` (lon, lat)."""
    az, _, _ = GEOD.inv(frm[0], frm[1], to[0], to[1])
    lon, lat, _ = GEOD.fwd(frm[0], frm[1], az, r)
    return float(lon), float(lat)


def _less(b: Bounds, ra: float, rb: float = 0.0) -> Bounds:
    """Bounds from the centres of discs of radii ``ra`` and ``rb`` (0: not a disc) to bounds
    from the discs, their nearest points moved onto the circles."""
    a_pt, b_pt = b.a, b.b
    hi = max(0.0, b.hi - ra - rb)
    if hi > 0.0:
        a_pt, b_pt = _toward(b.a, b.b, ra), _toward(b.b, b.a, rb)
    return Bounds(max(0.0, b.lo - ra - rb), hi, a_pt, b_pt)


def region_distance(a: Outline, b: Outline) -> Bounds:
    """Bounds on the geodesic distance between two outlines as closed regions (0 when they
    meet, or one holds the other); ``a`` and ``b`` are the nearest points found."""
    if isinstance(a, Circle) and isinstance(b, Circle):
        d = geodesic_m(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg)
        c = (a.lon_deg, a.lat_deg), (b.lon_deg, b.lat_deg)
        return _less(Bounds(d, d, *c), a.radius_m, b.radius_m)
    if isinstance(a, Circle):
        assert isinstance(b, Polygon)
        return _less(_point_region(a.lat_deg, a.lon_deg, b), a.radius_m)
    if isinstance(b, Circle):
        flip = region_distance(b, a)
        return Bounds(flip.lo, flip.hi, flip.b, flip.a)
    # a vertex of one inside the other: they meet (exact unless the vertex is within a
    # millimetre of the boundary, and then the distance is less than that anyway)
    for p, q in ((a, b), (b, a)):
        v = np.concatenate(p.rings)
        inside = in_polygon(v[:, 0], v[:, 1], q)
        if inside.any():
            k = int(np.argmax(inside))
            at = (float(v[k, 0]), float(v[k, 1]))
            return Bounds(0.0, 0.0, at, at)
    # else, where the boundaries are apart, each ring is wholly outside the other polygon
    bd = boundary_distance(polygon_edges(a), polygon_edges(b))
    if bd.lo <= 0.0:
        return Bounds(0.0, bd.hi, bd.a, bd.b)
    return bd


def _chord_to_m(lon: F64, lat: F64, boundary: tuple[F64, F64]) -> F64:
    """The straight-line distance from each point to the nearest of the boundary's points."""
    p = surface_ecef(lat, lon)
    q = surface_ecef(boundary[1], boundary[0])
    best = np.full(len(p), np.inf)
    for start in range(0, len(q), 20_000):
        chunk = q[start : start + 20_000]
        d2 = (
            np.einsum("ij,ij->i", p, p)[:, None]
            - 2.0 * p @ chunk.T
            + np.einsum("ij,ij->i", chunk, chunk)[None, :]
        )
        best = np.minimum(best, np.sqrt(np.maximum(0.0, d2.min(axis=1))))
    return best


def interiors_meet(a: Outline, b: Outline, margin_m: float = 1.0) -> bool | None:
    """Whether the interiors of two outlines share a point; None when the reference cannot
    tell (boundaries that meet without a boundary point of one ``margin_m`` deep in the
    other, or a circle within ``margin_m`` of touching)."""
    if isinstance(a, Circle) or isinstance(b, Circle):
        circle, other = (a, b) if isinstance(a, Circle) else (b, a)
        assert isinstance(circle, Circle)
        if isinstance(other, Circle):
            d = geodesic_m(circle.lat_deg, circle.lon_deg, other.lat_deg, other.lon_deg)
            centre = Bounds(d - other.radius_m, d - other.radius_m, (0, 0), (0, 0))
        else:
            centre = _point_region(circle.lat_deg, circle.lon_deg, other)
        # the open disc meets the region's interior iff the centre is less than r from it
        if centre.hi < circle.radius_m - margin_m:
            return True
        if centre.lo > circle.radius_m + margin_m:
            return False
        return None
    assert isinstance(a, Polygon) and isinstance(b, Polygon)
    # a witness: a point of the boundary of one more than ``margin_m`` inside the other.
    # Candidates: the vertices and points every kilometre along the edges that are inside;
    # the deepest few by their distance to samples of the other's boundary; then each one's
    # depth by branch and bound.
    for p, q in ((a, b), (b, a)):
        lon, lat = sample(polygon_edges(p), 1_000.0)
        inside = in_polygon(lon, lat, q)
        if not inside.any():
            continue
        lon, lat = lon[inside], lat[inside]
        near = _chord_to_m(lon, lat, sample(polygon_edges(q), 200.0))
        for k in np.argsort(-near)[:16]:
            depth = boundary_distance(point_edges(float(lat[k]), float(lon[k])), polygon_edges(q))
            if depth.lo > margin_m:
                return True
    # none: if the boundaries are apart, no ring is inside the other (its deepest point would
    # have been a witness), so the interiors are apart too
    if boundary_distance(polygon_edges(a), polygon_edges(b)).lo > margin_m:
        return False
    return None


# --- the rule ---------------------------------------------------------------------------------


def volume_conflict(
    a: Volume4D, b: Volume4D, hsep_m: float, vsep_ft: float, tol_m: float
) -> bool | None:
    """The rule of the issue between two volumes, or None when the horizontal distance is
    within ``tol_m`` of ``hsep_m`` (or touching, for H = 0)."""
    if not (a.time_start_s < b.time_end_s and b.time_start_s < a.time_end_s):
        return False
    gap = max(b.alt_lower_ft - a.alt_upper_ft, a.alt_lower_ft - b.alt_upper_ft)
    if not gap < vsep_ft:
        return False
    return horizontal_verdict(a.outline, b.outline, hsep_m, tol_m)


def horizontal_verdict(a: Outline, b: Outline, hsep_m: float, tol_m: float) -> bool | None:
    """The horizontal half of the rule: outlines less than ``hsep_m`` apart (interiors that
    meet, for H = 0), or None when the distance is within ``tol_m`` of ``hsep_m`` (or the
    outlines touch, for H = 0)."""
    if hsep_m == 0.0:
        return interiors_meet(a, b)
    d = region_distance(a, b)
    if d.hi < hsep_m - tol_m:
        return True
    if d.lo >= hsep_m + tol_m:
        return False
    return None


def all_pairs_conflicts(
    plans: list[Plan], hsep_m: float, vsep_ft: float, tol_m: float
) -> dict[tuple[str, str], set[tuple[int, int]] | None]:
    """Every pair of plans of different parties (plan ids in order) with the pairs of volumes
    that conflict under the rule, from the references above; None for a pair of plans whose
    answer hangs on a case the reference cannot tell."""
    out: dict[tuple[str, str], set[tuple[int, int]] | None] = {}
    for x in range(len(plans)):
        for y in range(x + 1, len(plans)):
            a, b = sorted((plans[x], plans[y]), key=lambda p: p.plan_id)
            if a.party == b.party:
                continue
            hits: set[tuple[int, int]] | None = set()
            for i, va in enumerate(a.volumes):
                for j, vb in enumerate(b.volumes):
                    c = volume_conflict(va, vb, hsep_m, vsep_ft, tol_m)
                    if c is None:
                        hits = None
                    elif c and hits is not None:
                        hits.add((i, j))
            if hits is None or hits:
                out[(a.plan_id, b.plan_id)] = hits
    return out


# --- test inputs ------------------------------------------------------------------------------


def destination(lat: float, lon: float, az_deg: float, dist_m: float) -> tuple[float, float]:
    """Where the geodesic leaving (lat, lon) at ``az_deg`` is after ``dist_m`` (lat, lon)."""
    lon2, lat2, _ = GEOD.fwd(lon, lat, az_deg, dist_m)
    return float(lat2), float(lon2)


def star_ring(lat: float, lon: float, azimuths: ArrayLike, radii: ArrayLike) -> F64:
    """A ring of vertices at the given azimuths and geodesic distances from a centre (lon, lat
    rows): star-shaped about the centre when the azimuths increase by less than 180°."""
    az, r = np.asarray(azimuths, dtype=np.float64), np.asarray(radii, dtype=np.float64)
    n = len(az)
    lon2, lat2, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, r)
    return np.column_stack([lon2, lat2]).astype(np.float64)


@st.composite
def places(draw: st.DrawFn) -> tuple[float, float]:
    """(lat, lon): anywhere, at or near a pole, astride the antimeridian, at the equator."""
    kind = draw(st.sampled_from(["anywhere", "pole", "near pole", "antimeridian", "equator"]))
    lon = draw(st.floats(-180.0, 180.0))
    if kind == "pole":
        return draw(st.sampled_from([-90.0, 90.0])), lon
    if kind == "near pole":
        return draw(st.sampled_from([-1.0, 1.0])) * draw(st.floats(80.0, 90.0)), lon
    if kind == "antimeridian":
        lon = draw(st.sampled_from([-1.0, 1.0])) * draw(st.floats(175.0, 180.0))
        return draw(st.floats(-80.0, 80.0)), lon
    if kind == "equator":
        return draw(st.floats(-2.0, 2.0)), lon
    return math.degrees(math.asin(draw(st.floats(-1.0, 1.0)))), lon


@st.composite
def outlines(
    draw: st.DrawFn, lat: float, lon: float, size_m: float, turn_deg: float = 0.0
) -> Outline:
    """A circle, a convex polygon, a star-shaped (non-convex) polygon or a polygon with a hole,
    centred at (lat, lon), reaching ``size_m`` from it. The drawn azimuths are turned by
    ``turn_deg`` (and a hole's by 23.7° more), so that two outlines drawn alike have no edges
    that run parallel (hypothesis likes drawing alike, and the reference cannot bound the
    distance between parallel edges)."""
    kind = draw(st.sampled_from(["circle", "convex", "star", "holed"]))
    if kind == "circle":
        return Circle(lat, lon, size_m)
    n = draw(
        st.integers(3 if kind == "convex" else 5, 16) if kind != "holed" else st.integers(10, 16)
    )
    phase = turn_deg + draw(st.floats(0.0, 360.0))
    jitter = np.array(draw(st.lists(st.floats(-0.3, 0.3), min_size=n, max_size=n)))
    az = phase + (np.arange(n) + jitter) * 360.0 / n
    if kind == "convex":
        radii = np.full(n, size_m)
    else:
        low = 0.7 if kind == "holed" else 0.3
        radii = size_m * np.array(draw(st.lists(st.floats(low, 1.0), min_size=n, max_size=n)))
    if draw(st.booleans()):
        az, radii = az[::-1], radii[::-1]
    rings = [star_ring(lat, lon, az, radii)]
    if kind == "holed":
        m = draw(st.integers(3, 8))
        hole_r = size_m * np.array(draw(st.lists(st.floats(0.1, 0.5), min_size=m, max_size=m)))
        hole_az = turn_deg + 23.7 + draw(st.floats(0, 360)) + np.arange(m) * 360.0 / m
        rings.append(star_ring(lat, lon, hole_az, hole_r))
    return polygon(*rings)


@st.composite
def outline_pairs(
    draw: st.DrawFn, min_size_m: float = 1_000.0, max_size_m: float = 500_000.0
) -> tuple[Outline, Outline]:
    """Two outlines of 1-500 km (log-uniform) somewhere, the second's centre at up to twice
    the sum of their sizes from the first's, in any direction: they may be apart, overlap,
    or one may hold the other or sit in its hole."""
    lat, lon = draw(places())
    log_sizes = st.floats(math.log(min_size_m), math.log(max_size_m))
    s1, s2 = math.exp(draw(log_sizes)), math.exp(draw(log_sizes))
    d = (s1 + s2) * draw(st.floats(0.0, 2.0))
    lat2, lon2 = destination(lat, lon, draw(st.floats(0.0, 360.0)), d)
    a = draw(outlines(lat, lon, s1))
    b = draw(outlines(lat2, lon2, s2, turn_deg=137.5))
    return a, b
