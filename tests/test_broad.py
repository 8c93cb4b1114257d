"""The broad phase's correctness argument, checked piece by piece, and its edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict import geo
from deconflict.tactical import broad, cpa
from deconflict.units import ft_to_m, nm_to_m
from reference import all_pairs


def plane_normal(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each pair's plane normal as cpa.pair_geometry builds it, the chord and the verticals."""
    up, _, _ = geo.up_east_north(lat, lon)
    pos = geo.surface_ecef(lat, lon)
    r = pos[1::2] - pos[0::2]
    m = up[0::2] + up[1::2]
    with np.errstate(divide="ignore", invalid="ignore"):  # identical points: skipped
        k = np.einsum("ij,ij->i", m, r) / np.einsum("ij,ij->i", r, r)
        n = m - k[:, None] * r
        n /= np.linalg.norm(n, axis=1)[:, None]
    return n, np.linalg.norm(r, axis=1), up


@settings(max_examples=300, deadline=None)
@given(
    lat1=st.floats(-90, 90), lon1=st.floats(-180, 180),
    lat2=st.floats(-90, 90), lon2=st.floats(-180, 180),
)  # fmt: skip
def test_plane_normal_is_close_to_both_verticals(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    """The inequality the proof rests on: angle(n, up_i) <= min(chord / rho_min, pi / 2)."""
    n, chord, up = plane_normal(np.array([lat1, lat2]), np.array([lon1, lon2]))
    if chord[0] < 1.0 or chord[0] > 2 * 6.3e6:  # the same point, or (nearly) antipodal
        return
    bound = min(chord[0] / geo.WGS84_MIN_CURVATURE_RADIUS_M, np.pi / 2)
    for vertical in (up[0], up[1]):
        angle = np.arccos(np.clip(n[0] @ vertical, -1.0, 1.0))
        assert angle <= bound + 1e-12


def test_bound_on_random_pairs_at_every_separation() -> None:
    rng = np.random.default_rng(8)
    m = 200_000
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 2 * m)))
    lon = rng.uniform(-180, 180, 2 * m)
    n, chord, up = plane_normal(lat, lon)
    keep = chord < 2 * 6.3e6
    bound = np.minimum(chord / geo.WGS84_MIN_CURVATURE_RADIUS_M, np.pi / 2)
    for vertical in (up[0::2], up[1::2]):
        angle = np.arccos(np.clip(np.einsum("ij,ij->i", n, vertical), -1.0, 1.0))
        assert np.all(angle[keep] <= bound[keep] + 1e-12)


def test_pair_on_the_edge_of_the_altitude_band() -> None:
    """Found in review: the LoS interval is [299.99999999999994, 300], at the very end of
    the lookahead, on the altitude axis; the bands need the same slack as the boxes."""
    kin = cpa.kinematics(
        np.array([0.0, 0.0]), np.array([0.0, 0.0]),
        np.array([0.0, ft_to_m(29_499.7)]), np.zeros(2), np.zeros(2),
        np.array([0.0, ft_to_m(-5_699.940000656168) / 60.0]),
    )  # fmt: skip
    h, v = np.full(2, nm_to_m(5.0) - 1e-6), np.full(2, ft_to_m(1000.0) - 1e-6)
    ri, rj, _ = all_pairs(kin, h, v, 300.0)
    assert len(ri) == 1
    i, j = broad.candidate_pairs(kin, float(h.max()), float(v.max()), 300.0, all_pairs_below=0)
    assert list(zip(i, j, strict=True)) == list(zip(ri, rj, strict=True))


def test_non_finite_input_is_refused() -> None:
    kin = cpa.kinematics(
        np.array([0.0, np.nan]), np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2)
    )
    try:
        broad.candidate_pairs(kin, 9260.0, 304.8, 300.0, all_pairs_below=0)
    except ValueError as e:
        assert "finite" in str(e)
    else:
        raise AssertionError("a NaN aircraft must not silently empty the grid")


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    lat=st.sampled_from([0.0, 45.0, 89.9, -89.99]),
    lon=st.sampled_from([0.0, 179.999, -180.0]),
    spread_deg=st.sampled_from([0.01, 0.1, 1.0]),
)
def test_prefilter_keeps_every_exact_conflict(
    seed: int, lat: float, lon: float, spread_deg: float
) -> None:
    """The numba prefilter (broad._may_conflict) repeats the exact test of cpa.py in scalar
    form; with its widened limits it must keep every pair the exact test finds."""
    rng = np.random.default_rng(seed)
    n = 60
    lats = np.clip(lat + rng.uniform(-spread_deg, spread_deg, n), -90, 90)
    lons = lon + rng.uniform(-spread_deg, spread_deg, n)
    lons = (lons + 180.0) % 360.0 - 180.0
    kin = cpa.kinematics(
        lats, lons, rng.uniform(9_000, 10_000, n), rng.uniform(0, 600, n),
        rng.uniform(0, 360, n), rng.uniform(-30, 30, n),
    )  # fmt: skip
    h, v, t = nm_to_m(5.0), ft_to_m(1000.0), 300.0
    i, j = np.triu_indices(n, 1)
    exact = cpa.encounters(cpa.pair_geometry(kin, i, j), h, v, t).conflict
    state = np.column_stack([kin.pos_m, kin.vel_mps, kin.up, kin.alt_m, kin.vz_mps])
    limits = ((h + broad.SLACK_M) ** 2, v + broad.SLACK_M, t + broad.SLACK_S)
    pairs = zip(i.tolist(), j.tolist(), strict=True)
    kept = np.array([broad._may_conflict(a, b, state, *limits) for a, b in pairs])
    assert not np.any(exact & ~kept)


def test_small_snapshots_take_every_pair() -> None:
    n = broad.ALL_PAIRS_BELOW - 1
    kin = cpa.kinematics(
        np.zeros(n), np.linspace(0, 50, n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    )
    i, j = broad.candidate_pairs(kin, 9260.0, 304.8, 300.0)
    assert len(i) == n * (n - 1) // 2 and np.all(i < j)


def _fleet(rng: np.random.Generator, n: int, spread_deg: float) -> tuple[np.ndarray, ...]:
    return (
        rng.uniform(34.0 - spread_deg, 34.0 + spread_deg, n),
        rng.uniform(33.0 - spread_deg, 33.0 + spread_deg, n),
        rng.uniform(9_000, 10_500, n), rng.uniform(0, 300, n), rng.uniform(0, 360, n),
        np.where(rng.random(n) < 0.3, rng.uniform(-20, 20, n), 0.0),
    )  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.sampled_from([0, 1, 2, 30, broad.ALL_PAIRS_BELOW - 1, broad.ALL_PAIRS_BELOW, 120]),
    share=st.sampled_from([0.3, 0.7, 1.0]),
    smaller=st.tuples(
        st.sampled_from([0.1, 0.5, 1.0]), st.sampled_from([0.2, 1.0]), st.sampled_from([0.25, 1.0])
    ),
    spread_deg=st.sampled_from([0.2, 1.0]),
)
def test_a_superset_gives_each_subset_the_pairs_the_broad_phase_finds(
    seed: int, n: int, share: float, smaller: tuple[float, float, float], spread_deg: float
) -> None:
    """Candidates found once for the widest minima, narrowed to some of the aircraft and to
    smaller minima, are exactly what the broad phase finds for those (kinematics computed
    again for the subset, as the watch does)."""
    rng = np.random.default_rng(seed)
    fleet = _fleet(rng, n, spread_deg)
    h, v, t = nm_to_m(10.0), ft_to_m(2000.0), 300.0
    superset = broad.Superset.find(cpa.kinematics(*fleet), h, v, t)
    rows = np.flatnonzero(rng.random(n) < share)
    part = cpa.kinematics(*(x[rows] for x in fleet))
    hs, vs, ts = h * smaller[0], v * smaller[1], t * smaller[2]
    got = superset.finder(rows)(part, hs, vs, ts)
    want = broad.candidate_pairs(part, hs, vs, ts)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_a_superset_refuses_wider_minima_or_other_aircraft() -> None:
    fleet = _fleet(np.random.default_rng(1), 60, 0.5)
    kin = cpa.kinematics(*fleet)
    find = broad.Superset.find(kin, 9260.0, 304.8, 300.0).finder(np.arange(60))
    for wider in [(9262.0, 304.8, 300.0), (9260.0, 306.0, 300.0), (9260.0, 304.8, 302.0)]:
        with pytest.raises(ValueError, match="beyond"):
            find(kin, *wider)
    with pytest.raises(ValueError, match="for 60 aircraft, not 59"):
        find(cpa.kinematics(*(x[:59] for x in fleet)), 9260.0, 304.8, 300.0)
