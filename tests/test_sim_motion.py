"""The simulator's motion kernel against independent references: positions along a route
from pyproj's geodesics laid end to end (not stepped), and climb and descent rates and
speeds read from OpenAP directly."""

from __future__ import annotations

import itertools
import math
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openap import WRAP, aero
from pyproj import Geod

from deconflict.sim import motion
from deconflict.sim.motion import Fleet, Routes
from deconflict.sim.performance import Tables, TypeSpec, profile
from deconflict.units import fpm_to_mps, ft_to_m, kt_to_mps

GEOD = Geod(ellps="WGS84")


def one_aircraft(
    points: list[tuple[float, float]],
    speed_mps: float,
    *,
    repeat: bool = False,
    altitudes_m: list[float] | None = None,
    start_alt_m: float = 9000.0,
    kind: str = "a320",
) -> tuple[Routes, Fleet, Tables]:
    n = len(points)
    alts = [math.nan] * n if altitudes_m is None else altitudes_m
    routes = Routes(
        latitude_deg=np.array([p[0] for p in points]),
        longitude_deg=np.array([p[1] for p in points]),
        altitude_m=np.array(alts, dtype=np.float64),
        speed_mps=np.full(n, speed_mps),
        first=np.array([0], dtype=np.int64),
        count=np.array([n], dtype=np.int64),
        repeat=np.array([repeat]),
    )
    az, _, _ = GEOD.inv(points[0][1], points[0][0], points[1][1], points[1][0])
    fleet = Fleet(
        latitude_deg=np.array([points[0][0]]),
        longitude_deg=np.array([points[0][1]]),
        altitude_m=np.array([start_alt_m]),
        groundspeed_mps=np.array([speed_mps]),
        track_deg=np.array([az % 360.0]),
        vertical_rate_mps=np.zeros(1),
        leg=np.ones(1, dtype=np.int64),
        active=np.ones(1, dtype=np.bool_),
        done=np.zeros(1, dtype=np.bool_),
        type_index=np.zeros(1, dtype=np.intp),
    )
    return routes, fleet, Tables.of([profile(TypeSpec(kind, kind))])


def along(points: list[tuple[float, float]], distance_m: float) -> tuple[float, float, float]:
    """Where a flight of ``distance_m`` along the route is, and its track: each leg's
    geodesic from its start (one pyproj call per leg, no stepping)."""
    for (lat1, lon1), (lat2, lon2) in itertools.pairwise(points):
        az, _, length = GEOD.inv(lon1, lat1, lon2, lat2)
        if distance_m <= length:
            lon, lat, back = GEOD.fwd(lon1, lat1, az, distance_m)
            return lat, lon, (back + 180.0) % 360.0
        distance_m -= length
    raise AssertionError("past the end of the route")


def gap_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def angle_gap(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


legs = st.tuples(st.floats(0.0, 360.0), st.floats(5_000.0, 80_000.0))


@settings(max_examples=20, deadline=None)
@given(
    lat=st.floats(-75.0, 75.0),
    lon=st.floats(-180.0, 180.0),
    legs=st.lists(legs, min_size=1, max_size=3),
    speed_mps=st.floats(100.0, 320.0),
    dt_s=st.sampled_from([0.5, 1.0, 2.0]),
)
def test_a_route_is_flown_along_its_geodesics(
    lat: float, lon: float, legs: list[tuple[float, float]], speed_mps: float, dt_s: float
) -> None:
    points = [(lat, lon)]
    for az, dist in legs:
        lon2, lat2, _ = GEOD.fwd(points[-1][1], points[-1][0], az, dist)
        points.append((float(lat2), float(lon2)))
    total = sum(gap_m(*a, *b) for a, b in itertools.pairwise(points))
    routes, fleet, tables = one_aircraft(points, speed_mps)
    steps = int(total / (speed_mps * dt_s)) - 1
    for k in range(1, steps + 1):
        motion.step(routes, fleet, tables, dt_s)
        if k % 37 and k != steps:
            continue
        lat_ref, lon_ref, track_ref = along(points, speed_mps * dt_s * k)
        assert gap_m(fleet.latitude_deg[0], fleet.longitude_deg[0], lat_ref, lon_ref) < 0.5
        assert angle_gap(fleet.track_deg[0], track_ref) < 1e-3 or abs(lat_ref) > 89.0
    assert fleet.active[0]
    for _ in range(4):  # to the end: it leaves the traffic, at the last waypoint
        motion.step(routes, fleet, tables, dt_s)
    assert fleet.done[0] and not fleet.active[0]
    assert gap_m(fleet.latitude_deg[0], fleet.longitude_deg[0], *points[-1]) < 0.01


def test_a_repeating_route_goes_round_again() -> None:
    square = [(33.0, 33.0), (33.0, 33.5), (33.5, 33.5), (33.5, 33.0)]
    ring = [*square, square[0]]
    perimeter = sum(gap_m(*a, *b) for a, b in itertools.pairwise(ring))
    routes, fleet, tables = one_aircraft(square, 200.0, repeat=True)
    for _ in range(int(2 * perimeter / 200.0)):
        motion.step(routes, fleet, tables, 1.0)
    assert fleet.active[0] and not fleet.done[0]
    # twice round, but for under a step: on the closing leg, short of the start
    distance = 2 * perimeter - 200.0 * int(2 * perimeter / 200.0)
    assert gap_m(fleet.latitude_deg[0], fleet.longitude_deg[0], *square[0]) == pytest.approx(
        distance, abs=0.5
    )
    assert fleet.leg[0] == 0


@cache
def figures(kind: str) -> dict[str, float]:
    """OpenAP's WRAP defaults of a type, read once (each read is a table query)."""
    w = WRAP(kind)
    names = [
        "climb_cross_alt_concas",
        "climb_cross_alt_conmach",
        "climb_vs_pre_concas",
        "climb_vs_concas",
        "climb_vs_conmach",
        "descent_cross_alt_conmach",
        "descent_cross_alt_concas",
        "descent_vs_conmach",
        "descent_vs_concas",
        "descent_vs_post_concas",
        "cruise_max_alt",
    ]
    return {n: float(getattr(w, n)()["default"]) for n in names}


def openap_climb_mps(kind: str, alt_m: float) -> float:
    f = figures(kind)
    if alt_m < f["climb_cross_alt_concas"] * 1000:
        return f["climb_vs_pre_concas"]
    if alt_m < f["climb_cross_alt_conmach"] * 1000:
        return f["climb_vs_concas"]
    return f["climb_vs_conmach"]


def openap_descent_mps(kind: str, alt_m: float) -> float:
    f = figures(kind)
    if alt_m > f["descent_cross_alt_conmach"] * 1000:
        return f["descent_vs_conmach"]
    if alt_m > f["descent_cross_alt_concas"] * 1000:
        return f["descent_vs_concas"]
    return f["descent_vs_post_concas"]


@pytest.mark.parametrize("kind", ["a320", "b738", "a332"])
@pytest.mark.parametrize(("from_ft", "to_ft"), [(2_000.0, 33_000.0), (35_000.0, 3_000.0)])
def test_climbs_and_descents_follow_openap_rates(kind: str, from_ft: float, to_ft: float) -> None:
    far = [(34.0, 30.0), (34.0, 40.0)]
    routes, fleet, tables = one_aircraft(
        far, 200.0, altitudes_m=[ft_to_m(to_ft)] * 2, start_alt_m=ft_to_m(from_ft), kind=kind
    )
    band_m = 100.0  # the tables' step: the rate of the band nearest the altitude
    ceiling_m = figures(kind)["cruise_max_alt"] * 1000
    target = min(ft_to_m(to_ft), ceiling_m)
    checked = 0
    for _ in range(3600):
        alt = float(fleet.altitude_m[0])
        motion.step(routes, fleet, tables, 1.0)
        vs = float(fleet.vertical_rate_mps[0])
        if abs(target - alt) <= abs(vs) + 1e-9 and abs(fleet.altitude_m[0] - target) < 1e-6:
            break  # the last, shorter step levels off exactly
        rates = [
            f(kind, round(alt / band_m) * band_m) for f in (openap_climb_mps, openap_descent_mps)
        ]
        assert vs == pytest.approx(rates[0] if target > alt else rates[1], rel=1e-9)
        checked += 1
    assert fleet.altitude_m[0] == pytest.approx(target, abs=1e-6)
    assert checked > 60
    motion.step(routes, fleet, tables, 1.0)
    assert fleet.vertical_rate_mps[0] == 0.0


def test_level_flight_at_openaps_cruise_speed() -> None:
    """With no speed in the route, an aircraft cruises at OpenAP's cruise CAS or Mach,
    whichever gives the lower true airspeed, reached at most 1 m/s² on."""
    far = [(34.0, 30.0), (34.0, 40.0)]
    routes, fleet, tables = one_aircraft(far, 150.0, start_alt_m=ft_to_m(36_000.0))
    routes = Routes(**{**routes.__dict__, "speed_mps": np.full(2, math.nan)})
    w = WRAP("a320")
    h = round(ft_to_m(36_000.0) / 100.0) * 100.0
    expected = min(
        aero.cas2tas(w.cruise_mean_vcas()["default"], h),
        aero.mach2tas(w.cruise_mach()["default"], h),
    )
    speeds = []
    for _ in range(200):
        motion.step(routes, fleet, tables, 1.0)
        speeds.append(float(fleet.groundspeed_mps[0]))
    assert max(np.diff([150.0, *speeds])) <= motion.ACCELERATION_MPS2 + 1e-9
    assert speeds[-1] == pytest.approx(float(expected), rel=1e-9)


def test_type_overrides_replace_openaps_figures() -> None:
    spec = TypeSpec(
        "FIGHTER",
        "glf6",
        cruise_tas_kt=480.0,
        climb_rate_fpm=15_000.0,
        descent_rate_fpm=10_000.0,
        ceiling_ft=45_000.0,
    )
    p = profile(spec)
    assert np.all(p.climb_rate_mps == pytest.approx(fpm_to_mps(15_000.0)))
    assert np.all(p.descent_rate_mps == pytest.approx(fpm_to_mps(10_000.0)))
    assert float(np.max(p.cruise_tas_mps)) == pytest.approx(kt_to_mps(480.0))
    assert p.ceiling_m == pytest.approx(ft_to_m(45_000.0))
