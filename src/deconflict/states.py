"""Aircraft state vectors: a columnar container of numpy arrays in SI units.

Readers (``deconflict.readers``) convert each file format to this container at the edge;
everything downstream works on these arrays. Angles are in degrees, the rest is SI.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from deconflict.units import FPM_MPS, FT_M, KT_MPS

F64 = NDArray[np.float64]

#: plausibility limits; a row outside them is dropped as bad
MIN_ALTITUDE_M = -2_000.0 * FT_M
MAX_ALTITUDE_M = 100_000.0 * FT_M
MAX_GROUNDSPEED_MPS = 2_000.0 * KT_MPS
MAX_VERTICAL_RATE_MPS = 100_000.0 * FPM_MPS
MAX_TIME_S = 253_402_300_799.0  #: 9999-12-31T23:59:59Z


@dataclass(frozen=True)
class StateVectors:
    """One row per (aircraft, time). All arrays have the same length."""

    time_s: F64  #: UNIX time, seconds
    id: NDArray[np.str_]  #: aircraft identifier (e.g. icao24)
    party: NDArray[np.str_]  #: owning party, "" when unknown
    latitude_deg: F64
    longitude_deg: F64
    altitude_m: F64  #: pressure altitude
    groundspeed_mps: F64
    track_deg: F64  #: direction of motion, degrees true
    vertical_rate_mps: F64
    onground: NDArray[np.bool_]
    callsign: NDArray[np.str_]  #: "" when unknown
    #: line (text files) or row (binary, JSON arrays) number of each state in its source, 1-based
    source_row: NDArray[np.int64]
    has_party: bool = field(default=False)  #: whether the source had a party column

    def __post_init__(self) -> None:
        n = len(self.time_s)
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and len(value) != n:
                raise ValueError(f"column {f.name} has {len(value)} rows, expected {n}")

    def __len__(self) -> int:
        return len(self.time_s)

    def take(self, index: NDArray[Any]) -> StateVectors:
        """The rows selected by an integer index or a boolean mask."""
        columns = {
            f.name: getattr(self, f.name)[index]
            for f in fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)
        }
        return StateVectors(**columns, has_party=self.has_party)

    @classmethod
    def from_arrays(
        cls,
        *,
        time_s: Any,
        id: Any,
        latitude_deg: Any,
        longitude_deg: Any,
        altitude_m: Any,
        groundspeed_mps: Any,
        track_deg: Any,
        vertical_rate_mps: Any,
        party: Any = None,
        onground: Any = None,
        callsign: Any = None,
        source_row: Any = None,
    ) -> StateVectors:
        """Build a container from array-likes, filling the optional columns."""
        t = np.asarray(time_s, dtype=np.float64)
        n = len(t)
        return cls(
            time_s=t,
            id=np.asarray(id, dtype=np.str_),
            party=np.full(n, "", dtype=np.str_)
            if party is None
            else np.asarray(party, dtype=np.str_),
            latitude_deg=np.asarray(latitude_deg, dtype=np.float64),
            longitude_deg=np.asarray(longitude_deg, dtype=np.float64),
            altitude_m=np.asarray(altitude_m, dtype=np.float64),
            groundspeed_mps=np.asarray(groundspeed_mps, dtype=np.float64),
            track_deg=np.asarray(track_deg, dtype=np.float64),
            vertical_rate_mps=np.asarray(vertical_rate_mps, dtype=np.float64),
            onground=np.zeros(n, dtype=np.bool_)
            if onground is None
            else np.asarray(onground, dtype=np.bool_),
            callsign=np.full(n, "", dtype=np.str_)
            if callsign is None
            else np.asarray(callsign, dtype=np.str_),
            source_row=np.arange(1, n + 1, dtype=np.int64)
            if source_row is None
            else np.asarray(source_row, dtype=np.int64),
            has_party=party is not None,
        )


@dataclass(frozen=True)
class BadRows:
    """What validation dropped: how many rows, why, and where the first ones were."""

    count: int
    reasons: dict[str, int]
    first_rows: tuple[int, ...]

    def describe(self, source: str, unit: str = "line") -> str:
        """One line for a user: ``12 bad rows dropped from f.csv (latitude out of range: 3,
        ...); first at line 4, 9, 17``. ``unit`` names what ``source_row`` counts."""
        why = ", ".join(f"{reason}: {n}" for reason, n in self.reasons.items())
        where = ", ".join(str(r) for r in self.first_rows)
        return f"{self.count} bad rows dropped from {source} ({why}); first at {unit} {where}"


def problems(
    states: StateVectors, unreadable: dict[str, NDArray[np.bool_]] | None = None
) -> tuple[NDArray[np.bool_], dict[str, int]]:
    """Which rows no detector can use, and how many for each reason (a row counts under
    its first reason).

    A row is bad when a needed field is missing (NaN) or infinite, the time is outside
    1970-9999, the latitude outside ±90°, the longitude outside ±180°, the altitude below
    -2,000 ft or above 100,000 ft, the groundspeed negative or above 2,000 kt, or the
    vertical rate beyond ±100,000 ft/min. ``unreadable`` names the rows whose value in a
    column of the source could not be read (reported as such, before anything else).
    """
    checks = [(f"unreadable {name}", mask) for name, mask in (unreadable or {}).items()]
    needed = {
        "time": states.time_s,
        "latitude": states.latitude_deg,
        "longitude": states.longitude_deg,
        "altitude": states.altitude_m,
        "groundspeed": states.groundspeed_mps,
        "track": states.track_deg,
        "vertical rate": states.vertical_rate_mps,
    }
    for name, column in needed.items():
        checks.append((f"missing {name}", ~np.isfinite(column)))
    with np.errstate(invalid="ignore"):
        checks += [
            ("missing id", states.id == ""),
            ("time out of range", (states.time_s < 0.0) | (states.time_s > MAX_TIME_S)),
            ("latitude out of range", np.abs(states.latitude_deg) > 90.0),
            ("longitude out of range", np.abs(states.longitude_deg) > 180.0),
            (
                "altitude out of range",
                (states.altitude_m < MIN_ALTITUDE_M) | (states.altitude_m > MAX_ALTITUDE_M),
            ),
            (
                "groundspeed out of range",
                (states.groundspeed_mps < 0.0) | (states.groundspeed_mps > MAX_GROUNDSPEED_MPS),
            ),
            (
                "vertical rate out of range",
                np.abs(states.vertical_rate_mps) > MAX_VERTICAL_RATE_MPS,
            ),
        ]
    bad = np.zeros(len(states), dtype=np.bool_)
    reasons: dict[str, int] = {}
    for reason, mask in checks:
        new = mask & ~bad
        if new.any():
            reasons[reason] = int(new.sum())
        bad |= mask
    return bad, reasons


def reduced_track_deg(track_deg: F64) -> F64:
    """Tracks in [0, 360)."""
    track: F64 = np.mod(track_deg, 360.0)
    track[track >= 360.0] = 0.0  # np.mod(-1e-20, 360) rounds to 360
    return track


def validate(
    states: StateVectors,
    first: int = 5,
    unreadable: dict[str, NDArray[np.bool_]] | None = None,
) -> tuple[StateVectors, BadRows]:
    """Drop the rows no detector can use (see ``problems``) and say which they were.
    Tracks are reduced to [0, 360)."""
    bad, reasons = problems(states, unreadable)
    good = states.take(~bad) if bad.any() else states
    good = replace(good, track_deg=reduced_track_deg(good.track_deg))
    rows = tuple(int(r) for r in states.source_row[bad][:first])
    return good, BadRows(count=int(bad.sum()), reasons=reasons, first_rows=rows)
