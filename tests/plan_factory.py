"""Plans for the store's tests: small helpers that build volumes around a point."""

from __future__ import annotations

import math

import numpy as np

from deconflict.plans.volume import Circle, Plan, Volume4D, polygon

T0 = 1_795_510_800.0  # 2026-11-24T09:00:00Z


def square(lat: float, lon: float, half_deg: float) -> Volume4D:
    return box(lat, lon, half_deg, 0.0, 10_000.0, T0, T0 + 3600.0)


def box(
    lat: float, lon: float, half_deg: float, lower_ft: float, upper_ft: float, t0: float, t1: float
) -> Volume4D:
    west, east = _wrap(lon - half_deg), _wrap(lon + half_deg)
    ring = [
        (west, lat - half_deg),
        (east, lat - half_deg),
        (east, lat + half_deg),
        (west, lat + half_deg),
    ]
    return Volume4D(polygon(ring), lower_ft, upper_ft, t0, t1)


def _wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def disc(
    lat: float, lon: float, radius_m: float, t0: float = T0, t1: float = T0 + 3600.0
) -> Volume4D:
    return Volume4D(Circle(lat, lon, radius_m), 0.0, 10_000.0, t0, t1)


def plan(plan_id: str, party: str, *volumes: Volume4D, version: int = 0) -> Plan:
    return Plan(plan_id, party, tuple(volumes), version=version)


def random_plans(n: int, seed: int, parties: int = 3, spread_deg: float = 2.0) -> list[Plan]:
    """n plans of 1-3 volumes (squares and discs, 1-60 km) in a small region and 6 hours,
    so that many conflict."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        vols = []
        for _ in range(int(rng.integers(1, 4))):
            lat = 45.0 + rng.uniform(-spread_deg, spread_deg)
            lon = 5.0 + rng.uniform(-spread_deg, spread_deg)
            size_m = float(np.exp(rng.uniform(math.log(1_000), math.log(60_000))))
            t0 = T0 + float(rng.uniform(0, 6 * 3600))
            t1 = t0 + float(rng.uniform(600, 3 * 3600))
            lower = float(rng.choice([0, 5_000, 10_000, 20_000]))
            upper = lower + float(rng.choice([2_000, 5_000, 15_000]))
            if rng.random() < 0.5:
                v = Volume4D(Circle(lat, lon, size_m / 2), lower, upper, t0, t1)
            else:
                v = box(lat, lon, size_m / 2 / 111_000, lower, upper, t0, t1)
            vols.append(v)
        out.append(Plan(f"P{i:04d}", f"party{i % parties}", tuple(vols)))
    return out
