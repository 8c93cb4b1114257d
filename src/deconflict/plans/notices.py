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
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

import numpy as np
import shapely

from deconflict.plans.check import PlanConflict, Separation
from deconflict.plans.geojson import format_time
from deconflict.plans.geometry import (
    Frame,
    cap,
    circle_to_frame,
    geodesic_m,
    to_frame,
)
from deconflict.plans.volume import Circle, Outline, Plan, Volume4D

#: the smallest cell of a region (m)
MIN_CELL_M = 10_000.0
#: a degree of latitude is at least this long (m); of longitude at the equator, at most
_DEG_LAT_MIN_M = 110_574.0
_DEG_LON_EQ_M = 111_320.0


class Sharing(StrEnum):
    """What an agreement lets one party learn of the other's plans."""

    SAFETY = "safety"
    COORDINATION = "coordination"


def _shape(frame: Frame, outline: Outline, reach: float) -> shapely.Geometry:
    if isinstance(outline, Circle):
        return circle_to_frame(frame, outline, reach)
    return to_frame(frame, outline, reach)


def _rows(cell_m: float) -> tuple[float, int]:
    """The height (degrees) and number of the rows: equal rows that tile -90..90 exactly,
    each at least ``cell_m`` tall (a last, partial row at the north pole would be a cap a
    few km across)."""
    nrows = max(1, math.floor(180.0 * _DEG_LAT_MIN_M / cell_m))
    return 180.0 / nrows, nrows


def _columns(row: int, dlat: float, cell_m: float) -> int:
    poleward = max(abs(-90.0 + row * dlat), abs(-90.0 + (row + 1) * dlat))
    width = 360.0 * _DEG_LON_EQ_M * math.cos(math.radians(min(90.0, poleward)))
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


def region_cells(
    a: Outline, b: Outline, hsep_m: float, cell_m: float = MIN_CELL_M
) -> set[tuple[int, int]]:
    """The (row, column) grid cells of the region of a conflict between two outlines."""
    cell_m = max(cell_m, MIN_CELL_M)
    ca, cb = cap(a), cap(b)
    az_dist = geodesic_m(ca.lat_deg, ca.lon_deg, cb.lat_deg, cb.lon_deg)
    frame = Frame(ca.lat_deg, ca.lon_deg)
    reach = az_dist + ca.radius_m + cb.radius_m + hsep_m
    sa, sb = _shape(frame, a, reach), _shape(frame, b, reach)
    zone = shapely.intersection(sa, sb)
    if hsep_m > 0.0:
        widened = shapely.intersection(
            shapely.buffer(sa, hsep_m / 2.0), shapely.buffer(sb, hsep_m / 2.0)
        )
        if not shapely.is_empty(widened):  # buffers by a tiny H (1e-300 m) come out empty
            zone = widened
    if shapely.is_empty(zone) or shapely.area(zone) <= 0.0:  # touching at the limit
        zone = shapely.centroid(shapely.shortest_line(sa, sb))
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
        nxt = np.roll(ring, -1, axis=1)
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
    for row, col in sorted(cells):
        w, s, e, n = _cell(row, col, _columns(row, dlat, cell_m), dlat)
        w, s, e, n = (round(v, 6) for v in (w, s, e, n))
        polygons.append([[[w, s], [e, s], [e, n], [w, n], [w, s]]])
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
