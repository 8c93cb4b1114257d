"""The live side of a line: feeds push tracks, the watch ticks, alerts reach both parties.

``line.live.push(caller, states)`` takes a feed's batch; ``line.live.tick()`` (every beat,
from the server's ticker) assesses the picture and records the alerts raised, updated and
ended, each in the audit chain and as an event to both parties, in one transaction.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from deconflict.errors import NotFoundError, RefusedError
from deconflict.line import alerts, audit
from deconflict.line.agreements import AgreementStatus
from deconflict.line.alerts import AlertRecord, Change
from deconflict.line.keys import Role
from deconflict.line.tactical import Watch
from deconflict.line.tracks import TrackBoard, parse_states, tracks_of
from deconflict.plans.notices import Sharing
from deconflict.store.backend import Tx

if TYPE_CHECKING:
    from deconflict.line.line import Caller, Line

#: how the audit chain names the watch
WATCH_ACTOR = "line:watch"
#: the most alerts one list answers
MAX_LIST = 1000


class Live:
    def __init__(self, line: Line) -> None:
        self.line = line
        self.board = TrackBoard()
        self.watch = Watch()
        self._tick_lock = threading.Lock()
        self.watch.resume(line.store.read(alerts.load_open), line.clock())

    def set_beat(self, beat_s: float) -> None:
        """Assess every ``beat_s`` from now on (the hysteresis starts again if it changes)."""
        with self._tick_lock:
            if beat_s != self.watch.beat_s:
                self.watch.beat_s = beat_s
                self.watch.streams.clear()

    # -- feeds ------------------------------------------------------------------------

    def push(self, caller: Caller, items: object) -> int:
        """Take a batch of the caller's party's states (a feed's); the number taken."""
        self.line.require(caller, Role.FEED)
        party = self.line.party_of(caller)
        return self.board.push(party, parse_states(items, self.line.clock()))

    def picture(self, caller: Caller) -> dict[str, Any]:
        """The tracks the caller's party may see now: its own, and those of parties it has
        an agreement in force with at ``coordination`` level. Under ``safety`` another
        party's aircraft are seen only in alerts."""
        self.line.require(caller, Role.OFFICER, Role.OBSERVER)
        party = self.line.party_of(caller)
        shown = {party} | {
            a.other(party)
            for a in self.line.agreements(caller)
            if a.status is AgreementStatus.IN_FORCE and a.terms.sharing is Sharing.COORDINATION
        }
        now = self.line.clock()
        snap = self.board.snapshot(now)
        rows = np.flatnonzero(np.isin(snap.party, sorted(shown)))
        return {"time_s": now, "tracks": [t.as_json() for t in tracks_of(snap, rows)]}

    # -- the watch --------------------------------------------------------------------

    def tick(self, now_s: float | None = None) -> list[Change]:
        """Assess the picture at ``now_s`` (the line's clock) and record what changed."""
        with self._tick_lock:
            now = self.line.clock() if now_s is None else now_s
            snapshot = self.board.snapshot(now)
            kept = self.watch.checkpoint()
            changes = self.watch.assess(now, snapshot, self.line.in_force_agreements())
            if changes:

                def write(tx: Tx) -> list[Change]:
                    return self._record(tx, changes, now)

                try:
                    changes = self.line.store.write(write)
                except BaseException:
                    # not recorded: the next beat finds the same changes again
                    self.watch.restore(kept)
                    raise
                self.line.notify()
        return changes

    def _record(self, tx: Tx, changes: list[Change], now_s: float) -> list[Change]:
        """Write the changes of a beat, with the acknowledgements made meanwhile, their
        audit records and the events of both parties; the changes written."""
        acks = alerts.acks_of(tx, [c.record.alert_id for c in changes if c.kind != "raised"])
        written = [
            c if c.kind == "raised"
            else Change(c.kind, replace(c.record, acks=acks.get(c.record.alert_id, ())))
            for c in changes
        ]  # fmt: skip
        alerts.save_many(tx, written)
        audit.append_many(tx, [(now_s, f"alert.{c.kind}", WATCH_ACTOR, c.record.as_json())
                               for c in written])  # fmt: skip
        self.line.tell_many(tx, [
            (party, now_s, "alert", {"change": c.kind, **c.record.view(party)})
            for c in written for party in c.record.parties
        ])  # fmt: skip
        return written

    # -- alerts for the parties -------------------------------------------------------

    def alerts(self, caller: Caller, active: bool | None = None, limit: int = MAX_LIST
               ) -> list[dict[str, Any]]:  # fmt: skip
        """The caller's party's alerts, the latest raised first."""
        self.line.require(caller, Role.OFFICER, Role.OBSERVER)
        party = self.line.party_of(caller)
        found = self.line.store.read(
            lambda tx: alerts.load_of_party(tx, party, active, min(limit, MAX_LIST))
        )
        return [r.view(party) for r in found]

    def _mine(self, tx: Tx, caller: Caller, alert_id: str) -> tuple[AlertRecord, str]:
        party = self.line.party_of(caller)
        record = alerts.load_one(tx, alert_id)
        if record is None or party not in record.parties:
            raise NotFoundError(f"no alert {alert_id!r}")
        return record, party

    def alert(self, caller: Caller, alert_id: str) -> dict[str, Any]:
        self.line.require(caller, Role.OFFICER, Role.OBSERVER)
        record, party = self.line.store.read(lambda tx: self._mine(tx, caller, alert_id))
        view: dict[str, Any] = record.view(party)
        return view

    def acknowledge(self, caller: Caller, alert_id: str) -> dict[str, Any]:
        """The caller's party acknowledges an alert (an officer's; again: no change)."""
        self.line.require(caller, Role.OFFICER)
        record, party = self.line.store.read(lambda tx: self._mine(tx, caller, alert_id))
        if any(a.party_id == party for a in record.acks):
            return self.alert(caller, alert_id)

        def work(tx: Tx, now: float) -> dict[str, Any]:
            record, party = self._mine(tx, caller, alert_id)
            acked = alerts.acknowledge(tx, record, party, caller.actor, now)
            if acked is None:
                raise RefusedError(f"alert {alert_id} was acknowledged meanwhile")
            for p in acked.parties:
                self.line.tell(tx, p, now, "alert", {"change": "acknowledged", **acked.view(p)})
            return {"alert_id": alert_id, "party": party, "at_s": now}

        body, _ = self.line.record_change(caller, "alert.acknowledged", work)
        return self.alert(caller, body["alert_id"])
