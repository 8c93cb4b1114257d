"""The range of every separation criterion, shared by the options and the minima areas.

Beyond these, numbers stop meaning anything for aircraft (and start overflowing floats):
a minimum of 1,000 NM, a lookahead of a day.
"""

from __future__ import annotations

import math

HSEP_NM = (0.0, 1_000.0)  #: horizontal minimum, exclusive of 0
VSEP_FT = (0.0, 100_000.0)  #: vertical minimum, exclusive of 0
LOOKAHEAD_S = (0.0, 86_400.0)  #: exclusive of 0
WINDOW_S = (0.001, 86_400.0)
MIN_ALTITUDE_FT = (-2_000.0, 100_000.0)


def within(value: float, bounds: tuple[float, float]) -> bool:
    """``value`` is a finite number in (low, high], or [low, high] when low is not 0."""
    low, high = bounds
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not (number and math.isfinite(value)):
        return False
    return (low < value if low == 0.0 else low <= value) and value <= high


def describe(bounds: tuple[float, float]) -> str:
    low, high = bounds
    return f"{'(' if low == 0.0 else '['}{low:g}, {high:g}]"
