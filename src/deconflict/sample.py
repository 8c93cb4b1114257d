"""Generated snapshots of traffic, for the demo, the tests and the benchmark.

- ``dense_box``: aircraft in a square box (1,000 km wide by default), FL200-FL400,
  200-250 m/s, random headings, a third of them climbing or descending.
- ``world_routes``: aircraft spread world-wide along great-circle routes between major
  airports, cruising at FL300-FL410, climbing near departure and descending near arrival.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod

from deconflict.states import StateVectors
from deconflict.units import fpm_to_mps, ft_to_m

F64 = NDArray[np.float64]
_WGS84 = Geod(ellps="WGS84")

#: (ICAO code, latitude, longitude) of some of the busiest airports of each region
AIRPORTS: tuple[tuple[str, float, float], ...] = (
    ("KATL", 33.6367, -84.4281), ("KLAX", 33.9425, -118.4081), ("KORD", 41.9786, -87.9048),
    ("KDFW", 32.8968, -97.0380), ("KDEN", 39.8617, -104.6731), ("KJFK", 40.6398, -73.7789),
    ("KSFO", 37.6190, -122.3749), ("KSEA", 47.4490, -122.3093), ("KMIA", 25.7932, -80.2906),
    ("CYYZ", 43.6772, -79.6306), ("CYVR", 49.1939, -123.1844), ("MMMX", 19.4363, -99.0721),
    ("SBGR", -23.4356, -46.4731), ("SCEL", -33.3930, -70.7858), ("SAEZ", -34.8222, -58.5358),
    ("SKBO", 4.7016, -74.1469), ("EGLL", 51.4706, -0.4619), ("LFPG", 49.0097, 2.5479),
    ("EHAM", 52.3086, 4.7639), ("EDDF", 50.0333, 8.5706), ("LEMD", 40.4719, -3.5626),
    ("LIRF", 41.8003, 12.2389), ("LTFM", 41.2753, 28.7519), ("UUEE", 55.9726, 37.4146),
    ("OMDB", 25.2528, 55.3644), ("OTHH", 25.2731, 51.6081), ("OERK", 24.9576, 46.6988),
    ("HECA", 30.1219, 31.4056), ("LLBG", 32.0114, 34.8867), ("OLBA", 33.8209, 35.4884),
    ("LCLK", 34.8751, 33.6249), ("FAOR", -26.1392, 28.2460), ("HAAB", 8.9779, 38.7993),
    ("DNMM", 6.5774, 3.3212), ("VIDP", 28.5665, 77.1031), ("VABB", 19.0887, 72.8679),
    ("VHHH", 22.3080, 113.9185), ("ZBAA", 40.0801, 116.5846), ("ZSPD", 31.1434, 121.8052),
    ("RJTT", 35.5523, 139.7800), ("RKSI", 37.4602, 126.4407), ("WSSS", 1.3502, 103.9940),
    ("VTBS", 13.6900, 100.7501), ("WIII", -6.1256, 106.6559), ("RPLL", 14.5086, 121.0194),
    ("YSSY", -33.9461, 151.1772), ("YMML", -37.6733, 144.8433), ("NZAA", -37.0082, 174.7850),
    ("PHNL", 21.3187, -157.9225), ("PANC", 61.1743, -149.9963), ("BIKF", 63.9850, -22.6056),
    ("ENGM", 60.1939, 11.1004), ("UHPP", 53.1679, 158.4536), ("NFFN", -17.7554, 177.4434),
)  # fmt: skip


def dense_box(
    n: int,
    seed: int = 0,
    width_m: float = 1_000_000.0,
    center: tuple[float, float] = (34.0, 33.0),
    parties: tuple[str, ...] = ("blue", "red", "civil"),
) -> StateVectors:
    """``n`` aircraft in a ``width_m`` square around ``center`` (lat, lon)."""
    rng = np.random.default_rng(seed)
    half = width_m / 2
    east, north = rng.uniform(-half, half, n), rng.uniform(-half, half, n)
    lon0, lat0, _ = _WGS84.fwd(np.full(n, center[1]), np.full(n, center[0]), np.full(n, 90.0), east)
    lon, lat, _ = _WGS84.fwd(lon0, lat0, np.zeros(n), north)
    climbing = rng.random(n) < 1 / 3
    vertical = np.where(climbing, rng.choice([-1.0, 1.0], n) * rng.uniform(500, 3000, n), 0.0)
    return _states(
        rng,
        lat=np.asarray(lat),
        lon=np.asarray(lon),
        alt_ft=rng.uniform(20_000, 40_000, n),
        speed_mps=rng.uniform(200, 250, n),
        track_deg=rng.uniform(0, 360, n),
        vertical_fpm=vertical,
        parties=parties,
    )


def world_routes(
    n: int, seed: int = 0, parties: tuple[str, ...] = ("blue", "red", "civil")
) -> StateVectors:
    """``n`` aircraft along great circles between random pairs of ``AIRPORTS``."""
    rng = np.random.default_rng(seed)
    coords = np.array([(lat, lon) for _, lat, lon in AIRPORTS])
    a = rng.integers(0, len(AIRPORTS), n)
    b = (a + rng.integers(1, len(AIRPORTS), n)) % len(AIRPORTS)  # never the same airport
    azimuth, _, length = _WGS84.inv(coords[a, 1], coords[a, 0], coords[b, 1], coords[b, 0])
    flown = rng.random(n) * np.asarray(length)
    lon, lat, back = _WGS84.fwd(coords[a, 1], coords[a, 0], azimuth, flown)
    track = np.mod(np.asarray(back) + 180.0, 360.0)
    # climb over the first 200 km, descend over the last 200 km, cruise between
    remaining = np.asarray(length) - flown
    cruise_ft = rng.choice(np.arange(30_000, 41_001, 1_000), n).astype(np.float64)
    edge = np.minimum(flown, remaining)
    alt_ft = np.where(edge < 200_000, 2_000 + (cruise_ft - 2_000) * edge / 200_000, cruise_ft)
    vertical = np.where(edge < 200_000, np.where(flown < remaining, 1_800.0, -1_800.0), 0.0)
    lateral = rng.normal(0.0, 2_000.0, n)  # airways are not one line
    lon, lat, _ = _WGS84.fwd(lon, lat, track + 90.0, lateral)
    return _states(
        rng,
        lat=np.asarray(lat),
        lon=np.asarray(lon),
        alt_ft=alt_ft,
        speed_mps=rng.uniform(220, 260, n),
        track_deg=track,
        vertical_fpm=vertical,
        parties=parties,
    )


def _states(
    rng: np.random.Generator,
    *,
    lat: F64,
    lon: F64,
    alt_ft: F64,
    speed_mps: F64,
    track_deg: F64,
    vertical_fpm: F64,
    parties: tuple[str, ...],
) -> StateVectors:
    n = len(lat)
    return StateVectors.from_arrays(
        time_s=np.zeros(n),
        id=[f"{k:06x}" for k in range(n)],
        party=rng.choice(np.array(parties), n),
        latitude_deg=lat,
        longitude_deg=lon,
        altitude_m=ft_to_m(alt_ft),
        groundspeed_mps=speed_mps,
        track_deg=track_deg,
        vertical_rate_mps=fpm_to_mps(vertical_fpm),
    )
