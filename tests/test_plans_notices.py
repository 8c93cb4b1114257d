"""The region of a conflict notice (``notices.region_cells``): its fast path, which finds the
cells in lon/lat, against two references on random outlines anywhere, and its edges (the
antimeridian, near and at a pole, outlines that touch at the limit, tiny H, zones with holes
or in parts, zones many cells wide).

The references:

- ``sampled_cells``: points of the zone (a grid of its inside and its outline every 50 m),
  taken to lon/lat exactly (``pyproj.Geod``) and put in their cells by the grid's own
  arithmetic. The fast path must hold every one of these cells, with no tolerance: its
  slack (``notices._SLACK_M``, 2 m) is there for the straight lon/lat segments that stand
  for the zone's outline, which stray from it by at most ``notices._CHORD_M`` (1 m,
  measured by ``test_chords_follow_the_zone``). It may add cells the zone does not touch,
  but only within ``EXTRA_M`` of it.
- ``old_region_cells``: the algorithm the fast path replaced, as it was: the zone made with
  ``geometry.to_frame`` and ``circle_to_frame`` in a frame centred on ``a``'s cap (here),
  each candidate cell tested in the frame as 32 points (``notices._cells_slow``, which the
  module keeps for zones near a pole). Its widened outlines differ from ``notices._zone``'s
  by up to ``zone_diff_m(H)``; beyond that, both find the same cells.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

import plans_reference as ref
from deconflict.plans import notices
from deconflict.plans.geometry import (
    GEOD,
    Frame,
    cap,
    circle_to_frame,
    geodesic_m,
    to_frame,
)
from deconflict.plans.notices import region_cells
from deconflict.plans.validate import outline_problem
from deconflict.plans.volume import Circle, Outline, Polygon, polygon

Cells = set[tuple[int, int]]

#: how far from the zone a cell of the fast path may be that the zone does not touch (m):
#: the slack is a lon/lat rectangle 2 m across in longitude at the zone's highest latitude,
#: wider in metres where the zone reaches lower latitudes (up to ~3.5 times near 89°, for
#: the zones here), and its corners are √2 further; plus the 1 m the chords may stray
EXTRA_M = 15.0


def zone_diff_m(hsep_m: float) -> float:
    """How far the widened outlines of ``notices._zone`` and of ``old_region_cells`` may be
    apart (m). ``old_region_cells`` widens circles' polygons with ``shapely.buffer``, whose
    arcs are chords 11.25° apart, inside the true widened outline by up to
    (H / 2)(1 - cos 5.625°) ≈ 0.0048 H / 2 (120 m for H = 50 km); ``_zone`` widens a circle
    exactly (the circle of radius r + H / 2, as a polygon up to ~50 m outside it). A circle
    off the frame's centre is a regular polygon with sides no longer than the densification
    step (not a coarser polygon with densified sides), up to ~50 m from the old one. And
    the frames' centres differ, which widens H / 2 differently by a few metres (a frame
    stretches distances across its radii by up to ~ρ² / 6R²)."""
    return 60.0 + 0.005 * hsep_m / 2.0


#: where points of the zone are sampled along its outline (m)
OUTLINE_STEP_M = 50.0


# --- references -----------------------------------------------------------------------------


def cells_of(lon: np.ndarray, lat: np.ndarray, cell_m: float) -> Cells:
    """The cell of each point, by the grid's arithmetic (a point on a cell's edge: the cell
    east or north of it)."""
    dlat, nrows = notices._rows(cell_m)
    out: Cells = set()
    for x, y in zip(lon.tolist(), lat.tolist(), strict=True):
        row = min(nrows - 1, max(0, math.floor((y + 90.0) / dlat)))
        n = notices._columns(row, dlat, cell_m)
        col = math.floor(((x + 180.0) % 360.0) / (360.0 / n)) % n
        out.add((row, col))
    return out


def zone_points(zone: shapely.Geometry, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Points of a zone, in its frame: a grid of its inside (a quarter of a cell apart, at
    most ~4,000 points) and its outline every ``OUTLINE_STEP_M``."""
    if shapely.get_type_id(zone) == 0:
        point = shapely.get_coordinates(zone)
        return point[:, 0], point[:, 1]
    x0, y0, x1, y1 = shapely.bounds(zone)
    step = max(cell_m / 4.0, math.sqrt((x1 - x0) * (y1 - y0) / 4_000.0))
    mx, my = np.meshgrid(np.arange(x0, x1, step), np.arange(y0, y1, step))
    gx, gy = mx.ravel(), my.ravel()
    inside = shapely.contains_xy(zone, gx, gy)
    edge = shapely.get_coordinates(shapely.segmentize(shapely.boundary(zone), OUTLINE_STEP_M))
    return np.concatenate([gx[inside], edge[:, 0]]), np.concatenate([gy[inside], edge[:, 1]])


def sampled_cells(frame: Frame, zone: shapely.Geometry, cell_m: float) -> Cells:
    """The cells of points of the zone, taken to lon/lat exactly."""
    x, y = zone_points(zone, cell_m)
    lon, lat = frame.inverse(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return cells_of(lon, lat, cell_m)


def cell_in_frame(frame: Frame, cell: tuple[int, int], cell_m: float) -> shapely.Geometry:
    """A grid cell as a polygon in a frame, 64 points along each edge (a chord of a
    parallel strays from it by centimetres)."""
    dlat, _ = notices._rows(cell_m)
    row, col = cell
    w, s, e, n = notices._cell(row, col, notices._columns(row, dlat, cell_m), dlat)
    t = np.linspace(0.0, 1.0, 64, endpoint=False)
    lon = np.concatenate([w + (e - w) * t, np.full(64, e), e + (w - e) * t, np.full(64, w)])
    lat = np.concatenate([np.full(64, s), s + (n - s) * t, np.full(64, n), n + (s - n) * t])
    x, y = frame.forward(lon, lat)
    return shapely.Polygon(np.column_stack([x, y]))


def old_region_cells(
    a: Outline, b: Outline, hsep_m: float, cell_m: float
) -> tuple[Cells, Frame, shapely.Geometry, shapely.Geometry, shapely.Geometry]:
    """``region_cells`` as it was before the fast path; and its frame, zone and the two
    outlines' shapes in it."""
    cell_m = max(cell_m, notices.MIN_CELL_M)
    ca, cb = cap(a), cap(b)
    az_dist = geodesic_m(ca.lat_deg, ca.lon_deg, cb.lat_deg, cb.lon_deg)
    frame = Frame(ca.lat_deg, ca.lon_deg)
    reach = az_dist + ca.radius_m + cb.radius_m + hsep_m

    def shape(o: Outline) -> shapely.Geometry:
        return (
            circle_to_frame(frame, o, reach) if isinstance(o, Circle) else to_frame(frame, o, reach)
        )

    sa, sb = shape(a), shape(b)
    zone = shapely.intersection(sa, sb)
    if hsep_m > 0.0:
        widened = shapely.intersection(
            shapely.buffer(sa, hsep_m / 2.0), shapely.buffer(sb, hsep_m / 2.0)
        )
        if not shapely.is_empty(widened):
            zone = widened
    if shapely.is_empty(zone) or shapely.area(zone) <= 0.0:
        zone = shapely.centroid(shapely.shortest_line(sa, sb))
    return notices._cells_slow(frame, zone, cell_m), frame, zone, sa, sb


def check_fast_path(a: Outline, b: Outline, hsep_m: float, cell_m: float) -> Cells | None:
    """region_cells against the sampled cells of its own zone; the fast path's cells (None
    where it left the zone to the slow path)."""
    frame, zone = notices._zone(a, b, hsep_m)
    fast = notices._cells_fast(frame, zone, cell_m)
    got = region_cells(a, b, hsep_m, cell_m)
    if fast is None:
        assert got == notices._cells_slow(frame, zone, cell_m)
        return None
    assert got == fast
    want = sampled_cells(frame, zone, cell_m)
    assert want <= fast, sorted(want - fast)
    for cell in fast - want:
        d = shapely.distance(cell_in_frame(frame, cell, cell_m), zone)
        assert d <= EXTRA_M, (cell, d)
    return fast


def valid(*outlines: Outline) -> bool:
    return all(outline_problem(o) is None for o in outlines)


# --- random outlines --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    pair=ref.outline_pairs(max_size_m=300_000.0),
    hsep_m=st.sampled_from([0.0, 9_260.0, 50_000.0]),
    cell_m=st.floats(10_000.0, 100_000.0),
)
def test_fast_path_holds_the_zone(
    pair: tuple[Outline, Outline], hsep_m: float, cell_m: float
) -> None:
    """Outlines of 1-300 km anywhere (poles, antimeridian, equator), apart or meeting: every
    cell a point of the zone is in, and only cells within EXTRA_M of it."""
    a, b = pair
    assume(valid(a, b))
    fast = check_fast_path(a, b, hsep_m, cell_m)
    event("slow path" if fast is None else "fast path")


@settings(max_examples=100, deadline=None)
@given(
    pair=ref.outline_pairs(max_size_m=300_000.0),
    hsep_m=st.sampled_from([0.0, 9_260.0, 50_000.0]),
    cell_m=st.floats(10_000.0, 100_000.0),
)
def test_region_is_the_old_one(pair: tuple[Outline, Outline], hsep_m: float, cell_m: float) -> None:
    """Against the algorithm it replaced, for zones with an area, with the outlines' shapes
    allowed to differ by D = zone_diff_m(H): every cell the old shapes, each widened by
    H / 2 - D, meet in is found; every cell found is within EXTRA_M of where they meet when
    widened by H / 2 + D. (Not the distance to the old zone: where
    outlines graze each other, metres across the outlines move the ends of the zone by
    kilometres along them.)"""
    a, b = pair
    assume(valid(a, b))
    _, zone = notices._zone(a, b, hsep_m)
    old, frame, old_zone, sa, sb = old_region_cells(a, b, hsep_m, cell_m)
    assume(shapely.area(zone) > 0.0 and shapely.area(old_zone) > 0.0)
    new = region_cells(a, b, hsep_m, cell_m)
    h, diff = hsep_m / 2.0, zone_diff_m(hsep_m)
    inner = shapely.intersection(shapely.buffer(sa, h - diff), shapely.buffer(sb, h - diff))
    outer = shapely.intersection(shapely.buffer(sa, h + diff), shapely.buffer(sb, h + diff))
    for cell in old - new:
        assert not shapely.intersects(cell_in_frame(frame, cell, cell_m), inner), cell
    for cell in new - old:
        d = shapely.distance(cell_in_frame(frame, cell, cell_m), outer)
        assert d <= EXTRA_M, (cell, d)
    event("same cells" if old == new else "cells differ near the zone's outline")


@settings(max_examples=100, deadline=None)
@given(pair=ref.outline_pairs(max_size_m=300_000.0))
def test_frame_shapes_follow_the_outlines(pair: tuple[Outline, Outline]) -> None:
    """A polygon's shape is within 0.25 m of ``to_frame``'s in the same frame (both within
    0.1 m of the geodesic edges); a circle's holds the circle (its points 1 m inside the
    circle's edge, taken to the frame exactly) and strays at most ~50 m outside it."""
    a, b = pair
    assume(valid(a, b))
    frame, sa, sb = notices._frame_shapes(a, b)
    for outline, shape in ((a, sa), (b, sb)):
        assert shapely.is_valid(shape)
        if isinstance(outline, Polygon):
            want = to_frame(frame, outline, 20_000_000.0)
            assert shapely.hausdorff_distance(shape, want, densify=0.1) <= 0.25
            continue
        n = 720
        lon, lat, _ = GEOD.fwd(
            np.full(n, outline.lon_deg),
            np.full(n, outline.lat_deg),
            np.linspace(0.0, 360.0, n, endpoint=False),
            np.full(n, outline.radius_m - 1.0),
        )
        x, y = frame.forward(np.asarray(lon), np.asarray(lat))
        assert shapely.contains_xy(shape, x, y).all()
        corners = shapely.get_coordinates(shape)
        clon, clat = frame.inverse(corners[:, 0], corners[:, 1])
        _, _, d = GEOD.inv(
            np.full(len(clon), outline.lon_deg), np.full(len(clon), outline.lat_deg), clon, clat
        )
        assert float(np.max(d)) <= outline.radius_m + 52.0


def test_chords_follow_the_zone() -> None:
    """A straight segment of the frame, as long as ``_chord_m`` allows where it is, goes to
    lon/lat as a curve that the straight lon/lat segment between its ends stays within
    ``_CHORD_M`` of (measured from each of 41 points of the curve to the point of the chord
    at the same fraction, which is at least as far as the chord itself)."""
    rng = np.random.default_rng(7)
    worst = 0.0
    for _ in range(3_000):
        lat0, lon0 = float(rng.uniform(-88.9, 88.9)), float(rng.uniform(-180.0, 180.0))
        room = (notices._FAST_MAX_LAT - abs(lat0)) * notices._DEG_LAT_MIN_M
        rho = float(rng.uniform(0.0, min(room, 1_500_000.0)))
        length = notices._chord_m(abs(lat0) + rho / notices._DEG_LAT_MIN_M, rho)
        th, heading = rng.uniform(0.0, 2.0 * math.pi, 2)
        p = np.array([math.sin(th), math.cos(th)]) * rng.uniform(0.0, max(0.0, rho - length))
        q = p + length * np.array([math.sin(heading), math.cos(heading)])
        t = np.linspace(0.0, 1.0, 41)
        pts = p[None, :] + (q - p)[None, :] * t[:, None]
        lon, lat = Frame(lat0, lon0).inverse(pts[:, 0], pts[:, 1])
        lon = np.unwrap(lon, period=360.0)
        chord_lon = lon[0] + (lon[-1] - lon[0]) * t
        chord_lat = lat[0] + (lat[-1] - lat[0]) * t
        east = (lon - chord_lon) * 111_320.0 * np.cos(np.radians(lat))
        north = (lat - chord_lat) * 111_700.0
        worst = max(worst, float(np.max(np.hypot(east, north))))
    assert worst <= notices._CHORD_M, worst


# --- edges ---------------------------------------------------------------------------------------


def star(lat: float, lon: float, radius_m: float, n: int = 9, turn: float = 7.0) -> Polygon:
    return polygon(ref.star_ring(lat, lon, np.arange(n) * 360.0 / n + turn, np.full(n, radius_m)))


@pytest.mark.parametrize("lon", [180.0, -180.0, 179.99, -179.95])
@pytest.mark.parametrize("hsep_m", [0.0, 9_260.0])
def test_region_astride_the_antimeridian(lon: float, hsep_m: float) -> None:
    a = Circle(50.0, lon, 40_000.0)
    b_lat, b_lon = ref.destination(50.0, lon, 100.0, 30_000.0)
    b = star(b_lat, b_lon, 35_000.0)
    fast = check_fast_path(a, b, hsep_m, 10_000.0)
    assert fast is not None
    dlat, _ = notices._rows(10_000.0)
    row = math.floor(140.0 / dlat)
    n = notices._columns(row, dlat, 10_000.0)
    assert (row, 0) in fast and (row, n - 1) in fast


@pytest.mark.parametrize("lat", [88.0, -88.3, 85.0])
def test_region_near_a_pole_takes_the_fast_path(lat: float) -> None:
    a = Circle(lat, 30.0, 20_000.0)
    b_lat, b_lon = ref.destination(lat, 30.0, 45.0, 25_000.0)
    b = star(b_lat, b_lon, 20_000.0)
    assert check_fast_path(a, b, 9_260.0, 10_000.0) is not None


@pytest.mark.parametrize("pole", [90.0, -90.0])
@pytest.mark.parametrize("hsep_m", [0.0, 9_260.0])
def test_region_at_a_pole_takes_the_slow_path(pole: float, hsep_m: float) -> None:
    """A zone that holds a pole (or comes within 1° of one) is the slow path's: all the
    columns of its rows."""
    a = Circle(pole, 0.0, 30_000.0)
    b_lat, b_lon = ref.destination(pole, 0.0, 120.0, 20_000.0)
    b = Circle(b_lat, b_lon, 25_000.0)
    assert check_fast_path(a, b, hsep_m, 10_000.0) is None
    cells = region_cells(a, b, hsep_m, 10_000.0)
    _, nrows = notices._rows(10_000.0)
    pole_row = nrows - 1 if pole > 0 else 0
    assert (pole_row, 0) in cells


@pytest.mark.parametrize(("lon", "lat"), [(5.0, 45.0), (179.8, -60.0), (-0.15, 0.0)])
def test_outlines_that_touch_at_a_corner(lon: float, lat: float) -> None:
    """Outlines that only touch, at a vertex of both: the zone with H = 0 is that point; the
    region is its cell (and any within the slack: at most the 4 around a grid corner)."""
    a = polygon([(lon, lat), (lon + 0.3, lat), (lon + 0.3, lat + 0.2), (lon, lat + 0.2)])
    b = polygon(
        [
            (lon + 0.3, lat + 0.2),
            (lon + 0.5, lat + 0.2),
            (lon + 0.5, lat + 0.4),
            (lon + 0.3, lat + 0.4),
        ]
    )
    _, zone = notices._zone(a, b, 0.0)
    assert shapely.get_type_id(zone) == 0
    fast = check_fast_path(a, b, 0.0, 10_000.0)
    assert fast is not None and 1 <= len(fast) <= 4
    corner = (lon + 0.3 + 180.0) % 360.0 - 180.0
    assert cells_of(np.array([corner]), np.array([lat + 0.2]), 10_000.0) <= fast


def test_squares_that_share_an_edge() -> None:
    """Two polygons that share an edge (given by the same two vertices) and do not overlap:
    their shapes touch along it, and the zone with H = 0 is a point of it."""
    a = polygon([(5.0, 45.0), (5.3, 45.0), (5.3, 45.2), (5.0, 45.2)])
    b = polygon([(5.3, 45.0), (5.6, 45.0), (5.6, 45.2), (5.3, 45.2)])
    _, zone = notices._zone(a, b, 0.0)
    assert shapely.get_type_id(zone) == 0
    fast = check_fast_path(a, b, 0.0, 10_000.0)
    assert fast is not None and len(fast) <= 4


@pytest.mark.parametrize("hsep_m", [1e-300, 2.2e-311, 1e-12])
def test_region_with_a_tiny_hsep_is_that_of_the_overlap(hsep_m: float) -> None:
    """H / 2 so small that the widened outlines come out empty: the overlap's cells."""
    a = star(45.0, 5.0, 30_000.0)
    b = Circle(45.1, 5.2, 25_000.0)
    assert region_cells(a, b, hsep_m) == region_cells(a, b, 0.0)
    check_fast_path(a, b, hsep_m, 10_000.0)


def test_zone_with_a_hole() -> None:
    """A ring with a hole over a circle that covers the hole: the zone has a hole many
    cells wide, and the cells deep inside the hole are not in the region."""
    lat, lon = 40.0, -100.0
    outer = ref.star_ring(lat, lon, np.arange(12) * 30.0 + 5.0, np.full(12, 120_000.0))
    hole = ref.star_ring(lat, lon, np.arange(10) * 36.0 + 11.0, np.full(10, 70_000.0))
    a = polygon(outer, hole)
    b = Circle(lat, lon + 0.3, 100_000.0)
    _, zone = notices._zone(a, b, 9_260.0)
    assert sum(len(shapely.get_rings(p)) for p in shapely.get_parts(zone)) >= 2
    fast = check_fast_path(a, b, 9_260.0, 10_000.0)
    assert fast is not None
    assert cells_of(np.array([lon]), np.array([lat]), 10_000.0).isdisjoint(fast)


def test_zone_in_two_parts() -> None:
    """A U and a bar across both its arms: a zone in two parts, each with its cells, none
    between them."""
    u = polygon(
        [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.8, 1.0), (0.8, 0.2), (0.2, 0.2), (0.2, 1.0),
         (0.0, 1.0)]
    )  # fmt: skip
    bar = polygon([(-0.1, 0.7), (1.1, 0.7), (1.1, 0.8), (-0.1, 0.8)])
    _, zone = notices._zone(u, bar, 0.0)
    assert shapely.get_type_id(zone) == 6
    fast = check_fast_path(u, bar, 0.0, 10_000.0)
    assert fast is not None
    assert cells_of(np.array([0.5]), np.array([0.75]), 10_000.0).isdisjoint(fast)


@pytest.mark.parametrize("cell_m", [10_000.0, 37_000.0])
def test_zone_many_cells_wide_is_filled(cell_m: float) -> None:
    """Two large circles that overlap: the cells inside the zone that no segment of its
    outline touches are there too."""
    a = Circle(-35.0, 150.0, 150_000.0)
    b_lat, b_lon = ref.destination(-35.0, 150.0, 80.0, 100_000.0)
    b = Circle(b_lat, b_lon, 150_000.0)
    fast = check_fast_path(a, b, 9_260.0, cell_m)
    assert fast is not None
    frame, zone = notices._zone(a, b, 9_260.0)
    assert len(fast) >= 0.9 * len(sampled_cells(frame, zone, cell_m))


@pytest.mark.parametrize("cell_m", [10_000.0, 12_345.0, 25_000.0, 100_000.0])
def test_grid_cells_are_at_least_a_cell_wide_and_tall(cell_m: float) -> None:
    # along the parallel of their poleward edge (where they are narrowest), and along the
    # meridian, on the ellipsoid
    a, e2 = 6_378_137.0, 0.0066943799901413165
    dlat, nrows = notices._rows(cell_m)
    for row in range(nrows):
        south, north = -90.0 + row * dlat, -90.0 + (row + 1) * dlat
        phi = math.radians(max(abs(south), abs(north)))
        n = notices._columns(row, dlat, cell_m)
        parallel_m = a * math.cos(phi) / math.sqrt(1.0 - e2 * math.sin(phi) ** 2)
        if n > 1:
            assert parallel_m * math.radians(360.0 / n) >= cell_m, (row, n)
        _, _, meridian_m = GEOD.inv(0.0, south, 0.0, north)
        assert meridian_m >= cell_m, row
