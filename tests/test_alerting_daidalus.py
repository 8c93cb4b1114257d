"""Agreement with DAIDALUS 2.0.4 on our own encounter files (tests/data/daidalus).

The expected values are DAIDALUS's own outputs (see the README there). Here: the time to
violation of each alert level's volume, row by row, within the issue's 0.01 s.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from deconflict.alerting.config import load_config
from deconflict.alerting.frame import relative_states
from deconflict.alerting.volumes import Relative, time_to_violation
from deconflict.daa import DaaStates, read_daa

DATA = Path(__file__).parent / "data" / "daidalus"
ENCOUNTERS = sorted(p.stem for p in DATA.glob("*.daa"))


def daidalus_rows(name: str, conf: str) -> list[dict[str, str]]:
    with open(DATA / f"{name}.{conf}.csv", newline="") as f:
        reader = csv.reader(f, skipinitialspace=True)
        header = [h.strip() for h in next(reader)]
        next(reader)  # units
        return [dict(zip(header, (v.strip() for v in row), strict=False)) for row in reader]


def number(text: str) -> float:
    return math.inf if text == "infty" else float(text)


def relative(states: DaaStates, own: int, other: int) -> Relative:
    def pick(k: int) -> tuple[np.ndarray, ...]:
        track = np.degrees(np.arctan2(states.v_east_mps[k], states.v_north_mps[k]))
        speed = np.hypot(states.v_east_mps[k], states.v_north_mps[k])
        return tuple(
            np.array([x], dtype=np.float64)
            for x in (
                states.latitude_deg[k], states.longitude_deg[k], states.altitude_m[k],
                track, speed, states.v_up_mps[k],
            )
        )  # fmt: skip

    if states.geodetic:
        return relative_states(pick(own), pick(other))  # type: ignore[arg-type]

    def diff(column: np.ndarray) -> np.ndarray:
        return np.array([column[own] - column[other]], dtype=np.float64)

    return Relative(
        diff(states.x_m), diff(states.y_m), diff(states.altitude_m),
        diff(states.v_east_mps), diff(states.v_north_mps), diff(states.v_up_mps),
    )  # fmt: skip


@pytest.mark.parametrize("name", ENCOUNTERS)
def test_time_to_violation_matches_daidalus(name: str) -> None:
    config = load_config("do365b")
    states = read_daa(DATA / f"{name}.daa")
    expected = daidalus_rows(name, "do365b.p12")
    own_rows = {float(t): k for k, t in enumerate(states.time_s) if states.ownship[k]}
    checked = 0
    for row in expected:
        time = float(row["Time"])
        own = own_rows[time]
        other = next(
            k for k in range(len(states.time_s))
            if states.time_s[k] == time and states.name[k] == row["Traffic"]
        )  # fmt: skip
        alerter = config.alerters[int(row["Alerter"]) - 1]
        r = relative(states, own, other)
        for level in alerter.levels:
            ours = float(time_to_violation(r, level.volume, config.lookahead_s)[0])
            theirs = number(row[f"Time to Volume of Alert({level.level})"])
            if math.isinf(theirs) or math.isinf(ours):
                assert ours == theirs, (name, time, level.level, ours, theirs)
            else:
                assert abs(ours - theirs) <= 0.01, (name, time, level.level, ours, theirs)
            checked += 1
    assert checked > 0
