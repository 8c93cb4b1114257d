"""The hotline: threads between the duty officers of two parties with an agreement in force.

A message has a priority (routine, urgent, emergency), a template (free text, a request to
alter course, a position report, distress) whose fields are checked, and an acknowledgement
deadline by its priority. Both parties are told of it, and of each of its receipts, on the
event stream: delivered (an officer or observer of the recipient's party fetched it), read,
acknowledged (by an officer of the recipient's party). When a deadline passes without an
acknowledgement, ``escalate_due`` calls the next contact of the recipient party in the
agreement (a new deadline each time) and both parties are told; with no contact left, the
message stays with the last one, and both are told that too, once.

A sender's retry with the same ``client_id`` is the same message: the first one is answered
again, never a second one; the same ``client_id`` for something else is refused.

Between two parties with no agreement in force nothing new passes: no message, no receipt,
no escalation. What they wrote while one was in force stays readable by both. A party that
has no agreement at all with another is not told that it exists, nor that a thread or a
message does (``NotFoundError``, as for a name that does not exist).

Every change is written with its audit record in one durable transaction
(``Line.record_change``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from deconflict.errors import InputError, NotFoundError, RefusedError
from deconflict.line import audit
from deconflict.line.agreements import AgreementStatus, AgreementTerms, Contact, terms_from_json
from deconflict.line.keys import Role
from deconflict.line.line import Caller, Line
from deconflict.store.backend import Row, Tx


class Priority(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"


#: how long the recipient has to acknowledge, by priority (and again after each escalation)
DEADLINES_S: Mapping[Priority, float] = {
    Priority.ROUTINE: 900.0,
    Priority.URGENT: 120.0,
    Priority.EMERGENCY: 30.0,
}

_ORDER = (Priority.ROUTINE, Priority.URGENT, Priority.EMERGENCY)

#: the longest text of a field, and of a thread's subject (characters)
MAX_TEXT = 4000
MAX_SUBJECT = 200
#: the latest time a field of kind "time" may hold (9999-12-31T23:59:59Z)
MAX_TIME_S = 253_402_300_799.0

#: the line itself, as the audit chain names it when it escalates
ESCALATOR = Caller("escalation", Role.ADMIN, None)


class FieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    TIME = "time"  # seconds since 1970, UTC


@dataclass(frozen=True)
class Field:
    name: str
    kind: FieldKind
    required: bool = True
    lo: float = -math.inf
    hi: float = math.inf

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": str(self.kind),
                               "required": self.required}  # fmt: skip
        if self.kind is FieldKind.TEXT:
            out["max_length"] = MAX_TEXT
        else:
            out["min"], out["max"] = self.lo, self.hi
        return out


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    fields: tuple[Field, ...]
    #: the least priority a message of this template may have
    least: Priority = Priority.ROUTINE

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "least_priority": str(self.least),
                "fields": [f.as_json() for f in self.fields]}  # fmt: skip


def _text(name: str, required: bool = True) -> Field:
    return Field(name, FieldKind.TEXT, required)


def _number(name: str, lo: float, hi: float, required: bool = True) -> Field:
    return Field(name, FieldKind.NUMBER, required, lo, hi)


_LAT = _number("lat_deg", -90.0, 90.0)
_LON = _number("lon_deg", -180.0, 180.0)
_ALT = _number("altitude_ft", -2_000.0, 100_000.0, required=False)
_NOTE = _text("text", required=False)

TEMPLATES: Mapping[str, Template] = {
    t.name: t
    for t in (
        Template("free", "Free text", (_text("text"),)),
        Template(
            "alter_course",
            "Request to alter course",
            (
                _text("track"),  # the aircraft as the requester sees it (e.g. an alert's)
                _number("heading_deg", 0.0, 360.0, required=False),
                _ALT,
                _text("reason", required=False),
                _NOTE,
            ),
            Priority.URGENT,
        ),
        Template(
            "position_report",
            "Position report",
            (
                _text("track", required=False),
                _LAT,
                _LON,
                _ALT,
                Field("at_s", FieldKind.TIME, False, 0.0, MAX_TIME_S),
                _NOTE,
            ),
        ),
        Template(
            "distress",
            "Distress: an aircraft in distress or a crew down, assistance requested",
            (_text("nature"), _LAT, _LON, _number("persons", 0.0, 10_000.0, required=False), _NOTE),
            Priority.EMERGENCY,
        ),
    )
}

_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _shown(value: object) -> str:
    """A value the caller sent, quoted in an error message: short, on one line."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_text(name: str, value: object, max_chars: int = MAX_TEXT) -> str:
    """Text of 1 to ``max_chars`` characters, not blank, with no control characters but
    line breaks and tabs, that can be stored (valid Unicode)."""
    if not isinstance(value, str) or not value.strip() or len(value) > max_chars:
        raise InputError(f"{name} must be text of 1-{max_chars} characters")
    if _CONTROL.search(value):
        raise InputError(f"{name} holds a control character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{name} is not valid Unicode text") from None
    return value


def check_priority(priority: object) -> Priority:
    for p in Priority:
        if priority == p.value:
            return p
    raise InputError(
        f"priority {_shown(priority)} is not one of: {', '.join(p.value for p in Priority)}"
    )


def check_message(
    template: object, priority: object, fields: object
) -> tuple[Priority, dict[str, Any]]:
    """The message's priority and fields (those given, as given, none null), once its
    template and fields are right; else a one-line ``InputError`` for the first thing
    wrong."""
    t = TEMPLATES.get(template) if isinstance(template, str) else None
    if t is None:
        raise InputError(f"template {_shown(template)} is not one of: {', '.join(TEMPLATES)}")
    p = check_priority(priority)
    if _ORDER.index(p) < _ORDER.index(t.least):
        raise InputError(f"a message of template {t.name} is at least {t.least}, not {p}")
    if not isinstance(fields, Mapping):
        raise InputError("fields must be an object")
    names = [f.name for f in t.fields]
    for name in fields:
        if name not in names:
            raise InputError(
                f"{t.name} has no field {_shown(name)}; its fields: {', '.join(names)}"
            )
    out: dict[str, Any] = {}
    for f in t.fields:
        value = fields.get(f.name)
        if value is None:
            if f.required:
                raise InputError(f"{t.name} needs the field {f.name!r}")
            continue
        if f.kind is FieldKind.TEXT:
            out[f.name] = check_text(f.name, value)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{f.name} must be a number")
        try:
            x = float(value)
        except OverflowError:  # an integer of hundreds of digits
            x = math.inf
        if not (math.isfinite(x) and f.lo <= x <= f.hi):
            raise InputError(f"{f.name} must be a number in [{f.lo:g}, {f.hi:g}]")
        out[f.name] = value
    return p, out


def check_client_id(client_id: object) -> str:
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise InputError(
            "client_id must be 1-128 letters, digits, '_', '.', ':' or '-' (the sender's own "
            "id of the message, the same on every retry)"
        )
    return client_id


# -- what the line keeps and shows ---------------------------------------------------------


@dataclass(frozen=True)
class Message:
    message_id: str
    thread_id: str
    subject: str
    from_party: str
    to_party: str
    client_id: str
    priority: Priority
    template: str
    fields: Mapping[str, Any]
    created_s: float
    deadline_s: float
    escalation: int
    #: the recipient's contact called now (None: the agreement names none)
    contact: Contact | None
    #: when the deadline passed with no contact left to call
    exhausted_s: float | None
    delivered_s: float | None
    read_s: float | None
    acked_s: float | None

    def as_json(self) -> dict[str, Any]:
        c = self.contact
        return {
            "message_id": self.message_id, "thread_id": self.thread_id,
            "subject": self.subject, "from_party": self.from_party, "to_party": self.to_party,
            "client_id": self.client_id, "priority": str(self.priority),
            "template": self.template, "fields": dict(self.fields),
            "created_s": self.created_s, "deadline_s": self.deadline_s,
            "escalation": self.escalation,
            "contact": None if c is None else {"name": c.name, "phone": c.phone},
            "contacts_exhausted": self.exhausted_s is not None,
            "exhausted_s": self.exhausted_s, "delivered_s": self.delivered_s,
            "read_s": self.read_s, "acked_s": self.acked_s,
        }  # fmt: skip


@dataclass(frozen=True)
class Thread:
    thread_id: str
    parties: tuple[str, str]
    subject: str
    opened_by: str
    created_s: float
    last_s: float
    messages: int
    #: messages to the asking party that it has not acknowledged
    unacknowledged: int
    #: whether the two parties have an agreement in force (else nothing can be sent)
    open: bool

    def as_json(self) -> dict[str, Any]:
        return {"thread_id": self.thread_id, "parties": list(self.parties),
                "subject": self.subject, "opened_by": self.opened_by,
                "created_s": self.created_s, "last_s": self.last_s, "messages": self.messages,
                "unacknowledged": self.unacknowledged, "open": self.open}  # fmt: skip


_MESSAGE_COLUMNS = (
    "m.message_id, m.thread_id, t.subject, m.from_party, m.to_party, m.client_id, m.priority, "
    "m.template, m.fields, m.created_s, m.deadline_s, m.escalation, m.contact, m.exhausted_s, "
    "m.delivered_s, m.read_s, m.acked_s"
)
_FROM = "FROM hotline_messages m JOIN hotline_threads t ON t.thread_id = m.thread_id"


def _message(row: Row) -> Message:
    (mid, tid, subject, frm, to, cid, priority, template, fields, created, deadline,
     escalation, contact, exhausted, delivered, read, acked) = row  # fmt: skip
    c = None if contact is None else json.loads(contact)
    return Message(
        mid, tid, subject, frm, to, cid, Priority(priority), template, json.loads(fields),
        created, deadline, int(escalation),
        None if c is None else Contact(to, c["name"], c["phone"]),
        exhausted, delivered, read, acked,
    )  # fmt: skip


def _contact_json(c: Contact | None) -> str | None:
    return None if c is None else audit.canonical({"name": c.name, "phone": c.phone})


def _request_sha256(request: Mapping[str, Any]) -> str:
    return hashlib.sha256(audit.canonical(request).encode()).hexdigest()


class _UnchangedError(Exception):
    """Raised in a write's work when there is nothing to do after all (another caller did
    it meanwhile): the transaction is undone, and no audit record made."""


class _ExistsError(Exception):
    """Raised in a sending's work when the client's id was used already."""


def _load(tx: Tx, message_id: str) -> Message | None:
    rows = tx.rows(f"SELECT {_MESSAGE_COLUMNS} {_FROM} WHERE m.message_id = ?", (message_id,))
    return _message(rows[0]) if rows else None


def _agreements(tx: Tx, p: str, q: str) -> list[tuple[AgreementStatus, AgreementTerms]]:
    """The agreements between two parties (any status), newest first."""
    a, b = sorted((p, q))
    rows = tx.rows(
        "SELECT status, terms FROM agreements WHERE party_a = ? AND party_b = ? "
        "ORDER BY created_s DESC, agreement_id",
        (a, b),
    )
    return [(AgreementStatus(s), terms_from_json(json.loads(t), (a, b))) for s, t in rows]


def _open_terms(tx: Tx, p: str, q: str) -> AgreementTerms | None:
    """The terms of the agreement in force between two parties, or None."""
    for status, terms in _agreements(tx, p, q):
        if status is AgreementStatus.IN_FORCE:
            return terms
    return None


def _closed(p: str, q: str) -> RefusedError:
    return RefusedError(f"{p} and {q} have no agreement in force: the hotline between them "
                        "is closed")  # fmt: skip


def contacts_of(terms: AgreementTerms, party: str) -> list[Contact]:
    """A party's contacts in an agreement, in their order of escalation."""
    return [c for c in terms.contacts if c.party_id == party]


class Hotline:
    """The hotline of a line (``Hotline(line)``: it keeps nothing but the line)."""

    def __init__(self, line: Line) -> None:
        self.line = line

    def _party(self, caller: Caller, *roles: Role) -> str:
        self.line.require(caller, *roles)
        assert caller.party_id is not None  # officers and observers have one
        return caller.party_id

    def _read(self, work: Callable[[Tx], Any]) -> Any:
        return self.line.store.read(work)

    # -- templates and threads ------------------------------------------------------------

    def templates(self, caller: Caller) -> list[Template]:
        self._party(caller, Role.OFFICER, Role.OBSERVER)
        return list(TEMPLATES.values())

    def threads(self, caller: Caller) -> list[Thread]:
        """The threads of the caller's party, the latest active first."""
        party = self._party(caller, Role.OFFICER, Role.OBSERVER)
        rows = self._read(
            lambda tx: tx.rows(
                "SELECT t.thread_id, t.party_a, t.party_b, t.subject, t.opened_by, t.created_s, "
                "MAX(m.created_s), COUNT(m.message_id), "
                "SUM(CASE WHEN m.to_party = ? AND m.acked_s IS NULL THEN 1 ELSE 0 END) "
                "FROM hotline_threads t JOIN hotline_messages m ON m.thread_id = t.thread_id "
                "WHERE t.party_a = ? OR t.party_b = ? "
                "GROUP BY t.thread_id, t.party_a, t.party_b, t.subject, t.opened_by, t.created_s "
                "ORDER BY MAX(m.created_s) DESC, t.thread_id",
                (party, party, party),
            )
        )
        open_with = self._in_force_with(party)
        return [
            Thread(
                tid,
                (a, b),
                subject,
                opened,
                created,
                last,
                int(n),
                int(waiting),
                (b if a == party else a) in open_with,
            )
            for tid, a, b, subject, opened, created, last, n, waiting in rows
        ]

    def _in_force_with(self, party: str) -> set[str]:
        """The parties the party has an agreement in force with."""
        return {
            a.other(party)
            for a in self.line.agreements(ESCALATOR)
            if party in a.parties and a.status is AgreementStatus.IN_FORCE
        }

    # -- sending ---------------------------------------------------------------------------

    def send(
        self,
        caller: Caller,
        client_id: str,
        priority: str,
        template: str,
        fields: Mapping[str, Any],
        *,
        thread_id: str | None = None,
        to_party: str | None = None,
        subject: str | None = None,
    ) -> tuple[Message, bool]:
        """Send a message (an officer's): in a thread of the caller's party (``thread_id``),
        or in a new one to ``to_party`` about ``subject``. The message, and whether it is
        new: a retry with the same ``client_id`` and the same request gets the first one
        (``RefusedError`` when the request differs)."""
        party = self._party(caller, Role.OFFICER)
        client_id = check_client_id(client_id)
        p, checked = check_message(template, priority, fields)
        if thread_id is not None:
            if not isinstance(thread_id, str) or not thread_id:
                raise InputError("thread_id must be a thread's id")
            if subject is not None:
                raise InputError("a message in a thread has no subject of its own")
        elif to_party is None or subject is None:
            raise InputError("a message needs a thread_id, or a to_party and a subject")
        else:
            subject = check_text("subject", subject, MAX_SUBJECT)
        if to_party is not None and (not isinstance(to_party, str) or to_party == party):
            raise InputError("to_party must be another party")
        request = {"thread_id": thread_id, "to_party": to_party, "subject": subject,
                   "priority": str(p), "template": template, "fields": checked}  # fmt: skip
        request_sha256 = _request_sha256(request)
        found = self._read(lambda tx: self._sent(tx, party, client_id, request_sha256))
        if found is not None:
            return found, False
        sent: list[Message] = []

        def work(tx: Tx, now: float) -> dict[str, Any]:
            if self._sent(tx, party, client_id, request_sha256) is not None:
                raise _ExistsError
            tid, other = self._thread_for(tx, party, thread_id, to_party)
            terms = _open_terms(tx, party, other)
            if terms is None:
                raise _closed(party, other)
            if tid is None:
                tid = uuid.uuid4().hex[:16]
                a, b = sorted((party, other))
                tx.run(
                    "INSERT INTO hotline_threads (thread_id, party_a, party_b, subject, "
                    "opened_by, created_s) VALUES (?, ?, ?, ?, ?, ?)",
                    (tid, a, b, subject, party, now),
                )
            contacts = contacts_of(terms, other)
            message_id = uuid.uuid4().hex[:16]
            tx.run(
                "INSERT INTO hotline_messages (message_id, thread_id, from_party, to_party, "
                "client_id, request_sha256, sender, priority, template, fields, created_s, "
                "deadline_s, escalation, contact) VALUES "
                f"({', '.join('?' * 14)})",
                (message_id, tid, party, other, client_id, request_sha256, caller.actor,
                 str(p), str(template), audit.canonical(checked), now, now + DEADLINES_S[p], 0,
                 _contact_json(contacts[0] if contacts else None)),
            )  # fmt: skip
            loaded = _load(tx, message_id)
            assert loaded is not None
            self._tell(tx, now, "hotline.message", loaded)
            sent[:] = [loaded]
            return loaded.as_json()

        try:
            self.line.record_change(caller, "hotline.sent", work)
        except _ExistsError:  # sent meanwhile, by a retry that came before this one
            found = self._read(lambda tx: self._sent(tx, party, client_id, request_sha256))
            assert found is not None
            return found, False
        return sent[0], True

    @staticmethod
    def _sent(tx: Tx, party: str, client_id: str, request_sha256: str) -> Message | None:
        """The party's message of this ``client_id``, when it was sent already."""
        rows = tx.rows(
            f"SELECT m.request_sha256, {_MESSAGE_COLUMNS} {_FROM} "
            "WHERE m.from_party = ? AND m.client_id = ?",
            (party, client_id),
        )
        if not rows:
            return None
        if rows[0][0] != request_sha256:
            raise RefusedError(
                f"client_id {client_id!r} was used for another message: a retry sends the same "
                "request, a new message needs a new client_id"
            )
        return _message(rows[0][1:])

    @staticmethod
    def _thread_for(
        tx: Tx, party: str, thread_id: str | None, to_party: str | None
    ) -> tuple[str | None, str]:
        """The thread (None: a new one) and the other party of a sending."""
        if thread_id is not None:
            rows = tx.rows(
                "SELECT party_a, party_b FROM hotline_threads WHERE thread_id = ? "
                "AND (party_a = ? OR party_b = ?)",
                (thread_id, party, party),
            )
            if not rows:
                raise NotFoundError(f"no thread {_shown(thread_id)}")
            other = str(rows[0][1] if rows[0][0] == party else rows[0][0])
            if to_party is not None and to_party != other:
                raise InputError(f"thread {thread_id} is with {other}, not {_shown(to_party)}")
            return thread_id, other
        assert to_party is not None
        if not _agreements(tx, party, to_party):  # a party it may not know of
            raise NotFoundError(f"no party {_shown(to_party)}")
        return None, to_party

    @staticmethod
    def _tell(tx: Tx, now: float, kind: str, msg: Message) -> None:
        """Tell both parties of a message, or of a change of it."""
        body = msg.as_json()
        for party in (msg.from_party, msg.to_party):
            Line.tell(tx, party, now, kind, body)

    # -- reading, and the receipts ---------------------------------------------------------

    def messages(
        self,
        caller: Caller,
        thread_id: str | None = None,
        since_s: float | None = None,
        limit: int = 1000,
    ) -> list[Message]:
        """The messages of the caller's party's threads (or of one), oldest first; those to
        its party are delivered now, when they were not (the sender is told)."""
        party = self._party(caller, Role.OFFICER, Role.OBSERVER)
        params: list[Any] = [party, party]
        where = "(t.party_a = ? OR t.party_b = ?)"
        if thread_id is not None:
            where, params = where + " AND m.thread_id = ?", [*params, thread_id]
        if since_s is not None:
            where, params = where + " AND m.created_s > ?", [*params, since_s]

        def read(tx: Tx) -> list[Message]:
            if thread_id is not None and not tx.rows(
                "SELECT 1 FROM hotline_threads WHERE thread_id = ? AND (party_a = ? OR "
                "party_b = ?)",
                (thread_id, party, party),
            ):
                raise NotFoundError(f"no thread {_shown(thread_id)}")
            rows = tx.rows(
                f"SELECT {_MESSAGE_COLUMNS} {_FROM} WHERE {where} "
                "ORDER BY m.created_s, m.message_id LIMIT ?",
                (*params, int(limit)),
            )
            return [_message(r) for r in rows]

        return self._delivered(caller, party, self._read(read))

    def message(self, caller: Caller, message_id: str) -> Message:
        """One message of the caller's party (delivered now, when it was to that party)."""
        party = self._party(caller, Role.OFFICER, Role.OBSERVER)
        return self._delivered(caller, party, [self._visible(party, message_id)])[0]

    def _visible(self, party: str, message_id: str) -> Message:
        msg = self._read(lambda tx: _load(tx, message_id))
        if msg is None or party not in (msg.from_party, msg.to_party):
            raise NotFoundError(f"no message {_shown(message_id)}")
        assert isinstance(msg, Message)
        return msg

    def _delivered(self, caller: Caller, party: str, found: list[Message]) -> list[Message]:
        """``found``, with those to the party not delivered yet delivered now (where the
        agreement is in force: else the sender is told nothing)."""
        waiting = [m for m in found if m.to_party == party and m.delivered_s is None]
        if waiting:  # but not from a party the hotline is closed with
            open_with = self._in_force_with(party)
            waiting = [m for m in waiting if m.from_party in open_with]
        if not waiting:
            return found
        done: dict[str, float] = {}

        def work(tx: Tx, now: float) -> dict[str, Any]:
            done.clear()
            for mid in (m.message_id for m in waiting):
                msg = _load(tx, mid)
                if msg is None or msg.delivered_s is not None:
                    continue
                if _open_terms(tx, msg.from_party, msg.to_party) is None:
                    continue
                tx.run("UPDATE hotline_messages SET delivered_s = ? WHERE message_id = ?",
                       (now, mid))  # fmt: skip
                self._tell(tx, now, "hotline.delivered", replace(msg, delivered_s=now))
                done[mid] = now
            if not done:
                raise _UnchangedError
            return {"party": party, "delivered_s": now, "messages": sorted(done)}

        try:
            self.line.record_change(caller, "hotline.delivered", work)
        except _UnchangedError:
            return found
        return [replace(m, delivered_s=done[m.message_id]) if m.message_id in done else m
                for m in found]  # fmt: skip

    def read(self, caller: Caller, message_id: str) -> Message:
        """The read receipt of a message to the caller's party (an officer's)."""
        return self._receipt(caller, message_id, "read")

    def acknowledge(self, caller: Caller, message_id: str) -> Message:
        """The acknowledgement of a message to the caller's party (an officer's): it stops
        its escalation."""
        return self._receipt(caller, message_id, "acknowledged")

    def _receipt(self, caller: Caller, message_id: str, what: str) -> Message:
        party = self._party(caller, Role.OFFICER)
        msg = self._visible(party, message_id)
        if msg.to_party != party:
            raise RefusedError(
                f"message {message_id} was sent by {party}: it is {what} by {msg.to_party}"
            )
        column = "acked_s" if what == "acknowledged" else "read_s"
        if getattr(msg, column) is not None:
            return msg  # a retry: the receipt stands
        changed: list[Message] = []

        def work(tx: Tx, now: float) -> dict[str, Any]:
            if _open_terms(tx, msg.from_party, msg.to_party) is None:
                raise _closed(msg.to_party, msg.from_party)
            # a message acknowledged was read, and one read was delivered
            sets = ["read_s = ?", "delivered_s = COALESCE(delivered_s, ?)"]
            params: list[Any] = [now, now]
            if column == "acked_s":
                sets = ["acked_s = ?", "acked_by = ?", "read_s = COALESCE(read_s, ?)", sets[1]]
                params = [now, caller.actor, now, now]
            updated = tx.run(
                f"UPDATE hotline_messages SET {', '.join(sets)} "
                f"WHERE message_id = ? AND {column} IS NULL",
                (*params, message_id),
            )
            if not updated:
                raise _UnchangedError
            loaded = _load(tx, message_id)
            assert loaded is not None
            self._tell(tx, now, f"hotline.{what}", loaded)
            changed[:] = [loaded]
            return loaded.as_json()

        try:
            self.line.record_change(caller, f"hotline.{what}", work)
        except _UnchangedError:  # given meanwhile by another officer, or a retry
            return self._visible(party, message_id)
        return changed[0]

    # -- escalation ------------------------------------------------------------------------

    def escalate_due(self, now_s: float | None = None) -> list[Message]:
        """Escalate every message not acknowledged whose deadline is at or before
        ``now_s`` (the line's clock when None) to the next contact of the recipient party,
        with a new deadline from ``now_s``; a message with no contact left stays with the
        last one, marked exhausted. Both parties are told, and each escalation is audited.
        The messages escalated (or exhausted), in order of their deadlines.

        Safe to call every second, from several threads or processes at once: it reads
        only, unless something is due, and each message is escalated once per deadline.
        Messages between parties with no agreement in force wait until there is one."""
        now = self.line.clock() if now_s is None else float(now_s)
        due: Sequence[Row] = self._read(
            lambda tx: tx.rows(
                "SELECT message_id, from_party, to_party FROM hotline_messages "
                "WHERE acked_s IS NULL AND exhausted_s IS NULL AND deadline_s <= ? "
                "ORDER BY deadline_s, message_id",
                (now,),
            )
        )
        if not due:
            return []
        open_pairs = {
            frozenset(a.parties)
            for a in self.line.agreements(ESCALATOR)
            if a.status is AgreementStatus.IN_FORCE
        }
        out = []
        for mid, frm, to in due:
            if frozenset((frm, to)) not in open_pairs:
                continue
            escalated: list[Message] = []
            try:
                self.line.record_change(ESCALATOR, "hotline.escalated",
                                        self._escalation(mid, now, escalated))  # fmt: skip
            except _UnchangedError:
                continue
            out.extend(escalated)
        return out

    def _escalation(
        self, message_id: str, now: float, escalated: list[Message]
    ) -> Callable[[Tx, float], dict[str, Any]]:
        def work(tx: Tx, _: float) -> dict[str, Any]:
            msg = _load(tx, message_id)
            if (
                msg is None
                or msg.acked_s is not None
                or msg.exhausted_s is not None
                or msg.deadline_s > now
            ):
                raise _UnchangedError  # escalated or acknowledged meanwhile
            terms = _open_terms(tx, msg.from_party, msg.to_party)
            if terms is None:
                raise _UnchangedError
            contacts = contacts_of(terms, msg.to_party)
            step = msg.escalation + 1
            if step < len(contacts):
                changed = replace(msg, escalation=step, contact=contacts[step],
                                  deadline_s=now + DEADLINES_S[msg.priority])  # fmt: skip
                tx.run(
                    "UPDATE hotline_messages SET escalation = ?, contact = ?, deadline_s = ? "
                    "WHERE message_id = ?",
                    (step, _contact_json(changed.contact), changed.deadline_s, message_id),
                )
                kind = "hotline.escalated"
            else:
                changed = replace(msg, exhausted_s=now)
                tx.run("UPDATE hotline_messages SET exhausted_s = ? WHERE message_id = ?",
                       (now, message_id))  # fmt: skip
                kind = "hotline.contacts_exhausted"
            self._tell(tx, now, kind, changed)
            escalated[:] = [changed]
            return {**changed.as_json(), "event": kind}

        return work
