"""4D trajectories turned into plan volumes.

A trajectory is waypoints with times; its buffers say how far the aircraft may stray
laterally (m), vertically (ft) and in time (s). Each leg between two waypoints becomes one
volume that holds everything the leg may occupy: a corridor around the leg's geodesic,
``lateral_buffer_m`` wide on each side with round ends (a circle for a leg that does not
move: a hold); the band from the lower to the higher waypoint altitude, widened by the
vertical buffer; the window from the first waypoint's time to the second's, widened by the
time buffer. The corridor is drawn in the frame of the leg's midpoint and made a little
larger than the buffer so that it holds the whole buffer despite its straight sides.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from deconflict.errors import InputError
from deconflict.plans.geometry import GEOD, SAGITTA_M, Frame, densify_path, step_m
from deconflict.plans.volume import MAX_RADIUS_M, Circle, Outline, Volume4D, polygon

#: segments of a quarter circle in a corridor's round ends
QUAD_SEGMENTS = 16


@dataclass(frozen=True)
class Waypoint:
    lat_deg: float
    lon_deg: float
    alt_ft: float
    time_s: float


def _corridor(a: Waypoint, b: Waypoint, lateral_m: float) -> Outline:
    az, _, length = GEOD.inv(a.lon_deg, a.lat_deg, b.lon_deg, b.lat_deg)
    if length < 1.0:
        return Circle(a.lat_deg, a.lon_deg, lateral_m)
    if length / 2.0 + lateral_m > MAX_RADIUS_M:
        raise InputError(
            f"a leg of {length / 1000:.0f} km is too long for one volume: add waypoints"
        )
    mlon, mlat, _ = GEOD.fwd(a.lon_deg, a.lat_deg, az, length / 2.0)
    frame = Frame(float(mlat), float(mlon))
    reach = length / 2.0 + lateral_m
    ends = np.array([[a.lon_deg, a.lat_deg], [b.lon_deg, b.lat_deg]])
    path = densify_path(ends, step_m(reach))
    x, y = frame.forward(path[:, 0], path[:, 1])
    # the round ends are polygons inside their circles: widen them to hold the circles,
    # and add the most a straight side may stray from the geodesic edge it stands for
    widen = lateral_m / math.cos(math.pi / (4 * QUAD_SEGMENTS)) + 2.0 * SAGITTA_M + 0.01
    shape = shapely.buffer(
        shapely.LineString(np.column_stack([x, y])), widen, quad_segs=QUAD_SEGMENTS
    )
    outline = shapely.get_coordinates(shape.exterior)[:-1]
    lon, lat = frame.inverse(outline[:, 0], outline[:, 1])
    return polygon(np.column_stack([lon, lat]))


def trajectory_volumes(
    waypoints: Sequence[Waypoint],
    lateral_buffer_m: float,
    vertical_buffer_ft: float,
    time_buffer_s: float,
) -> tuple[Volume4D, ...]:
    """One volume per leg of the trajectory (see the module's docstring)."""
    if len(waypoints) < 2:
        raise InputError("a trajectory needs at least 2 waypoints")
    for name, value in (
        ("lateral_buffer_m", lateral_buffer_m),
        ("vertical_buffer_ft", vertical_buffer_ft),
        ("time_buffer_s", time_buffer_s),
    ):
        if not (math.isfinite(value) and value >= 0.0):
            raise InputError(f"{name} must be a finite number >= 0, not {value!r}")
    if lateral_buffer_m < 1.0:
        raise InputError("lateral_buffer_m must be at least 1 m")
    out = []
    for k, (a, b) in enumerate(itertools.pairwise(waypoints)):
        if not b.time_s > a.time_s:
            raise InputError(f"waypoint {k + 1}: its time is not after waypoint {k}'s")
        out.append(
            Volume4D(
                _corridor(a, b, lateral_buffer_m),
                min(a.alt_ft, b.alt_ft) - vertical_buffer_ft,
                max(a.alt_ft, b.alt_ft) + vertical_buffer_ft,
                a.time_s - time_buffer_s,
                b.time_s + time_buffer_s,
            )
        )
    return tuple(out)
