"""Units and conversions. Inside the package everything is SI (m, s, m/s) and degrees for
angles; these are the only conversions, used at the edges (readers, CLI, output)."""

from __future__ import annotations

from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

FT_M = 0.3048  #: one foot in metres
NM_M = 1852.0  #: one nautical mile in metres
KT_MPS = NM_M / 3600.0  #: one knot in m/s
FPM_MPS = FT_M / 60.0  #: one foot per minute in m/s

Value = TypeVar("Value", float, NDArray[np.float64])


def ft_to_m(x: Value) -> Value:
    return x * FT_M


def m_to_ft(x: Value) -> Value:
    return x / FT_M


def nm_to_m(x: Value) -> Value:
    return x * NM_M


def m_to_nm(x: Value) -> Value:
    return x / NM_M


def kt_to_mps(x: Value) -> Value:
    return x * KT_MPS


def mps_to_kt(x: Value) -> Value:
    return x / KT_MPS


def fpm_to_mps(x: Value) -> Value:
    return x * FPM_MPS


def mps_to_fpm(x: Value) -> Value:
    return x / FPM_MPS
