"""Alert levels and their hysteresis, vectorised over pairs (``docs/alerting.md``).

``raw_levels`` gives each pair's level at one time step: the highest level whose volume is
violated within its alerting time (the early alerting time when that level is the one
already reported). ``Hysteresis`` keeps, per pair, what turns raw levels into reported
ones: M of the last N raw levels, persistence of a raised level, and a reset after a gap.
Comparisons of times are DAIDALUS's: values within about 1e-12 relative are equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deconflict.alerting.config import AlertingConfig
from deconflict.alerting.volumes import Relative, interval

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B64 = NDArray[np.bool_]

#: two doubles this many representable values apart, or fewer, are "almost equal"
ALMOST_EQUAL_ULPS = 16_348


def _ordered(x: F64) -> I64:
    """Doubles mapped to integers in the same order, one step per representable value."""
    bits = np.asarray(x, dtype=np.float64).view(np.int64)
    ordered: I64 = np.where(bits < 0, np.int64(-(2**63)) - bits, bits)
    return ordered


def almost_equal(a: F64, b: F64) -> B64:
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    finite = np.isfinite(a) & np.isfinite(b)
    with np.errstate(over="ignore"):
        close = np.abs(_ordered(np.where(finite, a, 0.0)) - _ordered(np.where(finite, b, 0.0)))
    result: B64 = (a == b) | (finite & (close <= ALMOST_EQUAL_ULPS))
    return result


def almost_less(a: F64, b: F64) -> B64:
    result: B64 = (np.asarray(a) < np.asarray(b)) & ~almost_equal(a, b)
    return result


@dataclass(frozen=True)
class Levels:
    raw: I64  #: 0 (none) to 3 (warning), per pair
    time_to_violation_s: F64  #: (pairs, 3): start of each level's violation, inf if none


def raw_levels(r: Relative, config: AlertingConfig, alerter: I64, reported: I64) -> Levels:
    """Each pair's raw alert level. ``alerter`` is 1-based per pair; ``reported`` is the
    level reported at the previous step, or -1 after a reset (no early alerting)."""
    n = len(r.sx_m)
    raw = np.zeros(n, dtype=np.int64)
    ttv = np.full((n, 3), np.inf)
    for number, spec in enumerate(config.alerters, start=1):
        mine = alerter == number
        if not mine.any():
            continue
        sub = Relative(*(getattr(r, f)[mine] for f in Relative.__dataclass_fields__))
        found = np.zeros(int(mine.sum()), dtype=np.int64)
        for level in spec.levels:  # increasing: a higher level found later wins
            lo, hi = interval(sub, level.volume, 0.0, config.lookahead_s)
            ttv_level = np.where(almost_less(lo, hi), lo, np.inf)
            early = reported[mine] == level.level
            limit = np.where(early, level.early_alerting_time_s, level.alerting_time_s)
            hit = ((lo == 0.0) | almost_less(lo, limit)) & almost_less(lo, hi)
            found = np.where(hit, level.level, found)
            column = ttv[mine]
            column[:, level.level - 1] = ttv_level
            ttv[mine] = column
        raw[mine] = found
    return Levels(raw=raw, time_to_violation_s=ttv)


class Hysteresis:
    """Reported levels of a fixed set of pairs over successive time steps."""

    def __init__(self, pairs: int, config: AlertingConfig) -> None:
        self.config = config
        self.last_time_s = np.full(pairs, np.nan)
        self.history = np.zeros((pairs, config.n), dtype=np.int64)  # newest last
        self.count = np.zeros(pairs, dtype=np.int64)
        self.reported = np.full(pairs, -1, dtype=np.int64)
        self.raised_at_s = np.full(pairs, -np.inf)

    def __len__(self) -> int:
        return len(self.last_time_s)

    def grow(self, extra: int) -> None:
        """Add ``extra`` empty slots."""
        self.last_time_s = np.concatenate([self.last_time_s, np.full(extra, np.nan)])
        self.history = np.concatenate(
            [self.history, np.zeros((extra, self.config.n), dtype=np.int64)]
        )
        self.count = np.concatenate([self.count, np.zeros(extra, dtype=np.int64)])
        self.reported = np.concatenate([self.reported, np.full(extra, -1, dtype=np.int64)])
        self.raised_at_s = np.concatenate([self.raised_at_s, np.full(extra, -np.inf)])

    def clear(self, slots: I64) -> None:
        """Empty these slots, for reuse by other pairs."""
        self.last_time_s[slots] = np.nan
        self.count[slots] = 0
        self.reported[slots] = -1
        self.raised_at_s[slots] = -np.inf

    def begin(self, time_s: F64, active: B64) -> I64:
        """Start a step for the ``active`` pairs at ``time_s``: forget the history of those
        after a gap longer than the hysteresis time (or when time went back). Returns the
        level reported at their previous step (-1 when none), for the early alerting."""
        gap = time_s - self.last_time_s
        reset = active & (np.isnan(gap) | (gap > self.config.hysteresis_s) | (gap < 0))
        self.count[reset] = 0
        self.reported[reset] = -1
        self.raised_at_s[reset] = -np.inf
        result: I64 = np.where(active, self.reported, -1)
        return result

    def end(self, time_s: F64, active: B64, raw: I64) -> I64:
        """Record the raw levels of the ``active`` pairs; returns their reported levels."""
        m, n = self.config.m, self.config.n
        fresh = active & (self.count == 0)
        # after a reset the history starts as M copies of the first raw level
        self.history[fresh] = raw[fresh, None]
        self.count[fresh] = m
        going = active & ~fresh
        self.history[going] = np.roll(self.history[going], -1, axis=1)
        self.history[going, -1] = raw[going]
        self.count[going] = np.minimum(self.count[going] + 1, n)
        # the M-th largest of the valid (newest ``count``) entries
        valid = np.arange(n)[None, :] >= (n - self.count[:, None])
        ranked = np.sort(np.where(valid, self.history, -1), axis=1)[:, ::-1]
        m_of_n = np.maximum(ranked[:, m - 1], 0)
        previous = self.reported
        held = (m_of_n < previous) & (time_s - self.raised_at_s < self.config.persistence_s)
        level = np.where(held, previous, m_of_n)
        raised = active & (level > previous)
        self.raised_at_s = np.where(raised, time_s, self.raised_at_s)
        self.reported = np.where(active, level, self.reported)
        self.last_time_s = np.where(active, time_s, self.last_time_s)
        result: I64 = np.where(active, level, -1)
        return result
