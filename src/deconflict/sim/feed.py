"""Where a simulation's states go: into a running line, one feed per party, paced at a
multiple of real time; or into a canonical states CSV, as fast as it can be written.

Fed to a line, the simulation's time ``t`` is stamped ``epoch + t / speed`` (``epoch`` the
line's clock at the start), the moment it is pushed: a line accepts only states of its
present. At ``speed`` above 1 the aircraft therefore move ``speed`` times faster in the
line's eyes than their ground speeds say (a compressed afternoon, not a faster one).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TextIO

import numpy as np

from deconflict.sim.scenario import PlanSpec, Scenario
from deconflict.sim.traffic import Simulation
from deconflict.states import StateVectors
from deconflict.units import m_to_ft, mps_to_fpm, mps_to_kt, nm_to_m
from deconflict.writers import write_states

Push = Callable[[list[dict[str, Any]]], object]
FilePlan = Callable[[dict[str, Any], dict[str, int]], dict[str, Any]]


def feed_states(states: StateVectors, rows: Any = None) -> list[dict[str, Any]]:
    """States in the line's feed format (``POST /v1/tracks``), rounded as a feed would."""
    pick = np.arange(len(states)) if rows is None else rows
    alt_ft = np.round(m_to_ft(states.altitude_m[pick]), 0)
    gs_kt = np.round(mps_to_kt(states.groundspeed_mps[pick]), 1)
    vs_fpm = np.round(mps_to_fpm(states.vertical_rate_mps[pick]), 0)
    return [
        {
            "id": str(states.id[k]),
            "callsign": str(states.callsign[k]),
            "time_s": float(states.time_s[k]),
            "latitude_deg": round(float(states.latitude_deg[k]), 7),
            "longitude_deg": round(float(states.longitude_deg[k]), 7),
            "altitude_ft": float(alt_ft[j]),
            "groundspeed_kt": float(gs_kt[j]),
            "track_deg": round(float(states.track_deg[k]) % 360.0, 2),
            "vertical_rate_fpm": float(vs_fpm[j]),
        }
        for j, k in enumerate(pick)
    ]


def _iso(t_s: float) -> str:
    return datetime.fromtimestamp(t_s, UTC).isoformat().replace("+00:00", "Z")


def plan_document(spec: PlanSpec, stamp: Callable[[float], float]) -> dict[str, Any]:
    """A scenario's plan as the API takes it: a GeoJSON FeatureCollection whose times are
    the run's (``stamp`` maps the simulation's seconds to the line's clock)."""
    features = []
    for v in spec.volumes:
        props: dict[str, Any] = {
            "plan_id": spec.plan_id,
            "alt_lower_ft": v.alt_lower_ft,
            "alt_upper_ft": v.alt_upper_ft,
            "time_start": _iso(stamp(v.start_s)),
            "time_end": _iso(stamp(v.end_s)),
        }
        if v.center is not None and v.radius_nm is not None:
            props["radius_m"] = nm_to_m(v.radius_nm)
            geometry: dict[str, Any] = {
                "type": "Point",
                "coordinates": [v.center.longitude_deg, v.center.latitude_deg],
            }
        else:
            ring = [[p.longitude_deg, p.latitude_deg] for p in v.polygon]
            geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class Filed:
    """What came of filing one plan."""

    party: str
    plan_id: str
    status: str  #: accepted, accepted_with_conflicts, or the code of a refusal
    notices: int  #: how many conflicting plans the line told of


def file_plan(spec: PlanSpec, file: FilePlan, stamp: Callable[[float], float]) -> Filed:
    """File a plan; when the line answers with conflicts and the plan says ``acknowledge``,
    file it again acknowledging them (the key of ASTM F3548)."""
    from deconflict.client import ApiError

    document = plan_document(spec, stamp)
    try:
        answer = file(document, {})
        return Filed(spec.party, spec.plan_id, str(answer.get("status", "accepted")), 0)
    except ApiError as e:
        if e.status != 409 or not isinstance(e.body, dict):
            return Filed(spec.party, spec.plan_id, f"refused: {e}", 0)
        notices = [n for n in e.body.get("notices", []) if isinstance(n, dict)]
        if not spec.acknowledge or e.code != "missed":
            return Filed(spec.party, spec.plan_id, e.code, len(notices))
        known = {str(n["other_plan_ref"]): int(n["other_version"]) for n in notices}
        try:
            answer = file(document, known)
        except ApiError as again:
            return Filed(spec.party, spec.plan_id, again.code, len(notices))
        return Filed(spec.party, spec.plan_id, str(answer.get("status")), len(notices))


@dataclass
class FeedStats:
    steps: int = 0
    states: int = 0
    pushes: int = 0
    failed_pushes: int = 0
    filed: list[Filed] = field(default_factory=list)


def run_live(
    sim: Simulation,
    pushers: Mapping[str, Push],
    *,
    speed: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    planners: Mapping[str, FilePlan] | None = None,
    say: Callable[[str], None] = lambda _: None,
    after_push: Callable[[float], object] | None = None,
) -> FeedStats:
    """Feed the simulation into a line until it ends: each step's states pushed per party
    at ``epoch + t / speed``, and each plan filed at its ``at_s``. A push the line refuses
    for a reason other than the key is told and skipped (the next step's replaces it).
    ``after_push(now)`` is called after each step's pushes (tests tick the watch there)."""
    from deconflict.client import ApiError

    epoch = clock()

    def stamp(t_s: float) -> float:
        return epoch + t_s / speed

    stats = FeedStats()
    plans = sorted(sim.scenario.plans, key=lambda p: p.at_s)
    while True:
        now = stamp(sim.time_s)
        wait = now - clock()
        if wait > 0:
            sleep(wait)
        while plans and plans[0].at_s <= sim.time_s:
            spec = plans.pop(0)
            planner = (planners or {}).get(spec.party)
            if planner is None:
                say(f"plan {spec.plan_id} of {spec.party} not filed: no officer key")
                continue
            filed = file_plan(spec, planner, stamp)
            stats.filed.append(filed)
            say(
                f"plan {spec.plan_id} of {spec.party}: {filed.status}"
                + (f" ({filed.notices} conflicting plan(s))" if filed.notices else "")
            )
        states = sim.states(0.0)
        states = replace(states, time_s=np.full(len(states), now))
        for party, push in pushers.items():
            rows = np.flatnonzero(states.party == party)
            if not len(rows):
                continue
            try:
                push(feed_states(states, rows))
                stats.pushes += 1
                stats.states += len(rows)
            except ApiError as e:
                if e.status in (401, 403):
                    raise
                stats.failed_pushes += 1
                say(f"warning: push of {len(rows)} states of {party} failed: {e}")
        if after_push is not None:
            after_push(now)
        stats.steps += 1
        if sim.finished:
            return stats
        sim.advance()


def write_csv(
    sim: Simulation,
    out: TextIO,
    progress: Callable[[float, float], None] = lambda done, total: None,
) -> int:
    """Write the run as canonical states (``writers.write_states``), stamped from the
    scenario's start; the number of states written."""
    written = 0
    first = True
    while True:
        states = sim.states(sim.scenario.start_s)
        buffer = io.StringIO()
        write_states(states, buffer)
        text = buffer.getvalue()
        out.write(text if first else text.partition("\n")[2])
        first = False
        written += len(states)
        progress(sim.time_s, sim.duration_s)
        if sim.finished:
            return written
        sim.advance()


def parties_flying(scenario: Scenario, sim: Simulation) -> list[str]:
    """The parties with aircraft in the run, in the scenario's order."""
    flying = set(sim.party.tolist())
    return [p.party_id for p in scenario.parties if p.party_id in flying]
