"""The audit trail: an append-only hash chain of everything the line does.

Each record holds its sequence number, time, kind, actor and body (canonical JSON), and the
SHA-256 of the record before it; its own hash covers all of these. A record changed in the
database no longer matches its hash; a record inserted or deleted breaks the chain where it
was. A deletion of the last records leaves a shorter chain that is still whole: what tells
it is a receipt (the sequence number and hash a client was given when its write was
acknowledged), which ``verify`` checks when given one.

Appends happen inside the write transaction of the change they record: the change and its
record are committed together, or neither.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from deconflict.store.backend import Row, Tx

#: the hash before the first record
GENESIS = "0" * 64


@dataclass(frozen=True)
class Receipt:
    """Where a change sits in the chain: what a client keeps to hold the line to it."""

    seq: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "sha256": self.sha256}


@dataclass(frozen=True)
class Break:
    """The first place where the chain does not hold."""

    seq: int
    what: str  # "modified", "inserted", "deleted", "truncated"
    detail: str


def canonical(body: Any) -> str:
    """The one JSON text of a value that is hashed: sorted keys, no spaces, ASCII."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)  # fmt: skip


def record_sha256(prev: str, seq: int, at_s: float, kind: str, actor: str, body: str) -> str:
    head = canonical([seq, repr(float(at_s)), kind, actor])
    return hashlib.sha256(f"{prev}\n{head}\n{body}".encode()).hexdigest()


def append(tx: Tx, at_s: float, kind: str, actor: str, body: Any) -> Receipt:
    """Append a record in the transaction ``tx`` (writers are serialised: the last record
    read is the last one)."""
    return append_many(tx, [(at_s, kind, actor, body)])[0]


def append_many(tx: Tx, records: Sequence[tuple[float, str, str, Any]]) -> list[Receipt]:
    """Append records ``(at_s, kind, actor, body)`` in order, in one insert."""
    if not records:
        return []
    last = tx.rows("SELECT seq, sha256 FROM audit ORDER BY seq DESC LIMIT 1")
    seq, prev = (int(last[0][0]) + 1, str(last[0][1])) if last else (1, GENESIS)
    rows, receipts = [], []
    for at_s, kind, actor, body in records:
        text = canonical(body)
        sha = record_sha256(prev, seq, at_s, kind, actor, text)
        rows.append((seq, float(at_s), kind, actor, text, prev, sha))
        receipts.append(Receipt(seq, sha))
        seq, prev = seq + 1, sha
    tx.insert("audit", ("seq", "at_s", "kind", "actor", "body", "prev_sha256", "sha256"), rows)
    return receipts


#: how far a record's number is looked for, when it does not match its hash
_SHIFTS = 1000


def _renumbered(
    prev: str, seq: int, at_s: float, kind: str, actor: str, body: str, sha: str
) -> int:
    """By how much a record was renumbered (its hash matches another number), or 0."""
    for shift in range(1, _SHIFTS + 1):
        for s in (shift, -shift):
            if seq - s >= 1 and record_sha256(prev, seq - s, at_s, kind, actor, body) == sha:
                return s
    return 0


def verify(rows: Iterable[Row], receipt: Receipt | None = None) -> tuple[int, Break | None]:
    """Walk the chain (rows of ``seq, at_s, kind, actor, body, prev_sha256, sha256`` in
    order of ``seq``): how many records hold, and the first break, or None.

    - a record whose content no longer gives its hash: *modified*;
    - a record that does not follow the one before it: that one was *inserted* (the record
      follows the one before that) or *modified* with a hash made anew;
    - a gap in the numbers: *deleted*;
    - a chain that ends before, or differs at, a receipt given: *truncated* or *modified*.
    """
    before, prev, expected, count = "", GENESIS, 1, 0
    by_seq: dict[int, str] = {}
    for seq, at_s, kind, actor, body, prev_sha, sha in rows:
        seq = int(seq)
        if seq != expected:
            if seq > expected:
                gone = f"{expected}" if seq == expected + 1 else f"{expected}..{seq - 1}"
                return count, Break(expected, "deleted", f"record {gone} missing before {seq}")
            return count, Break(seq, "inserted", f"record {seq} appears again")
        if record_sha256(prev_sha, seq, at_s, kind, actor, body) != sha:
            shift = _renumbered(prev_sha, seq, at_s, kind, actor, body, sha)
            if shift > 0:  # it was record seq - shift: records were put before it
                return count, Break(
                    seq - shift, "inserted", f"{shift} record(s) put before record {seq - shift}"
                    f" (now numbered {seq})"
                )  # fmt: skip
            if shift < 0:
                return count, Break(
                    seq, "deleted", f"{-shift} record(s) deleted before record {seq - shift} "
                    f"(now numbered {seq})"
                )  # fmt: skip
            return count, Break(seq, "modified", f"record {seq} ({kind}) does not match its hash")
        if prev_sha != prev:
            if prev_sha == before:  # it follows the record before the last: that one is new
                return count - 1, Break(
                    seq - 1, "inserted", f"record {seq - 1} was put between {seq - 2} and {seq}"
                )
            return count - 1, Break(
                seq - 1, "modified", f"record {seq - 1} was rewritten with a new hash "
                f"(record {seq} follows another)"
            )  # fmt: skip
        before, prev, expected, count = prev, sha, expected + 1, count + 1
        if receipt is not None and seq == receipt.seq:
            by_seq[seq] = sha
    if receipt is not None:
        if receipt.seq >= expected:
            return count, Break(
                expected, "truncated", f"the chain ends at {expected - 1}, before receipt "
                f"{receipt.seq}"
            )  # fmt: skip
        if by_seq.get(receipt.seq) != receipt.sha256:
            return count, Break(
                receipt.seq, "modified", f"record {receipt.seq} is not the one receipted"
            )
    return count, None
