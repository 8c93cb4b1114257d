"""Alerting over an encounter: every time step, every intruder against the ownship.

``alert_encounter(read_daa(path), load_config("do365b"))`` gives one row per time step and
intruder, with the reported alert level and the geometry behind it, computed as DAIDALUS
computes it (``docs/alerting.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from deconflict.alerting.alerter import Hysteresis, Levels, raw_levels
from deconflict.alerting.config import AlertingConfig
from deconflict.alerting.frame import relative_states
from deconflict.alerting.volumes import Relative, WellClear, tau_mod, time_to_coaltitude
from deconflict.daa import DaaStates

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Alerts:
    """One row per time step and intruder, in time order, intruders in file order."""

    time_s: F64
    ownship: NDArray[np.str_]
    intruder: NDArray[np.str_]
    alerter: I64  #: 1-based
    alert_level: I64  #: 0 none, 1 preventive, 2 corrective, 3 warning
    time_to_violation_s: F64  #: (rows, 3): of each level's volume, inf if none
    hsep_m: F64
    vsep_m: F64
    tcpa_s: F64  #: horizontal, clipped at 0 (not at the lookahead); NaN without motion
    dcpa_m: F64  #: horizontal separation at tcpa
    tcoa_s: F64  #: time to co-altitude; inf when not converging
    taumod_s: F64  #: modified tau with alerter 1's corrective DTHR; inf when not closing

    def __len__(self) -> int:
        return len(self.time_s)

    def take(self, index: NDArray[np.bool_] | I64) -> Alerts:
        return Alerts(*(getattr(self, f.name)[index] for f in fields(self)))


def assemble(
    time_s: float,
    ownship: NDArray[np.str_],
    intruder: NDArray[np.str_],
    alerter: I64,
    reported: I64,
    levels: Levels,
    r: Relative,
    config: AlertingConfig,
) -> Alerts:
    """The rows of one time step, from the pairs' relative states and levels."""
    tcpa, dcpa = closest_approach(r)
    hsep = np.hypot(r.sx_m, r.sy_m)
    dthr = tau_dthr_m(config)
    return Alerts(
        time_s=np.full(len(hsep), time_s),
        ownship=ownship,
        intruder=intruder,
        alerter=alerter,
        alert_level=reported,
        time_to_violation_s=levels.time_to_violation_s,
        hsep_m=hsep,
        vsep_m=np.abs(r.sz_m),
        tcpa_s=tcpa,
        dcpa_m=dcpa,
        tcoa_s=time_to_coaltitude(r),
        taumod_s=np.where(hsep < dthr, np.inf, tau_mod(r, dthr)),
    )


def _relative(states: DaaStates, own: int, others: I64) -> Relative:
    if not states.geodetic:
        return Relative(
            sx_m=states.x_m[own] - states.x_m[others],
            sy_m=states.y_m[own] - states.y_m[others],
            sz_m=states.altitude_m[own] - states.altitude_m[others],
            vx_mps=states.v_east_mps[own] - states.v_east_mps[others],
            vy_mps=states.v_north_mps[own] - states.v_north_mps[others],
            vz_mps=states.v_up_mps[own] - states.v_up_mps[others],
        )
    track = np.degrees(np.arctan2(states.v_east_mps, states.v_north_mps))
    speed = np.hypot(states.v_east_mps, states.v_north_mps)

    def aircraft(k: I64) -> tuple[F64, F64, F64, F64, F64, F64]:
        return (
            states.latitude_deg[k], states.longitude_deg[k], states.altitude_m[k],
            track[k], speed[k], states.v_up_mps[k],
        )  # fmt: skip

    return relative_states(aircraft(np.full(len(others), own)), aircraft(others))


def concat(parts: list[Alerts]) -> Alerts:
    """The rows of several tables, one after the other."""
    if not parts:
        empty = np.empty(0)
        return Alerts(
            time_s=empty, ownship=np.empty(0, dtype=np.str_), intruder=np.empty(0, dtype=np.str_),
            alerter=np.empty(0, dtype=np.int64), alert_level=np.empty(0, dtype=np.int64),
            time_to_violation_s=np.empty((0, 3)), hsep_m=empty, vsep_m=empty, tcpa_s=empty,
            dcpa_m=empty, tcoa_s=empty, taumod_s=empty,
        )  # fmt: skip
    return Alerts(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Alerts)))


def closest_approach(r: Relative) -> tuple[F64, F64]:
    """Horizontal tcpa (clipped at 0, NaN without relative motion) and dcpa, as DAIDALUS."""
    a = r.vx_mps**2 + r.vy_mps**2
    sv = r.sx_m * r.vx_mps + r.sy_m * r.vy_mps
    with np.errstate(divide="ignore", invalid="ignore"):
        tcpa = np.where(a > 0.0, np.maximum(-sv / a, 0.0), np.nan)
    t = np.where(np.isnan(tcpa), 0.0, tcpa)
    return tcpa, np.hypot(r.sx_m + r.vx_mps * t, r.sy_m + r.vy_mps * t)


def tau_dthr_m(config: AlertingConfig) -> float:
    """The DTHR DAIDALUS reports modified tau with: alerter 1's corrective level's (NaN for
    a cylinder, which has no tau)."""
    levels = config.alerters[0].levels
    volume = levels[min(1, len(levels) - 1)].volume
    return volume.dthr_m if isinstance(volume, WellClear) else float("nan")


def alert_encounter(states: DaaStates, config: AlertingConfig) -> Alerts:
    """The alerts of an encounter file: the first aircraft at each time is the ownship."""
    # every intruder of the file, in order of first appearance, has its hysteresis slot
    intruders = list(dict.fromkeys(states.name[~states.ownship].tolist()))
    slot = {name: k for k, name in enumerate(intruders)}
    memory = Hysteresis(len(intruders), config)
    parts: list[Alerts] = []
    bounds = np.flatnonzero(np.diff(states.time_s)) + 1
    for rows in np.split(np.arange(len(states.time_s)), bounds):
        own = int(rows[0])
        others = rows[1:]
        if len(others) == 0:
            continue
        alerter = (
            np.full(len(others), states.alerter[own])
            if config.ownship_centric
            else states.alerter[others]
        )
        known = (alerter >= 1) & (alerter <= len(config.alerters))  # else DAIDALUS gives no row
        others, alerter = others[known], alerter[known]
        active = np.zeros(len(intruders), dtype=np.bool_)
        where = np.array([slot[str(states.name[k])] for k in others], dtype=np.int64)
        active[where] = True
        time = np.full(len(intruders), states.time_s[own])
        r = _relative(states, own, others)
        before = memory.begin(time, active)[where]
        levels = raw_levels(r, config, alerter, before)
        raw = np.zeros(len(intruders), dtype=np.int64)
        raw[where] = levels.raw
        reported = memory.end(time, active, raw)[where]
        names = np.full(len(others), states.name[own])
        at = float(states.time_s[own])
        parts.append(assemble(at, names, states.name[others], alerter, reported, levels, r, config))

    return concat(parts)
