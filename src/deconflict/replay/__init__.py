"""Replaying recorded traffic into the line: ``deconflict replay``.

The flow, pure functions but for the edges::

    read_recording(path)           sources.py: any format -> valid states in time order
      -> batches(states, span_s)   batches.py: each aircraft's latest state per span
      -> sendable(batch.states)    batches.py: what the line would refuse, dropped
      -> paced(batches, pacer)     pacing.py:  waits, stamps states with their played time
      -> push / write              the CLI (``deconflict.cli_replay``)
"""

from deconflict.replay.batches import Batch, batches, feed_states, latest_per_aircraft, sendable
from deconflict.replay.pacing import Paced, Pacer, paced, scheduled
from deconflict.replay.sources import FORMATS, Recording, read_recording

__all__ = [
    "FORMATS",
    "Batch",
    "Paced",
    "Pacer",
    "Recording",
    "batches",
    "feed_states",
    "latest_per_aircraft",
    "paced",
    "read_recording",
    "scheduled",
    "sendable",
]
