"""Climb, cruise and descent performance per aircraft type, from OpenAP's WRAP kinematic
model, tabulated once by altitude so that a step of the simulation only indexes arrays.

WRAP gives, per type, the vertical rate of each climb and descent phase (below the
crossover to constant CAS, at constant CAS, at constant Mach), the altitudes where the
phases change, and the CAS and Mach of climb, cruise and descent. The tables hold, for
every 100 m band of altitude, the climb and descent rates and the true airspeeds of the
three phases (ISA, no wind, so the ground speed is the true airspeed).

Types OpenAP does not know (military aircraft, drones) are described in a scenario as
``based_on`` one it knows, with the figures that differ given outright.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from deconflict.units import fpm_to_mps, kt_to_mps

F64 = NDArray[np.float64]

BAND_M = 100.0  #: the altitude step of the tables
TOP_M = 20_000.0  #: the tables' highest altitude (about FL650)
BANDS_M: F64 = np.arange(0.0, TOP_M + BAND_M, BAND_M)


@dataclass(frozen=True)
class TypeSpec:
    """An aircraft type: an OpenAP WRAP type (``based_on``, e.g. ``a320``), with figures
    that override OpenAP's at every altitude when given."""

    name: str
    based_on: str
    cruise_tas_kt: float | None = None
    climb_rate_fpm: float | None = None
    descent_rate_fpm: float | None = None
    ceiling_ft: float | None = None


def _openap() -> tuple[Any, Any]:
    # imported at set-up only (it is slow to import), never in a step
    from openap import WRAP, aero

    return WRAP, aero


def has_model(name: str) -> bool:
    """Whether OpenAP has a WRAP kinematic model of this type (or of its synonym)."""
    try:
        _wrap(name.lower())
    except ValueError:
        return False
    return True


@cache
def _wrap(based_on: str) -> dict[str, float]:
    """The WRAP figures used (defaults), SI: m/s, m."""
    wrap_class, _ = _openap()
    try:
        w = wrap_class(based_on.lower())
    except ValueError:
        raise ValueError(f"OpenAP has no kinematic model of {based_on!r}") from None
    km = 1000.0
    return {
        "climb_vs_pre_concas": w.climb_vs_pre_concas()["default"],
        "climb_vs_concas": w.climb_vs_concas()["default"],
        "climb_vs_conmach": w.climb_vs_conmach()["default"],
        "climb_cross_alt_concas": w.climb_cross_alt_concas()["default"] * km,
        "climb_cross_alt_conmach": w.climb_cross_alt_conmach()["default"] * km,
        "climb_const_vcas": w.climb_const_vcas()["default"],
        "climb_const_mach": w.climb_const_mach()["default"],
        "cruise_mean_vcas": w.cruise_mean_vcas()["default"],
        "cruise_mach": w.cruise_mach()["default"],
        "cruise_max_alt": w.cruise_max_alt()["default"] * km,
        "descent_vs_conmach": w.descent_vs_conmach()["default"],
        "descent_vs_concas": w.descent_vs_concas()["default"],
        "descent_vs_post_concas": w.descent_vs_post_concas()["default"],
        "descent_cross_alt_conmach": w.descent_cross_alt_conmach()["default"] * km,
        "descent_cross_alt_concas": w.descent_cross_alt_concas()["default"] * km,
        "descent_const_vcas": w.descent_const_vcas()["default"],
        "descent_const_mach": w.descent_const_mach()["default"],
    }


@dataclass(frozen=True)
class Profile:
    """One type's tables by altitude band (``BANDS_M``); rates are magnitudes, m/s."""

    climb_rate_mps: F64
    descent_rate_mps: F64
    climb_tas_mps: F64
    cruise_tas_mps: F64
    descent_tas_mps: F64
    ceiling_m: float


def profile(spec: TypeSpec) -> Profile:
    """The tables of a type, from OpenAP (and the type's overrides)."""
    _, aero = _openap()
    w = _wrap(spec.based_on)
    h = BANDS_M

    def tas(cas_mps: float, mach: float) -> F64:
        # below the crossover altitude the CAS holds, above it the Mach number
        found = np.minimum(aero.cas2tas(cas_mps, h), aero.mach2tas(mach, h))
        return np.asarray(found, dtype=np.float64)

    climb = np.where(
        h < w["climb_cross_alt_concas"],
        w["climb_vs_pre_concas"],
        np.where(h < w["climb_cross_alt_conmach"], w["climb_vs_concas"], w["climb_vs_conmach"]),
    )
    descent = -np.where(
        h > w["descent_cross_alt_conmach"],
        w["descent_vs_conmach"],
        np.where(
            h > w["descent_cross_alt_concas"], w["descent_vs_concas"], w["descent_vs_post_concas"]
        ),
    )
    climb_tas = tas(w["climb_const_vcas"], w["climb_const_mach"])
    cruise_tas = tas(w["cruise_mean_vcas"], w["cruise_mach"])
    descent_tas = tas(w["descent_const_vcas"], w["descent_const_mach"])
    if spec.cruise_tas_kt is not None:
        # the type is faster or slower than its model: every phase by the same factor
        factor = kt_to_mps(spec.cruise_tas_kt) / float(np.max(cruise_tas))
        climb_tas, cruise_tas, descent_tas = (
            x * factor for x in (climb_tas, cruise_tas, descent_tas)
        )
    if spec.climb_rate_fpm is not None:
        climb = np.full_like(h, fpm_to_mps(spec.climb_rate_fpm))
    if spec.descent_rate_fpm is not None:
        descent = np.full_like(h, fpm_to_mps(spec.descent_rate_fpm))
    ceiling_m = w["cruise_max_alt"] if spec.ceiling_ft is None else spec.ceiling_ft * 0.3048
    return Profile(
        climb_rate_mps=np.asarray(climb, dtype=np.float64),
        descent_rate_mps=np.asarray(descent, dtype=np.float64),
        climb_tas_mps=climb_tas,
        cruise_tas_mps=cruise_tas,
        descent_tas_mps=descent_tas,
        ceiling_m=float(ceiling_m),
    )


@dataclass(frozen=True)
class Tables:
    """The profiles of several types stacked: arrays (types, bands), indexed in a step by
    each aircraft's type number and altitude band."""

    climb_rate_mps: F64
    descent_rate_mps: F64
    climb_tas_mps: F64
    cruise_tas_mps: F64
    descent_tas_mps: F64
    ceiling_m: F64

    @classmethod
    def of(cls, profiles: list[Profile]) -> Tables:
        def stack(name: str) -> F64:
            return (
                np.stack([getattr(p, name) for p in profiles])
                if profiles
                else np.zeros((0, len(BANDS_M)))
            )

        return cls(
            climb_rate_mps=stack("climb_rate_mps"),
            descent_rate_mps=stack("descent_rate_mps"),
            climb_tas_mps=stack("climb_tas_mps"),
            cruise_tas_mps=stack("cruise_tas_mps"),
            descent_tas_mps=stack("descent_tas_mps"),
            ceiling_m=np.array([p.ceiling_m for p in profiles], dtype=np.float64),
        )


def band_of(altitude_m: F64) -> NDArray[np.intp]:
    """The table band of each altitude (clipped to the tables)."""
    band: NDArray[np.intp] = np.clip(np.rint(altitude_m / BAND_M), 0, len(BANDS_M) - 1).astype(
        np.intp
    )
    return band
