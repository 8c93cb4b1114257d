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
from deconflict.alerting.engine import Alerts, assemble
from deconflict.alerting.frame import relative_states, state_of
from deconflict.alerting.volumes import Cylinder, WellClear
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
    """Reported alert levels of every pair of aircraft over successive snapshots.

    Each aircraft id gets a stable integer code; an ordered pair is one int64
    (``own << 32 | intruder``), found among the known pairs by binary search.
    """

    def __init__(self, config: AlertingConfig, alerter: int = 1) -> None:
        if not 1 <= alerter <= len(config.alerters):
            raise ValueError(f"alerter must be in 1..{len(config.alerters)}")
        self.config = config
        self.alerter = alerter
        self.memory = Hysteresis(0, config)
        self.codes: dict[str, int] = {}  #: aircraft id -> code
        self.pairs = np.empty(0, dtype=np.int64)  #: known pair codes, sorted
        self.pair_slot = np.empty(0, dtype=np.int64)  #: their hysteresis slots
        self.slot_pair = np.empty(0, dtype=np.int64)  #: pair code of each slot, -1 if free

    @property
    def slots(self) -> dict[tuple[str, str], int]:
        """The ordered pairs (ownship id, intruder id) being followed, and their slots."""
        names = {code: name for name, code in self.codes.items()}
        return {
            (names[int(c) >> 32], names[int(c) & 0xFFFFFFFF]): int(slot)
            for c, slot in zip(self.pairs, self.pair_slot, strict=True)
        }

    def _code(self, ids: NDArray[np.str_]) -> I64:
        codes = self.codes
        return np.array([codes.setdefault(x, len(codes)) for x in ids.tolist()], dtype=np.int64)

    def _slots_of(self, pair: I64) -> I64:
        """The slots of these pair codes, new ones allocated (and the table grown)."""
        at = np.searchsorted(self.pairs, pair)
        known = np.zeros(len(pair), dtype=np.bool_)
        if len(self.pairs):
            known = (at < len(self.pairs)) & (
                self.pairs[np.minimum(at, len(self.pairs) - 1)] == pair
            )
        new = np.unique(pair[~known])
        if len(new):
            free = np.flatnonzero(self.slot_pair < 0)
            if len(free) < len(new):
                extra = max(len(new) - len(free), len(self.memory), 1024)
                self.memory.grow(extra)
                self.slot_pair = np.concatenate([self.slot_pair, np.full(extra, -1, np.int64)])
                free = np.flatnonzero(self.slot_pair < 0)
            given = free[: len(new)]
            self.slot_pair[given] = new
            order = np.argsort(np.concatenate([self.pairs, new]), kind="stable")
            self.pairs = np.concatenate([self.pairs, new])[order]
            self.pair_slot = np.concatenate([self.pair_slot, given])[order]
        slots: I64 = self.pair_slot[np.searchsorted(self.pairs, pair)]
        return slots

    def _age(self, time_s: float) -> None:
        """Forget pairs idle for longer than the hysteresis time (none are alerting then)."""
        idle = (self.slot_pair >= 0) & (time_s - self.memory.last_time_s > self.config.hysteresis_s)
        if not idle.any():
            return
        self.slot_pair[idle] = -1
        keep = self.slot_pair[self.pair_slot] >= 0
        self.pairs, self.pair_slot = self.pairs[keep], self.pair_slot[keep]
        self.memory.clear(np.flatnonzero(idle))

    def step(self, time_s: float, snapshot: StateVectors,
             find_pairs: broad.PairFinder = broad.candidate_pairs) -> Alerts:  # fmt: skip
        """The alerts of one snapshot (one state per aircraft); ``find_pairs`` is the
        broad phase (``broad.Superset`` draws it from candidates found already)."""
        self._age(time_s)
        kin = cpa.kinematics(
            snapshot.latitude_deg, snapshot.longitude_deg, snapshot.altitude_m,
            snapshot.groundspeed_mps, snapshot.track_deg, snapshot.vertical_rate_mps,
        )  # fmt: skip
        speed = float(snapshot.groundspeed_mps.max()) if len(snapshot) else 0.0
        climb = float(np.abs(snapshot.vertical_rate_mps).max()) if len(snapshot) else 0.0
        h, v, t = reach(self.config, speed, climb)
        i, j = find_pairs(kin, h, v, t)
        own, intruder = np.concatenate([i, j]), np.concatenate([j, i])
        code = self._code(snapshot.id)
        pair = code[own] << 32 | code[intruder]
        slots = self._slots_of(pair)
        active = np.zeros(len(self.memory), dtype=np.bool_)
        active[slots] = True
        # pairs that were alerting stay in the set while both aircraft are there
        where = np.full(len(self.codes), -1, dtype=np.int64)
        where[code] = np.arange(len(code))
        held = np.flatnonzero((self.slot_pair >= 0) & (self.memory.reported > 0) & ~active)
        a = where[self.slot_pair[held] >> 32]
        b = where[self.slot_pair[held] & 0xFFFFFFFF]
        present = (a >= 0) & (b >= 0)
        if present.any():
            own = np.concatenate([own, a[present]])
            intruder = np.concatenate([intruder, b[present]])
            slots = np.concatenate([slots, held[present]])
            active[held[present]] = True
        now = np.full(len(self.memory), time_s)

        r = relative_states(state_of(snapshot, own), state_of(snapshot, intruder))
        alerter = np.full(len(own), self.alerter, dtype=np.int64)
        before = self.memory.begin(now, active)[slots]
        levels = raw_levels(r, self.config, alerter, before)
        raw = np.zeros(len(self.memory), dtype=np.int64)
        raw[slots] = levels.raw
        reported = self.memory.end(now, active, raw)[slots]
        shown = (reported > 0) | np.isfinite(levels.time_to_violation_s).any(axis=1)
        ids = snapshot.id
        rows = assemble(time_s, ids[own], ids[intruder], alerter, reported, levels, r, self.config)
        return rows.take(shown)
