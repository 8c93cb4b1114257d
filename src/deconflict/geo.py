"""Positions and velocities on the WGS84 ellipsoid, vectorised over numpy arrays.

Horizontal geometry works in Earth-centred, Earth-fixed (ECEF) coordinates of the points
on the ellipsoid surface (altitude is kept apart, on its own axis). ECEF has no seams: no
antimeridian, no singular pole, no zone boundaries. See ``docs/geometry.md`` for how a
pair is projected and how accurate that is.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod

F64 = NDArray[np.float64]

WGS84_A_M = 6_378_137.0  #: semi-major axis
WGS84_F = 1.0 / 298.257223563  #: flattening
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)  #: first eccentricity squared
#: smallest radius of curvature of the ellipsoid (meridian, at the equator): a (1 - e²)
WGS84_MIN_CURVATURE_RADIUS_M = WGS84_A_M * (1.0 - WGS84_E2)
_WGS84 = Geod(ellps="WGS84")


def up_east_north(lat_deg: F64, lon_deg: F64) -> tuple[F64, F64, F64]:
    """Unit vectors (n, 3) of the local geodetic vertical, east and north, in ECEF.

    At the poles the frame follows the meridian of the given longitude, the limit of the
    frame along that meridian, so a track is still well defined there.
    """
    lat = np.radians(lat_deg)
    lon = np.radians(lon_deg)
    slat, clat = np.sin(lat), np.cos(lat)
    slon, clon = np.sin(lon), np.cos(lon)
    up = np.stack([clat * clon, clat * slon, slat], axis=-1)
    east = np.stack([-slon, clon, np.zeros_like(lon)], axis=-1)
    north = np.stack([-slat * clon, -slat * slon, clat], axis=-1)
    return up, east, north


def surface_ecef(lat_deg: F64, lon_deg: F64) -> F64:
    """ECEF positions (n, 3), metres, of the points on the ellipsoid at these coordinates."""
    lat = np.radians(lat_deg)
    lon = np.radians(lon_deg)
    slat, clat = np.sin(lat), np.cos(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * slat * slat)  # prime vertical radius
    return np.stack(
        [n * clat * np.cos(lon), n * clat * np.sin(lon), n * (1.0 - WGS84_E2) * slat], axis=-1
    )


def surface_latlon(ecef_m: F64) -> tuple[F64, F64]:
    """Latitude and longitude (degrees) of ECEF points (n, 3) on, or within metres of, the
    ellipsoid: the inverse of ``surface_ecef`` (a point off the surface by h metres is
    off in latitude by about h e² sin 2φ / a radians, below 1e-9° for h of a few metres)."""
    x, y, z = ecef_m[:, 0], ecef_m[:, 1], ecef_m[:, 2]
    lat = np.degrees(np.arctan2(z, (1.0 - WGS84_E2) * np.hypot(x, y)))
    return lat, np.degrees(np.arctan2(y, x))


def horizontal_velocity_ecef(east: F64, north: F64, speed_mps: F64, track_deg: F64) -> F64:
    """ECEF velocity vectors (n, 3) of a motion along ``track_deg`` at ``speed_mps``."""
    trk = np.radians(track_deg)
    return (speed_mps * np.sin(trk))[:, None] * east + (speed_mps * np.cos(trk))[:, None] * north


def destination(lat_deg: F64, lon_deg: F64, track_deg: F64, distance_m: F64) -> tuple[F64, F64]:
    """Where a flight along the geodesic leaving at ``track_deg`` is after ``distance_m``
    (on the WGS84 ellipsoid, exact at any distance)."""
    lon, lat, _ = _WGS84.fwd(lon_deg, lat_deg, track_deg, distance_m)
    return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)


def surface_ecef_point(lat_deg: float, lon_deg: float) -> tuple[float, float, float]:
    """``surface_ecef`` of one point, without arrays (for code that handles one at a time)."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    slat, clat = math.sin(lat), math.cos(lat)
    n = WGS84_A_M / math.sqrt(1.0 - WGS84_E2 * slat * slat)
    return n * clat * math.cos(lon), n * clat * math.sin(lon), n * (1.0 - WGS84_E2) * slat
