"""The exact kernel (cpa.encounters) against the scalar textbook reference and by sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from deconflict.tactical import cpa
from reference import ScalarEncounter, scalar_encounter

H = 9260.0  # 5 NM
V = 304.8  # 1,000 ft
T = 300.0


def planar(
    rx: float, ry: float, vx: float, vy: float, dz: float = 0.0, dvz: float = 0.0
) -> cpa.PairGeometry:
    """A pair geometry from a relative state in a plane."""
    return cpa.PairGeometry(
        r2=np.array([rx * rx + ry * ry]),
        rv=np.array([rx * vx + ry * vy]),
        v2=np.array([vx * vx + vy * vy]),
        dz_m=np.array([dz]),
        dvz_mps=np.array([dvz]),
    )


def one(g: cpa.PairGeometry, hsep: float = H, vsep: float = V) -> ScalarEncounter:
    e = cpa.encounters(g, hsep, vsep, T)
    return ScalarEncounter(
        conflict=bool(e.conflict[0]),
        t_in_s=float(e.t_in_s[0]),
        t_out_s=float(e.t_out_s[0]),
        tcpa_s=float(e.tcpa_s[0]),
        dcpa_m=float(e.dcpa_m[0]),
        dz_cpa_m=float(e.dz_cpa_m[0]),
    )


distance = st.floats(-100_000.0, 100_000.0, allow_nan=False)
speed = st.floats(-600.0, 600.0, allow_nan=False)
altitude = st.floats(-3_000.0, 3_000.0, allow_nan=False)
climb = st.floats(-40.0, 40.0, allow_nan=False)


@settings(max_examples=2000, deadline=None)
@given(distance, distance, speed, speed, altitude, climb)
def test_kernel_matches_scalar_reference(
    rx: float, ry: float, vx: float, vy: float, dz: float, dvz: float
) -> None:
    ref = scalar_encounter(rx, ry, vx, vy, dz, dvz, H, V, T)
    got = one(planar(rx, ry, vx, vy, dz, dvz))
    # away from tangency (an interval shorter than a millisecond), the decision must agree
    if ref.conflict:
        assume(ref.t_out_s - ref.t_in_s > 1e-3)
    else:
        assume(not (ref.t_in_s < ref.t_out_s + 1e-3))
    assert got.conflict == ref.conflict
    if ref.conflict:
        assert got.t_in_s == pytest.approx(ref.t_in_s, abs=1e-6, rel=1e-9)
        assert got.t_out_s == pytest.approx(ref.t_out_s, abs=1e-6, rel=1e-9)
    assert got.tcpa_s == pytest.approx(ref.tcpa_s, abs=1e-6, rel=1e-9)
    # dcpa comes from |r|^2 + 2 t r.v + t^2 |v|^2: near zero it carries the rounding of
    # |r|^2, sqrt(1e-16 |r|^2), i.e. a few millimetres at 100 km
    assert got.dcpa_m == pytest.approx(ref.dcpa_m, abs=1e-7 * math.hypot(rx, ry) + 1e-6)
    assert got.dz_cpa_m == pytest.approx(ref.dz_cpa_m, abs=1e-3, rel=1e-9)


@settings(max_examples=300, deadline=None)
@given(distance, distance, speed, speed, altitude, climb)
def test_sampled_losses_lie_inside_the_interval(
    rx: float, ry: float, vx: float, vy: float, dz: float, dvz: float
) -> None:
    """Brute force in time: every sampled instant of LoS is inside [t_in, t_out]."""
    got = one(planar(rx, ry, vx, vy, dz, dvz))
    t = np.linspace(0.0, T, 3001)
    h = np.hypot(rx + vx * t, ry + vy * t)
    v = np.abs(dz + dvz * t)
    los = (h < H) & (v < V)
    if los.any():
        assert got.conflict
        assert got.t_in_s <= t[los].min() + 1e-6
        assert got.t_out_s >= t[los].max() - 1e-6
    if got.conflict and got.t_out_s - got.t_in_s > 0.2:  # longer than the sampling step
        assert los.any()
    # closest approach is the minimum over the samples
    assert got.dcpa_m <= h.min() + 1e-6


# Named edge cases, each with what an air-traffic engineer expects.


def test_head_on() -> None:
    # 20 NM apart closing at 500 m/s: LoS while the distance is under 5 NM
    g = planar(37_040.0, 0.0, -500.0, 0.0)
    e = one(g)
    assert e.conflict
    assert e.t_in_s == pytest.approx((37_040.0 - H) / 500.0)
    assert e.t_out_s == pytest.approx((37_040.0 + H) / 500.0)
    assert e.tcpa_s == pytest.approx(37_040.0 / 500.0)
    assert e.dcpa_m == pytest.approx(0.0, abs=1e-6)


def test_overtaking_slowly_outside_lookahead() -> None:
    # 10 NM behind, 10 m/s faster: LoS starts after (18,520 - 9,260) / 10 = 926 s > T
    e = one(planar(18_520.0, 0.0, -10.0, 0.0))
    assert not e.conflict
    assert e.tcpa_s == T  # closest within the window is at its end
    assert e.dcpa_m == pytest.approx(18_520.0 - 10.0 * T)


def test_overtaking_inside_lookahead() -> None:
    e = one(planar(18_520.0, 0.0, -50.0, 0.0))
    assert e.conflict
    assert e.t_in_s == pytest.approx((18_520.0 - H) / 50.0)
    assert e.t_out_s == T


@pytest.mark.parametrize(("offset", "expected"), [(H - 1.0, True), (H, False), (H + 1.0, False)])
def test_parallel_tracks_at_equal_speed(offset: float, expected: bool) -> None:
    # zero relative velocity: conflict only if already closer than H (strictly)
    e = one(planar(0.0, offset, 0.0, 0.0))
    assert e.conflict is expected
    assert e.tcpa_s == 0.0
    if expected:
        assert (e.t_in_s, e.t_out_s) == (0.0, T)


def test_vertical_only_convergence() -> None:
    # same position, 3,000 ft apart, closing at 20 m/s vertically
    e = one(planar(0.0, 0.0, 0.0, 0.0, dz=914.4, dvz=-20.0))
    assert e.conflict
    assert e.t_in_s == pytest.approx((914.4 - V) / 20.0)
    assert e.t_out_s == pytest.approx((914.4 + V) / 20.0)


def test_already_in_los_and_diverging() -> None:
    e = one(planar(1_000.0, 0.0, 100.0, 0.0, dz=100.0))
    assert e.conflict
    assert e.t_in_s == 0.0
    assert e.t_out_s == pytest.approx((H - 1_000.0) / 100.0)
    assert e.tcpa_s == 0.0


def test_groundspeed_zero_both() -> None:
    assert one(planar(5_000.0, 0.0, 0.0, 0.0)).conflict
    assert not one(planar(5_000.0, 0.0, 0.0, 0.0, dz=V + 1.0)).conflict


@pytest.mark.parametrize(
    ("g", "expected"),
    [
        (planar(H, 0.0, 0.0, 0.0), False),  # exactly at H, static
        (planar(0.0, 0.0, 0.0, 0.0, dz=V), False),  # exactly at V
        (planar(0.0, 0.0, 0.0, 0.0, dz=-V), False),
        (planar(-20_000.0, H, 100.0, 0.0), False),  # passes exactly at H (tangent)
        (planar(-20_000.0, H - 1e-3, 100.0, 0.0), True),
        (planar(-20_000.0 - 100.0 * T, 0.0, 100.0, 0.0), False),  # LoS starts after T
        (planar(-(H + 100.0 * T) + 1.0, 0.0, 100.0, 0.0), True),  # starts just before T
    ],
)
def test_thresholds_are_strict(g: cpa.PairGeometry, expected: bool) -> None:
    assert one(g).conflict is expected


def test_los_ending_exactly_now_is_not_a_conflict() -> None:
    # diverging, the distance is exactly H at t = 0
    e = one(planar(H, 0.0, 10.0, 0.0))
    assert not e.conflict


def test_vectorised_over_pairs_and_minima() -> None:
    g = cpa.PairGeometry(
        r2=np.array([4_000.0**2, 4_000.0**2]),
        rv=np.zeros(2),
        v2=np.zeros(2),
        dz_m=np.zeros(2),
        dvz_mps=np.zeros(2),
    )
    e = cpa.encounters(g, np.array([5_556.0, 3_000.0]), V, T)
    assert e.conflict.tolist() == [True, False]
    assert math.isnan(e.t_in_s[1])
    assert e.conflict.shape == e.tcpa_s.shape == (2,)


def test_relative_speed_too_small_to_resolve() -> None:
    """Found in review: with a subnormal |v|², the discriminant underflows to 0; a pair
    inside H must still be in conflict, for the whole window."""
    for v2 in (5e-324, 1e-320):
        g = cpa.PairGeometry(
            r2=np.array([H * H - 0.5]), rv=np.array([0.0]), v2=np.array([v2]),
            dz_m=np.array([0.0]), dvz_mps=np.array([0.0]),
        )  # fmt: skip
        e = cpa.encounters(g, H, V, T)
        assert e.conflict[0] and e.los_now[0]
        assert (e.t_in_s[0], e.t_out_s[0]) == (0.0, T)


def test_tcpa_is_never_negative_zero() -> None:
    e = one(planar(0.0, 0.0, 0.0, 0.0))
    assert math.copysign(1.0, e.tcpa_s) == 1.0
