"""Plans and their 4D volumes: an outline on WGS84, an altitude band and a time window.

Nouns only; the geometry lives in ``plans.geometry``, the conflict rule in ``plans.check``.

- An outline is a ``Polygon`` (rings of lon/lat vertices; edges are geodesics, as the
  boundaries of airspace defined by points are) or a ``Circle`` (a centre and a geodesic
  radius). Both are on the WGS84 ellipsoid.
- A ``Volume4D`` is an outline with an altitude band (feet, lower < upper) and a time window
  (UTC seconds since the epoch, start < end).
- A ``Plan`` belongs to one party and is one or more volumes, with a state and a version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]

#: the largest outline accepted: every point within this geodesic distance of its centre
MAX_RADIUS_M = 1_000_000.0
#: the smallest circle radius accepted
MIN_RADIUS_M = 1.0
#: altitude bands are within these bounds (feet above mean sea level)
MIN_ALTITUDE_FT = -2_000.0
MAX_ALTITUDE_FT = 200_000.0
#: time windows are within 1970-01-01 .. 9999-12-31 UTC
MAX_TIME_S = 253_402_300_799.0
#: the longest time window of one volume: 31 days (a longer activity is filed as several
#: volumes, or updated as it goes; the index registers a volume in every 6 h it spans)
MAX_DURATION_S = 31 * 86_400.0


class PlanState(StrEnum):
    """The life of a plan. Accepted and activated plans are live: others are checked
    against them. Ended and cancelled plans are kept for the record only."""

    ACCEPTED = "accepted"
    ACTIVATED = "activated"
    ENDED = "ended"
    CANCELLED = "cancelled"


LIVE_STATES = (PlanState.ACCEPTED, PlanState.ACTIVATED)


@dataclass(frozen=True, eq=False)
class Polygon:
    """A polygon on the ellipsoid: ``rings[0]`` is the outer ring, the others are holes.
    Each ring is an (n, 2) array of (longitude, latitude) in degrees, not closed (the last
    vertex is not a copy of the first); consecutive vertices are joined by geodesics."""

    rings: tuple[F64, ...]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Polygon)
            and len(self.rings) == len(other.rings)
            and all(np.array_equal(a, b) for a, b in zip(self.rings, other.rings, strict=True))
        )

    def __hash__(self) -> int:
        return hash(tuple(r.tobytes() for r in self.rings))


@dataclass(frozen=True)
class Circle:
    """The points within a geodesic distance ``radius_m`` of a centre."""

    lat_deg: float
    lon_deg: float
    radius_m: float


Outline = Polygon | Circle


@dataclass(frozen=True)
class Volume4D:
    """An outline, an altitude band and a time window."""

    outline: Outline
    alt_lower_ft: float
    alt_upper_ft: float
    time_start_s: float
    time_end_s: float


@dataclass(frozen=True)
class Plan:
    """One party's plan: one or more volumes. ``version`` changes on every update."""

    plan_id: str
    party: str
    volumes: tuple[Volume4D, ...]
    state: PlanState = PlanState.ACCEPTED
    version: int = 0
    #: what a party may keep with its plan (purpose, callsigns): never disclosed to another
    meta: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


def polygon(*rings: list[tuple[float, float]] | F64) -> Polygon:
    """A polygon from rings of (lon, lat) vertices; a closing copy of the first vertex and
    repeated consecutive vertices are dropped."""
    out = []
    for ring in rings:
        a = np.asarray(ring, dtype=np.float64).reshape(-1, 2)
        while len(a) > 1 and np.array_equal(a[0], a[-1]):
            a = a[:-1]
        if len(a) > 1:
            keep = np.ones(len(a), dtype=np.bool_)
            keep[1:] = np.any(a[1:] != a[:-1], axis=1)
            a = a[keep]
        out.append(np.ascontiguousarray(a))
    return Polygon(tuple(out))
