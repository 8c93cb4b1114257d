"""4D trajectories as volumes: each leg's volume holds everything the buffers allow."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from deconflict.errors import InputError
from deconflict.plans.check import Separation, volumes_conflict
from deconflict.plans.geometry import distance_m
from deconflict.plans.trajectory import Waypoint, trajectory_volumes
from deconflict.plans.validate import volume_problem
from deconflict.plans.volume import Circle, Polygon, Volume4D

GEOD = Geod(ellps="WGS84")
T0 = 1_795_510_800.0


def probe(lat: float, lon: float) -> Circle:
    return Circle(lat, lon, 1.0)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(-80, 80), st.floats(-180, 180), st.floats(0, 360), st.floats(1_000, 300_000),
    st.floats(100, 20_000),
)  # fmt: skip
def test_a_leg_holds_its_buffer(
    lat: float, lon: float, az: float, length_m: float, lateral_m: float
) -> None:
    """Points on the leg's geodesic, offset sideways by the buffer, and beyond its ends,
    are inside the leg's outline (the distance from a 1 m circle there is 0), and points
    farther out are not."""
    lon2, lat2, _ = GEOD.fwd(lon, lat, az, length_m)
    a = Waypoint(lat, lon, 10_000.0, T0)
    b = Waypoint(float(lat2), float(lon2), 12_000.0, T0 + 600.0)
    (vol,) = trajectory_volumes([a, b], lateral_m, 500.0, 60.0)
    assert volume_problem(vol) is None
    assert isinstance(vol.outline, Polygon)
    assert (vol.alt_lower_ft, vol.alt_upper_ft) == (9_500.0, 12_500.0)
    assert (vol.time_start_s, vol.time_end_s) == (T0 - 60.0, T0 + 660.0)
    fracs = np.linspace(0.0, 1.0, 9)
    plons, plats, back = GEOD.fwd(
        np.full(9, lon), np.full(9, lat), np.full(9, az), fracs * length_m
    )
    for plon, plat, paz in zip(plons, plats, np.asarray(back) + 180.0, strict=True):
        for side in (-90.0, 90.0):
            for frac, inside in ((0.999, True), (1.05, False)):
                qlon, qlat, _ = GEOD.fwd(plon, plat, paz + side, lateral_m * frac)
                d = distance_m(vol.outline, probe(float(qlat), float(qlon)))
                assert (d == 0.0) is inside, (frac, d)
    back_az = GEOD.inv(lon, lat, float(lon2), float(lat2))[0] + 180.0
    qlon, qlat, _ = GEOD.fwd(lon, lat, back_az, lateral_m * 0.999)
    assert distance_m(vol.outline, probe(float(qlat), float(qlon))) == 0.0  # round end


def test_a_hold_is_a_circle_and_legs_follow_each_other() -> None:
    wps = [
        Waypoint(45.0, 5.0, 5_000.0, T0),
        Waypoint(45.0, 5.0, 5_000.0, T0 + 300.0),  # holds 5 minutes
        Waypoint(45.5, 5.5, 9_000.0, T0 + 900.0),
    ]
    hold, leg = trajectory_volumes(wps, 2_000.0, 300.0, 30.0)
    assert hold.outline == Circle(45.0, 5.0, 2_000.0)
    assert (leg.alt_lower_ft, leg.alt_upper_ft) == (4_700.0, 9_300.0)
    other = Volume4D(Circle(45.25, 5.25, 500.0), 6_000.0, 7_000.0, T0 + 600.0, T0 + 700.0)
    assert volumes_conflict(leg, other, Separation()) is not None
    assert volumes_conflict(hold, other, Separation()) is None  # the hold is over by then


@pytest.mark.parametrize(
    "wps, message",
    [
        ([Waypoint(45, 5, 0, T0)], "at least 2 waypoints"),
        ([Waypoint(45, 5, 0, T0), Waypoint(45, 6, 0, T0)], "waypoint 1: its time is not after"),
        ([Waypoint(0, 0, 0, T0), Waypoint(0, 30, 0, T0 + 9e4)], "too long for one volume"),
    ],
)
def test_bad_trajectories(wps: list[Waypoint], message: str) -> None:
    with pytest.raises(InputError, match=message):
        trajectory_volumes(wps, 1_000.0, 100.0, 10.0)
    with pytest.raises(InputError, match="lateral_buffer_m"):
        trajectory_volumes([Waypoint(45, 5, 0, T0), Waypoint(45, 6, 0, T0 + 60)], 0.5, 1, 1)
    with pytest.raises(InputError, match="time_buffer_s"):
        trajectory_volumes([Waypoint(45, 5, 0, T0), Waypoint(45, 6, 0, T0 + 60)], 10, 1, np.nan)
