"""Live tracks: the states each party's feed pushes, and the picture the line watches.

A feed pushes batches of states of its own party's aircraft (``parse_states`` checks them:
one bad state refuses the whole batch with a one-line message naming it). The board keeps
each aircraft's latest state in memory, keyed by party and the party's own id; a state
older than the one held is ignored. ``snapshot(now)`` is every aircraft heard within
``STALE_S``, extrapolated to ``now``; aircraft not heard for longer leave the board.

Tracks are a live picture, replaced every second: they are held in memory, not written to
the database. What the line decides from them (alerts) is durable.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from deconflict.errors import InputError
from deconflict.states import StateVectors, problems, reduced_track_deg
from deconflict.tactical.engine import extrapolate
from deconflict.units import FPM_MPS, FT_M, KT_MPS, m_to_ft, mps_to_kt

F64 = NDArray[np.float64]

#: the most states one request may carry
MAX_STATES = 10_000
#: an aircraft not heard for this long leaves the picture (DAIDALUS forgets after 5 s of
#: silence; a feed at 1 Hz may skip a few beats)
STALE_S = 10.0
#: a state further ahead of the line's clock than this is refused (a feed's clock is wrong)
MAX_AHEAD_S = 5.0
MAX_ID = 64

#: the numeric fields of a state, and the factor to SI of each
NUMBERS: Mapping[str, float] = {
    "time_s": 1.0,
    "latitude_deg": 1.0,
    "longitude_deg": 1.0,
    "altitude_ft": FT_M,
    "groundspeed_kt": KT_MPS,
    "track_deg": 1.0,
    "vertical_rate_fpm": FPM_MPS,
}
OPTIONAL = ("callsign", "onground")
FIELDS = ("id", *NUMBERS, *OPTIONAL)

#: the problems found by ``deconflict.states.problems``, as fields of a pushed state
_FIELD_OF = {
    "time": "time_s", "latitude": "latitude_deg", "longitude": "longitude_deg",
    "altitude": "altitude_ft", "groundspeed": "groundspeed_kt", "track": "track_deg",
    "vertical rate": "vertical_rate_fpm",
}  # fmt: skip


def _fail(index: int, name: str, why: str) -> InputError:
    return InputError(f"states[{index}].{name}: {why}")


def parse_states(items: object, now_s: float) -> StateVectors:
    """The states of a pushed batch (a list of objects with ``FIELDS``), in SI, or a
    one-line ``InputError`` naming the first bad state and field. Tracks are reduced to
    [0, 360)."""
    if not isinstance(items, list):
        raise InputError("states must be a list of states")
    if len(items) > MAX_STATES:
        raise InputError(f"at most {MAX_STATES} states in one batch, not {len(items)}")
    columns = _columns_of_clean(items)
    if columns is None:  # something is wrong: find the first bad state, and say why
        columns = _columns_checked(items)
    try:
        number = {n: np.asarray(columns[n], dtype=np.float64) * f for n, f in NUMBERS.items()}
    except OverflowError:  # an integer beyond float64
        raise InputError("states: a number is out of range") from None
    states = StateVectors.from_arrays(
        time_s=number["time_s"], id=columns["id"], latitude_deg=number["latitude_deg"],
        longitude_deg=number["longitude_deg"], altitude_m=number["altitude_ft"],
        groundspeed_mps=number["groundspeed_kt"], track_deg=number["track_deg"],
        vertical_rate_mps=number["vertical_rate_fpm"], onground=columns["onground"],
        callsign=columns["callsign"],
    )  # fmt: skip
    bad, _ = problems(states)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        _, reasons = problems(states.take(np.array([k])))
        reason = next(iter(reasons))  # e.g. "latitude out of range", "missing track"
        if reason.startswith("missing "):
            name = _FIELD_OF[reason.removeprefix("missing ")]
            raise _fail(k, name, "must be a finite number")
        name = _FIELD_OF[reason.removesuffix(" out of range")]
        raise _fail(k, name, f"{items[k][name]} is out of range")
    ahead = np.flatnonzero(states.time_s > now_s + MAX_AHEAD_S)
    if len(ahead):
        k = int(ahead[0])
        raise _fail(k, "time_s", f"{states.time_s[k] - now_s:.0f} s ahead of the line's clock")
    return replace(states, track_deg=reduced_track_deg(states.track_deg))


_NUMBER_TYPES = {int, float}
_FIELD_SET = frozenset(FIELDS)


def _columns_of_clean(items: list[Any]) -> dict[str, list[Any]] | None:
    """The columns of a batch in which every state is well formed, found a column at a
    time; None when any state is not (``_columns_checked`` then says which and why)."""
    if not all(type(item) is dict for item in items):
        return None
    if not set().union(*items) <= _FIELD_SET:
        return None
    ids = [item.get("id") for item in items]
    if not all(type(x) is str and 0 < len(x) <= MAX_ID and "/" not in x for x in ids):
        return None
    columns: dict[str, list[Any]] = {"id": ids}
    for name in NUMBERS:
        column = [item.get(name) for item in items]
        if not set(map(type, column)) <= _NUMBER_TYPES:
            return None
        columns[name] = column
    callsigns = [item.get("callsign", "") for item in items]
    if not all(type(c) is str and len(c) <= 16 for c in callsigns):
        return None
    onground = [item.get("onground", False) for item in items]
    if not set(map(type, onground)) <= {bool}:
        return None
    columns["callsign"], columns["onground"] = callsigns, onground
    return columns


def _columns_checked(items: list[Any]) -> dict[str, list[Any]]:
    """The columns of a batch, state by state: the first bad state raises its error."""
    columns: dict[str, list[Any]] = {name: [] for name in FIELDS}
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError(f"states[{k}] must be an object")
        extra = set(item) - set(FIELDS)
        if extra:
            raise _fail(k, sorted(extra)[0], f"unknown field; a state has {', '.join(FIELDS)}")
        ident = item.get("id")
        if not isinstance(ident, str) or not 0 < len(ident) <= MAX_ID or "/" in ident:
            raise _fail(k, "id", f"must be text of 1-{MAX_ID} characters without '/'")
        columns["id"].append(ident)
        for name in NUMBERS:
            value = item.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _fail(k, name, "missing" if value is None else "must be a number")
            columns[name].append(value)
        callsign = item.get("callsign", "")
        if not isinstance(callsign, str) or len(callsign) > 16:
            raise _fail(k, "callsign", "must be text of at most 16 characters")
        onground = item.get("onground", False)
        if not isinstance(onground, bool):
            raise _fail(k, "onground", "must be true or false")
        columns["callsign"].append(callsign)
        columns["onground"].append(onground)
    return columns


class Track(NamedTuple):
    """One aircraft's state as the API shows it (units in the names)."""

    party: str
    id: str
    callsign: str
    time_s: float
    latitude_deg: float
    longitude_deg: float
    altitude_ft: float
    groundspeed_kt: float
    track_deg: float
    vertical_rate_fpm: float
    onground: bool

    def as_json(self, anonymous: bool = False) -> dict[str, Any]:
        """The state; ``anonymous``: position, velocity and altitude only (no id, callsign
        or party), as another party sees it under ``safety``."""
        if anonymous:
            return {
                "time_s": self.time_s, "latitude_deg": self.latitude_deg,
                "longitude_deg": self.longitude_deg, "altitude_ft": self.altitude_ft,
                "groundspeed_kt": self.groundspeed_kt, "track_deg": self.track_deg,
                "vertical_rate_fpm": self.vertical_rate_fpm,
            }  # fmt: skip
        return {
            "time_s": self.time_s, "latitude_deg": self.latitude_deg,
            "longitude_deg": self.longitude_deg, "altitude_ft": self.altitude_ft,
            "groundspeed_kt": self.groundspeed_kt, "track_deg": self.track_deg,
            "vertical_rate_fpm": self.vertical_rate_fpm, "party": self.party, "id": self.id,
            "callsign": self.callsign, "onground": self.onground,
        }  # fmt: skip


def tracks_of(snapshot: StateVectors, rows: Sequence[int] | NDArray[np.int64]) -> list[Track]:
    """The tracks of some rows of a board's snapshot (ids there are ``party/id``); a
    column at a time, for pictures of thousands."""
    k = np.asarray(rows, dtype=np.int64)
    columns = (
        snapshot.callsign[k].tolist(), snapshot.time_s[k].tolist(),
        np.round(snapshot.latitude_deg[k], 7).tolist(),
        np.round(snapshot.longitude_deg[k], 7).tolist(),
        np.round(m_to_ft(snapshot.altitude_m[k]), 1).tolist(),
        np.round(mps_to_kt(snapshot.groundspeed_mps[k]), 2).tolist(),
        np.round(snapshot.track_deg[k], 3).tolist(),
        np.round(snapshot.vertical_rate_mps[k] / FPM_MPS, 1).tolist(),
        snapshot.onground[k].tolist(),
    )  # fmt: skip
    out = []
    for name, *values in zip(snapshot.id[k].tolist(), *columns, strict=True):
        party, _, ident = name.partition("/")
        out.append(Track(party, ident, *values))
    return out


class TrackBoard:
    """The latest state of every aircraft of every party, in columns; safe between
    threads."""

    _COLUMNS = ("time_s", "latitude_deg", "longitude_deg", "altitude_m", "groundspeed_mps",
                "track_deg", "vertical_rate_mps")  # fmt: skip

    def __init__(self, stale_s: float = STALE_S) -> None:
        self.stale_s = stale_s
        self._lock = threading.Lock()
        self._slot: dict[str, int] = {}  #: "party/id" -> row
        self._key = np.empty(0, dtype=object)  #: row -> "party/id" (None when free)
        self._free: list[int] = []
        self._num: dict[str, F64] = {c: np.empty(0) for c in self._COLUMNS}
        self._callsign = np.empty(0, dtype=object)
        self._onground = np.empty(0, dtype=np.bool_)
        self.received = 0  #: states pushed since the board began

    def __len__(self) -> int:
        return len(self._slot)

    def _grow(self, extra: int) -> None:
        size = len(self._key)
        new = max(extra, size, 1024)
        self._key = np.concatenate([self._key, np.full(new, None, dtype=object)])
        self._callsign = np.concatenate([self._callsign, np.full(new, "", dtype=object)])
        self._onground = np.concatenate([self._onground, np.zeros(new, dtype=np.bool_)])
        for c in self._COLUMNS:
            self._num[c] = np.concatenate([self._num[c], np.full(new, -math.inf)])
        self._free.extend(range(size + new - 1, size - 1, -1))

    def push(self, party: str, states: StateVectors) -> int:
        """Take a party's states (checked by ``parse_states``); the number taken."""
        keys = [f"{party}/{i}" for i in states.id.tolist()]
        with self._lock:
            missing = {k for k in keys if k not in self._slot}
            if len(missing) > len(self._free):
                self._grow(len(missing) - len(self._free))
            for k in missing:
                row = self._free.pop()
                self._slot[k] = row
                self._key[row] = k
            rows = np.fromiter((self._slot[k] for k in keys), dtype=np.int64, count=len(keys))
            # the latest state of each aircraft: in time order, the last row of a batch
            # winning ties; a state older than the board's is ignored
            order = np.lexsort((np.arange(len(rows)), states.time_s))
            rows, take = rows[order], order
            newer = states.time_s[take] >= self._num["time_s"][rows]
            rows, take = rows[newer], take[newer]
            for c in self._COLUMNS:
                self._num[c][rows] = getattr(states, c)[take]
            self._callsign[rows] = states.callsign[take]
            self._onground[rows] = states.onground[take]
            self.received += len(states)
        return len(states)

    def snapshot(self, now_s: float) -> StateVectors:
        """Every aircraft heard within ``stale_s`` of ``now_s``, extrapolated to ``now_s``;
        ids are ``party/id`` and parties are set. Aircraft not heard for longer leave."""
        with self._lock:
            used = self._key != None  # noqa: E711 (elementwise)
            age = now_s - self._num["time_s"]
            gone = np.flatnonzero(used & (age > self.stale_s))
            for row in gone.tolist():
                del self._slot[self._key[row]]
                self._key[row] = None
                self._num["time_s"][row] = -math.inf
                self._free.append(row)
            live = np.flatnonzero(used & (age <= self.stale_s))
            keys = self._key[live].astype(np.str_) if len(live) else np.empty(0, np.str_)
            columns = {c: self._num[c][live] for c in self._COLUMNS}
            callsign = self._callsign[live].astype(np.str_) if len(live) else keys
            onground = self._onground[live]
        party = np.char.partition(keys, "/")[:, 0] if len(keys) else keys
        states = StateVectors.from_arrays(
            **columns, id=keys, party=party, callsign=callsign, onground=onground
        )
        return extrapolate(states, now_s)
