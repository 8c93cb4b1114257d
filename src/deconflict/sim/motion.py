"""The motion kernel: every aircraft one step along its route, vectorised over all of them.

Horizontal motion follows the geodesic on the WGS84 ellipsoid from where the aircraft is
to its next waypoint (re-aimed each step, so it flies the waypoint-to-waypoint geodesic),
at its ground speed; a waypoint reached within a step is passed and the rest of the
step's distance flown towards the next one. Vertical motion goes to the waypoint's
altitude at the type's climb or descent rate for the current altitude (OpenAP, see
``performance``); the speed goes to the waypoint's, else the phase's (climb, cruise,
descent) at the current altitude, changing by at most ``ACCELERATION_MPS2`` a second.
A repeating route (orbit, racetrack, patrol) starts again after its last waypoint; an
aircraft at the end of any other route leaves the traffic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod

from deconflict.sim.performance import Tables, band_of

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]

ACCELERATION_MPS2 = 1.0  #: the largest change of ground speed a second (about 2 kt/s)
#: the most waypoints one aircraft may pass in one step
MAX_WAYPOINTS_PER_STEP = 8
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Routes:
    """Every aircraft's waypoints, one after the other: aircraft k's are rows
    ``first[k] .. first[k] + count[k] - 1``. A waypoint's altitude or speed NaN: keep the
    current altitude; fly the phase's speed."""

    latitude_deg: F64
    longitude_deg: F64
    altitude_m: F64
    speed_mps: F64
    first: I64
    count: I64
    repeat: Mask


@dataclass
class Fleet:
    """The state of every aircraft (arrays of one length), SI and degrees."""

    latitude_deg: F64
    longitude_deg: F64
    altitude_m: F64
    groundspeed_mps: F64
    track_deg: F64
    vertical_rate_mps: F64
    #: the index, within its route, of the waypoint each aircraft flies to
    leg: I64
    #: flying now; and gone (its route ended)
    active: Mask
    done: Mask
    type_index: NDArray[np.intp]


def _inv(lat1: F64, lon1: F64, lat2: F64, lon2: F64) -> tuple[F64, F64]:
    """Azimuth (deg) at the first point and length (m) of each geodesic."""
    az, _, dist = _GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(az, dtype=np.float64), np.asarray(dist, dtype=np.float64)


def _fwd(lat: F64, lon: F64, az_deg: F64, dist_m: F64) -> tuple[F64, F64, F64]:
    """Where each geodesic ends, and its azimuth there (the direction of motion)."""
    lon2, lat2, back = _GEOD.fwd(lon, lat, az_deg, dist_m)
    track = np.mod(np.asarray(back, dtype=np.float64) + 180.0, 360.0)
    return np.asarray(lat2, dtype=np.float64), np.asarray(lon2, dtype=np.float64), track


def target_of(routes: Routes, fleet: Fleet, rows: I64) -> I64:
    """The waypoint row each of ``rows``'s aircraft flies to."""
    found: I64 = routes.first[rows] + fleet.leg[rows]
    return found


def step(routes: Routes, fleet: Fleet, tables: Tables, dt_s: float) -> None:
    """Move every active aircraft ``dt_s`` seconds on (in place)."""
    rows = np.flatnonzero(fleet.active).astype(np.int64)
    if not len(rows):
        return
    _vertical(routes, fleet, tables, rows, dt_s)
    _speed(routes, fleet, tables, rows, dt_s)
    fly(routes, fleet, rows, fleet.groundspeed_mps[rows] * dt_s)


def _vertical(routes: Routes, fleet: Fleet, tables: Tables, rows: I64, dt_s: float) -> None:
    alt = fleet.altitude_m[rows]
    wanted = routes.altitude_m[target_of(routes, fleet, rows)]
    wanted = np.where(np.isnan(wanted), alt, wanted)
    kind, band = fleet.type_index[rows], band_of(alt)
    wanted = np.minimum(wanted, np.maximum(tables.ceiling_m[kind], alt))
    dz = wanted - alt
    rate = np.where(
        dz > 0.0, tables.climb_rate_mps[kind, band], tables.descent_rate_mps[kind, band]
    )
    vs = np.sign(dz) * np.minimum(rate, np.abs(dz) / dt_s)
    fleet.vertical_rate_mps[rows] = vs
    fleet.altitude_m[rows] = alt + vs * dt_s


def _speed(routes: Routes, fleet: Fleet, tables: Tables, rows: I64, dt_s: float) -> None:
    kind, band = fleet.type_index[rows], band_of(fleet.altitude_m[rows])
    vs = fleet.vertical_rate_mps[rows]
    phase = np.where(
        vs > 0.0,
        tables.climb_tas_mps[kind, band],
        np.where(vs < 0.0, tables.descent_tas_mps[kind, band], tables.cruise_tas_mps[kind, band]),
    )
    wanted = routes.speed_mps[target_of(routes, fleet, rows)]
    wanted = np.where(np.isnan(wanted), phase, wanted)
    gs = fleet.groundspeed_mps[rows]
    most = ACCELERATION_MPS2 * dt_s
    fleet.groundspeed_mps[rows] = gs + np.clip(wanted - gs, -most, most)


def fly(routes: Routes, fleet: Fleet, rows: I64, distance_m: F64) -> None:
    """Fly ``distance_m`` along the routes, passing the waypoints reached."""
    left = distance_m.copy()
    for _ in range(MAX_WAYPOINTS_PER_STEP):
        target = target_of(routes, fleet, rows)
        lat, lon = fleet.latitude_deg[rows], fleet.longitude_deg[rows]
        az, to_go = _inv(lat, lon, routes.latitude_deg[target], routes.longitude_deg[target])
        reached = to_go <= left
        short = ~reached
        if short.any():
            moving = rows[short]
            new_lat, new_lon, track = _fwd(lat[short], lon[short], az[short], left[short])
            fleet.latitude_deg[moving], fleet.longitude_deg[moving] = new_lat, new_lon
            fleet.track_deg[moving] = track
        if not reached.any():
            return
        at = rows[reached]
        fleet.latitude_deg[at] = routes.latitude_deg[target[reached]]
        fleet.longitude_deg[at] = routes.longitude_deg[target[reached]]
        left = left[reached] - to_go[reached]
        fleet.leg[at] += 1
        over = fleet.leg[at] >= routes.count[at]
        again = over & routes.repeat[at]
        fleet.leg[at[again]] = 0
        ended = at[over & ~again]
        fleet.done[ended] = True
        fleet.active[ended] = False
        fleet.leg[ended] = routes.count[ended] - 1
        keep = ~(over & ~again)
        rows, left = at[keep], left[keep]
        if not len(rows):
            return
        # the direction of motion at a waypoint: towards the next one
        target = target_of(routes, fleet, rows)
        fleet.track_deg[rows] = np.mod(
            _inv(
                fleet.latitude_deg[rows],
                fleet.longitude_deg[rows],
                routes.latitude_deg[target],
                routes.longitude_deg[target],
            )[0],
            360.0,
        )
        moving_on = left > 0.0
        rows, left = rows[moving_on], left[moving_on]
        if not len(rows):
            return
