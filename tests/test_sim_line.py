"""The levant scenario fed into a real line (in process, on SQLite, its clock the feed's):
the watch raises preventive, corrective and warning alerts between the parties of each
scripted encounter, and the scenario's plans conflict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from deconflict.client import Client
from deconflict.line.line import Line
from deconflict.service.app import create_app
from deconflict.sim.feed import run_live
from deconflict.sim.scenario import load
from deconflict.sim.setup import setup_line
from deconflict.sim.traffic import Simulation
from deconflict.store import open_store
from line_world import Clock


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[Line, Clock]]:
    clock = Clock(1_796_200_000.0)
    made = Line(open_store(f"sqlite:///{tmp_path / 'line.db'}"), clock=clock)
    yield made, clock
    made.close()


def test_the_levant_scenario_alerts_at_every_level_and_conflicts_in_plans(
    line: tuple[Line, Clock],
) -> None:
    the_line, clock = line
    scenario = load("levant", environ={})
    keys = setup_line(the_line, scenario)
    http = TestClient(create_app(the_line, rate_per_s=None))
    clients = {
        p: (
            Client("http://testserver", k.feed, http=http),
            Client("http://testserver", k.officer, http=http),
        )
        for p, k in keys.items()
    }
    last = max(e.at_s for e in scenario.encounters) + 20.0
    sim = Simulation(scenario, last)

    def sleep(s: float) -> None:
        clock.now += s

    stats = run_live(
        sim,
        {p: c[0].push_tracks for p, c in clients.items()},
        speed=1.0,
        clock=clock,
        sleep=sleep,
        planners={p: c[1].file_plan for p, c in clients.items()},
        after_push=lambda now: the_line.live.tick(now),
    )
    assert stats.failed_pushes == 0 and stats.steps == int(last) + 1

    # every scripted encounter: an alert between its two aircraft, at the expected peak,
    # seen by both parties (b's side sees a's aircraft without its id under safety)
    for e in scenario.encounters:
        seen = [
            a
            for a in clients[e.a.party][1].alerts()
            if a["own"]["id"] == e.a.aircraft_id and a["other_party"] == e.b.party
        ]
        assert len(seen) == 1, e.name
        assert seen[0]["max_level"] == e.expect_level, e.name
        theirs = [a for a in clients[e.b.party][1].alerts() if a["alert_id"] == seen[0]["alert_id"]]
        assert theirs and theirs[0]["own"]["id"] == e.b.aircraft_id
        if theirs[0]["sharing"] == "safety":
            assert "id" not in theirs[0]["other"]
    levels = {a["max_level"] for p in ("north", "south") for a in clients[p][1].alerts()}
    assert {1, 2, 3} <= levels
    # the plans: south's tanker track was filed over north's UAV area, acknowledged
    filed = {f.plan_id: f for f in stats.filed}
    assert filed["uav-orbit-west"].status == "accepted"
    assert filed["tanker-track-2"].status == "accepted_with_conflicts"
    assert filed["tanker-track-2"].notices == 1
    for party in ("north", "south"):
        assert clients[party][1].notices(), party
    # the civil feed has no agreement: none of its aircraft is ever in an alert
    assert clients["civil"][1].alerts() == []
