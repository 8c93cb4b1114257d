"""The line's heartbeat: every period, the watch assesses the picture and the hotline
escalates what waited too long. One thread, started and stopped with the server.

Beats fall on whole multiples of the period of the line's clock, so that a line at 1 Hz
assesses the picture at each whole second; a beat that overruns the next is not made up
(the next beat is the next multiple still ahead).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deconflict.line.line import Line

_log = logging.getLogger("deconflict.line")


class Ticker:
    def __init__(self, line: Line, period_s: float = 1.0) -> None:
        if not 0.05 <= period_s <= 60.0:
            raise ValueError(f"the period must be in [0.05, 60] s, not {period_s}")
        self.line, self.period_s = line, period_s
        line.live.set_beat(period_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: how long the last beats took (s), for the service's metrics
        self.durations_s: deque[float] = deque(maxlen=600)
        self.beats = 0

    def beat(self) -> None:
        """One beat: the watch, then the hotline's escalations."""
        started = time.perf_counter()
        self.line.live.tick()
        self.line.hotline.escalate_due()
        self.durations_s.append(time.perf_counter() - started)
        self.beats += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            now = self.line.clock()
            wait = (math.floor(now / self.period_s) + 1) * self.period_s - now
            if self._stop.wait(wait):
                return
            try:
                self.beat()
            except Exception:  # a beat that fails is logged; the next one runs
                _log.exception("the line's beat failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="deconflict-ticker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
