"""Scenarios: the built-in one loads and flies, scripted encounters meet when and where
they are scripted, bad files are one line, and ``deconflict simulate --out`` writes states
`deconflict detect` reads."""

from __future__ import annotations

import math
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from deconflict.alerting.config import load_config
from deconflict.alerting.stream import StreamAlerting
from deconflict.cli import cli
from deconflict.readers import read_states
from deconflict.sim.scenario import ScenarioError, load, loads, parse
from deconflict.sim.traffic import Simulation
from deconflict.units import m_to_ft, m_to_nm

GEOD = Geod(ellps="WGS84")


def levant_data() -> dict[str, Any]:
    text = (resources.files("deconflict.sim") / "scenarios" / "levant.toml").read_text()
    return tomllib.loads(text)


def separation(sim: Simulation, a: str, b: str) -> tuple[float, float] | None:
    """Horizontal (NM) and vertical (ft, b above a) separation of two aircraft now."""
    ia, ib = (int(np.flatnonzero(sim.aircraft_id == x)[0]) for x in (a, b))
    f = sim.fleet
    if not (f.active[ia] and f.active[ib]):
        return None
    _, _, d = GEOD.inv(
        f.longitude_deg[ia], f.latitude_deg[ia], f.longitude_deg[ib], f.latitude_deg[ib]
    )
    return m_to_nm(float(d)), m_to_ft(float(f.altitude_m[ib] - f.altitude_m[ia]))


def closest(sim: Simulation, a: str, b: str) -> tuple[float, float, float]:
    """The time, horizontal and vertical separation of two aircraft's closest approach."""
    best = (math.inf, math.inf, math.inf)
    while not sim.finished:
        found = separation(sim, a, b)
        if found is not None and found[0] < best[1]:
            best = (sim.time_s, *found)
        sim.advance()
    return best


def test_the_levant_scenario_loads_by_name_and_flies() -> None:
    scenario = load("levant")
    assert {p.party_id for p in scenario.parties} == {"north", "south", "coalition", "civil"}
    sim = Simulation(scenario, duration_s=120.0)
    parties = set()
    while not sim.finished:
        parties |= set(sim.states(0.0).party.tolist())
        sim.advance()
    assert parties == {"north", "south", "coalition", "civil"}
    # civil streams are already under way at the start
    assert int((sim.states(0.0).party == "civil").sum()) >= 10


def test_the_levant_encounters_meet_as_scripted() -> None:
    scenario = load("levant")
    for e in scenario.encounters:
        if e.break_off_s:
            continue
        only = parse(
            {
                **levant_data(),
                "aircraft": [],
                "overflights": [],
                "encounters": [levant_data()["encounters"][scenario.encounters.index(e)]],
            },
            "levant.toml",
        )
        t, h_nm, v_ft = closest(Simulation(only, e.at_s + 30.0), e.a.aircraft_id, e.b.aircraft_id)
        assert t == e.at_s, e.name
        assert h_nm == pytest.approx(e.miss_nm, abs=0.01), e.name
        assert v_ft == pytest.approx(e.vertical_offset_ft, abs=0.5), e.name


def encounter_doc(**e: Any) -> dict[str, Any]:
    return {
        "parties": [{"id": "p"}, {"id": "q"}],
        "encounters": [e],
    }


@settings(max_examples=12, deadline=None)
@given(
    lat=st.floats(-60.0, 60.0),
    lon=st.floats(-179.0, 179.0),
    track_a=st.floats(0.0, 359.0),
    turn=st.floats(20.0, 340.0),
    speed_a=st.floats(120.0, 550.0),
    speed_b=st.floats(120.0, 550.0),
    miss_nm=st.floats(0.0, 3.0),
    offset_ft=st.floats(-2000.0, 2000.0),
    at_s=st.integers(30, 150),
)
def test_scripted_encounters_meet_at_the_scripted_time_and_miss(
    lat: float,
    lon: float,
    track_a: float,
    turn: float,
    speed_a: float,
    speed_b: float,
    miss_nm: float,
    offset_ft: float,
    at_s: int,
) -> None:
    doc = encounter_doc(
        at_s=at_s,
        point=[lat, lon],
        altitude_ft=25_000,
        miss_nm=miss_nm,
        vertical_offset_ft=offset_ft,
        lead_s=min(at_s, 180),
        after_s=60,
        a={"id": "A", "party": "p", "type": "a320", "track_deg": track_a, "speed_kt": speed_a},
        b={
            "id": "B",
            "party": "q",
            "type": "b738",
            "track_deg": (track_a + turn) % 360,
            "speed_kt": speed_b,
        },
    )
    sim = Simulation(parse(doc, "t.toml"), at_s + 5.0)
    t, h_nm, v_ft = closest(sim, "A", "B")
    # the closest approach at the scripted second (to within a step), at the scripted miss
    assert abs(t - at_s) <= 1.0
    assert h_nm <= miss_nm + 0.01
    assert h_nm >= miss_nm - 0.01 - (0.0 if t == at_s else 0.05)
    assert v_ft == pytest.approx(offset_ft, abs=0.5)


def test_the_levant_encounters_peak_at_their_expected_levels() -> None:
    """The DO-365B alerting of the line's watch, on the simulated states second after
    second: each scripted encounter's pair peaks at the level the scenario says."""
    scenario = load("levant")
    last = max(e.at_s for e in scenario.encounters) + 30.0
    sim = Simulation(scenario, last)
    stream = StreamAlerting(load_config("do365b"))
    peak: dict[frozenset[str], int] = {}
    while not sim.finished:
        alerts = stream.step(sim.time_s, sim.states(0.0))
        for own, other, level in zip(
            alerts.ownship, alerts.intruder, alerts.alert_level, strict=True
        ):
            pair = frozenset((str(own), str(other)))
            peak[pair] = max(peak.get(pair, 0), int(level))
        sim.advance()
    expected = {
        frozenset((e.a.aircraft_id, e.b.aircraft_id)): e.expect_level for e in scenario.encounters
    }
    assert sorted(v for v in expected.values() if v) == [1, 2, 3, 3]
    for pair, level in expected.items():
        assert peak.get(pair, 0) == level, sorted(pair)


BAD = [
    ('parties = "x"', "t.toml: parties: must be a list, not a string"),
    ("parties = []", "t.toml: parties: needs at least one party"),
    ('parties = [{id = "p"}]\nspeed = 3', "t.toml: unknown key 'speed'"),
    ('parties = [{id = "p"}, {id = "p"}]', "t.toml: parties[1].id: party 'p' is given twice"),
    (
        'parties = [{id = "p"}]\n[[aircraft]]\nid = "x"\nparty = "p"\ntype = "a320"\n'
        "altitude_ft = 1000\nroute = [[1, 2], [95, 3]]",
        "t.toml: aircraft[0].route[1]: 95 is outside [-90, 90]",
    ),
    (
        'parties = [{id = "p"}]\n[[aircraft]]\nid = "x"\nparty = "z"\ntype = "a320"\n'
        "altitude_ft = 1000\nroute = [[1, 2], [3, 3]]",
        "t.toml: aircraft[0].party: no party 'z' (parties: p)",
    ),
    (
        'parties = [{id = "p"}]\n[[aircraft]]\nid = "x"\nparty = "p"\ntype = "zz99"\n'
        "altitude_ft = 1000\nroute = [[1, 2], [3, 3]]",
        "t.toml: aircraft[0].type: no type 'zz99'",
    ),
    (
        'parties = [{id = "p"}]\n[[aircraft]]\nid = "x"\nparty = "p"\ntype = "a320"\n'
        'altitude_ft = 1000\nroute = [[1, 2], "HOME"]',
        "t.toml: aircraft[0].route[1]: no base 'HOME' (bases: none)",
    ),
    (
        'parties = [{id = "p"}]\n[[aircraft]]\nid = "x"\nparty = "p"\ntype = "a320"\n'
        "altitude_ft = 1000",
        "t.toml: aircraft[0]: needs exactly one of route, orbit, racetrack, patrol",
    ),
    (
        'parties = [{id = "p"}]\n[[aircraft]]\nid = "x"\nparty = "p"\ntype = "a320"\n'
        "altitude_ft = 1000\norbit = { center = [1, 2] }",
        "t.toml: aircraft[0].orbit: missing key 'radius_nm'",
    ),
    (
        'parties = [{id = "p"}]\n[types.F]\nbased_on = "f16"',
        "t.toml: types.F.based_on: OpenAP has no type 'f16'",
    ),
    (
        'parties = [{id = "p"}, {id = "q"}]\n[[plans]]\nparty = "p"\nplan_id = "x"\n'
        "volumes = [{ center = [1, 2], radius_nm = 5, alt_lower_ft = 9000, alt_upper_ft = 8000,"
        " start_s = 0, end_s = 10 }]",
        "t.toml: plans[0].volumes[0].alt_upper_ft: 8000 is not above alt_lower_ft 9000",
    ),
    (
        'parties = [{id = "p"}]\n[[encounters]]\nat_s = 10\npoint = [1, 2]\naltitude_ft = 1000\n'
        'a = { id = "a", party = "p", type = "a320", track_deg = 0, speed_kt = 300 }\n'
        'b = { id = "b", party = "p", type = "a320", track_deg = 90, speed_kt = 300 }',
        "t.toml: encounters[0]: a and b must be of different parties",
    ),
    ("parties = [", "t.toml: not TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_bad_scenario_is_one_line_naming_the_place(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as e:
        loads(text, "t.toml")
    assert str(e.value).startswith(message)
    assert "\n" not in str(e.value)


def test_the_cli_says_a_bad_scenario_in_one_line_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD[4][0])
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from deconflict.cli import main; main()",
            "simulate",
            str(bad),
            "--out",
            str(tmp_path / "x.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stderr.strip() == f"deconflict: error: {BAD[4][1].replace('t.toml', 'bad.toml')}"


def test_simulate_out_writes_canonical_states(tmp_path: Path) -> None:
    out = tmp_path / "levant.csv"
    result = CliRunner().invoke(
        cli, ["simulate", "levant", "--out", str(out), "--duration-s", "60"]
    )
    assert result.exit_code == 0, result.output
    read = read_states(out)
    assert read.bad.count == 0
    times = np.unique(read.states.time_s)
    start = load("levant").start_s
    assert times[0] == start and times[-1] == start + 60.0 and len(times) == 61
    assert set(read.states.party.tolist()) == {"north", "south", "coalition", "civil"}


def test_simulate_needs_one_destination() -> None:
    result = CliRunner().invoke(cli, ["simulate", "levant"])
    assert result.exit_code != 0
    assert "either --server URL" in str(result.exception or result.output)
