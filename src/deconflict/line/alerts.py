"""Alerts between two aircraft of two parties: the record, what each party sees of it, and
its rows in the store.

Under ``safety`` a party sees its own aircraft in full and the other aircraft only as an
anonymous track: position, velocity and altitude, no id, callsign or mission. Under
``coordination`` it sees both in full. Each party acknowledges an alert; the record keeps
who acknowledged when, and when separation was regained (``ended_s``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from deconflict.line import audit
from deconflict.line.agreements import Agreement
from deconflict.line.tracks import Track
from deconflict.plans.notices import Sharing
from deconflict.store.backend import Row, Tx, chunks

LEVELS = {0: "none", 1: "preventive", 2: "corrective", 3: "warning"}


@dataclass(frozen=True)
class Ack:
    party_id: str
    actor: str
    at_s: float


@dataclass(frozen=True)
class AlertRecord:
    """An alert as the line keeps it (both aircraft in full)."""

    alert_id: str
    agreement_id: str
    sharing: Sharing
    party_a: str
    aircraft_a: str  #: the id party a gives its aircraft
    party_b: str
    aircraft_b: str
    level: int  #: now: 0 (conflict only, or ended) to 3
    max_level: int
    raised_s: float
    updated_s: float
    ended_s: float | None = None
    end_reason: str | None = None
    #: at the last change: "tracks" (a's, b's), "conflict" and "alerting" geometry
    detail: dict[str, Any] = field(default_factory=dict)
    acks: tuple[Ack, ...] = ()

    @classmethod
    def raised(
        cls,
        alert_id: str,
        agreement: Agreement,
        tracks: Sequence[Track],
        level: int,
        now_s: float,
        detail: dict[str, Any],
    ) -> AlertRecord:
        a, b = tracks
        return cls(alert_id, agreement.agreement_id, agreement.terms.sharing, a.party, a.id,
                   b.party, b.id, level, level, now_s, now_s, detail=detail)  # fmt: skip

    @property
    def key(self) -> tuple[str, str]:
        """The pair as the watch names it."""
        return (f"{self.party_a}/{self.aircraft_a}", f"{self.party_b}/{self.aircraft_b}")

    @property
    def parties(self) -> tuple[str, str]:
        return (self.party_a, self.party_b)

    @property
    def in_conflict(self) -> bool:
        return self.detail.get("conflict") is not None

    @property
    def los_now(self) -> bool:
        conflict = self.detail.get("conflict")
        return bool(conflict and conflict.get("los_now"))

    def as_json(self) -> dict[str, Any]:
        """The whole record: for the audit chain, never for a party."""
        return {
            "alert_id": self.alert_id, "agreement_id": self.agreement_id,
            "sharing": str(self.sharing), "party_a": self.party_a, "aircraft_a": self.aircraft_a,
            "party_b": self.party_b, "aircraft_b": self.aircraft_b, "level": self.level,
            "max_level": self.max_level, "raised_s": self.raised_s, "updated_s": self.updated_s,
            "ended_s": self.ended_s, "end_reason": self.end_reason, "detail": self.detail,
            "acks": [{"party_id": a.party_id, "actor": a.actor, "at_s": a.at_s}
                     for a in self.acks],
        }  # fmt: skip

    def view(self, party: str) -> dict[str, Any]:
        """What ``party`` (one of the two) sees of the alert."""
        mine = 0 if party == self.party_a else 1
        assert self.parties[mine] == party
        tracks = self.detail.get("tracks") or [None, None]
        other = tracks[1 - mine]
        if other is not None and self.sharing is Sharing.SAFETY:
            other = {k: v for k, v in other.items() if k not in _IDENTIFYING}
        return {
            "alert_id": self.alert_id,
            "state": "active" if self.ended_s is None else "ended",
            "level": self.level,
            "level_name": LEVELS[self.level],
            "max_level": self.max_level,
            "raised_s": self.raised_s,
            "updated_s": self.updated_s,
            "ended_s": self.ended_s,
            "end_reason": self.end_reason,
            "sharing": str(self.sharing),
            "other_party": self.parties[1 - mine],
            "own": tracks[mine],
            "other": other,
            "conflict": self.detail.get("conflict"),
            "alerting": self.detail.get("alerting"),
            "acks": [
                {
                    "party": a.party_id,
                    "at_s": a.at_s,
                    **({"by": a.actor} if a.party_id == party else {}),
                }
                for a in self.acks
            ],
        }


#: what an anonymous track leaves out
_IDENTIFYING = frozenset({"id", "callsign", "party", "onground"})


@dataclass(frozen=True)
class Change:
    kind: str  # "raised", "updated", "ended", "acknowledged"
    record: AlertRecord


_COLUMNS = ("alert_id, agreement_id, sharing, party_a, aircraft_a, party_b, aircraft_b, level, "
            "max_level, raised_s, updated_s, ended_s, end_reason, detail")  # fmt: skip


def _row(r: AlertRecord) -> tuple[Any, ...]:
    return (r.alert_id, r.agreement_id, str(r.sharing), r.party_a, r.aircraft_a, r.party_b,
            r.aircraft_b, r.level, r.max_level, r.raised_s, r.updated_s, r.ended_s,
            r.end_reason, audit.canonical(r.detail))  # fmt: skip


def save_many(tx: Tx, changes: Sequence[Change]) -> None:
    """Write changes of the watch: a new row for each alert raised, the row of each other
    one updated."""
    tx.insert("alerts", [c.strip() for c in _COLUMNS.split(",")],
              [_row(c.record) for c in changes if c.kind == "raised"])  # fmt: skip
    tx.rows_each(
        "UPDATE alerts SET sharing = ?, level = ?, max_level = ?, updated_s = ?, "
        "ended_s = ?, end_reason = ?, detail = ? WHERE alert_id = ? RETURNING alert_id",
        [(str(r.sharing), r.level, r.max_level, r.updated_s, r.ended_s, r.end_reason,
          audit.canonical(r.detail), r.alert_id)
         for r in (c.record for c in changes if c.kind != "raised")],
    )  # fmt: skip


def acks_of(tx: Tx, alert_ids: Sequence[str]) -> dict[str, tuple[Ack, ...]]:
    """The acknowledgements of these alerts, in the order they were made."""
    found: dict[str, list[Ack]] = {}
    for part in chunks(alert_ids, 500):
        for aid, party, actor, at in tx.rows(
            "SELECT alert_id, party_id, actor, at_s FROM alert_acks WHERE alert_id IN "
            f"({', '.join('?' * len(part))}) ORDER BY at_s, party_id",
            part,
        ):
            found.setdefault(aid, []).append(Ack(party, actor, at))
    return {aid: tuple(acks) for aid, acks in found.items()}


def _records(tx: Tx, rows: list[Row]) -> list[AlertRecord]:
    acks = acks_of(tx, [r[0] for r in rows])
    return [
        AlertRecord(aid, ag, Sharing(sh), pa, xa, pb, xb, int(lv), int(mx), rs, us, es, er,
                    json.loads(d), acks.get(aid, ()))
        for aid, ag, sh, pa, xa, pb, xb, lv, mx, rs, us, es, er, d in rows
    ]  # fmt: skip


def load_open(tx: Tx) -> list[AlertRecord]:
    """The alerts not ended."""
    return _records(tx, tx.rows(f"SELECT {_COLUMNS} FROM alerts WHERE ended_s IS NULL"))


def load_of_party(tx: Tx, party: str, active: bool | None, limit: int) -> list[AlertRecord]:
    """A party's alerts, the latest raised first (``active``: only open or only ended)."""
    state = {None: "", True: " AND ended_s IS NULL", False: " AND ended_s IS NOT NULL"}[active]
    rows = tx.rows(
        f"SELECT {_COLUMNS} FROM alerts WHERE (party_a = ? OR party_b = ?){state} "
        "ORDER BY raised_s DESC, alert_id LIMIT ?",
        (party, party, limit),
    )
    return _records(tx, rows)


def load_one(tx: Tx, alert_id: str) -> AlertRecord | None:
    found = _records(tx, tx.rows(f"SELECT {_COLUMNS} FROM alerts WHERE alert_id = ?",
                                 (alert_id,)))  # fmt: skip
    return found[0] if found else None


def acknowledge(tx: Tx, record: AlertRecord, party: str, actor: str, now_s: float
                ) -> AlertRecord | None:  # fmt: skip
    """Record ``party``'s acknowledgement; None when it had acknowledged already."""
    if any(a.party_id == party for a in record.acks):
        return None
    tx.run("INSERT INTO alert_acks (alert_id, party_id, actor, at_s) VALUES (?, ?, ?, ?)",
           (record.alert_id, party, actor, now_s))  # fmt: skip
    return replace(record, acks=(*record.acks, Ack(party, actor, now_s)))
