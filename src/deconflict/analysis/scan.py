"""One partition of an incident review: from its state vectors to the pieces of its
losses, close encounters, predicted conflicts and profiles (``docs/analysis.md``).

``scan`` owns the grid indices in [first_step, stop_step) and the segments that start at
them; its states must cover the samples from ``max_gap_s + step_s`` before the first to as
long after the last, so that it resamples as a single run would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from deconflict import geo
from deconflict.alerting.alerter import raw_levels
from deconflict.alerting.config import AlertingConfig, load_config
from deconflict.alerting.frame import relative_states, state_of
from deconflict.alerting.stream import reach
from deconflict.analysis import intervals
from deconflict.analysis.grid import Grid, aircraft_codes, resample
from deconflict.analysis.intervals import PairSteps
from deconflict.analysis.proximity import near_pairs
from deconflict.errors import OptionError
from deconflict.states import StateVectors
from deconflict.tactical.areas import aircraft_minima
from deconflict.tactical.engine import THRESHOLD_EPSILON_M, Criteria, considered
from deconflict.units import ft_to_m, nm_to_m

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class ReviewOptions:
    """What an incident review looks for, and on which grid."""

    criteria: Criteria = field(default_factory=Criteria)
    cpa_nm: float = 10.0  #: close encounters: horizontal reporting distance
    cpa_ft: float = 2000.0  #: close encounters: vertical reporting distance
    step_s: float = 1.0  #: the grid
    max_gap_s: float = 20.0  #: longest gap between samples bridged by interpolation
    alerting: str = "do365b"  #: alerting configuration: built-in name or TOML path
    alerter: int = 1  #: the alerter of every pair

    def __post_init__(self) -> None:
        checks = {
            "cpa_nm": (self.cpa_nm, 0.0, 1000.0),
            "cpa_ft": (self.cpa_ft, 0.0, 100_000.0),
            "step_s": (self.step_s, 0.01, 3600.0),
            "max_gap_s": (self.max_gap_s, 0.0, 86_400.0),
        }
        for name, (value, lo, hi) in checks.items():
            if not (isinstance(value, int | float) and math.isfinite(value) and lo <= value <= hi):
                raise OptionError(f"{name} must be a number in [{lo:g}, {hi:g}], not {value}")
        if self.cpa_nm <= 0 or self.cpa_ft <= 0:
            raise OptionError("cpa_nm and cpa_ft must be more than 0")

    def config(self) -> AlertingConfig:
        config = load_config(self.alerting)
        if not 1 <= self.alerter <= len(config.alerters):
            raise OptionError(f"alerter must be in 1..{len(config.alerters)}, not {self.alerter}")
        return config

    @property
    def margin_s(self) -> float:
        """How far beyond its grid times a partition needs samples."""
        return self.max_gap_s + self.step_s


@dataclass
class Scanned:
    """A partition's findings, each a DataFrame (``id1``, ``id2`` first where pairs)."""

    losses: pd.DataFrame  #: loss intervals (``intervals.PIECE_COLUMNS``)
    close: pd.DataFrame  #: close-encounter intervals (same columns)
    alerts: pd.DataFrame  #: runs of alerting grid times (``RUN_COLUMNS``)
    profiles: pd.DataFrame  #: grid times of close pairs
    aircraft: pd.DataFrame  #: per aircraft: samples, first/last, party, last callsign


RUN_COLUMNS = ("k_first", "k_last", "max_level", "k_preventive", "k_corrective", "k_warning",
               "latitude_deg", "longitude_deg", "altitude_m")  # fmt: skip
PROFILE_COLUMNS = ("id1", "id2", "time_s", "hsep_m", "vsep_m", "altitude1_m", "altitude2_m")
AIRCRAFT_COLUMNS = ("id", "party", "callsign", "callsign_s", "first_s", "last_s", "states")


def _party_of(states: StateVectors, ids: NDArray[np.str_]) -> NDArray[np.str_]:
    """Each id's party (its last row's)."""
    order = np.lexsort((states.time_s, states.id))
    sid = states.id[order]
    last = np.ones(len(sid), dtype=np.bool_)
    last[:-1] = sid[1:] != sid[:-1]
    known = dict(zip(sid[last].tolist(), states.party[order][last].tolist(), strict=True))
    return np.array([known.get(x, "") for x in ids.tolist()], dtype=np.str_)


def _aircraft(states: StateVectors, t0: float, t1: float) -> pd.DataFrame:
    """Per aircraft, over the samples of [t0, t1): count, first and last time, party (of
    its last sample), and the last non-empty callsign with its time."""
    inside = states.take((states.time_s >= t0) & (states.time_s < t1))
    ids, code = aircraft_codes(inside.id)
    order = np.lexsort((inside.source_row, inside.time_s, code))
    c, t = code[order], inside.time_s[order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]]) if len(c) else np.empty(0, np.int64)
    ends = np.r_[starts[1:], len(c)] - 1 if len(c) else starts
    named = order[inside.callsign[order] != ""]
    callsign = np.full(len(ids), "", dtype=inside.callsign.dtype)
    callsign_s = np.full(len(ids), -np.inf)
    callsign[code[named]] = inside.callsign[named]  # the last of each aircraft stays
    callsign_s[code[named]] = inside.time_s[named]
    return pd.DataFrame(
        {
            "id": ids,
            "party": inside.party[order[ends]],
            "callsign": callsign,
            "callsign_s": callsign_s,
            "first_s": t[starts],
            "last_s": t[ends],
            "states": np.bincount(c, minlength=len(ids)),
        }
    )[list(AIRCRAFT_COLUMNS)]


def _largest_moves(grid: Grid, pos_m: F64) -> tuple[float, float]:
    """The largest horizontal and vertical moves of an aircraft between consecutive grid
    times (how far a pair can close in within one segment is at most twice these)."""
    order = np.lexsort((grid.step, grid.aircraft))
    same = (grid.aircraft[order][1:] == grid.aircraft[order][:-1]) & (
        grid.step[order][1:] == grid.step[order][:-1] + 1
    )
    if not same.any():
        return 0.0, 0.0
    p = pos_m[order]
    dp = p[1:][same] - p[:-1][same]
    dz = np.diff(grid.altitude_m[order])[same]
    return float(np.sqrt(np.einsum("ij,ij->i", dp, dp)).max()), float(np.abs(dz).max())


def _pair_table(grid: Grid, a: I64, b: I64, pos_m: F64) -> tuple[PairSteps, I64, I64]:
    """The pair rows (grid rows a, b) as ``PairSteps`` sorted by (pair, step), with a and
    b in that order."""
    n_ids = max(len(grid.ids), 1)
    pair = grid.aircraft[a] * n_ids + grid.aircraft[b]
    order = np.lexsort((grid.step[a], pair))
    a, b, pair = a[order], b[order], pair[order]
    ps = PairSteps(
        pair=pair,
        step=grid.step[a],
        d_m=pos_m[b] - pos_m[a],
        dz_m=grid.altitude_m[b] - grid.altitude_m[a],
        mid_m=0.5 * (pos_m[a] + pos_m[b]),
        alt_m=np.column_stack([grid.altitude_m[a], grid.altitude_m[b]]),
    )
    return ps, a, b


def _ids(grid: Grid, pair: I64) -> dict[str, NDArray[np.str_]]:
    n_ids = max(len(grid.ids), 1)
    return {"id1": grid.ids[pair // n_ids], "id2": grid.ids[pair % n_ids]}


def _intervals(grid: Grid, ps: PairSteps, h: F64, v: F64, owned: tuple[int, int]) -> pd.DataFrame:
    pair, cols = intervals.pieces(ps, h, v, grid.step_s, owned)
    joined, cols = intervals.join(pair, cols)
    return pd.DataFrame({**_ids(grid, joined.astype(np.int64)), **cols})


def _alert_runs(
    grid: Grid,
    ps: PairSteps,
    a: I64,
    b: I64,
    options: ReviewOptions,
    config: AlertingConfig,
    reach_m: tuple[float, float],
    owned: tuple[int, int],
) -> pd.DataFrame:
    """Runs of consecutive owned grid times at which a pair alerts (level >= 1, the higher
    of its two directions); ``reach_m``: the horizontal and vertical alerting reach."""
    reach_h, reach_v = reach_m
    hsep = np.sqrt(np.einsum("ij,ij->i", ps.d_m, ps.d_m))
    rows = np.flatnonzero(
        (hsep <= reach_h)
        & (np.abs(ps.dz_m) <= reach_v)
        & (ps.step >= owned[0])
        & (ps.step < owned[1])
    )
    own, intruder = np.concatenate([a[rows], b[rows]]), np.concatenate([b[rows], a[rows]])

    r = relative_states(state_of(grid, own), state_of(grid, intruder))
    alerter = np.full(len(own), options.alerter, dtype=np.int64)
    level = raw_levels(r, config, alerter, np.zeros(len(own), dtype=np.int64)).raw
    level = np.maximum(level[: len(rows)], level[len(rows) :])
    alerting = level > 0
    rows, level = rows[alerting], level[alerting]
    pair, step = ps.pair[rows], ps.step[rows]
    new = np.ones(len(rows), dtype=np.bool_)
    new[1:] = (pair[1:] != pair[:-1]) | (step[1:] != step[:-1] + 1)
    starts = np.flatnonzero(new)
    if len(rows) == 0:
        return pd.DataFrame({"id1": [], "id2": [], **{c: [] for c in RUN_COLUMNS}})

    def first_step_at(level_at_least: int) -> F64:
        k = np.where(level >= level_at_least, step.astype(np.float64), np.inf)
        out: F64 = np.minimum.reduceat(k, starts)
        return out

    first = rows[starts]
    return pd.DataFrame(
        {
            **_ids(grid, pair[starts]),
            "k_first": step[starts],
            "k_last": np.maximum.reduceat(step, starts),
            "max_level": np.maximum.reduceat(level, starts),
            "k_preventive": first_step_at(1),
            "k_corrective": first_step_at(2),
            "k_warning": first_step_at(3),
            "latitude_deg": geo.surface_latlon(ps.mid_m[first])[0],
            "longitude_deg": geo.surface_latlon(ps.mid_m[first])[1],
            "altitude_m": ps.alt_m[first].mean(axis=1),
        }
    )


def scan(
    states: StateVectors,
    options: ReviewOptions,
    first_step: int,
    stop_step: int,
    profiles: bool = False,
) -> Scanned:
    """The findings of the grid indices [first_step, stop_step) (see the module's doc);
    with ``profiles``, the close pairs' grid times too (the review asks for them only for
    the closest pairs, in a second pass over their aircraft alone)."""
    criteria = options.criteria
    step_s = options.step_s
    owned = (first_step, stop_step)
    aircraft = _aircraft(states, first_step * step_s, stop_step * step_s)
    kept = considered(states, criteria)
    grid = resample(kept, step_s, options.max_gap_s, first_step - 1, stop_step)
    pos = geo.surface_ecef(grid.latitude_deg, grid.longitude_deg)
    h_m, v_m = aircraft_minima(
        criteria.areas, grid.latitude_deg, grid.longitude_deg, grid.altitude_m,
        nm_to_m(criteria.hsep_nm), ft_to_m(criteria.vsep_ft),
    )  # fmt: skip
    cpa_h, cpa_v = nm_to_m(options.cpa_nm), ft_to_m(options.cpa_ft)
    config = options.config()
    speed = float(grid.groundspeed_mps.max()) if len(grid) else 0.0
    climb = float(np.abs(grid.vertical_rate_mps).max()) if len(grid) else 0.0
    reach_h, reach_v, _ = reach(config, speed, climb)
    move_h, move_v = _largest_moves(grid, pos)
    hmax = float(h_m.max()) if len(h_m) else 0.0
    vmax = float(v_m.max()) if len(v_m) else 0.0
    a, b = near_pairs(
        grid.step, grid.aircraft, pos, grid.altitude_m,
        max(hmax, cpa_h, reach_h) + 2.0 * move_h + 1.0,
        max(vmax, cpa_v, reach_v) + 2.0 * move_v + 1.0,
    )  # fmt: skip
    if criteria.cross_party_only:
        party = _party_of(kept, grid.ids)
        pa, pb = party[grid.aircraft[a]], party[grid.aircraft[b]]
        keep = (pa != pb) | (pa == "")
        a, b = a[keep], b[keep]
    ps, a, b = _pair_table(grid, a, b, pos)
    tolerance = ft_to_m(criteria.vsep_tolerance_ft)
    loss_h = np.maximum(h_m[a], h_m[b]) - THRESHOLD_EPSILON_M
    loss_v = np.maximum(v_m[a], v_m[b]) - tolerance - THRESHOLD_EPSILON_M
    losses = _intervals(grid, ps, loss_h, loss_v, owned)
    close_h = np.full(len(ps), cpa_h - THRESHOLD_EPSILON_M)
    close_v = np.full(len(ps), cpa_v - THRESHOLD_EPSILON_M)
    close = _intervals(grid, ps, close_h, close_v, owned)
    alerts = _alert_runs(grid, ps, a, b, options, config, (reach_h, reach_v), owned)
    return Scanned(losses, close, alerts, _profiles(grid, ps, close_h, close_v, owned, profiles),
                   aircraft)  # fmt: skip


def _profiles(
    grid: Grid, ps: PairSteps, h_m: F64, v_m: F64, owned: tuple[int, int], wanted: bool
) -> pd.DataFrame:
    """The owned grid times at which pairs are within the reporting limits."""
    hsep = np.sqrt(np.einsum("ij,ij->i", ps.d_m, ps.d_m))
    near = np.flatnonzero(
        wanted & (hsep < h_m) & (np.abs(ps.dz_m) < v_m) & (ps.step >= owned[0])
        & (ps.step < owned[1])
    )  # fmt: skip
    return pd.DataFrame(
        {
            **_ids(grid, ps.pair[near]),
            "time_s": ps.step[near] * grid.step_s,
            "hsep_m": hsep[near],
            "vsep_m": np.abs(ps.dz_m[near]),
            "altitude1_m": ps.alt_m[near, 0],
            "altitude2_m": ps.alt_m[near, 1],
        }
    )
