"""States from a stream of messages that each carry a part of one: an aircraft's
identification (callsign), position (with altitude) and velocity arrive apart, in SBS logs
and in Mode S alike.

A state is made at each position of an aircraft whose latest velocity is at most
``stale_s`` older (a velocity without a vertical rate counts as level flight); a position
without one is counted, not sent. Times are the messages' recorded times.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from deconflict.states import StateVectors, validate
from deconflict.units import FPM_MPS, FT_M, KT_MPS

#: a velocity older than this (recorded seconds) is not combined with a position
STALE_S = 10.0
#: the reason counted for a position without a recent velocity
NO_VELOCITY = "position without a recent velocity"


@dataclass
class _Velocity:
    time_s: float
    groundspeed_kt: float
    track_deg: float
    vertical_rate_fpm: float


class Assembler:
    """Collects messages (in recorded-time order) and gives the states they make."""

    def __init__(self, stale_s: float = STALE_S) -> None:
        self.stale_s = stale_s
        self._callsign: dict[str, str] = {}
        self._velocity: dict[str, _Velocity] = {}
        self._rows: dict[str, list[float]] = {
            n: [] for n in ("time_s", "lat", "lon", "alt_ft", "gs_kt", "trk", "vr_fpm")
        }
        self._ids: list[str] = []
        self._callsigns: list[str] = []
        self._onground: list[bool] = []
        self._source_row: list[int] = []
        self.dropped: Counter[str] = Counter()

    def identification(self, icao24: str, callsign: str) -> None:
        self._callsign[icao24] = callsign

    def velocity(self, icao24: str, time_s: float, groundspeed_kt: float, track_deg: float,
                 vertical_rate_fpm: float | None) -> None:  # fmt: skip
        self._velocity[icao24] = _Velocity(time_s, groundspeed_kt, track_deg,
                                           vertical_rate_fpm or 0.0)  # fmt: skip

    def position(self, icao24: str, time_s: float, latitude_deg: float, longitude_deg: float,
                 altitude_ft: float, onground: bool, source_row: int) -> None:  # fmt: skip
        v = self._velocity.get(icao24)
        if v is None or abs(time_s - v.time_s) > self.stale_s:
            self.dropped[NO_VELOCITY] += 1
            return
        row = self._rows
        for name, value in (("time_s", time_s), ("lat", latitude_deg), ("lon", longitude_deg),
                            ("alt_ft", altitude_ft), ("gs_kt", v.groundspeed_kt),
                            ("trk", v.track_deg), ("vr_fpm", v.vertical_rate_fpm)):  # fmt: skip
            row[name].append(value)
        self._ids.append(icao24)
        self._callsigns.append(self._callsign.get(icao24, ""))
        self._onground.append(onground)
        self._source_row.append(source_row)

    def states(self) -> StateVectors:
        """The states made so far, validated (a bad one is counted in ``dropped``)."""
        r = {name: np.asarray(values, dtype=np.float64) for name, values in self._rows.items()}
        states = StateVectors.from_arrays(
            time_s=r["time_s"], id=np.asarray(self._ids, dtype=np.str_),
            latitude_deg=r["lat"], longitude_deg=r["lon"], altitude_m=r["alt_ft"] * FT_M,
            groundspeed_mps=r["gs_kt"] * KT_MPS, track_deg=r["trk"],
            vertical_rate_mps=r["vr_fpm"] * FPM_MPS,
            onground=np.asarray(self._onground, dtype=np.bool_),
            callsign=np.asarray(self._callsigns, dtype=np.str_),
            source_row=np.asarray(self._source_row, dtype=np.int64),
        )  # fmt: skip
        good, bad = validate(states)
        self.dropped.update(bad.reasons)
        return good
