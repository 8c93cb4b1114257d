"""The incident review's kernels against plain references: resampling, near pairs, and the
exact intervals of a segment (``docs/analysis.md``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from deconflict import geo
from deconflict.analysis import intervals
from deconflict.analysis.grid import resample
from deconflict.analysis.intervals import PairSteps
from deconflict.analysis.proximity import ALL_PAIRS_BELOW, near_pairs
from deconflict.states import StateVectors

F64 = NDArray[np.float64]


def _states(times: list[float], ids: list[str], lat: list[float], lon: list[float],
            alt: list[float]) -> StateVectors:  # fmt: skip
    n = len(times)
    return StateVectors.from_arrays(
        time_s=times, id=ids, latitude_deg=lat, longitude_deg=lon, altitude_m=alt,
        groundspeed_mps=np.full(n, 200.0), track_deg=np.full(n, 90.0),
        vertical_rate_mps=np.zeros(n),
    )  # fmt: skip


# -- resampling ---------------------------------------------------------------------------


def _reference_grid(t: F64, x: F64, step_s: float, max_gap_s: float) -> dict[int, float]:
    """Grid index -> value of one aircraft, one grid time at a time (samples sorted)."""
    out: dict[int, float] = {}
    k = int(np.floor(t[0] / step_s)) - 1
    while k * step_s <= t[-1] + step_s:
        g = k * step_s
        for a in range(len(t) - 1):
            if t[a] <= g < t[a + 1] and t[a + 1] - t[a] <= max_gap_s:
                w = (g - t[a]) / (t[a + 1] - t[a])
                out[k] = x[a] + w * (x[a + 1] - x[a])
                break
        else:
            on = [a for a in range(len(t)) if t[a] == g]
            if on:
                out[k] = x[on[-1]]
        k += 1
    return out


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.floats(0.3, 30.0), min_size=1, max_size=25),
    start=st.floats(-5.0, 5.0),
    step_s=st.sampled_from([0.5, 1.0, 2.0, 5.0]),
    snap=st.booleans(),
)
def test_resample_matches_one_time_at_a_time(
    gaps: list[float], start: float, step_s: float, snap: bool
) -> None:
    t = 1_000.0 + start + np.concatenate([[0.0], np.cumsum(gaps)])
    if snap:  # samples on the grid, the case with an edge
        t = np.unique(np.round(t / step_s) * step_s)
    alt = np.linspace(1000.0, 2000.0, len(t)) + np.sin(t)
    s = _states(list(t), ["a"] * len(t), [10.0] * len(t), [20.0] * len(t), list(alt))
    grid = resample(s, step_s, 20.0)
    expected = _reference_grid(t, alt, step_s, 20.0)
    assert sorted(expected) == grid.step.tolist()
    np.testing.assert_allclose(grid.altitude_m, [expected[k] for k in grid.step], rtol=1e-12)


def test_resample_longitude_and_track_take_the_short_way() -> None:
    s = StateVectors.from_arrays(
        time_s=[0.0, 10.0], id=["a", "a"], latitude_deg=[0.0, 0.0],
        longitude_deg=[179.0, -179.0], altitude_m=[0.0, 0.0], groundspeed_mps=[1.0, 1.0],
        track_deg=[350.0, 10.0], vertical_rate_mps=[0.0, 0.0],
    )  # fmt: skip
    grid = resample(s, 1.0, 20.0)
    assert grid.step.tolist() == list(range(11))
    assert grid.longitude_deg[5] == pytest.approx(-180.0)
    assert np.all(np.abs(grid.longitude_deg) >= 179.0 - 1e-9)
    assert grid.track_deg[5] == pytest.approx(0.0, abs=1e-9) or grid.track_deg[5] == pytest.approx(
        360.0
    )


def test_resample_gap_and_duplicates() -> None:
    # a gap of 25 s (> 20) is not bridged; of two rows at one time, the later one wins
    s = _states([0.0, 2.0, 2.0, 27.0, 28.0], ["a"] * 5, [0.0] * 5, [0.0] * 5,
                [0.0, 100.0, 200.0, 0.0, 10.0])  # fmt: skip
    grid = resample(s, 1.0, 20.0)
    assert grid.step.tolist() == [0, 1, 2, 27, 28]
    assert grid.altitude_m.tolist() == [0.0, 100.0, 200.0, 0.0, 10.0]


# -- near pairs ---------------------------------------------------------------------------


def _brute_pairs(step: NDArray[np.int64], code: NDArray[np.int64], pos: F64, alt: F64,
                 r: float, v: float) -> set[tuple[int, int]]:  # fmt: skip
    out = set()
    for a in range(len(step)):
        for b in range(len(step)):
            same_time = step[a] == step[b] and code[a] < code[b]
            if same_time and abs(alt[a] - alt[b]) <= v and np.sum((pos[a] - pos[b]) ** 2) <= r * r:
                out.add((a, b))
    return out


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 120),
    steps=st.integers(1, 3),
    spread_deg=st.sampled_from([0.05, 0.5, 3.0]),
    radius_m=st.sampled_from([1_000.0, 9_260.0, 40_000.0]),
    seed=st.integers(0, 10_000),
    where=st.sampled_from([(0.0, 0.0), (89.9, 0.0), (10.0, 179.99), (-45.0, -60.0)]),
)
def test_near_pairs_equal_brute_force(
    n: int, steps: int, spread_deg: float, radius_m: float, seed: int,
    where: tuple[float, float],
) -> None:  # fmt: skip
    rng = np.random.default_rng(seed)
    step = np.sort(rng.integers(0, steps, n)).astype(np.int64)
    code = np.zeros(n, dtype=np.int64)
    for k in np.unique(step):  # distinct aircraft codes within each grid time
        idx = np.flatnonzero(step == k)
        code[idx] = rng.permutation(len(idx))
    lat = np.clip(where[0] + rng.uniform(-spread_deg, spread_deg, n), -90, 90)
    lon = (where[1] + rng.uniform(-spread_deg, spread_deg, n) + 180) % 360 - 180
    alt = rng.uniform(0, 3000, n)
    pos = geo.surface_ecef(lat, lon)
    a, b = near_pairs(step, code, pos, alt, radius_m, 600.0)
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == _brute_pairs(
        step, code, pos, alt, radius_m, 600.0
    )
    assert len(set(zip(a.tolist(), b.tolist(), strict=True))) == len(a)  # each pair once


def test_near_pairs_uses_the_cubes_above_the_threshold() -> None:
    n = ALL_PAIRS_BELOW * 4
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(0, 0.2, n), rng.uniform(0, 0.2, n)
    pos = geo.surface_ecef(lat, lon)
    step, code, alt = np.zeros(n, np.int64), np.arange(n, dtype=np.int64), np.zeros(n)
    a, b = near_pairs(step, code, pos, alt, 5_000.0, 1.0)
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == _brute_pairs(
        step, code, pos, alt, 5_000.0, 1.0
    )
    assert len(a) > 0


# -- intervals ----------------------------------------------------------------------------


def _pair_steps(d: F64, dz: F64, step0: int = 0) -> PairSteps:
    n = len(dz)
    return PairSteps(
        pair=np.zeros(n, dtype=np.int64), step=np.arange(step0, step0 + n, dtype=np.int64),
        d_m=d, dz_m=dz, mid_m=np.tile([6_378_137.0, 0.0, 0.0], (n, 1)),
        alt_m=np.zeros((n, 2)),
    )  # fmt: skip


def _sampled(
    ps: PairSteps, h: float, v: float, per_step: int = 20_000
) -> list[tuple[float, float]]:
    """The intervals in limits, found by sampling each segment finely."""
    inside: list[tuple[float, float]] = []
    for k in range(len(ps) - 1):
        tau = np.linspace(0.0, 1.0, per_step + 1)
        d = ps.d_m[k] + tau[:, None] * (ps.d_m[k + 1] - ps.d_m[k])
        z = ps.dz_m[k] + tau * (ps.dz_m[k + 1] - ps.dz_m[k])
        hit = (np.sqrt(np.sum(d * d, axis=1)) < h) & (np.abs(z) < v)
        if hit.any():
            t = ps.step[k] + tau[hit]
            if inside and abs(inside[-1][1] - t[0]) < 2.0 / per_step:
                inside[-1] = (inside[-1][0], float(t[-1]))
            else:
                inside.append((float(t[0]), float(t[-1])))
    return inside


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    n=st.integers(2, 8),
    scale_m=st.sampled_from([2_000.0, 10_000.0, 30_000.0]),
)
def test_intervals_match_fine_sampling(seed: int, n: int, scale_m: float) -> None:
    rng = np.random.default_rng(seed)
    d = rng.uniform(-scale_m, scale_m, (n, 3))
    d[:, 2] *= 0.01
    dz = rng.uniform(-600.0, 600.0, n)
    ps = _pair_steps(d, dz)
    h, v = 9_260.0, 300.0
    pair, cols = intervals.pieces(ps, np.full(n, h), np.full(n, v), 1.0, (0, n))
    _, cols = intervals.join(pair, cols)
    got = list(zip(cols["start_s"].tolist(), cols["end_s"].tolist(), strict=True))
    expected = _sampled(ps, h, v)
    # sampling can miss a sliver shorter than its spacing, at either end of an interval
    assert len(got) == len(expected) or all(e - s < 1e-3 for s, e in got)
    for (s, e), (rs, re) in zip(got, expected, strict=False):
        assert s == pytest.approx(rs, abs=1e-4)
        assert e == pytest.approx(re, abs=1e-4)
    for k in range(len(got)):
        # the minimum found is the smallest separation sampled inside the interval
        tau = np.linspace(got[k][0], got[k][1], 2001)
        seg = np.minimum(tau.astype(np.int64), n - 2)
        w = (tau - seg)[:, None]
        dd = ps.d_m[seg] + w * (ps.d_m[seg + 1] - ps.d_m[seg])
        assert cols["min_h_m"][k] <= np.sqrt(np.sum(dd * dd, axis=1)).min() + 1e-6


def test_a_threshold_touched_is_no_loss() -> None:
    # exactly at the horizontal limit at a grid time, and away on both sides
    d = np.array([[9_000.0, 3_000.0, 0.0], [9_260.0, 0.0, 0.0], [9_000.0, -3_000.0, 0.0]])
    ps = _pair_steps(d, np.zeros(3))
    pair, _ = intervals.pieces(ps, np.full(3, 9_260.0), np.full(3, 300.0), 1.0, (0, 3))
    assert len(pair) == 2  # the two segments dip inside (the chord is shorter) ...
    d[:, 0] = 9_260.0 + 1.0  # ... but a pair that stays out has none
    d[:, 1] = [1.0, 0.0, -1.0]
    pair, _ = intervals.pieces(
        _pair_steps(d, np.zeros(3)), np.full(3, 9_260.0), np.full(3, 300.0), 1.0, (0, 3)
    )
    assert len(pair) == 0


def test_an_isolated_grid_time_is_a_loss_of_zero_length() -> None:
    ps = _pair_steps(np.array([[100.0, 0.0, 0.0]]), np.array([10.0]), step0=7)
    pair, cols = intervals.pieces(ps, np.full(1, 9_260.0), np.full(1, 300.0), 2.0, (0, 100))
    assert len(pair) == 1
    assert cols["start_s"][0] == cols["end_s"][0] == 14.0
    assert cols["min_h_m"][0] == 100.0


def test_join_is_the_same_in_one_go_or_by_parts() -> None:
    rng = np.random.default_rng(3)
    n = 400
    d = np.cumsum(rng.normal(0, 1500.0, (n, 3)), axis=0) * [1, 1, 0.01]
    ps = _pair_steps(d, rng.uniform(-300, 300, n))
    h, v = np.full(n, 20_000.0), np.full(n, 250.0)
    whole = intervals.join(*intervals.pieces(ps, h, v, 1.0, (0, n)))
    parts = [intervals.pieces(ps, h, v, 1.0, (k, k + 37)) for k in range(0, n, 37)]
    joined = intervals.join(
        np.concatenate([p for p, _ in parts]),
        {c: np.concatenate([cols[c] for _, cols in parts]) for c in intervals.PIECE_COLUMNS},
    )
    assert len(whole[0]) == len(joined[0]) > 3
    for c in intervals.PIECE_COLUMNS:
        np.testing.assert_array_equal(whole[1][c], joined[1][c])
