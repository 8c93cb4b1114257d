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

from deconflict.alerting.alerter import Hysteresis, raw_levels
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


def stacked(items: list[Relative]) -> Relative:
    return Relative(
        *(np.concatenate([getattr(x, f) for x in items]) for f in Relative.__dataclass_fields__)
    )


def our_levels(name: str, conf: str, hysteresis: bool) -> dict[tuple[float, str], int]:
    """Our reported (or raw) level for every (time, intruder) of an encounter file."""
    config = load_config(conf)
    states = read_daa(DATA / f"{name}.daa")
    intruders = sorted(
        {str(x) for x, own in zip(states.name, states.ownship, strict=True) if not own}
    )
    memory = Hysteresis(len(intruders), config)
    found: dict[tuple[float, str], int] = {}
    for time in np.unique(states.time_s):
        rows = np.flatnonzero(states.time_s == time)
        own = int(rows[states.ownship[rows]][0])
        present = {str(states.name[k]): int(k) for k in rows if not states.ownship[k]}
        active = np.array([x in present for x in intruders])
        ks = [present[x] for x in intruders if x in present]
        r = stacked([relative(states, own, k) for k in ks])
        alerter = np.zeros(len(intruders), dtype=np.int64)
        alerter[active] = states.alerter[ks]
        times = np.full(len(intruders), float(time))
        before = memory.begin(times, active) if hysteresis else np.full(len(intruders), -1)
        full = Relative(
            *(np.zeros(len(intruders)) for _ in Relative.__dataclass_fields__)
        )  # placeholders for absent pairs
        for f in Relative.__dataclass_fields__:
            getattr(full, f)[active] = getattr(r, f)
        raw = raw_levels(full, config, alerter, before).raw
        levels = memory.end(times, active, raw) if hysteresis else raw
        for x, level in zip(intruders, levels, strict=True):
            if x in present:
                found[(float(time), x)] = int(level)
    return found


@pytest.mark.parametrize("name", ENCOUNTERS)
@pytest.mark.parametrize(("conf", "hysteresis"), [("do365b_nohyst", False), ("do365b.p12", True)])
def test_alert_levels_match_daidalus(name: str, conf: str, hysteresis: bool) -> None:
    ours = our_levels(name, "do365b", hysteresis)
    expected = {
        (float(row["Time"]), row["Traffic"]): int(row["Alert Level"])
        for row in daidalus_rows(name, conf)
    }
    assert expected
    wrong = {k: (ours.get(k), v) for k, v in expected.items() if ours.get(k) != v}
    assert not wrong, sorted(wrong.items())[:5]
