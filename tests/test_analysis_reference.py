"""The incident review's yardstick (tests/analysis_reference.py) against traffic whose
encounters are known by construction (tests/encounter_factory.py), against tiny cases
computed by hand from the interpolation formulas of docs/analysis.md, and on its
symmetries (hypothesis).

Tolerances against the designed truth. The truth is the tangent-plane design; the
yardstick measures chords between points of the ellipsoid, on latitudes and longitudes
interpolated linearly between irregular samples. Over seeds 0-11 the two differ by at most
0.9 m in a separation (the pair at 89.4° N, where linear interpolation of latitude and
longitude bends a leg most), 0.11 s at the ends of an interval (the 13.7 m/s closures,
where 1 m is 0.07 s), 0.04 s in the time of a minimum, 4 m in the midpoint and 0.03 ft in
altitude. The bounds below are about five times those: 5 m, 0.5 s, 20 m, 0.1 ft. They are
far tighter than anything that would hide a wrong segment, a wrong join or a wrong
duplicate (each of which moves something by at least a grid step or a kilometre).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis_reference import WGS84_A_M, WGS84_E2, reference_review
from deconflict.analysis.review import CLOSEST, LOSSES
from deconflict.states import StateVectors
from deconflict.units import ft_to_m, nm_to_m
from encounter_factory import CATALOGUE, COUNTS, T0, Designed, Expected, designed_traffic

HSEP_TOL_M = 5.0
TIME_TOL_S = 0.5
PLACE_TOL_M = 20.0
VSEP_TOL_FT = 0.1

H_M = nm_to_m(5.0)


# --- designed traffic --------------------------------------------------------------------------


@pytest.fixture(scope="module", params=[0, 1])
def designed(
    request: pytest.FixtureRequest,
) -> tuple[StateVectors, list[Designed], pd.DataFrame, pd.DataFrame]:
    states, truth = designed_traffic(request.param)
    losses, closest = reference_review(states)
    return states, truth, losses, closest


def _pair(table: pd.DataFrame, d: Designed) -> pd.DataFrame:
    return table[(table.id1 == d.id1) & (table.id2 == d.id2)].reset_index(drop=True)


def _ground_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Roughly the distance between two nearby points (enough for a 20 m bound)."""
    dlon = (lon2 - lon1 + 180.0) % 360.0 - 180.0
    north = math.radians(lat2 - lat1) * 6_371_000.0
    east = math.radians(dlon) * 6_371_000.0 * math.cos(math.radians((lat1 + lat2) / 2.0))
    return math.hypot(north, east)


def _check_interval(row: Any, e: Expected, time_col: str, hsep_col: str, what: str) -> None:
    assert row.start_s == pytest.approx(e.start_s, abs=TIME_TOL_S), what
    assert row.end_s == pytest.approx(e.end_s, abs=TIME_TOL_S), what
    assert row[time_col] == pytest.approx(e.time_min_s, abs=TIME_TOL_S), what
    assert nm_to_m(row[hsep_col]) == pytest.approx(nm_to_m(e.min_hsep_nm), abs=HSEP_TOL_M), what
    assert row.altitude_ft == pytest.approx(e.altitude_ft, abs=VSEP_TOL_FT), what
    place = _ground_m(row.latitude_deg, row.longitude_deg, e.latitude_deg, e.longitude_deg)
    assert place < PLACE_TOL_M, what


def test_designed_counts(designed: tuple[StateVectors, list[Designed], Any, Any]) -> None:
    _, truth, losses, closest = designed
    assert list(losses.columns) == LOSSES
    assert list(closest.columns) == CLOSEST
    assert len(losses) == COUNTS["losses"] == sum(len(d.losses) for d in truth)
    assert len(closest) == COUNTS["closest"] == sum(len(d.close) for d in truth)
    lost = {(r.id1, r.id2) for r in losses.itertuples()}
    close = {(r.id1, r.id2) for r in closest.itertuples()}
    assert len(lost) == COUNTS["pairs_with_loss"]
    assert len(close) == COUNTS["pairs_close"]
    # nothing but designed pairs: the background never comes near anyone
    assert close <= {(d.id1, d.id2) for d in truth}
    for table in (losses, closest):
        assert (table.id1 < table.id2).all()
        keys = list(zip(table.id1, table.id2, table.start_s, strict=True))
        assert keys == sorted(keys)


def test_designed_losses(designed: tuple[StateVectors, list[Designed], Any, Any]) -> None:
    _, truth, losses, _ = designed
    for d in truth:
        rows = _pair(losses, d)
        assert len(rows) == len(d.losses), d.name
        for (_, row), e in zip(rows.iterrows(), d.losses, strict=True):
            _check_interval(row, e, "time_min_s", "min_hsep_nm", d.name)
            assert row.duration_s == pytest.approx(row.end_s - row.start_s)
            assert row.min_vsep_ft == pytest.approx(e.min_vsep_ft, abs=VSEP_TOL_FT), d.name
            assert row.hsep_applied_nm == 5.0
            assert row.vsep_applied_ft == 1000.0


def test_designed_close_encounters(
    designed: tuple[StateVectors, list[Designed], Any, Any],
) -> None:
    _, truth, losses, closest = designed
    for d in truth:
        rows = _pair(closest, d)
        assert len(rows) == len(d.close), d.name
        for (_, row), e in zip(rows.iterrows(), d.close, strict=True):
            _check_interval(row, e, "time_s", "hsep_nm", d.name)
            assert row.vsep_ft == pytest.approx(e.vsep_at_min_ft, abs=VSEP_TOL_FT), d.name
            lost = any(x.start_s <= e.end_s and x.end_s >= e.start_s for x in d.losses)
            assert bool(row.loss) == lost, d.name
    # the pairs designed without a loss have none, and say so in their encounters
    for d in truth:
        if not d.losses:
            assert _pair(losses, d).empty, d.name
            assert not _pair(closest, d).loss.any(), d.name


def test_designed_catalogue_is_what_it_says() -> None:
    """The truth itself, by name (seed 0): what the catalogue's comments promise."""
    _, truth = designed_traffic(0)
    by_name = {d.name: d for d in truth}
    assert [d.name for d in truth] == [s.name for s in CATALOGUE]
    gap = by_name["loss_with_gap"]
    assert len(gap.losses) == 2 and len(gap.close) == 2
    assert len(by_name["loss_short_gap"].losses) == 1
    assert by_name["loss_on_hour"].tcpa_s % 3600.0 == 0.0
    assert by_name["close_on_hour"].tcpa_s % 3600.0 == 0.0
    long_loss = by_name["long_loss_straddle"].losses[0]
    assert long_loss.start_s < T0 < long_loss.end_s
    assert long_loss.end_s - long_loss.start_s > 600.0
    long_close = by_name["long_close_straddle"].close[0]
    assert long_close.start_s < T0 + 3600.0 < long_close.end_s
    short = by_name["head_on_short"].losses[0]
    assert short.end_s - short.start_s < 10.0
    crossing = by_name["level_cross_close_only"].close[0]
    assert crossing.time_min_s == crossing.start_s  # the closest approach opens it
    assert not by_name["far_15nm"].close and not by_name["far_vertical"].close
    assert by_name["antimeridian_loss"].longitude_deg == 180.0
    assert by_name["polar_loss"].latitude_deg > 89.0


def test_designed_names_and_parties(
    designed: tuple[StateVectors, list[Designed], Any, Any],
) -> None:
    """Callsigns are each aircraft's last non-empty one (a fifth of the rows have none)."""
    _, truth, _, closest = designed
    for d in truth:
        for row in _pair(closest, d).itertuples():
            assert row.callsign1 == "DSG" + d.id1[1:3] + "A"
            assert row.callsign2 == "DSG" + d.id2[1:3] + "B"
            assert row.party1 in ("red", "blue", "")


# --- tiny cases by hand ------------------------------------------------------------------------


def _states(aircraft: Sequence[dict[str, Any]]) -> StateVectors:
    """Rows from per-aircraft dicts of arrays: t (s after T0), lat, lon, alt_ft; optional
    id, callsign. Rows are kept in the order given."""
    columns: dict[str, list[Any]] = {k: [] for k in ("t", "id", "lat", "lon", "alt", "cs")}
    for k, a in enumerate(aircraft):
        t = np.asarray(a["t"], dtype=np.float64)
        n = len(t)
        columns["t"].append(T0 + t)
        columns["id"].append(np.full(n, a.get("id", f"ac{k}")))
        columns["lat"].append(np.broadcast_to(np.asarray(a["lat"], dtype=np.float64), (n,)))
        columns["lon"].append(np.broadcast_to(np.asarray(a["lon"], dtype=np.float64), (n,)))
        columns["alt"].append(np.broadcast_to(ft_to_m(np.asarray(a["alt_ft"], float)), (n,)))
        columns["cs"].append(np.broadcast_to(np.asarray(a.get("callsign", "")), (n,)))
    cat = {k: np.concatenate(v) for k, v in columns.items()}
    n = len(cat["t"])
    return StateVectors.from_arrays(
        time_s=cat["t"],
        id=cat["id"],
        latitude_deg=cat["lat"],
        longitude_deg=cat["lon"],
        altitude_m=cat["alt"],
        groundspeed_mps=np.zeros(n),
        track_deg=np.zeros(n),
        vertical_rate_mps=np.zeros(n),
        callsign=cat["cs"],
    )


def _crossing_time(values: Sequence[float], limit: float) -> float:
    """Where a function that is linear between consecutive integers, with these values at
    0, 1, 2, ..., first goes below ``limit``."""
    for k in range(len(values) - 1):
        if values[k] >= limit > values[k + 1]:
            return k + (values[k] - limit) / (values[k] - values[k + 1])
    raise AssertionError("never below")


def _symmetric_pass(lon_centre: float) -> tuple[StateVectors, list[float]]:
    """Two aircraft on the equator at lon_centre ∓ λ(t), λ from 0.1° to -0.1° over 20 s:
    they meet at t = 10. Their surface points differ by (0, 2a sin λ, 0) rotated, always
    along one line, so along a segment the distance is linear in τ: |(1 - τ)D_k + τD_k+1|
    with D = 2a sin λ (signed). Returns the states and D at t = 0 .. 20."""
    t = np.arange(0.0, 20.5, 2.5)  # samples every 2.5 s, on and between grid times
    lam = 0.1 + (-0.2) * t / 20.0
    a = {"t": t, "lat": 0.0, "lon": lon_centre - lam, "alt_ft": 30_000.0}
    b = {"t": t, "lat": 0.0, "lon": lon_centre + lam, "alt_ft": 30_000.0}
    for x in (a, b):
        x["lon"] = (np.asarray(x["lon"]) + 180.0) % 360.0 - 180.0
    lam_k = [0.1 + (-0.2) * (k / 20.0) for k in range(21)]
    return _states([a, b]), [2.0 * WGS84_A_M * math.sin(math.radians(x)) for x in lam_k]


def test_by_hand_symmetric_pass() -> None:
    states, d = _symmetric_pass(0.0)
    losses, closest = reference_review(states)
    start = _crossing_time([abs(x) for x in d], H_M)
    # after they meet, D < 0: the loss ends where -D climbs back to H
    end = 20.0 - _crossing_time([abs(x) for x in d[::-1]], H_M)
    assert len(losses) == 1
    row = losses.iloc[0]
    assert row.start_s == pytest.approx(T0 + start, abs=1e-6)
    assert row.end_s == pytest.approx(T0 + end, abs=1e-6)
    assert row.min_hsep_nm == pytest.approx(0.0, abs=1e-9)
    assert row.time_min_s == pytest.approx(T0 + 10.0, abs=1e-6)
    assert row.latitude_deg == pytest.approx(0.0, abs=1e-9)
    assert row.longitude_deg == pytest.approx(0.0, abs=1e-9)
    assert row.min_vsep_ft == 0.0
    assert row.altitude_ft == pytest.approx(30_000.0)
    assert len(closest) == 1  # they start 0.2° (12 NM) apart
    c = closest.iloc[0]
    c_start = _crossing_time([abs(x) for x in d], nm_to_m(10.0))
    assert c.start_s == pytest.approx(T0 + c_start, abs=1e-6)
    assert c.end_s == pytest.approx(T0 + 20.0 - c_start, abs=1e-6)
    assert bool(c.loss)


def test_by_hand_antimeridian_pass_is_the_same_pass() -> None:
    """The same pass centred on 180° (each aircraft's longitude jumps from ±179.9° to
    ∓179.9°): the same intervals, and the midpoint on the antimeridian."""
    here, _ = _symmetric_pass(0.0)
    there, _ = _symmetric_pass(180.0)
    (l0, c0), (l1, c1) = reference_review(here), reference_review(there)
    for a, b in ((l0, l1), (c0, c1)):
        assert len(a) == len(b) == 1
        for col in ("start_s", "end_s"):
            assert b[col].iloc[0] == pytest.approx(a[col].iloc[0], abs=1e-6)
        assert abs(b.longitude_deg.iloc[0]) == pytest.approx(180.0, abs=1e-9)
    assert l1.min_hsep_nm.iloc[0] == pytest.approx(0.0, abs=1e-9)


def test_by_hand_near_the_pole() -> None:
    """Two aircraft on meridians 0° and 180° closing on the North Pole, latitude 90 - λ(t)
    with λ from 0.1° to 0.02° over 20 s: their surface points differ by (2 N(φ) cos φ, 0, 0),
    along one line, so the distance is linear along each segment."""
    t = np.arange(0.0, 20.5, 4.0)
    lam = 0.1 - 0.08 * t / 20.0
    states = _states(
        [
            {"t": t, "lat": 90.0 - lam, "lon": 0.0, "alt_ft": 30_000.0},
            {"t": t, "lat": 90.0 - lam, "lon": 180.0, "alt_ft": 30_500.0},
        ]
    )

    def chord(phi_deg: float) -> float:
        phi = math.radians(phi_deg)
        n = WGS84_A_M / math.sqrt(1.0 - WGS84_E2 * math.sin(phi) ** 2)
        return 2.0 * n * math.cos(phi)

    d = [chord(90.0 - (0.1 - 0.08 * k / 20.0)) for k in range(21)]
    losses, _ = reference_review(states)
    assert len(losses) == 1
    row = losses.iloc[0]
    assert row.start_s == pytest.approx(T0 + _crossing_time(d, H_M), abs=1e-6)
    assert row.end_s == T0 + 20.0
    assert row.time_min_s == T0 + 20.0
    assert nm_to_m(row.min_hsep_nm) == pytest.approx(d[-1], abs=1e-6)
    assert row.min_vsep_ft == pytest.approx(500.0)
    assert row.latitude_deg == pytest.approx(90.0, abs=1e-9)  # the midpoint is the pole
    assert row.altitude_ft == pytest.approx(30_250.0)


def test_by_hand_vertical_interval_exact() -> None:
    """Same place, one level at 30,000 ft, the other descending from 32,000 ft to 28,000 ft
    in 37 s (samples every 9.25 s): |dz| < 1000 ft exactly for t in (9.25, 27.75). The
    horizontal separation is 0 throughout: the minimum's time is the earliest (a tie)."""
    t = np.arange(5) * 9.25
    states = _states(
        [
            {"t": t, "lat": 45.0, "lon": 7.0, "alt_ft": 30_000.0},
            {"t": t, "lat": 45.0, "lon": 7.0, "alt_ft": 32_000.0 - 1000.0 * np.arange(5)},
        ]
    )
    losses, closest = reference_review(states)
    assert len(losses) == 1
    row = losses.iloc[0]
    assert row.start_s == pytest.approx(T0 + 9.25, abs=1e-6)
    assert row.end_s == pytest.approx(T0 + 27.75, abs=1e-6)
    assert row.min_vsep_ft == pytest.approx(0.0, abs=1e-6)
    assert row.min_hsep_nm == 0.0
    assert row.time_min_s == row.start_s
    # the encounter (|dz| < 2000 ft) is the whole track: at t = 0, |dz| is 2000: not below
    c = closest.iloc[0]
    assert c.start_s == pytest.approx(T0, abs=1e-6)
    assert c.end_s == pytest.approx(T0 + 37.0, abs=1e-6)
    assert c.vsep_ft == pytest.approx(2000.0, abs=1e-4)  # (1e-6 m under the limit)


def test_by_hand_zero_length_loss() -> None:
    """An aircraft seen alone every 50 s covers only the grid times of its samples: at
    t = 100 it is 1 NM from a level neighbour, a loss of zero length."""
    near, far = 1.0 / 60.0, 50.0 / 60.0  # degrees of latitude: about 1 and 50 NM
    states = _states(
        [
            {"t": np.arange(0.0, 201.0, 5.0), "lat": 0.0, "lon": 0.0, "alt_ft": 30_000.0},
            {
                "t": [50.0, 100.0, 150.0, 175.5],  # 175.5: a lone sample off the grid
                "lat": [far, near, far, near],
                "lon": 0.0,
                "alt_ft": 30_000.0,
            },
        ]
    )
    losses, closest = reference_review(states)
    assert len(losses) == 1 and len(closest) == 1
    row = losses.iloc[0]
    assert row.start_s == row.end_s == row.time_min_s == T0 + 100.0
    assert row.duration_s == 0.0
    assert row.min_hsep_nm == pytest.approx(1.0, rel=0.01)
    assert closest.start_s.iloc[0] == closest.end_s.iloc[0] == T0 + 100.0
    assert bool(closest.loss.iloc[0])


@pytest.mark.parametrize(("gap_s", "pieces"), [(30.0, 2), (20.0, 1)])
def test_by_hand_gap_breaks_encounter(gap_s: float, pieces: int) -> None:
    """Two level aircraft 1 NM apart all along; the second silent from t = 60 to 60 + gap:
    more than max_gap_s (20 s) breaks the loss at the last and first grid times covered."""
    t = np.arange(0.0, 201.0, 2.0)
    t2 = t[(t <= 60.0) | (t >= 60.0 + gap_s)]
    states = _states(
        [
            {"t": t, "lat": 10.0, "lon": 20.0, "alt_ft": 30_000.0},
            {"t": t2, "lat": 10.0 + 1.0 / 60.0, "lon": 20.0, "alt_ft": 30_000.0},
        ]
    )
    losses, closest = reference_review(states)
    assert len(losses) == len(closest) == pieces
    if pieces == 2:
        assert list(losses.start_s - T0) == [0.0, 60.0 + gap_s]
        assert list(losses.end_s - T0) == [60.0, 200.0]
    else:
        assert (losses.start_s.iloc[0], losses.end_s.iloc[0]) == (T0, T0 + 200.0)


@pytest.mark.parametrize(
    ("offset_m", "lost"), [(0.0, False), (1e-7, False), (-1e-7, False), (-0.01, True)]
)
def test_by_hand_horizontal_threshold(offset_m: float, lost: bool) -> None:
    """Two level aircraft still on the equator, 5 NM (+ offset) apart: at 5 NM, to within
    1e-6 m, is not a loss."""
    beta = math.degrees(math.asin((H_M + offset_m) / (2.0 * WGS84_A_M)))
    t = np.arange(0.0, 11.0, 1.0)
    states = _states(
        [
            {"t": t, "lat": 0.0, "lon": -beta, "alt_ft": 30_000.0},
            {"t": t, "lat": 0.0, "lon": beta, "alt_ft": 30_000.0},
        ]
    )
    losses, closest = reference_review(states)
    assert len(losses) == int(lost)
    assert len(closest) == 1  # within 10 NM all along
    assert nm_to_m(closest.hsep_nm.iloc[0]) == pytest.approx(H_M + offset_m, abs=1e-6)


@pytest.mark.parametrize(
    ("dz_ft", "tolerance_ft", "lost"),
    [(1000.0, 0.0, False), (999.0, 0.0, True), (960.0, 50.0, False), (940.0, 50.0, True)],
)
def test_by_hand_vertical_threshold(dz_ft: float, tolerance_ft: float, lost: bool) -> None:
    """Flight levels exactly 1,000 ft apart (in metres, 304.8 ± rounding) are at the
    minimum; with a tolerance the vertical limit is V - tolerance."""
    t = np.arange(0.0, 11.0, 1.0)
    states = _states(
        [
            {"t": t, "lat": 0.0, "lon": 0.0, "alt_ft": 30_000.0},
            {"t": t, "lat": 0.01, "lon": 0.0, "alt_ft": 30_000.0 + dz_ft},
        ]
    )
    losses, closest = reference_review(states, vsep_tolerance_ft=tolerance_ft)
    assert len(losses) == int(lost)
    assert len(closest) == 1
    if lost:
        assert losses.min_vsep_ft.iloc[0] == pytest.approx(dz_ft)
        assert losses.vsep_applied_ft.iloc[0] == 1000.0


@pytest.mark.parametrize(("dz_ft", "close"), [(1990.0, True), (2000.0, False)])
def test_by_hand_no_tolerance_on_reporting_limits(dz_ft: float, close: bool) -> None:
    """The tolerance is an allowance of the minima only: 1,990 ft apart is a close encounter
    under 2,000 ft even with a 50 ft tolerance."""
    t = np.arange(0.0, 11.0, 1.0)
    states = _states(
        [
            {"t": t, "lat": 0.0, "lon": 0.0, "alt_ft": 30_000.0},
            {"t": t, "lat": 0.01, "lon": 0.0, "alt_ft": 30_000.0 + dz_ft},
        ]
    )
    _, closest = reference_review(states, vsep_tolerance_ft=50.0)
    assert len(closest) == int(close)


@pytest.mark.parametrize(("wrong_first", "pieces"), [(True, 1), (False, 2)])
def test_by_hand_duplicate_time_later_row_wins(wrong_first: bool, pieces: int) -> None:
    """Two rows of one aircraft at t = 50: the later one in the file counts. A wrong row 50 NM
    away breaks the loss when it comes last."""
    t = np.arange(0.0, 101.0, 2.0)
    right = {"t": t, "lat": 1.0 / 60.0, "lon": 0.0, "alt_ft": 30_000.0, "id": "b"}
    wrong = {"t": [50.0], "lat": 50.0 / 60.0, "lon": 0.0, "alt_ft": 30_000.0, "id": "b"}
    own = {"t": t, "lat": 0.0, "lon": 0.0, "alt_ft": 30_000.0, "id": "a"}
    b_rows = [wrong, right] if wrong_first else [right, wrong]
    losses, _ = reference_review(_states([own, *b_rows]))
    assert len(losses) == pieces


def test_by_hand_last_callsign_and_party() -> None:
    t = np.arange(0.0, 4.0)
    states = _states(
        [
            {"t": t, "lat": 0.0, "lon": 0.0, "alt_ft": 30_000.0, "id": "a",
             "callsign": ["", "X1", "X2", ""]},
            {"t": t, "lat": 0.001, "lon": 0.0, "alt_ft": 30_000.0, "id": "b",
             "callsign": ["Y1", "", "", ""]},
        ]
    )  # fmt: skip
    losses, closest = reference_review(states)
    assert (losses.callsign1.iloc[0], losses.callsign2.iloc[0]) == ("X2", "Y1")
    assert (closest.party1.iloc[0], closest.party2.iloc[0]) == ("", "")


@pytest.mark.parametrize("n", [0, 1])
def test_no_pairs_give_empty_tables(n: int) -> None:
    one = _states([{"t": [0.0, 1.0], "lat": 0.0, "lon": 0.0, "alt_ft": 30_000.0}])
    losses, closest = reference_review(one.take(np.arange(2 * n)))
    assert list(losses.columns) == LOSSES and losses.empty
    assert list(closest.columns) == CLOSEST and closest.empty


# --- symmetries (hypothesis) -------------------------------------------------------------------


@st.composite
def close_traffic(draw: st.DrawFn) -> list[dict[str, Any]]:
    """2-4 aircraft within ~10 NM of one another, straight legs, samples at multiples of
    0.25 s (exact in binary, so that shifting them by whole seconds is exact) 0.25-25 s
    apart, altitudes within ~2,500 ft."""
    n = draw(st.integers(2, 4))
    aircraft = []
    for k in range(n):
        steps = draw(st.lists(st.integers(1, 100), min_size=2, max_size=25))
        t = draw(st.integers(0, 40)) * 0.25 + np.cumsum(np.array(steps) * 0.25)
        lat0 = draw(st.floats(-0.08, 0.08))
        lon0 = draw(st.floats(-0.08, 0.08))
        vlat = draw(st.floats(-0.003, 0.003))
        vlon = draw(st.floats(-0.003, 0.003))
        alt0 = draw(st.floats(29_000.0, 31_500.0))
        vz = draw(st.sampled_from([0.0, 0.0, 30.0, -30.0]))
        aircraft.append(
            {
                "id": f"x{k}",
                "t": t,
                "lat": 45.0 + lat0 + vlat * t,
                "lon": 5.0 + lon0 + vlon * t,
                "alt_ft": alt0 + vz * t,
            }
        )
    return aircraft


def _same(a: pd.DataFrame, b: pd.DataFrame, shift_s: float = 0.0) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if col in ("start_s", "end_s", "time_min_s", "time_s"):
            np.testing.assert_allclose(y - shift_s, x, rtol=0, atol=1e-6, err_msg=col)
        elif col == "duration_s":  # the difference of two rounded times
            np.testing.assert_allclose(y, x, rtol=0, atol=1e-6, err_msg=col)
        elif x.dtype.kind == "f":
            np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-9, err_msg=col)
        else:
            assert list(x) == list(y), col


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traffic=close_traffic(), hours=st.integers(-1000, 1000), seconds=st.integers(-7200, 7200))
def test_shift_in_time_shifts_every_row(
    traffic: list[dict[str, Any]], hours: int, seconds: int
) -> None:
    """Shifting every sample by a whole number of grid steps shifts every row by exactly that
    (to rounding), across hour boundaries or not."""
    shift = hours * 3600.0 + seconds
    moved = [a | {"t": a["t"] + shift} for a in traffic]
    (l0, c0), (l1, c1) = reference_review(_states(traffic)), reference_review(_states(moved))
    _same(l0, l1, shift)
    _same(c0, c1, shift)


def _renamed(table: pd.DataFrame, ids: dict[str, str]) -> pd.DataFrame:
    """The table with its aircraft renamed, each pair's sides swapped where that puts the
    ids out of order, sorted again."""
    rows = []
    for row in table.to_dict("records"):
        row["id1"], row["id2"] = ids.get(row["id1"], row["id1"]), ids.get(row["id2"], row["id2"])
        if row["id1"] > row["id2"]:
            for name in ("id", "party", "callsign"):
                row[name + "1"], row[name + "2"] = row[name + "2"], row[name + "1"]
        rows.append(row)
    out = pd.DataFrame(rows, columns=table.columns).astype(table.dtypes.to_dict())
    return out.sort_values(["id1", "id2", "start_s"], kind="stable", ignore_index=True)


@settings(max_examples=60, deadline=None)
@given(traffic=close_traffic())
def test_order_of_the_pair_does_not_matter(traffic: list[dict[str, Any]]) -> None:
    """Renaming two aircraft into each other's ids (so that id1 and id2 trade places) gives
    the same rows with the two sides swapped, and the rows of the file in any order the same
    tables."""
    swap = {"x0": "x1", "x1": "x0"}
    renamed = [a | {"id": swap.get(a["id"], a["id"])} for a in traffic]
    l0, c0 = reference_review(_states(traffic))
    l1, c1 = reference_review(_states(renamed))
    _same(_renamed(l0, swap), l1)
    _same(_renamed(c0, swap), c1)
    rows = np.random.default_rng(0).permutation(len(_states(traffic)))
    l2, c2 = reference_review(_states(traffic).take(rows))
    _same(l0, l2)
    _same(c0, c2)
