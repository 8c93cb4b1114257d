"""Stream alerting (many aircraft, every one an ownship) against DAIDALUS's own outputs on
our encounter files, and its bookkeeping of pairs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from deconflict.alerting.config import load_config
from deconflict.alerting.stream import StreamAlerting, reach
from deconflict.daa import DaaStates, read_daa
from deconflict.states import StateVectors
from test_alerting_daidalus import DATA, ENCOUNTERS, daidalus_rows, number


def as_states(daa: DaaStates) -> StateVectors:
    return StateVectors.from_arrays(
        time_s=daa.time_s,
        id=daa.name,
        latitude_deg=daa.latitude_deg,
        longitude_deg=daa.longitude_deg,
        altitude_m=daa.altitude_m,
        groundspeed_mps=np.hypot(daa.v_east_mps, daa.v_north_mps),
        track_deg=np.mod(np.degrees(np.arctan2(daa.v_east_mps, daa.v_north_mps)), 360.0),
        vertical_rate_mps=daa.v_up_mps,
    )


def one_alerter_geodetic(name: str) -> bool:
    daa = read_daa(DATA / f"{name}.daa")
    return daa.geodetic and bool(np.all(daa.alerter == 1))


STREAMABLE = [name for name in ENCOUNTERS if one_alerter_geodetic(name)]


@pytest.mark.parametrize("name", STREAMABLE)
def test_stream_matches_daidalus(name: str) -> None:
    daa = read_daa(DATA / f"{name}.daa")
    states = as_states(daa)
    ownship = str(daa.name[0])
    stream = StreamAlerting(load_config("do365b"))
    ours: dict[tuple[float, str], tuple[int, np.ndarray]] = {}
    for time in np.unique(states.time_s):
        alerts = stream.step(float(time), states.take(states.time_s == time))
        for k in np.flatnonzero(alerts.ownship == ownship):
            ours[(float(time), str(alerts.intruder[k]))] = (
                int(alerts.alert_level[k]),
                alerts.time_to_violation_s[k],
            )
    rows = daidalus_rows(name, "do365b.p12")
    alerting = 0
    for row in rows:
        key = (float(row["Time"]), row["Traffic"])
        level = int(row["Alert Level"])
        if level > 0:
            alerting += 1
            assert key in ours, key  # every alert DAIDALUS reports is in the stream
        if key in ours:
            assert ours[key][0] == level, key
            for lv in (1, 2, 3):
                theirs = number(row[f"Time to Volume of Alert({lv})"])
                mine = float(ours[key][1][lv - 1])
                assert (mine == theirs) if math.isinf(theirs) else abs(mine - theirs) <= 0.01
    assert len(ours) > 0


def test_streamable_files_include_alerts() -> None:
    assert len(STREAMABLE) >= 10


def test_reach_covers_the_widest_volume() -> None:
    config = load_config("do365b")
    h, v, t = reach(config, max_speed_mps=250.0, max_climb_mps=20.0)
    assert h >= 0.66 * 1852 + 35 * 500  # DTHR + TTHR x the fastest closure
    assert v >= 700 * 0.3048 and t == 180.0  # the lookahead, beyond every alerting time


def test_pairs_are_forgotten_after_the_hysteresis_time() -> None:
    def aircraft(time: float, lons: list[float]) -> StateVectors:
        n = len(lons)
        return StateVectors.from_arrays(
            time_s=[time] * n, id=["A", "B", "C"][:n], latitude_deg=[0.0] * n,
            longitude_deg=lons, altitude_m=[3000.0] * n, groundspeed_mps=[0.0] * n,
            track_deg=[0.0] * n, vertical_rate_mps=[0.0] * n,
        )  # fmt: skip

    stream = StreamAlerting(load_config("do365b"))
    near = stream.step(0.0, aircraft(0.0, [0.0, 0.005]))  # 0.3 NM apart: in violation
    assert sorted(near.alert_level.tolist()) == [3, 3]  # both ways
    assert set(stream.slots) == {("A", "B"), ("B", "A")}
    apart = stream.step(1.0, aircraft(1.0, [0.0, 5.0]))  # B far away: still reported,
    assert apart.alert_level.tolist() == [3, 3]  # the warning is held 4 s
    # 5 s later the history (two copies of the first warning, then 0, 0) still says 3,
    # as DAIDALUS's does; after a longer gap it is reset and the pair is quiet
    assert stream.step(6.0, aircraft(6.0, [0.0, 5.0])).alert_level.tolist() == [3, 3]
    quiet = stream.step(12.0, aircraft(12.0, [0.0, 5.0]))
    assert len(quiet) == 0  # quiet pairs are computed, not reported
    gone = stream.step(20.0, aircraft(20.0, [0.0]))  # B left the stream 8 s ago
    assert len(gone) == 0 and stream.slots == {}  # forgotten; slots free for reuse
    back = stream.step(21.0, aircraft(21.0, [0.0, 0.005, 0.01]))
    assert len(stream.slots) == 6 and len(back) == 6


@pytest.mark.parametrize("seed", [1, 2])
def test_stream_equals_all_pairs_over_several_steps(seed: int) -> None:
    """The broad phase loses no alert: the same rows and levels as every ordered pair."""
    from dataclasses import replace

    from deconflict import geo, sample
    from reference import AllPairsAlerting

    config = load_config("do365b")
    states = sample.dense_box(300, seed=seed, width_m=150_000.0)
    stream, reference = StreamAlerting(config), AllPairsAlerting(300, config)
    alerting = 0
    for step in range(8):
        alerts = stream.step(float(step), states)
        levels = alerts.alert_level.tolist()
        ours = set(zip(alerts.ownship.tolist(), alerts.intruder.tolist(), levels, strict=True))
        assert ours == reference.step(float(step), states)
        alerting += int((alerts.alert_level > 0).sum())
        lat, lon = geo.destination(
            states.latitude_deg, states.longitude_deg, states.track_deg, 4 * states.groundspeed_mps
        )  # positions jump 4 s per 1 s step, so that pairs come and go quickly
        states = replace(states, latitude_deg=lat, longitude_deg=lon)
    assert alerting > 0
