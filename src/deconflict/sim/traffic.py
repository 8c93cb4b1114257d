"""The traffic of a scenario: every aircraft's route built once (aircraft, overflights,
scripted encounters), then flown step after step by the motion kernel.

Scripted encounters are built backwards from their meeting: aircraft ``a`` is at the
meeting point at the meeting time, ``b`` at the point ``miss_nm`` from it across their
relative motion, so that their closest approach is then and there; each starts
``lead_s`` earlier on the geodesic that arrives there on its track, at its speed.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod

from deconflict.sim import motion
from deconflict.sim.motion import Fleet, Routes
from deconflict.sim.performance import Tables, band_of, profile
from deconflict.sim.scenario import Aircraft, Encounter, Point, Scenario, Side, Waypoint
from deconflict.states import StateVectors
from deconflict.units import ft_to_m, kt_to_mps, nm_to_m

F64 = NDArray[np.float64]
_GEOD = Geod(ellps="WGS84")


def _move(p: Point, azimuth_deg: float, distance_m: float) -> tuple[Point, float]:
    """The point ``distance_m`` from ``p`` along ``azimuth_deg``, and the azimuth there."""
    lon, lat, back = _GEOD.fwd(p.longitude_deg, p.latitude_deg, azimuth_deg, distance_m)
    return Point(float(lat), float(lon)), (float(back) + 180.0) % 360.0


def encounter_flights(e: Encounter) -> tuple[Aircraft, Aircraft]:
    """The two flights of a scripted encounter."""
    va, vb = _en(e.a), _en(e.b)
    rel_e, rel_n = vb[0] - va[0], vb[1] - va[1]
    if math.hypot(rel_e, rel_n) < 1e-6:  # flying together: the miss is abeam
        offset_az = e.a.track_deg + 90.0
    else:  # across the relative motion
        offset_az = math.degrees(math.atan2(rel_n, -rel_e))
    meet_b, _ = _move(e.point, offset_az, nm_to_m(e.miss_nm))
    a = _side_flight(e, e.a, e.point, e.altitude_ft, 0.0, 0.0)
    b = _side_flight(
        e, e.b, meet_b, e.altitude_ft + e.vertical_offset_ft, e.break_off_s, e.break_off_turn_deg
    )
    return a, b


def _en(side: Side) -> tuple[float, float]:
    trk = math.radians(side.track_deg)
    return side.speed_kt * math.sin(trk), side.speed_kt * math.cos(trk)


def _side_flight(
    e: Encounter, side: Side, meet: Point, altitude_ft: float, break_off_s: float, turn_deg: float
) -> Aircraft:
    speed_m = kt_to_mps(side.speed_kt)
    start, _ = _move(meet, side.track_deg + 180.0, speed_m * e.lead_s)
    if break_off_s > 0.0:
        turn, track = _move(meet, side.track_deg + 180.0, speed_m * break_off_s)
        # the geodesic from the start arrives at ``turn`` on the track to the meeting
        track = (track + 180.0) % 360.0
        end, _ = _move(turn, track + turn_deg, speed_m * e.after_s)
        points = (start, turn, end)
    else:
        end, _ = _move(meet, side.track_deg, speed_m * e.after_s)
        points = (start, meet, end)
    route = tuple(Waypoint(p, altitude_ft, side.speed_kt) for p in points)
    return Aircraft(
        side.aircraft_id,
        side.party,
        side.type_name,
        side.callsign,
        e.at_s - e.lead_s,
        altitude_ft,
        side.speed_kt,
        route,
        False,
    )


def overflight_flights(scenario: Scenario, duration_s: float) -> list[Aircraft]:
    """Each stream's aircraft, one every ``every_s`` (from a seeded phase), including those
    already on their way at the start (placed where they would be by then)."""
    rng = np.random.default_rng(scenario.seed)
    found = []
    for k, o in enumerate(scenario.overflights):
        _, _, length_m = _GEOD.inv(
            o.origin.longitude_deg,
            o.origin.latitude_deg,
            o.destination.longitude_deg,
            o.destination.latitude_deg,
        )
        slowest_mps = kt_to_mps(o.speed_kt) if o.speed_kt else 100.0
        earliest = -float(length_m) / slowest_mps
        phase = float(rng.uniform(0.0, o.every_s))
        first = math.ceil((earliest - phase) / o.every_s)
        j = first
        while (spawn := phase + j * o.every_s) < duration_s:
            level = o.altitudes_ft[(j - first) % len(o.altitudes_ft)]
            n = j - first + 1
            route = (
                Waypoint(o.origin, level, o.speed_kt),
                Waypoint(o.destination, level, o.speed_kt),
            )
            found.append(
                Aircraft(
                    f"{o.callsign_prefix.lower()}-{k}-{n}",
                    o.party,
                    o.type_name,
                    f"{o.callsign_prefix}{n:03d}"[:8],
                    spawn,
                    level,
                    o.speed_kt,
                    route,
                    False,
                )
            )
            j += 1
    return found


def flights_of(scenario: Scenario, duration_s: float) -> list[Aircraft]:
    flights = list(scenario.aircraft)
    for e in scenario.encounters:
        flights.extend(encounter_flights(e))
    flights.extend(overflight_flights(scenario, duration_s))
    return flights


class Simulation:
    """A scenario's traffic at ``time_s`` seconds after its start; ``advance()`` moves it
    one step, ``states()`` tells where every aircraft in the air is."""

    def __init__(self, scenario: Scenario, duration_s: float | None = None) -> None:
        self.scenario = scenario
        self.step_s = scenario.step_s
        self.duration_s = scenario.duration_s if duration_s is None else duration_s
        flights = flights_of(scenario, self.duration_s)
        self.flights = flights
        type_names = sorted({f.type_name for f in flights})
        self.tables = Tables.of([profile(scenario.types[t]) for t in type_names])
        kind = np.array([type_names.index(f.type_name) for f in flights], dtype=np.intp)
        self.aircraft_id = np.array([f.aircraft_id for f in flights], dtype=np.str_)
        self.party = np.array([f.party for f in flights], dtype=np.str_)
        self.callsign = np.array([f.callsign for f in flights], dtype=np.str_)
        self.start_s = np.array([f.start_s for f in flights], dtype=np.float64)
        points = [w for f in flights for w in f.route]
        count = np.array([len(f.route) for f in flights], dtype=np.int64)
        nan = math.nan
        self.routes = Routes(
            latitude_deg=np.array([w.point.latitude_deg for w in points], dtype=np.float64),
            longitude_deg=np.array([w.point.longitude_deg for w in points], dtype=np.float64),
            altitude_m=ft_to_m(
                np.array(
                    [nan if w.altitude_ft is None else w.altitude_ft for w in points],
                    dtype=np.float64,
                )
            ),
            speed_mps=kt_to_mps(
                np.array(
                    [nan if w.speed_kt is None else w.speed_kt for w in points], dtype=np.float64
                )
            ),
            first=np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64),
            count=count,
            repeat=np.array([f.repeat for f in flights], dtype=np.bool_),
        )
        n = len(flights)
        first = self.routes.first
        lat0, lon0 = self.routes.latitude_deg[first], self.routes.longitude_deg[first]
        lat1, lon1 = self.routes.latitude_deg[first + 1], self.routes.longitude_deg[first + 1]
        track, _, _ = _GEOD.inv(lon0, lat0, lon1, lat1)
        altitude_m = ft_to_m(np.array([f.altitude_ft for f in flights], dtype=np.float64))
        given = kt_to_mps(
            np.array([nan if f.speed_kt is None else f.speed_kt for f in flights], dtype=np.float64)
        )
        cruise = self.tables.cruise_tas_mps[kind, band_of(altitude_m)] if n else given
        self.fleet = Fleet(
            latitude_deg=lat0.copy(),
            longitude_deg=lon0.copy(),
            altitude_m=altitude_m,
            groundspeed_mps=np.where(np.isnan(given), cruise, given),
            track_deg=np.mod(np.asarray(track, dtype=np.float64), 360.0),
            vertical_rate_mps=np.zeros(n),
            leg=np.ones(n, dtype=np.int64),
            active=np.zeros(n, dtype=np.bool_),
            done=np.zeros(n, dtype=np.bool_),
            type_index=kind,
        )
        self.time_s = 0.0
        self._activate()

    def _activate(self) -> None:
        """Start the aircraft due by now, each moved on by the time since its start."""
        fleet = self.fleet
        due = np.flatnonzero(~fleet.active & ~fleet.done & (self.start_s <= self.time_s + 1e-9))
        if not len(due):
            return
        fleet.active[due] = True
        late_s = self.time_s - self.start_s[due]
        moving = late_s > 0.0
        if moving.any():
            rows = due[moving].astype(np.int64)
            motion.fly(self.routes, fleet, rows, fleet.groundspeed_mps[rows] * late_s[moving])

    def advance(self) -> None:
        """One step on."""
        motion.step(self.routes, self.fleet, self.tables, self.step_s)
        self.time_s = round(self.time_s + self.step_s, 9)
        self._activate()

    @property
    def finished(self) -> bool:
        return self.time_s >= self.duration_s - 1e-9

    def states(self, epoch_s: float) -> StateVectors:
        """The aircraft in the air now, stamped ``epoch_s + time_s``."""
        rows = np.flatnonzero(self.fleet.active)
        f = self.fleet
        return StateVectors.from_arrays(
            time_s=np.full(len(rows), epoch_s + self.time_s),
            id=self.aircraft_id[rows],
            party=self.party[rows],
            callsign=self.callsign[rows],
            latitude_deg=f.latitude_deg[rows],
            longitude_deg=f.longitude_deg[rows],
            altitude_m=f.altitude_m[rows],
            groundspeed_mps=f.groundspeed_mps[rows],
            track_deg=f.track_deg[rows],
            vertical_rate_mps=f.vertical_rate_mps[rows],
        )
