"""The engine against the all-pairs reference, and named scenarios on real coordinates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from pyproj import Geod

from deconflict.errors import InputError, OptionError
from deconflict.states import StateVectors, validate
from deconflict.tactical import broad, cpa, engine
from deconflict.tactical.areas import read_areas
from deconflict.tactical.engine import Criteria, detect
from deconflict.units import fpm_to_mps, ft_to_m, kt_to_mps, nm_to_m
from reference import all_pairs

WGS84 = Geod(ellps="WGS84")
F64 = NDArray[np.float64]


def cluster(
    seed: int,
    n: int,
    lat: float,
    lon: float,
    radius_m: float,
    max_speed_mps: float = 300.0,
    band_m: float = 3_000.0,
) -> cpa.Kinematics:
    """n aircraft within radius_m of (lat, lon), random headings, some climbing."""
    rng = np.random.default_rng(seed)
    lon2, lat2, _ = WGS84.fwd(
        np.full(n, lon), np.full(n, lat), rng.uniform(0, 360, n), radius_m * np.sqrt(rng.random(n))
    )
    vz = np.where(rng.random(n) < 1 / 3, rng.uniform(-20, 20, n), 0.0)
    speed = rng.uniform(0, max_speed_mps, n)
    speed[rng.random(n) < 0.05] = 0.0  # some hover / stand still
    return cpa.kinematics(
        np.asarray(lat2),
        np.asarray(lon2),
        rng.uniform(6_000, 6_000 + band_m, n),
        speed,
        rng.uniform(0, 360, n),
        vz,
    )


def assert_same_as_reference(kin: cpa.Kinematics, hsep_m: F64, vsep_m: F64, t: float) -> int:
    # through the grid whatever the size (small snapshots would skip it)
    i, j, found = engine.snapshot_conflicts(kin, hsep_m, vsep_m, t, engine._every_pair, 0)
    ri, rj, ref = all_pairs(kin, hsep_m, vsep_m, t)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == list(
        zip(ri.tolist(), rj.tolist(), strict=True)
    )
    for name in ("t_in_s", "t_out_s", "tcpa_s", "dcpa_m", "dz_cpa_m", "los_now"):
        assert np.array_equal(getattr(found, name), getattr(ref, name)), name
    return len(i)


places = st.sampled_from(
    [
        (0.0, 0.0),
        (48.8, 2.3),
        (35.0, 179.9),
        (-33.9, -179.95),
        (89.5, 10.0),
        (-89.99, -60.0),
        (90.0, 0.0),
        (0.0, 180.0),
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 120),
    place=places,
    radius_m=st.sampled_from([2_000.0, 20_000.0, 100_000.0, 400_000.0]),
    max_speed=st.sampled_from([0.0, 50.0, 300.0, 1_000.0]),
    hsep_nm=st.sampled_from([0.5, 3.0, 5.0, 20.0]),
    lookahead_s=st.sampled_from([1.0, 120.0, 300.0, 900.0]),
)
def test_engine_finds_exactly_the_pairs_of_all_pairs(
    seed: int,
    n: int,
    place: tuple[float, float],
    radius_m: float,
    max_speed: float,
    hsep_nm: float,
    lookahead_s: float,
) -> None:
    kin = cluster(seed, n, place[0], place[1], radius_m, max_speed)
    h = np.full(n, nm_to_m(hsep_nm))
    v = np.full(n, ft_to_m(1000.0))
    assert_same_as_reference(kin, h, v, lookahead_s)


@pytest.mark.parametrize(
    ("place", "radius_m", "n"),
    [
        ((35.0, 30.0), 300_000.0, 3_000),
        ((89.0, 0.0), 200_000.0, 2_000),
        ((0.0, 180.0), 300_000.0, 2_000),
    ],
)
def test_dense_snapshots_match_reference(
    place: tuple[float, float], radius_m: float, n: int
) -> None:
    kin = cluster(7, n, place[0], place[1], radius_m, band_m=6_000.0)
    found = assert_same_as_reference(
        kin, np.full(n, nm_to_m(5.0)), np.full(n, ft_to_m(1000.0)), 300.0
    )
    assert found > 50  # the scenario does exercise the engine


def test_world_wide_snapshot_matches_reference() -> None:
    rng = np.random.default_rng(11)
    n = 4_000
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    kin = cpa.kinematics(
        lat,
        rng.uniform(-180, 180, n),
        rng.uniform(6_000, 12_000, n),
        rng.uniform(0, 1_000, n),
        rng.uniform(0, 360, n),
        rng.uniform(-10, 10, n),
    )
    h = np.full(n, nm_to_m(50.0))  # large minima so that pairs exist world-wide
    assert_same_as_reference(kin, h, np.full(n, ft_to_m(3000.0)), 900.0)


def test_per_aircraft_minima_take_the_larger_of_the_pair() -> None:
    kin = cluster(3, 400, 48.0, 2.0, 60_000.0)
    rng = np.random.default_rng(3)
    h = np.where(rng.random(400) < 0.5, nm_to_m(3.0), nm_to_m(5.0))
    v = np.where(rng.random(400) < 0.5, ft_to_m(500.0), ft_to_m(1000.0))
    assert assert_same_as_reference(kin, h, v, 300.0) > 0


# detect() on state vectors: named scenarios with real coordinates


def states(rows: list[dict[str, object]]) -> StateVectors:
    def column(name: str, default: object = None) -> list[object]:
        return [r.get(name, default) for r in rows]

    return StateVectors.from_arrays(
        time_s=column("time", 0.0),
        id=column("id"),
        party=column("party", ""),
        latitude_deg=column("lat"),
        longitude_deg=column("lon"),
        altitude_m=[ft_to_m(float(a)) for a in column("alt_ft", 30_000.0)],  # type: ignore[arg-type]
        groundspeed_mps=[kt_to_mps(float(g)) for g in column("gs_kt", 0.0)],  # type: ignore[arg-type]
        track_deg=column("trk", 0.0),
        vertical_rate_mps=[fpm_to_mps(float(v)) for v in column("vs_fpm", 0.0)],  # type: ignore[arg-type]
        onground=column("onground", False),
    )


def test_head_on_across_the_antimeridian() -> None:
    # A west of the antimeridian flying east, B east of it flying west, 20 NM apart
    s = states(
        [
            {"id": "A", "lat": 10.0, "lon": 179.83, "trk": 90.0, "gs_kt": 450.0},
            {"id": "B", "lat": 10.0, "lon": -179.83, "trk": 270.0, "gs_kt": 450.0},
        ]
    )
    c = detect(s)
    assert len(c) == 1
    _, _, gap = WGS84.inv(179.83, 10.0, -179.83, 10.0)
    closing = 2 * kt_to_mps(450.0)
    assert c.t_in_s[0] == pytest.approx((gap - nm_to_m(5.0)) / closing, rel=1e-3)
    assert c.tcpa_s[0] == pytest.approx(gap / closing, rel=1e-3)
    assert c.dcpa_m[0] < 100.0
    assert not c.los_now[0]


def test_crossing_over_the_north_pole() -> None:
    # two aircraft beyond 89.9 degrees on opposite meridians, both flying towards the pole
    s = states(
        [
            {"id": "A", "lat": 89.95, "lon": 0.0, "trk": 0.0, "gs_kt": 480.0},
            {"id": "B", "lat": 89.95, "lon": 180.0, "trk": 0.0, "gs_kt": 480.0},
        ]
    )
    c = detect(s)
    assert len(c) == 1
    assert not c.los_now[0]  # 0.1 degree of latitude apart across the pole: about 6 NM
    assert c.dcpa_m[0] < 50.0  # head-on through the pole


def test_near_pole_distance_is_geodesic() -> None:
    s = states(
        [
            {"id": "A", "lat": 89.97, "lon": 0.0},
            {"id": "B", "lat": 89.97, "lon": 90.0},
        ]
    )
    c = detect(s, Criteria(hsep_nm=10.0))
    _, _, gap = WGS84.inv(0.0, 89.97, 90.0, 89.97)
    assert c.dcpa_m[0] == pytest.approx(gap, abs=1.0)


def test_adjacent_flight_levels_are_separated() -> None:
    s = states(
        [
            {"id": "A", "lat": 45.0, "lon": 5.0, "alt_ft": 31_000},
            {"id": "B", "lat": 45.0, "lon": 5.0, "alt_ft": 30_000},
        ]
    )
    assert len(detect(s)) == 0  # exactly 1,000 ft apart: separated, whatever ft -> m does


def test_quantisation_tolerance() -> None:
    s = states(
        [
            {"id": "A", "lat": 45.0, "lon": 5.0, "alt_ft": 30_975},
            {"id": "B", "lat": 45.0, "lon": 5.01, "alt_ft": 30_000},
        ]
    )
    assert len(detect(s)) == 1  # 975 ft < 1,000 ft
    assert len(detect(s, Criteria(vsep_tolerance_ft=50.0))) == 0


def test_cross_party_only() -> None:
    base = {"lat": 45.0, "lon": 5.0}
    s = states(
        [
            {**base, "id": "A1", "party": "A"},
            {**base, "id": "A2", "party": "A", "lon": 5.01},
            {**base, "id": "B1", "party": "B", "lon": 5.02},
            {**base, "id": "X", "party": "", "lon": 5.03},
        ]
    )
    all_ids = {(a, b) for a, b in zip(detect(s).id1, detect(s).id2, strict=True)}
    assert len(all_ids) == 6
    c = detect(s, Criteria(cross_party_only=True))
    pairs = set(zip(c.id1.tolist(), c.id2.tolist(), strict=True))
    assert ("A1", "A2") not in pairs
    assert pairs == all_ids - {("A1", "A2")}  # the unknown party X is kept with everyone


def test_cross_party_only_needs_parties() -> None:
    s = StateVectors.from_arrays(
        time_s=[0.0],
        id=["A"],
        latitude_deg=[0.0],
        longitude_deg=[0.0],
        altitude_m=[1000.0],
        groundspeed_mps=[0.0],
        track_deg=[0.0],
        vertical_rate_mps=[0.0],
    )
    with pytest.raises(OptionError, match="party"):
        detect(s, Criteria(cross_party_only=True))


def test_ground_and_minimum_altitude_filters() -> None:
    s = states(
        [
            {"id": "A", "lat": 48.0, "lon": 2.0, "alt_ft": 0, "onground": True},
            {"id": "B", "lat": 48.0, "lon": 2.001, "alt_ft": 0, "onground": True},
            {"id": "C", "lat": 48.0, "lon": 2.002, "alt_ft": 500},
        ]
    )
    assert len(detect(s)) == 3
    assert len(detect(s, Criteria(exclude_onground=True))) == 0
    assert len(detect(s, Criteria(min_altitude_ft=100.0))) == 0


def test_terminal_area_minima(tmp_path: Path) -> None:
    tma = tmp_path / "tma.geojson"
    tma.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "TMA", "hsep_nm": 3.0, "upper_ft": 19_500},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[1, 47], [3, 47], [3, 49], [1, 49], [1, 47]]],
                        },
                    }
                ],
            }
        )
    )
    areas = read_areas(tma)
    four_nm_east = 4 * 1852 / (111_320 * np.cos(np.radians(48.0)))
    inside = states(
        [
            {"id": "A", "lat": 48.0, "lon": 2.0, "alt_ft": 10_000},
            {"id": "B", "lat": 48.0, "lon": 2.0 + four_nm_east, "alt_ft": 10_000},
        ]
    )
    assert len(detect(inside)) == 1  # 4 NM < 5 NM
    assert len(detect(inside, Criteria(areas=areas))) == 0  # 4 NM > 3 NM in the TMA
    above = states(
        [
            {"id": "A", "lat": 48.0, "lon": 2.0, "alt_ft": 25_000},
            {"id": "B", "lat": 48.0, "lon": 2.0 + four_nm_east, "alt_ft": 25_000},
        ]
    )
    assert len(detect(above, Criteria(areas=areas))) == 1  # above the TMA: 5 NM again
    straddling = states(
        [
            {"id": "A", "lat": 48.0, "lon": 2.999, "alt_ft": 10_000},
            {"id": "B", "lat": 48.0, "lon": 2.999 + four_nm_east, "alt_ft": 10_000},
        ]
    )
    assert len(detect(straddling, Criteria(areas=areas))) == 1  # one outside: 5 NM


def test_snapshots_and_output_order() -> None:
    rows = []
    for t in (20.0, 10.0):
        rows += [
            {"time": t, "id": "zulu", "lat": 0.0, "lon": 0.0},
            {"time": t, "id": "alpha", "lat": 0.0, "lon": 0.01},
            {"time": t, "id": "mike", "lat": 0.0, "lon": 0.02},
        ]
    c = detect(states(rows))
    assert c.snapshots == 2
    assert c.timestamp_s.tolist() == [10.0] * 3 + [20.0] * 3
    assert list(zip(c.id1[:3], c.id2[:3], strict=True)) == [
        ("alpha", "mike"),
        ("alpha", "zulu"),
        ("mike", "zulu"),
    ]
    assert all(a < b for a, b in zip(c.id1, c.id2, strict=True))


def test_window_takes_latest_state_and_extrapolates() -> None:
    # A reported at t=1 and t=4 (latest wins), B at t=2; window 5 s -> snapshot at t=5
    rows = [
        {"time": 1.0, "id": "A", "lat": 0.0, "lon": 0.0, "trk": 90.0, "gs_kt": 0.0},
        {"time": 4.0, "id": "A", "lat": 0.0, "lon": 0.0, "trk": 90.0, "gs_kt": 360.0},
        {"time": 2.0, "id": "B", "lat": 0.0, "lon": 1.0, "trk": 270.0, "gs_kt": 360.0},
    ]
    c = detect(states(rows), Criteria(window_s=5.0, lookahead_s=600.0))
    assert c.snapshots == 1
    assert c.timestamp_s.tolist() == [5.0]
    # at t=5, A has flown 1 s and B 3 s at 185.2 m/s towards each other
    _, _, gap = WGS84.inv(0.0, 0.0, 1.0, 0.0)
    remaining = gap - 4 * kt_to_mps(360.0)
    assert c.tcpa_s[0] == pytest.approx(remaining / (2 * kt_to_mps(360.0)), rel=1e-4)


def test_duplicate_rows_keep_the_last() -> None:
    rows = [
        {"id": "A", "lat": 0.0, "lon": 0.0},
        {"id": "A", "lat": 0.0, "lon": 5.0},  # A moved away: only this row counts
        {"id": "B", "lat": 0.0, "lon": 0.01},
    ]
    assert len(detect(states(rows))) == 0


@pytest.mark.parametrize(
    "criteria",
    [
        {"hsep_nm": 0.0},
        {"vsep_ft": -1.0},
        {"lookahead_s": float("nan")},
        {"window_s": 0.0},
        {"vsep_tolerance_ft": 1000.0},
        {"min_altitude_ft": float("inf")},
        {"lookahead_s": 1e308},  # found in review: overflowed into missed conflicts
        {"hsep_nm": 1e200},
        {"window_s": 1e-300},
        {"hsep_nm": True},
    ],
)
def test_bad_criteria(criteria: dict[str, float]) -> None:
    with pytest.raises(OptionError):
        Criteria(**criteria)  # type: ignore[arg-type]


def test_progress_is_reported_per_snapshot() -> None:
    rows = [{"time": float(t), "id": "A", "lat": 0.0, "lon": 0.0} for t in range(4)]
    calls: list[tuple[int, int]] = []
    detect(states(rows), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_empty_and_single_aircraft_inputs() -> None:
    empty = states([])
    c = detect(empty)
    assert (len(c), c.snapshots, c.aircraft_states) == (0, 0, 0)
    alone = detect(states([{"id": "A", "lat": 0.0, "lon": 0.0}]))
    assert (len(alone), alone.snapshots, alone.aircraft_states) == (0, 1, 1)


# The named edge cases of the kernel, now on real coordinates through the whole engine
# (broad phase included), at several places: each must give the expected answer and
# exactly the all-pairs reference's pairs.

EDGE_PLACES = [(0.0, 0.0), (45.0, 179.99), (-30.0, -180.0), (89.2, 45.0), (-89.9, 100.0)]


def pair_at(
    place: tuple[float, float],
    bearing_deg: float,
    distance_m: float,
    own: tuple[float, float, float],
    other: tuple[float, float, float],
    dz_ft: float = 0.0,
) -> StateVectors:
    """Aircraft A at ``place`` and B at ``distance_m`` along ``bearing_deg``; each moves with
    (track relative to the A->B bearing, groundspeed kt, vertical rate ft/min)."""
    lat, lon = place
    lon2, lat2, back = WGS84.fwd(lon, lat, bearing_deg, distance_m)
    forward_at_b = (back + 180.0) % 360.0  # the A->B direction, as seen at B
    return states(
        [
            {"id": "A", "lat": lat, "lon": lon, "trk": (bearing_deg + own[0]) % 360,
             "gs_kt": own[1], "vs_fpm": own[2], "alt_ft": 20_000.0},
            {"id": "B", "lat": lat2, "lon": lon2, "trk": (forward_at_b + other[0]) % 360,
             "gs_kt": other[1], "vs_fpm": other[2], "alt_ft": 20_000.0 + dz_ft},
        ]
    )  # fmt: skip


NM = 1852.0
EDGE_CASES = {
    # name: (distance, A motion, B motion, dz_ft, expected conflict, expected LoS now)
    "head-on": (20 * NM, (0, 450, 0), (180, 450, 0), 0.0, True, False),
    "overtaking": (8 * NM, (0, 480, 0), (0, 400, 0), 0.0, True, False),
    "overtaking-too-slowly": (30 * NM, (0, 410, 0), (0, 400, 0), 0.0, False, False),
    "parallel-equal-speed-inside": (4 * NM, (90, 400, 0), (90, 400, 0), 0.0, True, True),
    "parallel-equal-speed-outside": (6 * NM, (90, 400, 0), (90, 400, 0), 0.0, False, False),
    "vertical-only": (0.5 * NM, (0, 0, 2000), (0, 0, -2000), 3000.0, True, False),
    "already-in-los": (1 * NM, (180, 300, 0), (0, 300, 0), 500.0, True, True),
    "groundspeed-zero": (3 * NM, (0, 0, 0), (0, 0, 0), 0.0, True, True),
    "just-outside-h": (5 * NM + 2.0, (0, 0, 0), (0, 0, 0), 0.0, False, False),
    "just-inside-h": (5 * NM - 2.0, (0, 0, 0), (0, 0, 0), 0.0, True, True),
    "exactly-1000-ft": (0.1 * NM, (0, 0, 0), (0, 0, 0), 1000.0, False, False),
}


@pytest.mark.parametrize("place", EDGE_PLACES)
@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_named_edge_cases_on_the_globe(place: tuple[float, float], name: str) -> None:
    distance, own, other, dz_ft, conflict, los_now = EDGE_CASES[name]
    s = pair_at(place, 30.0, distance, own, other, dz_ft)
    found = detect(s)
    assert len(found) == int(conflict), name
    if conflict:
        assert bool(found.los_now[0]) is los_now
    kin, h, v = engine.prepare(s, Criteria())
    assert_same_as_reference(kin, h, v, 300.0)


def test_one_fast_aircraft_does_not_blow_up_the_grid() -> None:
    """1,000 aircraft standing still and one at 1,000 m/s over an hour's lookahead: its box
    would cover 1.6 billion median-sized cells. The grid must stay within its budget and
    the pairs must still be the reference's."""
    n = 1_000
    rng = np.random.default_rng(0)
    speed = np.zeros(n)
    speed[0] = 1_000.0
    kin = cpa.kinematics(
        rng.uniform(40, 41, n), rng.uniform(0, 1, n), np.full(n, 9_000.0), speed,
        np.full(n, 45.0), np.zeros(n),
    )  # fmt: skip
    h, v = np.full(n, nm_to_m(5.0)), np.full(n, ft_to_m(1000.0))
    boxes = broad.swept_boxes(kin, float(h.max()), float(v.max()), 3_600.0)
    lo = np.column_stack([boxes.lo_m, boxes.alt_lo_m])
    hi = np.column_stack([boxes.hi_m, boxes.alt_hi_m])
    cell_lo, cell_hi = broad._grid(lo - lo.min(axis=0), hi - lo.min(axis=0))
    entries = np.prod(cell_hi - cell_lo + 1, axis=1).sum()
    assert entries <= broad.ENTRIES_PER_AIRCRAFT * n + 1024
    assert assert_same_as_reference(kin, h, v, 3_600.0) > 0


def test_invalid_states_are_refused_not_half_used() -> None:
    """Found in review: one NaN aircraft emptied the whole grid of its snapshot."""
    s = states(
        [
            {"id": "A", "lat": 0.0, "lon": 0.0},
            {"id": "B", "lat": 0.0, "lon": 0.01},
            {"id": "C", "lat": float("nan"), "lon": 0.02},
        ]
    )
    with pytest.raises(InputError, match="missing latitude: 1"):
        detect(s)
    good, bad = validate(s)
    assert bad.count == 1
    assert len(detect(good)) == 1
