"""A recording's states cut into batches by recorded time, and a batch in the line's feed
format.

A batch holds each aircraft's latest state within a span of recorded time: a recording
has gaps and duplicates, and the line keeps only an aircraft's latest state anyway.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from deconflict.states import F64, StateVectors
from deconflict.units import FPM_MPS, m_to_ft, mps_to_kt

#: what the line takes of an id and a callsign (``deconflict.line.tracks``)
MAX_ID_CHARS = 64
MAX_CALLSIGN_CHARS = 16


@dataclass(frozen=True)
class Batch:
    """The states of the recorded span [start_s, end_s): each aircraft's latest one."""

    start_s: float
    end_s: float
    states: StateVectors
    rows: int  #: rows of the recording in the span, duplicates included


def sorted_by_time(states: StateVectors) -> StateVectors:
    """The rows in time order (stable: rows of one time keep their order)."""
    order = np.argsort(states.time_s, kind="stable")
    return states.take(order)


def latest_per_aircraft(states: StateVectors) -> StateVectors:
    """Each id's last row (rows in time order, the last one winning a tie), in time order."""
    if len(states) < 2:
        return states
    _, last_from_end = np.unique(states.id[::-1], return_index=True)
    keep = np.sort(len(states) - 1 - last_from_end)
    return states.take(keep)


def batches(states: StateVectors, span_s: float) -> Iterator[Batch]:
    """The batches of ``states`` (in time order) over spans of ``span_s`` recorded seconds,
    starting at the first state's time; spans without a state are skipped."""
    if span_s <= 0.0:
        raise ValueError("a batch spans a positive time")
    if not len(states):
        return
    origin_s = float(states.time_s[0])
    span_index = np.floor((states.time_s - origin_s) / span_s).astype(np.int64)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(span_index)) + 1, [len(states)]])
    for a, b in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
        k = int(span_index[a])
        chunk = states.take(np.arange(a, b))
        yield Batch(origin_s + k * span_s, origin_s + (k + 1) * span_s,
                    latest_per_aircraft(chunk), b - a)  # fmt: skip


def sendable(states: StateVectors) -> tuple[StateVectors, Counter[str]]:
    """The rows the line would take, and how many were dropped for each reason. The
    rows are already valid state vectors (``deconflict.states.validate``); what is left
    is the line's own rules for ids. A callsign the line would refuse is left out (it is
    optional), the aircraft kept."""
    dropped: Counter[str] = Counter()
    if not len(states):
        return states, dropped
    lengths = np.char.str_len(states.id)
    bad_id = (lengths == 0) | (lengths > MAX_ID_CHARS) | (np.char.find(states.id, "/") >= 0)
    if bad_id.any():
        dropped[f"id the line refuses (empty, over {MAX_ID_CHARS} characters or with '/')"] += int(
            bad_id.sum()
        )
        states = states.take(~bad_id)
    long_callsign = np.char.str_len(states.callsign) > MAX_CALLSIGN_CHARS
    if long_callsign.any():
        callsign = states.callsign.copy()
        callsign[long_callsign] = ""
        states = replace(states, callsign=callsign)
    return states, dropped


def feed_states(states: StateVectors, time_s: F64 | None = None) -> list[dict[str, Any]]:
    """The states in the line's feed format (``POST /v1/tracks``: ft, kt, ft/min), stamped
    with ``time_s`` (default: their own times)."""
    times = states.time_s if time_s is None else time_s
    altitude_ft = m_to_ft(states.altitude_m).tolist()
    groundspeed_kt = mps_to_kt(states.groundspeed_mps).tolist()
    vertical_rate_fpm = (states.vertical_rate_mps / FPM_MPS).tolist()
    out: list[dict[str, Any]] = []
    for k, ident in enumerate(states.id.tolist()):
        state: dict[str, Any] = {
            "id": ident, "time_s": float(times[k]),
            "latitude_deg": float(states.latitude_deg[k]),
            "longitude_deg": float(states.longitude_deg[k]),
            "altitude_ft": round(altitude_ft[k], 3), "groundspeed_kt": round(groundspeed_kt[k], 3),
            "track_deg": float(states.track_deg[k]),
            "vertical_rate_fpm": round(vertical_rate_fpm[k], 3),
            "onground": bool(states.onground[k]),
        }  # fmt: skip
        callsign = str(states.callsign[k]).strip()
        if callsign:
            state["callsign"] = callsign
        out.append(state)
    return out
