"""Pacing: recorded time played back at ``speed`` times real time, on an injectable clock.

A replay started at wall time W on a recording that starts at R sends what was recorded
at R + x at W + x / speed, and stamps it with that time, so that the line (which refuses
states from its future and forgets aircraft not heard for 10 s) takes it as live traffic.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from deconflict.replay.batches import Batch, feed_states
from deconflict.states import F64


class Pacer:
    """Maps recorded time to wall time and waits for it. ``clock`` and ``sleep`` are the
    wall clock (UNIX seconds) and the wait, replaced by fakes in tests."""

    def __init__(
        self,
        speed: float,
        origin_s: float,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not speed > 0.0:
            raise ValueError("speed must be positive")
        self.speed, self.origin_s = speed, origin_s
        self._clock, self._sleep = clock, sleep
        self.started_s = clock()

    def due_s(self, recorded_s: float) -> float:
        """The wall time at which what was recorded at ``recorded_s`` is played."""
        return self.started_s + (recorded_s - self.origin_s) / self.speed

    def stamp(self, recorded_s: F64) -> F64:
        """``due_s`` of each time."""
        stamped: F64 = self.started_s + (recorded_s - self.origin_s) / self.speed
        return stamped

    def wait(self, recorded_s: float) -> float:
        """Wait until ``recorded_s`` is due (not at all when it already is); how long was
        waited."""
        left_s = self.due_s(recorded_s) - self._clock()
        if left_s > 0.0:
            self._sleep(left_s)
            return left_s
        return 0.0


@dataclass(frozen=True)
class Paced:
    """A batch as sent: when (wall time), and its states in the feed format."""

    batch: Batch
    sent_s: float
    states: list[dict[str, Any]]


def paced(batches: Iterable[Batch], pacer: Pacer) -> Iterator[Paced]:
    """Each batch once its span has ended in played time (so that none of its states is
    ahead of the clock), its states stamped with their played times."""
    for b in batches:
        pacer.wait(b.end_s)
        yield Paced(b, pacer.due_s(b.end_s), feed_states(b.states, pacer.stamp(b.states.time_s)))


def scheduled(batches: Iterable[Batch], speed: float, origin_s: float) -> Iterator[Paced]:
    """The batches without waiting, for a file: ``sent_s`` is the seconds after the start
    at which each would be sent, and the states keep their recorded times."""
    for b in batches:
        yield Paced(b, (b.end_s - origin_s) / speed, feed_states(b.states))
