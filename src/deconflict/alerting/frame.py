"""The frame DAIDALUS computes alerts in, so that our numbers are interchangeable with its.

The Earth is a sphere of radius 6,366,707.02 m (one arc-minute is one nautical mile). Each
aircraft's position is projected orthographically onto the plane tangent to that sphere at
the ownship's position; altitude is the third axis. A velocity is projected by flying the
aircraft 10 s along its great circle, projecting that point too, and differencing.
(``shared/domain/well-clear.md``.)
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from deconflict.alerting.volumes import Relative

F64 = NDArray[np.float64]

SPHERE_RADIUS_M = 6_366_707.0195  #: 180 * 60 NM / pi: one arc-minute is one NM
VELOCITY_STEP_S = 10.0


def orthographic(lat0_deg: F64, lon0_deg: F64, lat_deg: F64, lon_deg: F64) -> tuple[F64, F64]:
    """East and north coordinates (m) of points on the plane tangent at (lat0, lon0)."""
    p0, p = np.radians(lat0_deg), np.radians(lat_deg)
    dl = np.radians(lon_deg - lon0_deg)
    x = SPHERE_RADIUS_M * np.cos(p) * np.sin(dl)
    y = SPHERE_RADIUS_M * (np.cos(p0) * np.sin(p) - np.sin(p0) * np.cos(p) * np.cos(dl))
    return x, y


def great_circle_move(
    lat_deg: F64, lon_deg: F64, track_deg: F64, distance_m: F64
) -> tuple[F64, F64]:
    """Where a flight along the great circle leaving at ``track_deg`` is after ``distance_m``
    on the sphere."""
    p, lam, trk = np.radians(lat_deg), np.radians(lon_deg), np.radians(track_deg)
    delta = distance_m / SPHERE_RADIUS_M
    sin_p2 = np.sin(p) * np.cos(delta) + np.cos(p) * np.sin(delta) * np.cos(trk)
    p2 = np.arcsin(np.clip(sin_p2, -1.0, 1.0))
    lam2 = lam + np.arctan2(
        np.sin(trk) * np.sin(delta) * np.cos(p), np.cos(delta) - np.sin(p) * sin_p2
    )
    return np.degrees(p2), np.degrees(lam2)


class Kinematic(Protocol):
    """Columns of aircraft states (``StateVectors``, a review's grid)."""

    @property
    def latitude_deg(self) -> F64: ...
    @property
    def longitude_deg(self) -> F64: ...
    @property
    def altitude_m(self) -> F64: ...
    @property
    def track_deg(self) -> F64: ...
    @property
    def groundspeed_mps(self) -> F64: ...
    @property
    def vertical_rate_mps(self) -> F64: ...


State = tuple[F64, F64, F64, F64, F64, F64]


def state_of(states: Kinematic, rows: NDArray[np.int64]) -> State:
    """The rows' (lat deg, lon deg, altitude m, track deg, groundspeed m/s, vertical speed
    m/s), as ``relative_states`` takes them."""
    return (
        states.latitude_deg[rows], states.longitude_deg[rows], states.altitude_m[rows],
        states.track_deg[rows], states.groundspeed_mps[rows], states.vertical_rate_mps[rows],
    )  # fmt: skip


def relative_states(
    own: tuple[F64, F64, F64, F64, F64, F64],
    intruder: tuple[F64, F64, F64, F64, F64, F64],
) -> Relative:
    """Ownship minus intruder, in the frame tangent at each ownship. Each aircraft is
    (lat deg, lon deg, altitude m, track deg, groundspeed m/s, vertical speed m/s)."""
    lat0, lon0 = own[0], own[1]

    def projected(state: tuple[F64, F64, F64, F64, F64, F64]) -> tuple[F64, F64, F64, F64]:
        lat, lon, _, trk, gs, _ = state
        x, y = orthographic(lat0, lon0, lat, lon)
        lat2, lon2 = great_circle_move(lat, lon, trk, gs * VELOCITY_STEP_S)
        x2, y2 = orthographic(lat0, lon0, lat2, lon2)
        return x, y, (x2 - x) / VELOCITY_STEP_S, (y2 - y) / VELOCITY_STEP_S

    ox, oy, ovx, ovy = projected(own)
    ix, iy, ivx, ivy = projected(intruder)
    return Relative(
        sx_m=ox - ix,
        sy_m=oy - iy,
        sz_m=own[2] - intruder[2],
        vx_mps=ovx - ivx,
        vy_mps=ovy - ivy,
        vz_mps=own[5] - intruder[5],
    )
