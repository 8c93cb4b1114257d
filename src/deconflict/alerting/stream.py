"""Alerting over a stream of snapshots of many aircraft: what the line runs every second.

Every aircraft is an ownship against every other within reach. The pairs come from the
detection core's broad phase with a reach no violation can escape:
- horizontally, a well-clear volume is violated only within DTHR + TTHR × closing speed
  (modified tau ≤ TTHR means |s|² - D² ≤ TTHR |s| |v|);
- vertically, within ZTHR, or |v_z| × TCOA when converging;
- in time, within the lookahead (at least every early alerting time).
Each direction of a pair is alerted in DAIDALUS's frame (``frame.py``). Hysteresis is kept
per ordered pair across snapshots; pairs still alerting stay in the set even when they
leave the reach, and pairs idle for longer than the hysteresis time are forgotten. A row
is reported for each ordered pair that is alerting or whose volumes are violated within
the lookahead; quiet pairs are computed (their history counts) but not reported.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from deconflict.alerting.alerter import Hysteresis, raw_levels
from deconflict.alerting.config import AlertingConfig
from deconflict.alerting.engine import Alerts, closest_approach, tau_dthr_m
from deconflict.alerting.frame import relative_states
from deconflict.alerting.volumes import Cylinder, WellClear, tau_mod, time_to_coaltitude
from deconflict.states import StateVectors
from deconflict.tactical import broad, cpa

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: widening of the reach against the difference between the two frames (ours for the broad
#: phase, DAIDALUS's for the alerts): far above it at alerting distances
REACH_MARGIN = 1.01
REACH_MARGIN_M = 100.0


def reach(
    config: AlertingConfig, max_speed_mps: float, max_climb_mps: float
) -> tuple[float, float, float]:
    """Horizontal (m), vertical (m) and time (s) beyond which no level can be violated."""
    horizontal, vertical, time = 0.0, 0.0, 0.0
    for alerter in config.alerters:
        for level in alerter.levels:
            volume = level.volume
            if isinstance(volume, WellClear):
                h = volume.dthr_m + volume.tthr_s * 2 * max_speed_mps
                v = max(volume.zthr_m, 2 * max_climb_mps * volume.tcoa_s)
            else:
                assert isinstance(volume, Cylinder)
                h, v = volume.d_m, volume.h_m
            horizontal, vertical = max(horizontal, h), max(vertical, v)
            time = max(time, level.early_alerting_time_s)
    return horizontal * REACH_MARGIN + REACH_MARGIN_M, vertical + 1.0, max(time, config.lookahead_s)


class StreamAlerting:
    """Reported alert levels of every pair of aircraft over successive snapshots."""

    def __init__(self, config: AlertingConfig, alerter: int = 1) -> None:
        if not 1 <= alerter <= len(config.alerters):
            raise ValueError(f"alerter must be in 1..{len(config.alerters)}")
        self.config = config
        self.alerter = alerter
        self.memory = Hysteresis(0, config)
        self.slots: dict[tuple[str, str], int] = {}
        self.free: list[int] = []

    def _slots_of(self, keys: list[tuple[str, str]]) -> I64:
        out = np.empty(len(keys), dtype=np.int64)
        for k, key in enumerate(keys):
            slot = self.slots.get(key)
            if slot is None:
                if not self.free:
                    grown = max(1024, len(self.memory))
                    self.free = list(range(len(self.memory) + grown - 1, len(self.memory) - 1, -1))
                    self.memory.grow(grown)
                slot = self.free.pop()
                self.slots[key] = slot
            out[k] = slot
        return out

    def _age(self, time_s: float) -> None:
        """Forget pairs idle for longer than the hysteresis time (none are alerting then)."""
        idle = time_s - self.memory.last_time_s > self.config.hysteresis_s
        if not idle.any():
            return
        stale = [key for key, slot in self.slots.items() if idle[slot]]
        for key in stale:
            self.free.append(self.slots.pop(key))
        self.memory.clear(np.flatnonzero(idle))

    def step(self, time_s: float, snapshot: StateVectors) -> Alerts:
        """The alerts of one snapshot (one state per aircraft)."""
        self._age(time_s)
        kin = cpa.kinematics(
            snapshot.latitude_deg, snapshot.longitude_deg, snapshot.altitude_m,
            snapshot.groundspeed_mps, snapshot.track_deg, snapshot.vertical_rate_mps,
        )  # fmt: skip
        speed = float(snapshot.groundspeed_mps.max()) if len(snapshot) else 0.0
        climb = float(np.abs(snapshot.vertical_rate_mps).max()) if len(snapshot) else 0.0
        h, v, t = reach(self.config, speed, climb)
        i, j = broad.candidate_pairs(kin, h, v, t)
        own, intruder = np.concatenate([i, j]), np.concatenate([j, i])
        # pairs that were alerting stay in the set while both aircraft are there
        index = {name: k for k, name in enumerate(snapshot.id.tolist())}
        found = set(zip(own.tolist(), intruder.tolist(), strict=True))
        alerting = [
            key for key, slot in self.slots.items()
            if self.memory.reported[slot] > 0 and key[0] in index and key[1] in index
        ]  # fmt: skip
        extra = [(index[a], index[b]) for a, b in alerting if (index[a], index[b]) not in found]
        if extra:
            own = np.concatenate([own, np.array([e[0] for e in extra], dtype=np.int64)])
            intruder = np.concatenate([intruder, np.array([e[1] for e in extra], dtype=np.int64)])
        ids = snapshot.id
        slots = self._slots_of(list(zip(ids[own].tolist(), ids[intruder].tolist(), strict=True)))
        active = np.zeros(len(self.memory), dtype=np.bool_)
        active[slots] = True
        now = np.full(len(self.memory), time_s)

        def state(k: I64) -> tuple[F64, F64, F64, F64, F64, F64]:
            return (
                snapshot.latitude_deg[k], snapshot.longitude_deg[k], snapshot.altitude_m[k],
                snapshot.track_deg[k], snapshot.groundspeed_mps[k], snapshot.vertical_rate_mps[k],
            )  # fmt: skip

        r = relative_states(state(own), state(intruder))
        alerter = np.full(len(own), self.alerter, dtype=np.int64)
        before = self.memory.begin(now, active)[slots]
        levels = raw_levels(r, self.config, alerter, before)
        raw = np.zeros(len(self.memory), dtype=np.int64)
        raw[slots] = levels.raw
        reported = self.memory.end(now, active, raw)[slots]
        shown = (reported > 0) | np.isfinite(levels.time_to_violation_s).any(axis=1)
        tcpa, dcpa = closest_approach(r)
        dthr = tau_dthr_m(self.config)
        hsep = np.hypot(r.sx_m, r.sy_m)
        return Alerts(
            time_s=np.full(int(shown.sum()), time_s),
            ownship=ids[own][shown],
            intruder=ids[intruder][shown],
            alerter=alerter[shown],
            alert_level=reported[shown],
            time_to_violation_s=levels.time_to_violation_s[shown],
            hsep_m=hsep[shown],
            vsep_m=np.abs(r.sz_m)[shown],
            tcpa_s=tcpa[shown],
            dcpa_m=dcpa[shown],
            tcoa_s=time_to_coaltitude(r)[shown],
            taumod_s=np.where(hsep < dthr, np.inf, tau_mod(r, dthr))[shown],
        )
