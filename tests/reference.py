"""Simple, slow references the fast paths are checked against.

- ``all_pairs``: every pair of a snapshot through the exact test the engine applies to its
  candidates (``engine.pair_encounters``), with no broad phase. The
  engine must find exactly its pairs (this is what checks the broad phase), and the
  benchmark times the engine against it.
- ``AllPairsAlerting``: stream alerting over every ordered pair, no broad phase.
- ``scalar_encounter``: the loss-of-separation interval and closest approach of one pair,
  in plain Python from the textbook formulas, independent of ``cpa.encounters``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from deconflict.alerting.alerter import Hysteresis, raw_levels
from deconflict.alerting.config import AlertingConfig
from deconflict.alerting.frame import relative_states
from deconflict.states import StateVectors
from deconflict.tactical import cpa
from deconflict.tactical.engine import pair_encounters

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def all_pairs(
    kin: cpa.Kinematics,
    hsep_m: F64,
    vsep_m: F64,
    lookahead_s: float,
    keep_pair: Callable[[I64, I64], NDArray[np.bool_]] | None = None,
    chunk_pairs: int = 1_000_000,
) -> tuple[I64, I64, cpa.Encounters]:
    """Conflicting pairs (i < j, sorted) found by checking all n (n - 1) / 2 pairs."""
    n = len(kin)
    found_i: list[I64] = []
    found_j: list[I64] = []
    found: list[cpa.Encounters] = []
    rows_per_chunk = max(1, chunk_pairs // max(n, 1))
    for start in range(0, max(n - 1, 0), rows_per_chunk):
        rows = np.arange(start, min(start + rows_per_chunk, n - 1), dtype=np.int64)
        counts = n - rows - 1
        i = np.repeat(rows, counts)
        first_of_row = np.repeat(np.cumsum(counts) - counts, counts)
        j = i + 1 + (np.arange(len(i), dtype=np.int64) - first_of_row)
        if keep_pair is not None:
            keep = keep_pair(i, j)
            i, j = i[keep], j[keep]
        enc = pair_encounters(kin, i, j, hsep_m, vsep_m, lookahead_s)
        hit = enc.conflict
        found_i.append(i[hit])
        found_j.append(j[hit])
        found.append(enc.take(hit))
    if not found:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, cpa.encounters(cpa.pair_geometry(kin, empty, empty), 1.0, 1.0, 1.0)
    encounters = cpa.Encounters(
        *(np.concatenate([getattr(e, f.name) for e in found]) for f in fields(cpa.Encounters))
    )
    return np.concatenate(found_i), np.concatenate(found_j), encounters


@dataclass(frozen=True)
class ScalarEncounter:
    conflict: bool
    t_in_s: float
    t_out_s: float
    tcpa_s: float
    dcpa_m: float
    dz_cpa_m: float


def scalar_encounter(
    rx: float,
    ry: float,
    vx: float,
    vy: float,
    dz: float,
    dvz: float,
    hsep: float,
    vsep: float,
    lookahead: float,
) -> ScalarEncounter:
    """Relative position (rx, ry), velocity (vx, vy), vertical dz, dvz; strict minima."""
    # horizontal: |r + v t|^2 < hsep^2, i.e. a t^2 + b t + c < 0 (textbook roots)
    a = vx * vx + vy * vy
    b = 2.0 * (rx * vx + ry * vy)
    c = rx * rx + ry * ry - hsep * hsep
    if a == 0.0:
        h_lo, h_hi = (-math.inf, math.inf) if c < 0.0 else (math.inf, -math.inf)
    else:
        disc = b * b - 4.0 * a * c
        if disc <= 0.0:
            h_lo, h_hi = math.inf, -math.inf
        else:
            h_lo = (-b - math.sqrt(disc)) / (2.0 * a)
            h_hi = (-b + math.sqrt(disc)) / (2.0 * a)
    # vertical: |dz + dvz t| < vsep
    if dvz == 0.0:
        v_lo, v_hi = (-math.inf, math.inf) if abs(dz) < vsep else (math.inf, -math.inf)
    else:
        t1, t2 = (-vsep - dz) / dvz, (vsep - dz) / dvz
        v_lo, v_hi = min(t1, t2), max(t1, t2)
    t_in = max(h_lo, v_lo, 0.0)
    t_out = min(h_hi, v_hi, lookahead)
    tcpa = 0.0 if a == 0.0 else min(max(-(rx * vx + ry * vy) / a, 0.0), lookahead)
    dcpa = math.hypot(rx + vx * tcpa, ry + vy * tcpa)
    return ScalarEncounter(
        conflict=t_in < t_out,
        t_in_s=t_in,
        t_out_s=t_out,
        tcpa_s=tcpa,
        dcpa_m=dcpa,
        dz_cpa_m=abs(dz + dvz * tcpa),
    )


def well_clear_violated(
    sx: F64, sy: F64, sz: F64, vx: F64, vy: F64, vz: F64,
    dthr: float, zthr: float, tthr: float, tcoa: float,
) -> NDArray[np.bool_]:  # fmt: skip
    """The instantaneous definition of "not well clear" (DO-365, as in DAIDALUS), for
    relative states given as arrays (e.g. one pair sampled at many times).

    Horizontal: within DTHR now, or a horizontal miss distance within DTHR with the
    modified tau in [0, TTHR]. Vertical: within ZTHR now, or converging with the time to
    co-altitude within TCOA.
    """
    a = vx * vx + vy * vy
    sv = sx * vx + sy * vy
    ss = sx * sx + sy * sy
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tcpa = np.where(a > 0, np.maximum(-sv / a, 0.0), 0.0)
        hmd = np.hypot(sx + vx * tcpa, sy + vy * tcpa)
        taumod = np.where(sv < 0, (dthr * dthr - ss) / sv, np.inf)
        tco = np.where(vz != 0, -sz / vz, np.inf)
    horizontal = (ss <= dthr * dthr) | ((hmd <= dthr) & (taumod >= 0) & (taumod <= tthr))
    vertical = (np.abs(sz) <= zthr) | ((sz * vz <= 0) & (tco >= 0) & (tco <= tcoa))
    result: NDArray[np.bool_] = horizontal & vertical
    return result


class AllPairsAlerting:
    """Stream alerting without a broad phase: every ordered pair of the (fixed) aircraft,
    every step, through the same per-pair alerting and hysteresis; the rows reported are
    those alerting or with a volume violated within the lookahead."""

    def __init__(self, n: int, config: AlertingConfig, alerter: int = 1) -> None:
        self.config, self.alerter = config, alerter
        self.own, self.other = np.nonzero(~np.eye(n, dtype=np.bool_))
        self.memory = Hysteresis(len(self.own), config)

    def step(self, time_s: float, s: StateVectors) -> set[tuple[str, str, int]]:
        def state(k: NDArray[np.intp]) -> tuple[F64, F64, F64, F64, F64, F64]:
            return (
                s.latitude_deg[k], s.longitude_deg[k], s.altitude_m[k],
                s.track_deg[k], s.groundspeed_mps[k], s.vertical_rate_mps[k],
            )  # fmt: skip

        r = relative_states(state(self.own), state(self.other))
        active = np.ones(len(self.own), dtype=np.bool_)
        now = np.full(len(self.own), time_s)
        before = self.memory.begin(now, active)
        alerter = np.full(len(self.own), self.alerter, dtype=np.int64)
        levels = raw_levels(r, self.config, alerter, before)
        reported = self.memory.end(now, active, levels.raw)
        shown = (reported > 0) | np.isfinite(levels.time_to_violation_s).any(axis=1)
        return set(
            zip(s.id[self.own[shown]].tolist(), s.id[self.other[shown]].tolist(),
                reported[shown].tolist(), strict=True)
        )  # fmt: skip
