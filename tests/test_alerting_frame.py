"""The DAIDALUS frame: orthographic projection on the 1-NM-per-arc-minute sphere."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.alerting.frame import (
    SPHERE_RADIUS_M,
    great_circle_move,
    orthographic,
    relative_states,
)

NM = 1852.0


def a(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_one_arc_minute_is_one_nautical_mile() -> None:
    assert SPHERE_RADIUS_M * np.radians(1 / 60) == pytest.approx(NM, abs=1e-6)


def test_orthographic_by_hand() -> None:
    # due north by 1 degree: y = R sin(1 deg), x = 0; due east on the equator likewise
    x, y = orthographic(a(40.0), a(-74.0), a(41.0), a(-74.0))
    assert x[0] == pytest.approx(0.0, abs=1e-9)
    assert y[0] == pytest.approx(SPHERE_RADIUS_M * np.sin(np.radians(1.0)))
    x, y = orthographic(a(0.0), a(10.0), a(0.0), a(11.0))
    assert (x[0], y[0]) == pytest.approx((SPHERE_RADIUS_M * np.sin(np.radians(1.0)), 0.0))
    # across the antimeridian, a point 0.1 degree east is east
    x, _ = orthographic(a(0.0), a(179.95), a(0.0), a(-179.95))
    assert x[0] == pytest.approx(SPHERE_RADIUS_M * np.sin(np.radians(0.1)))


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(-80, 80),
    lon=st.floats(-180, 180),
    track=st.floats(0, 360),
    distance_nm=st.floats(0, 60),
)
def test_great_circle_move_keeps_its_distance(
    lat: float, lon: float, track: float, distance_nm: float
) -> None:
    lat2, lon2 = great_circle_move(a(lat), a(lon), a(track), a(distance_nm * NM))
    # central angle by the haversine formula, independently
    p1, p2 = np.radians(lat), np.radians(lat2[0])
    dl = np.radians(lon2[0] - lon)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    assert 2 * SPHERE_RADIUS_M * np.arcsin(np.sqrt(h)) == pytest.approx(distance_nm * NM, abs=1e-6)


def test_relative_state_of_a_head_on_pair() -> None:
    # ownship at the origin flying east at 150 kt, intruder 8 NM east flying west at 150 kt
    kt = NM / 3600
    own = (a(0.0), a(0.0), a(4572.0), a(90.0), a(150 * kt), a(0.0))
    intruder = (a(0.0), a(8 / 60), a(4572.0), a(270.0), a(150 * kt), a(0.0))
    r = relative_states(own, intruder)
    assert r.sx_m[0] == pytest.approx(-SPHERE_RADIUS_M * np.sin(np.radians(8 / 60)))
    assert r.sy_m[0] == pytest.approx(0.0, abs=1e-6)
    # own minus intruder; 8 NM from the tangent point the projection shortens lengths by
    # cos(8 arc-minutes), 1 - 2.7e-6
    assert r.vx_mps[0] == pytest.approx(300 * kt, rel=1e-5)
    assert r.vy_mps[0] == pytest.approx(0.0, abs=1e-6)
    assert r.sz_m[0] == 0.0 and r.vz_mps[0] == 0.0
