"""Well-clear volumes on hand-derived encounters, one per branch of the math."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.alerting.volumes import (
    Cylinder,
    Relative,
    WellClear,
    interval,
    tau_mod,
    time_to_coaltitude,
    time_to_violation,
)
from reference import well_clear_violated

NM = 1852.0
FT = 0.3048
KT = 1852.0 / 3600.0
FPM = FT / 60.0
PHASE1 = WellClear(dthr_m=0.66 * NM, zthr_m=450 * FT, tthr_s=35.0)  # corrective/warning
LOOKAHEAD = 180.0


def rel(sx: float, sy: float, sz: float, vx: float, vy: float, vz: float) -> Relative:
    def a(x: float) -> np.ndarray:
        return np.array([x], dtype=np.float64)

    return Relative(a(sx), a(sy), a(sz), a(vx), a(vy), a(vz))


def ttv(r: Relative, volume: WellClear | Cylinder = PHASE1) -> float:
    return float(time_to_violation(r, volume, LOOKAHEAD)[0])


def tau_entry(distance: float, closing: float, d: float, tthr: float) -> float:
    """Head-on along a line: the boundary is where (r^2 - D^2) / (r v) = TTHR, i.e.
    r* = (TTHR v + sqrt(TTHR^2 v^2 + 4 D^2)) / 2; entry at (distance - r*) / v."""
    r_star = (tthr * closing + math.sqrt(tthr**2 * closing**2 + 4 * d**2)) / 2
    return (distance - r_star) / closing


def test_head_on() -> None:
    closing = 2 * 150 * KT
    r = rel(8 * NM, 0.0, 0.0, -closing, 0.0, 0.0)
    assert ttv(r) == pytest.approx(tau_entry(8 * NM, closing, PHASE1.dthr_m, 35.0))


def test_crossing_with_zero_miss_distance() -> None:
    # both 200 kt at 90 degrees, both 4 NM from the crossing point: the ownship south of it
    # flying north, the intruder west of it flying east. s = own - int = (4, -4) NM,
    # v = v_own - v_int = (-200, 200) kt: a straight line through the origin
    speed = 200 * KT
    r = rel(4 * NM, -4 * NM, 0.0, -speed, speed, 0.0)
    distance, closing = 4 * NM * math.sqrt(2), speed * math.sqrt(2)
    assert ttv(r) == pytest.approx(tau_entry(distance, closing, PHASE1.dthr_m, 35.0))


def test_overtaking() -> None:
    closing = (250 - 180) * KT
    r = rel(0.0, -3 * NM, 0.0, 0.0, closing, 0.0)
    expected = tau_entry(3 * NM, closing, PHASE1.dthr_m, 35.0)
    assert expected < LOOKAHEAD
    assert ttv(r) == pytest.approx(expected)


def test_miss_distance_beyond_dthr_never_violates() -> None:
    # passing 1 NM abeam at high closure: tau is small but HMD > DTHR
    r = rel(5 * NM, 1 * NM, 0.0, -300 * KT, 0.0, 0.0)
    assert ttv(r) == math.inf


def test_climb_into_level_traffic() -> None:
    # horizontally inside DTHR already; the intruder climbs at 1,500 fpm from 1,500 ft below
    r = rel(0.3 * NM, 0.0, 1500 * FT, 0.0, 0.0, -1500 * FPM)
    assert ttv(r) == pytest.approx((1500 - 450) * FT / (1500 * FPM))


@pytest.mark.parametrize(("dz_ft", "expected"), [(450.0, 0.0), (450.0 + 1e-6, math.inf)])
def test_level_at_exactly_zthr(dz_ft: float, expected: float) -> None:
    r = rel(0.2 * NM, 0.0, dz_ft * FT, 0.0, 0.0, 0.0)
    assert ttv(r) == expected


@pytest.mark.parametrize(("distance_nm", "expected"), [(0.5, 0.0), (0.7, math.inf)])
def test_zero_relative_velocity(distance_nm: float, expected: float) -> None:
    assert ttv(rel(distance_nm * NM, 0.0, 0.0, 0.0, 0.0, 0.0)) == expected


def test_time_to_coaltitude_widens_the_vertical_volume() -> None:
    # converging at 3,000 fpm from 2,000 ft apart: with TCOA 20 s the vertical volume
    # reaches max(ZTHR, |vz| TCOA) = 1,000 ft ahead of co-altitude
    vz = -3000 * FPM
    r = rel(0.2 * NM, 0.0, 2000 * FT, 0.0, 0.0, vz)
    plain = ttv(r)
    with_tcoa = ttv(r, WellClear(PHASE1.dthr_m, PHASE1.zthr_m, PHASE1.tthr_s, tcoa_s=20.0))
    assert plain == pytest.approx((2000 - 450) * FT / -vz)
    assert with_tcoa == pytest.approx((2000 - 1000) * FT / -vz)


def test_cylinder_head_on() -> None:
    closing = 400 * KT
    r = rel(20 * NM, 0.0, 500 * FT, -closing, 0.0, 0.0)
    cd3d = Cylinder(d_m=5 * NM, h_m=1000 * FT)
    assert ttv(r, cd3d) == pytest.approx(15 * NM / closing)
    assert ttv(rel(20 * NM, 0.0, 1500 * FT, -closing, 0.0, 0.0), cd3d) == math.inf


def test_tau_mod_and_tcoa() -> None:
    r = rel(2 * NM, 0.0, 1000 * FT, -100.0, 0.0, -10.0)
    d = PHASE1.dthr_m
    assert tau_mod(r, d)[0] == pytest.approx(((2 * NM) ** 2 - d**2) / (2 * NM * 100.0))
    assert time_to_coaltitude(r)[0] == pytest.approx(1000 * FT / 10.0)
    diverging = rel(2 * NM, 0.0, 1000 * FT, 100.0, 0.0, 10.0)
    assert tau_mod(diverging, d)[0] == math.inf
    assert time_to_coaltitude(diverging)[0] == math.inf


def test_vectorised_over_pairs() -> None:
    r = Relative(
        sx_m=np.array([8 * NM, 0.5 * NM, 0.7 * NM]),
        sy_m=np.zeros(3),
        sz_m=np.zeros(3),
        vx_mps=np.array([-300 * KT, 0.0, 0.0]),
        vy_mps=np.zeros(3),
        vz_mps=np.zeros(3),
    )
    got = time_to_violation(r, PHASE1, LOOKAHEAD)
    assert got.shape == (3,)
    assert got[1] == 0.0 and got[2] == math.inf and 0 < got[0] < LOOKAHEAD


distance = st.floats(-15_000.0, 15_000.0, allow_nan=False)
speed = st.floats(-300.0, 300.0, allow_nan=False)
height = st.floats(-1_500.0, 1_500.0, allow_nan=False)
climb = st.floats(-40.0, 40.0, allow_nan=False)


@settings(max_examples=1500, deadline=None)
@given(distance, distance, height, speed, speed, climb, st.sampled_from([0.0, 20.0]))
def test_interval_is_where_the_definition_says(
    sx: float, sy: float, sz: float, vx: float, vy: float, vz: float, tcoa: float
) -> None:
    """Against the instantaneous definition sampled every 0.05 s over the lookahead."""
    volume = WellClear(PHASE1.dthr_m, PHASE1.zthr_m, PHASE1.tthr_s, tcoa)
    t = np.linspace(0.0, LOOKAHEAD, 3601)
    violated = well_clear_violated(
        sx + vx * t, sy + vy * t, sz + vz * t, np.full_like(t, vx), np.full_like(t, vy),
        np.full_like(t, vz), volume.dthr_m, volume.zthr_m, volume.tthr_s, volume.tcoa_s,
    )  # fmt: skip
    lo, hi = interval(rel(sx, sy, sz, vx, vy, vz), volume, 0.0, LOOKAHEAD)
    step = t[1] - t[0]
    if violated.any():
        first, last = t[violated].min(), t[violated].max()
        assert lo[0] <= first + 1e-6
        assert hi[0] >= last - 1e-6
        # the violation is one interval: no sampled gap longer than a step inside it
        inside = (t > lo[0] + step) & (t < hi[0] - step)
        assert violated[inside].all()
    else:
        assert not (hi[0] - lo[0] > 2 * step)


def test_crawling_intruder_outside_the_volume_never_enters() -> None:
    """Found by hypothesis: a relative speed so small that its square underflows (|v|² = 0
    while s·v < 0) once made the textbook root -inf and the interval the whole lookahead."""
    tiny = 4.689100247931569e-163
    for volume in (PHASE1, WellClear(PHASE1.dthr_m, PHASE1.zthr_m, PHASE1.tthr_s, 20.0)):
        for v in (tiny, 1e-150, 1e-100, 1e-9):
            lo, hi = interval(rel(-1099.0, -1102.0, 0.0, v, v, 0.0), volume, 0.0, LOOKAHEAD)
            assert lo[0] == math.inf and hi[0] == -math.inf
