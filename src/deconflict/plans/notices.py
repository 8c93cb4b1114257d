"""Conflict notices that disclose the minimum.

A notice tells one party that one of its plans conflicts with another party's plan. What it
says of the other plan depends on the sharing level of the two parties' agreement:

- ``safety`` (the default): the overlapping time window, the altitude band of the overlap
  and a coarse region (where the conflict is, snapped to a fixed global grid of cells at
  least ``MIN_CELL_M`` wide), with an opaque reference and version for the other plan.
  Never its outline, its other volumes, its identifier, purpose or callsigns.
- ``coordination``: the same, plus the other plan's conflicting volumes in full.

The region of a conflict between two volumes is where the two outlines, each widened by
H / 2, meet (their intersection when H = 0): it lies between the two plans and shows
neither's outline; then every grid cell it touches, whole.

That zone is made in an azimuthal equidistant frame (``plans.geometry``), and its outline
goes back to lon/lat once: grid cells are lon/lat rectangles, so the cells it touches follow
from where its segments cross the rows (``_cells_fast``). The straight lon/lat segments
stray from the zone's outline by at most ``_CHORD_M``; the cells within ``_SLACK_M`` of it
are taken, so that none it touches is missed (a few metres, against cells 10 km or more
across). Zones within 1° of a pole (which may hold one) are tested cell by cell in the frame
instead (``_cells_slow``).
"""

from __future__ import annotations

import functools
import itertools
import math
from array import array
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

import numpy as np
import shapely

from deconflict.geo import WGS84_MIN_CURVATURE_RADIUS_M
from deconflict.plans.check import PlanConflict, Separation
from deconflict.plans.geojson import format_time
from deconflict.plans.geometry import (
    F64,
    GEOD,
    MAX_STEP_M,
    MIN_STEP_M,
    SAGITTA_M,
    Frame,
    circle_sides,
)
from deconflict.plans.volume import Circle, Outline, Plan, Polygon, Volume4D

#: the smallest cell of a region (m)
MIN_CELL_M = 10_000.0
#: a degree of latitude is at least this long (m)
_DEG_LAT_MIN_M = 110_574.0
#: how far a straight lon/lat segment of a zone's outline may stray from the curve it stands
#: for (the image of a straight segment of the frame), m
_CHORD_M = 1.0
#: the fast path takes every cell within this distance of the zone's lon/lat outline (as a
#: lon/lat rectangle around each cell that holds a disc of this radius), m: more than
#: ``_CHORD_M``, so that every cell the zone touches is there whatever the chords do
_SLACK_M = 2.0
#: zones that may reach further from the equator than this (degrees) take the slow path
_FAST_MAX_LAT = 89.0
#: the longest straight lon/lat segment of a zone's outline, m
_MAX_CHORD_STEP_M = 50_000.0
#: a degree of longitude at latitude φ is at least this times cos φ long (m)
_DEG_LON_MIN_M = 111_319.0


class Sharing(StrEnum):
    """What an agreement lets one party learn of the other's plans."""

    SAFETY = "safety"
    COORDINATION = "coordination"


def _rows(cell_m: float) -> tuple[float, int]:
    """The height (degrees) and number of the rows: equal rows that tile -90..90 exactly,
    each at least ``cell_m`` tall (a last, partial row at the north pole would be a cap a
    few km across)."""
    nrows = max(1, math.floor(180.0 * _DEG_LAT_MIN_M / cell_m))
    return 180.0 / nrows, nrows


def _columns(row: int, dlat: float, cell_m: float) -> int:
    poleward = max(abs(-90.0 + row * dlat), abs(-90.0 + (row + 1) * dlat))
    # the parallel's length, at least: cells are at least cell_m wide along it
    width = 360.0 * _DEG_LON_MIN_M * math.cos(math.radians(min(90.0, poleward)))
    return max(1, math.floor(width / cell_m))


def _cell(row: int, col: int, n: int, dlat: float) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a grid cell, degrees."""
    south = -90.0 + row * dlat
    dlon = 360.0 / n
    return (
        -180.0 + col * dlon,
        max(-90.0, south),
        -180.0 + (col + 1) * dlon,
        min(90.0, south + dlat),
    )


@functools.lru_cache(maxsize=512)
def _turns(n: int) -> tuple[F64, F64]:
    """n azimuths (degrees) evenly round from north, and the points of the unit circle at
    them, (n, 2) east and north."""
    az = np.arange(n, dtype=np.float64) * (360.0 / n)
    t = np.radians(az)
    unit = np.column_stack([np.sin(t), np.cos(t)])
    az.flags.writeable = unit.flags.writeable = False  # shared by every call
    return az, unit


def _centre(p: Polygon) -> tuple[float, float]:
    """(lat, lon) near the middle of a polygon: the mean direction of its outer vertices
    (any point near it does as a frame's centre)."""
    x = y = z = 0.0
    for lon, lat in np.radians(p.rings[0]).tolist():
        c = math.cos(lat)
        x, y, z = x + c * math.cos(lon), y + c * math.sin(lon), z + math.sin(lat)
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def _fwd(
    lon: Iterable[float], lat: Iterable[float], az: Iterable[float], dist: Iterable[float]
) -> tuple[Sequence[float], Sequence[float]]:
    """``GEOD.fwd``: where the geodesics end (lon, lat). Through ``array.array`` buffers
    that pyproj fills in place: for the few dozen points here, quicker than lists or numpy
    arrays."""
    lon2, lat2, _ = GEOD.fwd(
        array("d", lon), array("d", lat), array("d", az), array("d", dist), inplace=True
    )
    return lon2, lat2


def _inv(
    lon1: Iterable[float], lat1: Iterable[float], lon2: Iterable[float], lat2: Iterable[float]
) -> tuple[Sequence[float], Sequence[float]]:
    """``GEOD.inv``: the azimuths and lengths of the geodesics, as ``_fwd``."""
    az, _, dist = GEOD.inv(
        array("d", lon1), array("d", lat1), array("d", lon2), array("d", lat2), inplace=True
    )
    return az, dist


def _frame_shapes(
    a: Outline, b: Outline, grow_m: float = 0.0
) -> tuple[Frame, shapely.Geometry, shapely.Geometry]:
    """The two outlines as polygons in one frame, made as ``to_frame`` and
    ``circle_to_frame`` make them (geodesic edges densified so that the straight lines
    between their points stay within ``SAGITTA_M`` of them; a circle as a polygon that
    holds it and strays at most ~50 m outside it), with at most three calls to pyproj;
    circles widened by ``grow_m`` (a circle widened is the circle of the longer radius).

    The frame is centred on a circle when there is one (``a`` first), which is then a
    regular polygon there, with no projection; else near the middle of ``a``. Each edge is
    densified with the step of its own reach (``step_m`` of the farther of its ends from
    the centre: the edge stays in the ball that holds them). A circle off the centre gets
    sides no longer than the step (a regular polygon with more sides, which holds it more
    tightly, rather than densified sides: a side is no longer than its arc, at most radius
    × angle on the ellipsoid). Polygon edges are walked from their lesser end, as
    ``densify`` does, so that an edge two outlines share gets the same points in both.
    (Plain Python lists: for the few dozen points of typical outlines, quicker than
    numpy.)"""
    if isinstance(a, Circle):
        lat0, lon0 = a.lat_deg, a.lon_deg
    elif isinstance(b, Circle):
        lat0, lon0 = b.lat_deg, b.lon_deg
    else:
        lat0, lon0 = _centre(a)
    frame = Frame(lat0, lon0)
    shapes: list[shapely.Geometry] = [None, None]
    # the polygons' vertices, ring by ring, and their edges from the lesser end
    verts: list[list[float]] = []
    ring_sizes: list[int] = []
    far: list[tuple[int, float, float, float]] = []  # (which, lon, lat, radius)
    for i, o in enumerate((a, b)):
        if isinstance(o, Polygon):
            for r in o.rings:
                verts.extend(r.tolist())
                ring_sizes.append(len(r))
        elif (o.lat_deg, o.lon_deg) == (lat0, lon0):
            n = circle_sides(o.radius_m + grow_m)
            r_ = (o.radius_m + grow_m) / math.cos(math.pi / n) + 1.0
            shapes[i] = shapely.polygons(_turns(n)[1] * r_)
        else:
            far.append((i, o.lon_deg, o.lat_deg, o.radius_m + grow_m))
    if not verts and not far:
        return frame, shapes[0], shapes[1]
    nv, nc = len(verts), len(far)
    nxt = list(range(1, nv + 1))
    at = 0
    for size in ring_sizes:
        at += size
        nxt[at - 1] = at - size
    flips = [verts[j] < verts[i] for i, j in enumerate(nxt)]
    lon1 = [lon0] * (nv + nc)
    lat1 = [lat0] * (nv + nc)
    lon2 = [v[0] for v in verts] + [f[1] for f in far]
    lat2 = [v[1] for v in verts] + [f[2] for f in far]
    for i, j in enumerate(nxt):
        s, e = (verts[j], verts[i]) if flips[i] else (verts[i], verts[j])
        lon1.append(s[0])
        lat1.append(s[1])
        lon2.append(e[0])
        lat2.append(e[1])
    # 1: the vertices and the far circles' centres from the frame's centre; the edges
    az, dist = _inv(lon1, lat1, lon2, lat2)
    sin, cos, rad = math.sin, math.cos, math.radians
    xy = [(d * sin(rad(t)), d * cos(rad(t))) for t, d in zip(az[:nv], dist[:nv], strict=True)]
    c_step = 8.0 * WGS84_MIN_CURVATURE_RADIUS_M**2 * SAGITTA_M
    # 2: the points along the long edges (each with the step of its farther end from the
    # centre), and the far circles' vertices
    p_lon: list[float] = []
    p_lat: list[float] = []
    p_az: list[float] = []
    p_d: list[float] = []
    parts: list[int] = []
    for i, j in enumerate(nxt):
        length = dist[nv + nc + i]
        reach = max(dist[i], dist[j], 1.0)
        step = min(MAX_STEP_M, max(MIN_STEP_M, math.sqrt(c_step / reach)))
        k = max(1, math.ceil(length / step))
        parts.append(k)
        if k > 1:
            s = verts[j] if flips[i] else verts[i]
            t = az[nv + nc + i]
            for w in range(1, k):
                p_lon.append(s[0])
                p_lat.append(s[1])
                p_az.append(t)
                p_d.append(length * (((k - w) if flips[i] else w) / k))
    m = len(p_lon)
    sides = []
    for c, (_, lon, lat, radius) in enumerate(far):
        reach = dist[nv + c] + radius / math.cos(math.pi / 16.0) + 1.0
        step = min(MAX_STEP_M, max(MIN_STEP_M, math.sqrt(c_step / reach)))
        n = circle_sides(radius)
        while 2.0 * math.pi * (radius / math.cos(math.pi / n) + 1.0) / n > step:
            n = math.ceil(2.0 * math.pi * (radius / math.cos(math.pi / n) + 1.0) / step)
        sides.append(n)
        p_lon.extend([lon] * n)
        p_lat.extend([lat] * n)
        p_az.extend(_turns(n)[0].tolist())
        p_d.extend([radius / math.cos(math.pi / n) + 1.0] * n)
    new: list[tuple[float, float]] = []
    if p_lon:
        lon_, lat_ = _fwd(p_lon, p_lat, p_az, p_d)
        # 3: those points into the frame
        count = len(lon_)
        az2, d2 = _inv(array("d", [lon0]) * count, array("d", [lat0]) * count, lon_, lat_)
        new = [(d * sin(rad(t)), d * cos(rad(t))) for t, d in zip(az2, d2, strict=True)]
    # the densified rings, each vertex followed by the points of its edge
    at = 0
    vi = 0
    for i, o in enumerate((a, b)):
        if isinstance(o, Polygon):
            rings: list[F64] = []
            for r in o.rings:
                pts: list[tuple[float, float]] = []
                for _ in range(len(r)):
                    pts.append(xy[vi])
                    k = parts[vi] - 1
                    if k:
                        pts.extend(new[at : at + k])
                        at += k
                    vi += 1
                rings.append(np.array(pts))  # (shapely takes arrays much faster than lists)
            shapes[i] = (
                shapely.polygons(rings[0])
                if len(rings) == 1
                else shapely.Polygon(rings[0], rings[1:])
            )
    at = m
    for (i, _, _, _), n in zip(far, sides, strict=True):
        shapes[i] = shapely.polygons(np.array(new[at : at + n]))
        at += n
    return frame, shapes[0], shapes[1]


def _zone(a: Outline, b: Outline, hsep_m: float) -> tuple[Frame, shapely.Geometry]:
    """The conflict zone of two outlines, in a frame: where both, each widened by H / 2,
    meet (a circle widened is the circle of the longer radius; a polygon is widened by
    ``shapely.buffer``, or left as it is when H / 2 is so small that it comes out empty, as
    with 1e-300 m); the midpoint of their nearest points when that has no area (they touch
    at the limit, or are apart)."""
    h = hsep_m / 2.0
    frame, sa, sb = _frame_shapes(a, b, h)
    if h > 0.0:
        if isinstance(a, Polygon) and not shapely.is_empty(grown := shapely.buffer(sa, h)):
            sa = grown
        if isinstance(b, Polygon) and not shapely.is_empty(grown := shapely.buffer(sb, h)):
            sb = grown
    zone = None
    for circle, other in ((a, sb), (b, sa)):
        if isinstance(circle, Circle):
            # the frame is centred on it: when the other lies within its radius, it holds
            # the other (its polygon's sides are all further from the centre), which is then
            # the zone, with no overlay
            xy = shapely.get_coordinates(other)
            if float(np.max(np.einsum("ij,ij->i", xy, xy))) <= (circle.radius_m + h) ** 2:
                zone = other
            break
    if zone is None:
        zone = shapely.intersection(sa, sb)
    if not shapely.area(zone) > 0.0:  # empty, or touching at the limit
        zone = shapely.centroid(shapely.shortest_line(sa, sb))
    return frame, zone


def region_cells(
    a: Outline, b: Outline, hsep_m: float, cell_m: float = MIN_CELL_M
) -> set[tuple[int, int]]:
    """The (row, column) grid cells of the region of a conflict between two outlines: those
    the zone touches (and any within ``_SLACK_M`` of it)."""
    cell_m = max(cell_m, MIN_CELL_M)
    frame, zone = _zone(a, b, hsep_m)
    cells = _cells_fast(frame, zone, cell_m)
    return _cells_slow(frame, zone, cell_m) if cells is None else cells


def _chord_m(lat_deg: float, reach_m: float) -> float:
    """How long a straight lon/lat segment of a zone's outline may be, for it to stay within
    ``_CHORD_M`` of the curve it stands for (the image of a straight segment of the frame),
    for zones no further than ``lat_deg`` from the equator and ``reach_m`` from the frame's
    centre.

    The segment strays by at most κ L² / 8, κ bounding how the curve turns against lon/lat
    straight lines: a geodesic by at most about 1.1 tan φ / R (Clairaut's relation), the
    frame's straight lines against geodesics by at most about ρ / R² (R the least radius of
    curvature); both doubled here (``test_chords_follow_the_zone`` measures it)."""
    r = WGS84_MIN_CURVATURE_RADIUS_M
    kappa = 2.0 * math.tan(math.radians(lat_deg)) / r + 2.0 * reach_m / r**2
    if kappa <= 0.0:
        return _MAX_CHORD_STEP_M
    return min(_MAX_CHORD_STEP_M, math.sqrt(8.0 * _CHORD_M / kappa))


@functools.lru_cache(maxsize=4096)
def _per_degree(row: int, cell_m: float) -> float:
    """Columns per degree of longitude of a row."""
    dlat, _ = _rows(cell_m)
    return _columns(row, dlat, cell_m) / 360.0


def _cells_fast(frame: Frame, zone: shapely.Geometry, cell_m: float) -> set[tuple[int, int]] | None:
    """The cells within ``_SLACK_M`` of the zone, found in lon/lat; None when the zone may
    come within 1° of a pole (it may hold one), or is no polygon, multipolygon or point.

    The zone's outline goes back to lon/lat once, densified first so that the straight
    lon/lat segments between its points stay within ``_CHORD_M`` of it. Grid cells are
    lon/lat rectangles: the cells a segment touches follow from where it crosses the rows
    (each widened by the slack); a cell between two touched ones in a row is wholly in the
    zone or wholly out of it, as the middle of the row is there: in when an odd number of
    segments cross that line west of it. (Plain Python: for the few dozen points of a
    typical zone, quicker than numpy.)"""
    lat0, lon0 = frame.lat_deg, frame.lon_deg
    kind = int(shapely.get_type_id(zone))
    if kind not in (0, 3, 6):
        return None
    x_lo, y_lo, x_hi, y_hi = shapely.bounds(zone).tolist()
    rho = math.hypot(max(-x_lo, x_hi), max(-y_lo, y_hi))  # from the centre, at most (m)
    # no point of the zone is further from the equator than this (a degree of latitude is
    # at least _DEG_LAT_MIN_M long); within 1° of a pole, the slow path
    phi = abs(lat0) + rho / _DEG_LAT_MIN_M
    if phi > _FAST_MAX_LAT:
        return None
    # the rings, closed (the last point is the first again); a point is a ring of one
    if kind == 3 and shapely.get_num_interior_rings(zone) == 0:
        coords = shapely.get_coordinates(zone).tolist()
        rings = [coords[:-1]]
    elif kind == 0:
        rings = [shapely.get_coordinates(zone).tolist()]
    else:
        xy, which = shapely.get_coordinates(
            shapely.get_rings(shapely.get_parts(zone)), return_index=True
        )
        bounds = [0, *(np.flatnonzero(np.diff(which)) + 1).tolist(), len(xy)]
        coords = xy.tolist()
        rings = [coords[i : j - 1] for i, j in itertools.pairwise(bounds)]
    # each ring's points, with more on its long segments, as azimuths and distances from
    # the frame's centre
    chord = _chord_m(phi, rho)
    az: list[float] = []
    dist: list[float] = []
    ends: list[int] = []
    atan2, hypot, degrees = math.atan2, math.hypot, math.degrees
    for ring in rings:
        xp, yp = ring[-1]
        for xq, yq in ring:
            length = hypot(xq - xp, yq - yp)
            if length > chord:
                k = math.ceil(length / chord)
                for w in range(1, k):
                    u, v = xp + (xq - xp) * w / k, yp + (yq - yp) * w / k
                    az.append(degrees(atan2(u, v)))
                    dist.append(hypot(u, v))
            az.append(degrees(atan2(xq, yq)))
            dist.append(hypot(xq, yq))
            xp, yp = xq, yq
        ends.append(len(az))
    n = len(az)
    lon_, y = _fwd(array("d", [lon0]) * n, array("d", [lat0]) * n, az, dist)
    # longitudes from the centre's meridian on, past ±180° if need be: the zone is less
    # than 90° of longitude from it (it keeps 1° from the poles and is closer to the centre
    # than the centre is to them), and its points are close together, so no segment
    # crosses the opposite meridian
    x = [(lon - lon0 + 180.0) % 360.0 - 180.0 for lon in lon_]
    if max(x) >= 90.0 or min(x) <= -90.0:  # never, as said: a guard
        return None
    floor = math.floor
    dlat, _ = _rows(cell_m)
    d_lat = _SLACK_M / _DEG_LAT_MIN_M
    lo_off, hi_off = 90.0 - d_lat, 90.0 + d_lat
    y_min, y_max = min(y), max(y)
    d_lon = _SLACK_M / (
        _DEG_LON_MIN_M * math.cos(math.radians(min(max(-y_min, y_max) + 0.01, 90.0)))
    )
    west, east = lon0 + 180.0 - d_lon, lon0 + 180.0 + d_lon  # columns count from -180°
    row_min = floor((y_min + lo_off) / dlat)
    rows = range(row_min, floor((y_max + hi_off) / dlat) + 1)
    per = [_per_degree(r, cell_m) for r in rows]  # columns per degree of longitude
    mid = [(r + 0.5) * dlat - 90.0 for r in rows]
    # the touched cells of each row (columns from -180°, not wrapped), and where segments
    # cross the middle of the row (half-open: a point on the line counts once)
    touched: list[set[int]] = [set() for _ in rows]
    crossings: list[list[float]] = [[] for _ in rows]
    start = 0
    for end in ends:
        # each segment of the ring (from the point before), in each row it meets (widened
        # by d_lat), over the columns its part in that row meets (widened by d_lon)
        xp, yp = x[end - 1], y[end - 1]
        for i in range(start, end):
            xq, yq = x[i], y[i]
            if yp <= yq:
                j0, j1 = (
                    floor((yp + lo_off) / dlat) - row_min,
                    floor((yq + hi_off) / dlat) - row_min,
                )
            else:
                j0, j1 = (
                    floor((yq + lo_off) / dlat) - row_min,
                    floor((yp + hi_off) / dlat) - row_min,
                )
            if j0 == j1:  # all of the segment in one row
                p = per[j0]
                if xp <= xq:
                    c0, c1 = floor((xp + west) * p), floor((xq + east) * p)
                else:
                    c0, c1 = floor((xq + west) * p), floor((xp + east) * p)
                if c0 == c1:
                    touched[j0].add(c0)
                else:
                    touched[j0].update(range(c0, c1 + 1))
                ym = mid[j0]
                if (yp <= ym) != (yq <= ym):
                    crossings[j0].append(xp + (xq - xp) * (ym - yp) / (yq - yp))
            else:
                for j in range(j0, j1 + 1):
                    if yp == yq:  # along a parallel, near a row's edge: all of it
                        u, v = (xp, xq) if xp <= xq else (xq, xp)
                    else:  # the part of the segment in the widened row
                        s = (j + row_min) * dlat - 90.0
                        ta = (s - d_lat - yp) / (yq - yp)
                        tb = (s + dlat + d_lat - yp) / (yq - yp)
                        if ta > tb:
                            ta, tb = tb, ta
                        u = xp + (xq - xp) * max(ta, 0.0)
                        v = xp + (xq - xp) * min(tb, 1.0)
                        if u > v:
                            u, v = v, u
                    p = per[j]
                    touched[j].update(range(floor((u + west) * p), floor((v + east) * p) + 1))
                    ym = mid[j]
                    if (yp <= ym) != (yq <= ym):
                        crossings[j].append(xp + (xq - xp) * (ym - yp) / (yq - yp))
            xp, yp = xq, yq
        start = end
    out: set[tuple[int, int]] = set()
    for j, cols in enumerate(touched):
        if not cols:
            continue
        r, m = j + row_min, round(per[j] * 360.0)
        lo, hi = min(cols), max(cols)
        if lo >= 0 and hi < m:
            out.update(zip(itertools.repeat(r), cols))
        else:
            out.update((r, c % m) for c in cols)
        if kind == 0 or hi - lo < len(cols):
            continue
        # gaps between touched cells: in the zone whole, or out of it whole
        for a, b in itertools.pairwise(sorted(cols)):
            if b > a + 1:
                centre = (a + 1.5) / per[j] - 180.0 - lon0
                if sum(1 for xc in crossings[j] if xc < centre) % 2 == 1:
                    out.update((r, c % m) for c in range(a + 1, b))
    return out


def _cells_slow(frame: Frame, zone: shapely.Geometry, cell_m: float) -> set[tuple[int, int]]:
    """The cells the zone touches, each candidate tested in the frame, its edges as 32
    points there (the way of zones near a pole, which ``_cells_fast`` leaves)."""
    # the zone's extent in latitude and longitude (longitudes unwrapped around the frame)
    boundary = shapely.get_coordinates(shapely.segmentize(shapely.boundary(zone), 1000.0))
    if len(boundary) == 0:
        boundary = shapely.get_coordinates(zone)
    lon, lat = frame.inverse(boundary[:, 0], boundary[:, 1])
    dlat, nrows = _rows(cell_m)
    pole = [
        p
        for p in (90.0, -90.0)
        if shapely.contains_xy(zone, *(v[0] for v in frame.forward(np.array([0.0]), np.array([p]))))
    ]
    south = -90.0 if -90.0 in pole else float(lat.min())
    north = 90.0 if 90.0 in pole else float(lat.max())
    rel = (lon - frame.lon_deg + 180.0) % 360.0 - 180.0
    everywhere = bool(pole) or float(rel.max() - rel.min()) > 180.0
    out: set[tuple[int, int]] = set()
    candidates: list[tuple[int, int]] = []
    corners: list[tuple[float, float, float, float]] = []
    for row in range(
        max(0, math.floor((south + 90.0) / dlat)), min(nrows, math.floor((north + 90.0) / dlat) + 1)
    ):
        n = _columns(row, dlat, cell_m)
        if n == 1:
            out.add((row, 0))
            continue
        if everywhere:
            cols = range(n)
        else:
            w = frame.lon_deg + float(rel.min())
            e = frame.lon_deg + float(rel.max())
            first = math.floor((w + 180.0) / (360.0 / n))
            last = math.floor((e + 180.0) / (360.0 / n))
            cols = range(first, last + 1)
        for col in cols:
            col %= n
            candidates.append((row, col))
            corners.append(_cell(row, col, n, dlat))
    if candidates:
        # every candidate cell at once: its edges (parallels and meridians) as 8 points
        # each, into the frame in one call, then one vectorised test
        c = np.asarray(corners)
        ring = np.stack(
            [c[:, [0, 1]], c[:, [2, 1]], c[:, [2, 3]], c[:, [0, 3]]], axis=1
        )  # (k, 4, 2)
        t = np.linspace(0.0, 1.0, 8, endpoint=False)
        nxt = np.concatenate((ring[:, 1:], ring[:, :1]), axis=1)
        pts = ring[:, :, None, :] + (nxt - ring)[:, :, None, :] * t[None, None, :, None]
        pts = pts.reshape(len(c), 32, 2)
        x, y = frame.forward(pts[..., 0].ravel(), pts[..., 1].ravel())
        boxes = shapely.polygons(np.stack([x, y], axis=-1).reshape(len(c), 32, 2))
        hit = shapely.intersects(boxes, zone)
        out.update(cell for cell, h in zip(candidates, hit, strict=True) if h)
    return out


def region_geojson(cells: set[tuple[int, int]], cell_m: float) -> dict[str, Any]:
    """A MultiPolygon of the cells (lon/lat rectangles)."""
    cell_m = max(cell_m, MIN_CELL_M)
    dlat, _ = _rows(cell_m)
    polygons = []
    rows: dict[int, tuple[int, float, float]] = {}  # columns, south and north of each row
    for row, col in sorted(cells):
        if row not in rows:
            n = _columns(row, dlat, cell_m)
            _, south, _, north = _cell(row, 0, n, dlat)
            rows[row] = (n, round(south, 6), round(north, 6))
        n, s, nn = rows[row]
        w, _, e, _ = _cell(row, col, n, dlat)
        w, e = round(w, 6), round(e, 6)
        polygons.append([[[w, s], [e, s], [e, nn], [w, nn], [w, s]]])
    return {"type": "MultiPolygon", "coordinates": polygons}


def volume_feature(volume: Volume4D) -> dict[str, Any]:
    """One volume as a GeoJSON Feature (the format ``plans check`` reads, less the ids)."""
    props: dict[str, Any] = {
        "alt_lower_ft": volume.alt_lower_ft,
        "alt_upper_ft": volume.alt_upper_ft,
        "time_start": format_time(volume.time_start_s),
        "time_end": format_time(volume.time_end_s),
    }
    o = volume.outline
    if isinstance(o, Circle):
        geometry: dict[str, Any] = {"type": "Point", "coordinates": [o.lon_deg, o.lat_deg]}
        props["radius_m"] = o.radius_m
    else:
        rings = [np.vstack([r, r[:1]]).tolist() for r in o.rings]
        geometry = {"type": "Polygon", "coordinates": rings}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def notice(
    conflict: PlanConflict,
    own: Plan,
    other: Plan,
    other_ref: str,
    sharing: Sharing,
    sep: Separation,
    cell_m: float = MIN_CELL_M,
    regions: dict[tuple[int, int], set[tuple[int, int]]] | None = None,
) -> dict[str, Any]:
    """The notice of ``conflict`` for the party of ``own``, disclosing of ``other`` only what
    ``sharing`` allows. ``other_ref`` is the opaque reference the store gives ``other``.

    The region is computed from plan_a's volume to plan_b's, so that both parties' notices
    show the same cells; ``regions`` (by (index_a, index_b)) keeps them for the other one.
    """
    own_is_a = conflict.plan_a == own.plan_id
    a, b = (own, other) if own_is_a else (other, own)
    regions = {} if regions is None else regions
    cells: set[tuple[int, int]] = set()
    for v in conflict.volumes:
        key = (v.index_a, v.index_b)
        if key not in regions:
            regions[key] = region_cells(
                a.volumes[v.index_a].outline, b.volumes[v.index_b].outline, sep.hsep_m, cell_m
            )
        cells |= regions[key]
    pairs = [
        (v.index_a, v.index_b) if own_is_a else (v.index_b, v.index_a) for v in conflict.volumes
    ]
    body: dict[str, Any] = {
        "kind": "plan_conflict",
        "sharing": str(sharing),
        "own_plan": own.plan_id,
        "own_version": own.version,
        "own_volumes": sorted({i for i, _ in pairs}),
        "other_party": other.party,
        "other_plan_ref": other_ref,
        "other_version": other.version,
        "time_start": format_time(conflict.time_start_s),
        "time_end": format_time(conflict.time_end_s),
        "alt_lower_ft": conflict.alt_lower_ft,
        "alt_upper_ft": conflict.alt_upper_ft,
        "hsep_m": sep.hsep_m,
        "vsep_ft": sep.vsep_ft,
        "region_cell_m": max(cell_m, MIN_CELL_M),
        "region": region_geojson(cells, cell_m),
    }
    if sharing is Sharing.COORDINATION:
        body["other_plan"] = other.plan_id
        body["other_volumes"] = {
            "type": "FeatureCollection",
            "features": [volume_feature(other.volumes[j]) for j in sorted({j for _, j in pairs})],
        }
    return body
