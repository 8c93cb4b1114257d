"""``detect()``: conflicts in every snapshot of a set of state vectors.

Rows that share a timestamp form a snapshot (or, with a window, each aircraft's latest
state in the window, extrapolated to the window's end). Each snapshot is checked on its
own: broad phase (``broad``), then the exact test (``cpa``) on the candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deconflict import geo
from deconflict.errors import InputError, OptionError
from deconflict.states import StateVectors, problems
from deconflict.tactical import broad, cpa, limits
from deconflict.tactical.areas import MinimaArea, aircraft_minima
from deconflict.units import ft_to_m, nm_to_m

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: distances within this of a threshold count as at the threshold, i.e. not a loss of
#: separation: a pair 1,000 ft apart stays separated whatever the rounding of ft -> m
THRESHOLD_EPSILON_M = 1e-6


@dataclass(frozen=True)
class Criteria:
    """What counts as a conflict, and which aircraft and pairs are considered."""

    hsep_nm: float = 5.0
    vsep_ft: float = 1000.0
    lookahead_s: float = 300.0
    cross_party_only: bool = False
    window_s: float | None = None
    exclude_onground: bool = False
    min_altitude_ft: float | None = None
    #: altitude quantisation allowance: vertical LoS needs |dz| < vsep - tolerance
    vsep_tolerance_ft: float = 0.0
    areas: tuple[MinimaArea, ...] = ()

    def __post_init__(self) -> None:
        bounded = {
            "hsep_nm": (self.hsep_nm, limits.HSEP_NM),
            "vsep_ft": (self.vsep_ft, limits.VSEP_FT),
            "lookahead_s": (self.lookahead_s, limits.LOOKAHEAD_S),
        }
        if self.window_s is not None:
            bounded["window_s"] = (self.window_s, limits.WINDOW_S)
        if self.min_altitude_ft is not None:
            bounded["min_altitude_ft"] = (self.min_altitude_ft, limits.MIN_ALTITUDE_FT)
        for name, (value, bounds) in bounded.items():
            if not limits.within(value, bounds):
                raise OptionError(
                    f"{name} must be a number in {limits.describe(bounds)}, not {value}"
                )
        if not (0 <= self.vsep_tolerance_ft < self.vsep_ft):
            raise OptionError(
                f"vsep_tolerance_ft must be in [0, vsep_ft), not {self.vsep_tolerance_ft}"
            )


@dataclass(frozen=True)
class Conflicts:
    """One row per conflicting pair per snapshot, sorted by timestamp, id1, id2; id1 < id2."""

    timestamp_s: F64
    id1: NDArray[np.str_]
    id2: NDArray[np.str_]
    party1: NDArray[np.str_]
    party2: NDArray[np.str_]
    t_in_s: F64
    t_out_s: F64
    tcpa_s: F64
    dcpa_m: F64
    dz_cpa_m: F64
    los_now: NDArray[np.bool_]
    snapshots: int  #: snapshots checked
    aircraft_states: int  #: aircraft states checked, summed over the snapshots

    def __len__(self) -> int:
        return len(self.timestamp_s)


def snapshot_conflicts(
    kin: cpa.Kinematics,
    hsep_m: F64,
    vsep_m: F64,
    lookahead_s: float,
    keep_pair: PairFilter,
    all_pairs_below: int = broad.ALL_PAIRS_BELOW,
    find_pairs: broad.PairFinder | None = None,
) -> tuple[I64, I64, cpa.Encounters]:
    """Conflicting pairs (i < j) of one snapshot, with the minima of each aircraft (a pair
    takes the larger of its two). ``keep_pair`` drops pairs that do not concern us;
    ``all_pairs_below`` is passed to the broad phase (tests set it to 0 to use the grid
    whatever the size); ``find_pairs`` replaces it (``broad.Superset``)."""
    hmax = float(hsep_m.max()) if len(hsep_m) else 0.0
    vmax = float(vsep_m.max()) if len(vsep_m) else 0.0
    if find_pairs is None:
        i, j = broad.candidate_pairs(kin, hmax, vmax, lookahead_s, all_pairs_below)
    else:
        i, j = find_pairs(kin, hmax, vmax, lookahead_s)
    keep = keep_pair(i, j)
    i, j = i[keep], j[keep]
    found = pair_encounters(kin, i, j, hsep_m, vsep_m, lookahead_s)
    hit = found.conflict
    return i[hit], j[hit], found.take(hit)


def pair_encounters(
    kin: cpa.Kinematics, i: I64, j: I64, hsep_m: F64, vsep_m: F64, lookahead_s: float
) -> cpa.Encounters:
    """The exact test of pairs (i, j), each held to the larger minima of its two aircraft."""
    return cpa.encounters(
        cpa.pair_geometry(kin, i, j),
        np.maximum(hsep_m[i], hsep_m[j]),
        np.maximum(vsep_m[i], vsep_m[j]),
        lookahead_s,
    )


PairFilter = Callable[[I64, I64], NDArray[np.bool_]]


def _every_pair(i: I64, j: I64) -> NDArray[np.bool_]:
    return np.ones(len(i), dtype=np.bool_)


def _cross_party(party: NDArray[np.str_]) -> PairFilter:
    """Pairs of different parties; an unknown party ("") is different from every party."""

    def keep(i: I64, j: I64) -> NDArray[np.bool_]:
        a, b = party[i], party[j]
        result: NDArray[np.bool_] = (a != b) | (a == "")
        return result

    return keep


def snapshots(states: StateVectors, window_s: float | None) -> Iterator[tuple[float, StateVectors]]:
    """The snapshots in time order: (time, one state per aircraft).

    Without a window, rows sharing a timestamp; with one, each aircraft's latest state in
    [k S, (k + 1) S), extrapolated along its track to (k + 1) S. An aircraft reported twice
    in a snapshot keeps its last row.
    """
    if len(states) == 0:
        return
    if window_s is None:
        group = states.time_s
    else:
        group = (np.floor(states.time_s / window_s) + 1.0) * window_s
    # last row of each (group, id) in time order, rows in file order breaking ties
    order = np.lexsort((states.source_row, states.time_s, states.id, group))
    g, ids = group[order], states.id[order]
    last = np.ones(len(order), dtype=np.bool_)
    last[:-1] = (g[1:] != g[:-1]) | (ids[1:] != ids[:-1])
    chosen = order[last]
    chosen_group = group[chosen]
    bounds = np.flatnonzero(np.diff(chosen_group)) + 1
    for part in np.split(chosen, bounds):
        time = float(group[part[0]])
        snapshot = states.take(part)
        if window_s is not None:
            snapshot = extrapolate(snapshot, time)
        yield time, snapshot


def extrapolate(states: StateVectors, time_s: float) -> StateVectors:
    """Each state moved along its track and vertical rate to ``time_s``."""
    dt = time_s - states.time_s
    lat, lon = geo.destination(
        states.latitude_deg, states.longitude_deg, states.track_deg, states.groundspeed_mps * dt
    )
    return StateVectors(
        time_s=np.full(len(states), time_s),
        id=states.id,
        party=states.party,
        latitude_deg=lat,
        longitude_deg=lon,
        altitude_m=states.altitude_m + states.vertical_rate_mps * dt,
        groundspeed_mps=states.groundspeed_mps,
        track_deg=states.track_deg,
        vertical_rate_mps=states.vertical_rate_mps,
        onground=states.onground,
        callsign=states.callsign,
        source_row=states.source_row,
        has_party=states.has_party,
    )


def considered(states: StateVectors, criteria: Criteria) -> StateVectors:
    """The aircraft of a snapshot that the criteria keep (ground and altitude filters)."""
    keep = np.ones(len(states), dtype=np.bool_)
    if criteria.exclude_onground:
        keep &= ~states.onground
    if criteria.min_altitude_ft is not None:
        keep &= states.altitude_m >= ft_to_m(criteria.min_altitude_ft)
    return states if keep.all() else states.take(keep)


def prepare(snapshot: StateVectors, criteria: Criteria) -> tuple[cpa.Kinematics, F64, F64]:
    """The kinematics of a snapshot and the minima (m) each aircraft is held to, less the
    threshold epsilon and the quantisation tolerance: what ``snapshot_conflicts`` takes."""
    kin = cpa.kinematics(
        snapshot.latitude_deg,
        snapshot.longitude_deg,
        snapshot.altitude_m,
        snapshot.groundspeed_mps,
        snapshot.track_deg,
        snapshot.vertical_rate_mps,
    )
    h, v = aircraft_minima(
        criteria.areas,
        snapshot.latitude_deg,
        snapshot.longitude_deg,
        snapshot.altitude_m,
        nm_to_m(criteria.hsep_nm),
        ft_to_m(criteria.vsep_ft),
    )
    h -= THRESHOLD_EPSILON_M
    v -= ft_to_m(criteria.vsep_tolerance_ft) + THRESHOLD_EPSILON_M
    return kin, h, v


def detect(
    states: StateVectors,
    criteria: Criteria | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Conflicts:
    """Every conflict in every snapshot of ``states``.

    ``progress(done, total)`` is called after each snapshot when given.
    """
    criteria = criteria or Criteria()
    bad, reasons = problems(states)
    if bad.any():
        why = ", ".join(f"{reason}: {n}" for reason, n in reasons.items())
        raise InputError(
            f"{int(bad.sum())} state vectors cannot be used ({why}); "
            "deconflict.states.validate() drops them"
        )
    if criteria.cross_party_only and not states.has_party:
        raise OptionError("cross-party-only needs a 'party' column in the states")
    groups = list(snapshots(states, criteria.window_s))
    columns: dict[str, list[NDArray[np.generic]]] = {name: [] for name in _COLUMNS}
    aircraft_states = 0
    for done, (time_s, snapshot) in enumerate(groups, start=1):
        snapshot = considered(snapshot, criteria)
        aircraft_states += len(snapshot)
        kin, h, v = prepare(snapshot, criteria)
        keep_pair = _cross_party(snapshot.party) if criteria.cross_party_only else _every_pair
        i, j, found = snapshot_conflicts(kin, h, v, criteria.lookahead_s, keep_pair)
        _append_rows(columns, time_s, snapshot, i, j, found)
        if progress is not None:
            progress(done, len(groups))
    table = {k: np.concatenate(parts) if parts else _EMPTY[k] for k, parts in columns.items()}
    return Conflicts(
        timestamp_s=table["timestamp_s"].astype(np.float64),
        id1=table["id1"].astype(np.str_),
        id2=table["id2"].astype(np.str_),
        party1=table["party1"].astype(np.str_),
        party2=table["party2"].astype(np.str_),
        t_in_s=table["t_in_s"].astype(np.float64),
        t_out_s=table["t_out_s"].astype(np.float64),
        tcpa_s=table["tcpa_s"].astype(np.float64),
        dcpa_m=table["dcpa_m"].astype(np.float64),
        dz_cpa_m=table["dz_cpa_m"].astype(np.float64),
        los_now=table["los_now"].astype(np.bool_),
        snapshots=len(groups),
        aircraft_states=aircraft_states,
    )


_EMPTY: dict[str, NDArray[np.generic]] = {
    "timestamp_s": np.empty(0),
    "id1": np.empty(0, dtype=np.str_),
    "id2": np.empty(0, dtype=np.str_),
    "party1": np.empty(0, dtype=np.str_),
    "party2": np.empty(0, dtype=np.str_),
    "t_in_s": np.empty(0),
    "t_out_s": np.empty(0),
    "tcpa_s": np.empty(0),
    "dcpa_m": np.empty(0),
    "dz_cpa_m": np.empty(0),
    "los_now": np.empty(0, dtype=np.bool_),
}
_COLUMNS = tuple(_EMPTY)


def _append_rows(
    columns: dict[str, list[NDArray[np.generic]]],
    time_s: float,
    snapshot: StateVectors,
    i: I64,
    j: I64,
    found: cpa.Encounters,
) -> None:
    """Rows of one snapshot: id1 < id2 in string order, sorted by (id1, id2)."""
    a, b = snapshot.id[i], snapshot.id[j]
    swap = a > b
    first, second = np.where(swap, j, i), np.where(swap, i, j)
    id1, id2 = snapshot.id[first], snapshot.id[second]
    order = np.lexsort((id2, id1))
    first, second = first[order], second[order]
    found = found.take(order)
    columns["timestamp_s"].append(np.full(len(first), time_s))
    columns["id1"].append(snapshot.id[first])
    columns["id2"].append(snapshot.id[second])
    columns["party1"].append(snapshot.party[first])
    columns["party2"].append(snapshot.party[second])
    columns["t_in_s"].append(found.t_in_s)
    columns["t_out_s"].append(found.t_out_s)
    columns["tcpa_s"].append(found.tcpa_s)
    columns["dcpa_m"].append(found.dcpa_m)
    columns["dz_cpa_m"].append(found.dz_cpa_m)
    columns["los_now"].append(found.los_now)
