"""The hotline, on SQLite and on PostgreSQL: threads, idempotent sending (concurrent retries
included), receipts, deadlines and escalation on a fake clock, the agreement in force as
the only way between two parties, the audit chain and the event stream; then over HTTP:
the answers, the one error format for bad input, and nothing reaching a third party."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deconflict.errors import ForbiddenError, InputError, NotFoundError, RefusedError
from deconflict.line import audit
from deconflict.line.agreements import terms_from_json
from deconflict.line.hotline import (
    DEADLINES_S,
    MAX_TEXT,
    TEMPLATES,
    Hotline,
    Message,
    Priority,
    check_message,
)
from deconflict.line.line import OPERATOR, Caller, Line
from deconflict.store import open_store
from deconflict.store.backend import Tx
from line_world import Clock, World, make_world

T0 = 1_795_600_000.0

#: red is called at R1, then R2; blue at B1; green is in no agreement
CONTACTS = [
    {"party_id": "red", "name": "R1 duty officer", "phone": "+1 555 0101"},
    {"party_id": "blue", "name": "B1 duty officer", "phone": "+1 555 0201"},
    {"party_id": "red", "name": "R2 wing commander", "phone": "+1 555 0102"},
]

FREE = {"text": "Blue 21 climbing to FL240 over the lake"}


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def line(store_url: str, clock: Clock) -> Iterator[Line]:
    made = Line(open_store(store_url), clock=clock)
    for p in ("blue", "red", "green"):
        made.add_party(OPERATOR, p, p.title())
    made.make_agreement(OPERATOR, "blue", "red", {"contacts": CONTACTS})
    yield made
    made.close()


def _key(line: Line, role: str, party: str) -> Caller:
    _, token = line.create_key(OPERATOR, role, party)
    return line.authenticate(token)


def _send(hl: Hotline, who: Caller, client_id: str, **kw: Any) -> Message:
    args: dict[str, Any] = {"priority": "routine", "template": "free", "fields": FREE}
    args.update(kw)
    if "thread_id" not in args:
        args.setdefault("to_party", "red")
        args.setdefault("subject", "Exercise over the lake")
    msg, new = hl.send(who, client_id, **args)
    assert new
    return msg


def _count(line: Line, sql: str) -> int:
    return int(line.store.read(lambda tx: tx.rows(sql))[0][0])


def _audit_kinds(line: Line) -> list[str]:
    rows = line.store.read(lambda tx: tx.rows("SELECT kind FROM audit ORDER BY seq"))
    return [r[0] for r in rows]


def _ab(line: Line) -> str:
    (ag,) = [a for a in line.agreements(OPERATOR) if set(a.parties) == {"blue", "red"}]
    return ag.agreement_id


# -- sending and threads ---------------------------------------------------------------------


def test_a_thread_is_opened_answered_and_listed_by_both_parties_only(
    line: Line, clock: Clock
) -> None:
    hl = Hotline(line)
    blue, red, green = (_key(line, "officer", p) for p in ("blue", "red", "green"))
    first = _send(hl, blue, "b-1")
    assert (first.from_party, first.to_party, first.priority) == ("blue", "red", Priority.ROUTINE)
    assert first.subject == "Exercise over the lake" and first.fields == FREE
    assert first.created_s == T0 and first.deadline_s == T0 + DEADLINES_S[Priority.ROUTINE]
    assert first.contact is not None and first.contact.name == "R1 duty officer"
    assert first.escalation == 0 and first.delivered_s is None and first.acked_s is None
    clock.now += 5.0
    reply = _send(hl, red, "r-1", thread_id=first.thread_id, priority="urgent",
                  fields={"text": "Copy, Red 4 holds at FL200"})  # fmt: skip
    assert (reply.from_party, reply.to_party, reply.thread_id) == ("red", "blue", first.thread_id)
    assert reply.contact is not None and reply.contact.name == "B1 duty officer"
    assert reply.deadline_s == clock.now + 120.0
    for who in (blue, red):
        (thread,) = hl.threads(who)
        assert thread.parties == ("blue", "red") and thread.opened_by == "blue"
        assert (thread.messages, thread.last_s, thread.open) == (2, clock.now, True)
        assert thread.unacknowledged == 1  # one message to each side
        assert [m.message_id for m in hl.messages(who)] == [first.message_id, reply.message_id]
    assert hl.threads(green) == [] and hl.messages(green) == []


def test_a_third_party_learns_nothing_not_even_that_a_thing_exists(line: Line) -> None:
    hl = Hotline(line)
    blue, green = _key(line, "officer", "blue"), _key(line, "officer", "green")
    msg = _send(hl, blue, "b-1")
    # every probe of green is answered as for a name that exists nowhere
    for real, made_up in ((msg.message_id, "0123456789abcdef"),):
        errors = []
        for mid in (real, made_up):
            for act in (hl.message, hl.read, hl.acknowledge):
                with pytest.raises(NotFoundError) as e:
                    act(green, mid)
                errors.append(str(e.value).replace(mid, "X"))
        assert len(set(errors)) == 1
    for tid in (msg.thread_id, "0123456789abcdef"):
        with pytest.raises(NotFoundError, match="no thread"):
            hl.messages(green, thread_id=tid)
        with pytest.raises(NotFoundError, match="no thread"):
            hl.send(green, "g-1", "routine", "free", FREE, thread_id=tid)
    for party in ("blue", "nobody"):  # green knows of no party but itself
        with pytest.raises(NotFoundError, match=r"^no party"):
            hl.send(green, "g-2", "routine", "free", FREE, to_party=party, subject="hello")
    assert line.events(green) == []


def test_only_officers_send_and_observers_read_their_party_only(line: Line) -> None:
    hl = Hotline(line)
    blue = _key(line, "officer", "blue")
    msg = _send(hl, blue, "b-1")
    observer, feed = _key(line, "observer", "red"), _key(line, "feed", "red")
    assert [m.message_id for m in hl.messages(observer)] == [msg.message_id]
    assert hl.message(observer, msg.message_id).delivered_s is not None  # it was fetched
    for act in (
        lambda who: hl.send(who, "x-1", "routine", "free", FREE, thread_id=msg.thread_id),
        lambda who: hl.read(who, msg.message_id),
        lambda who: hl.acknowledge(who, msg.message_id),
    ):
        for who in (observer, feed, OPERATOR):
            with pytest.raises(ForbiddenError):
                act(who)
    for who in (feed, OPERATOR):
        for read in (hl.messages, hl.threads, hl.templates):
            with pytest.raises(ForbiddenError):
                read(who)
    with pytest.raises(RefusedError, match="sent by blue: it is acknowledged by red"):
        hl.acknowledge(blue, msg.message_id)
    with pytest.raises(RefusedError, match="sent by blue"):
        hl.read(blue, msg.message_id)


# -- idempotent sending ---------------------------------------------------------------------


def test_a_retry_is_the_first_message_and_another_message_under_its_id_is_refused(
    line: Line, clock: Clock
) -> None:
    hl = Hotline(line)
    blue, red = _key(line, "officer", "blue"), _key(line, "officer", "red")
    first = _send(hl, blue, "b-1")
    records, events = len(_audit_kinds(line)), len(line.events(blue))
    clock.now += 30.0
    again, new = hl.send(blue, "b-1", "routine", "free", FREE, to_party="red",
                         subject="Exercise over the lake")  # fmt: skip
    assert not new and again == first
    for change in ({"fields": {"text": "other"}}, {"priority": "urgent"},
                   {"subject": "Another"}, {"to_party": "green"}):  # fmt: skip
        args: dict[str, Any] = {"priority": "routine", "template": "free", "fields": FREE,
                                "to_party": "red", "subject": "Exercise over the lake"}  # fmt: skip
        args.update(change)
        with pytest.raises(RefusedError, match="client_id 'b-1' was used for another message"):
            hl.send(blue, "b-1", **args)
    assert len(_audit_kinds(line)) == records and len(line.events(blue)) == events
    # the id is the sender's own: another party may use it
    theirs = _send(hl, red, "b-1", to_party="blue")
    assert theirs.message_id != first.message_id
    assert _count(line, "SELECT COUNT(*) FROM hotline_messages") == 2


@pytest.mark.parametrize("shared", [True, False], ids=["one-line", "a-line-each"])
def test_concurrent_retries_make_one_message(store_url: str, line: Line, shared: bool) -> None:
    """Eight threads send the same message at once, on one line (one store: writes grouped)
    or each on a line of its own (as processes would: a connection each)."""
    blue = _key(line, "officer", "blue")
    n = 8
    barrier = threading.Barrier(n)
    lines = [line if shared else Line(open_store(store_url), clock=line.clock) for _ in range(n)]

    def send(i: int) -> tuple[Message, bool]:
        barrier.wait()
        return Hotline(lines[i]).send(blue, "retry-me", "emergency", "distress",
                                      {"nature": "engine fire", "lat_deg": 45.5,
                                       "lon_deg": 5.25}, to_party="red",
                                      subject="Mayday")  # fmt: skip

    try:
        with ThreadPoolExecutor(n) as pool:
            results = list(pool.map(send, range(n)))
    finally:
        for other in lines:
            if other is not line:
                other.close()
    assert sum(new for _, new in results) == 1
    assert len({m.message_id for m, _ in results}) == 1
    assert _count(line, "SELECT COUNT(*) FROM hotline_messages") == 1
    assert _count(line, "SELECT COUNT(*) FROM hotline_threads") == 1
    assert _audit_kinds(line).count("hotline.sent") == 1
    assert [e["kind"] for e in line.events(blue)].count("hotline.message") == 1
    assert line.verify_audit(OPERATOR)[1] is None


# -- receipts --------------------------------------------------------------------------------


def test_receipts_delivered_read_acknowledged_reach_the_sender(line: Line, clock: Clock) -> None:
    hl = Hotline(line)
    blue, red = _key(line, "officer", "blue"), _key(line, "officer", "red")
    msg = _send(hl, blue, "b-1")
    # the sender fetching its own message delivers nothing
    assert hl.messages(blue)[0].delivered_s is None
    clock.now += 2.0
    (got,) = hl.messages(red)
    assert got.delivered_s == T0 + 2.0
    clock.now += 1.0
    assert hl.messages(red)[0].delivered_s == T0 + 2.0  # delivered once
    read = hl.read(red, msg.message_id)
    assert (read.delivered_s, read.read_s, read.acked_s) == (T0 + 2.0, T0 + 3.0, None)
    clock.now += 1.0
    acked = hl.acknowledge(red, msg.message_id)
    assert (acked.read_s, acked.acked_s) == (T0 + 3.0, T0 + 4.0)
    records = len(_audit_kinds(line))
    clock.now += 1.0
    assert hl.acknowledge(red, msg.message_id) == acked  # a retry: the same receipt
    assert hl.read(red, msg.message_id) == acked
    assert len(_audit_kinds(line)) == records
    told = [(e["kind"], e["at_s"]) for e in line.events(blue)]
    assert told[-4:] == [
        ("hotline.message", T0), ("hotline.delivered", T0 + 2.0), ("hotline.read", T0 + 3.0),
        ("hotline.acknowledged", T0 + 4.0),
    ]  # fmt: skip
    assert line.events(blue)[-1]["body"]["acked_s"] == T0 + 4.0
    (thread,) = hl.threads(red)
    assert thread.unacknowledged == 0


def test_an_acknowledgement_without_a_read_reads_and_delivers_it(line: Line) -> None:
    hl = Hotline(line)
    blue, red = _key(line, "officer", "blue"), _key(line, "officer", "red")
    msg = _send(hl, blue, "b-1")
    acked = hl.acknowledge(red, msg.message_id)
    assert acked.delivered_s == acked.read_s == acked.acked_s == T0


# -- deadlines and escalation ------------------------------------------------------------------


def _distress(hl: Hotline, who: Caller, to_party: str = "red") -> Message:
    return _send(hl, who, f"distress-{to_party}", priority="emergency", template="distress",
                 fields={"nature": "crew down", "lat_deg": 45.5, "lon_deg": 5.25,
                         "persons": 2}, to_party=to_party, subject="Mayday")  # fmt: skip


def test_an_unacknowledged_message_goes_down_the_contacts_then_stays_at_the_last(
    line: Line, clock: Clock
) -> None:
    hl = Hotline(line)
    blue, red = _key(line, "officer", "blue"), _key(line, "officer", "red")
    msg = _distress(hl, blue)
    assert msg.deadline_s == T0 + 30.0
    assert hl.escalate_due(T0 + 29.9) == []
    (up,) = hl.escalate_due(T0 + 30.0)
    assert up.message_id == msg.message_id and up.escalation == 1
    assert up.contact is not None and up.contact.name == "R2 wing commander"
    assert up.deadline_s == T0 + 60.0 and up.exhausted_s is None
    assert hl.escalate_due(T0 + 30.0) == [] and hl.escalate_due(T0 + 45.0) == []  # once
    # the loop ran late: the next deadline is counted from when it ran
    (last,) = hl.escalate_due(T0 + 100.0)
    assert last.escalation == 1 and last.exhausted_s == T0 + 100.0
    assert last.contact is not None and last.contact.name == "R2 wing commander"
    assert last.as_json()["contacts_exhausted"] is True
    for later in (T0 + 101.0, T0 + 10_000.0):
        assert hl.escalate_due(later) == []  # said once
    assert hl.message(blue, msg.message_id) == last
    for who in (blue, red):
        kinds = [e["kind"] for e in line.events(who) if e["kind"].startswith("hotline.")]
        assert kinds == ["hotline.message", "hotline.escalated", "hotline.contacts_exhausted"]
    assert _audit_kinds(line).count("hotline.escalated") == 2
    # the officers acknowledge late: that stands
    assert hl.acknowledge(red, msg.message_id).acked_s == clock.now


def test_an_acknowledged_message_is_not_escalated(line: Line) -> None:
    hl = Hotline(line)
    blue, red = _key(line, "officer", "blue"), _key(line, "officer", "red")
    msg = _distress(hl, blue)
    hl.acknowledge(red, msg.message_id)
    assert hl.escalate_due(T0 + 1e6) == []


def test_with_one_contact_or_none_the_first_deadline_exhausts_them(
    line: Line, clock: Clock
) -> None:
    hl = Hotline(line)
    red, green = _key(line, "officer", "red"), _key(line, "officer", "green")
    to_blue = _distress(hl, red, "blue")  # blue names one contact
    line.make_agreement(OPERATOR, "green", "red", {})  # no contacts at all
    to_green = _distress(hl, red, "green")
    assert to_green.contact is None
    done = {m.message_id: m for m in hl.escalate_due(T0 + 30.0)}
    assert set(done) == {to_blue.message_id, to_green.message_id}
    assert done[to_blue.message_id].contact == to_blue.contact
    assert all(m.exhausted_s == T0 + 30.0 and m.escalation == 0 for m in done.values())
    assert hl.escalate_due(T0 + 60.0) == []
    assert [e["kind"] for e in line.events(green)][-1] == "hotline.contacts_exhausted"


def test_escalation_called_at_once_from_many_threads_escalates_once(line: Line) -> None:
    hl = Hotline(line)
    blue = _key(line, "officer", "blue")
    msg = _distress(hl, blue)
    barrier = threading.Barrier(6)

    def run(_: int) -> list[Message]:
        barrier.wait()
        return Hotline(line).escalate_due(T0 + 31.0)

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(run, range(6)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 0, 0, 1]
    assert hl.message(blue, msg.message_id).escalation == 1
    assert _audit_kinds(line).count("hotline.escalated") == 1


def test_the_lines_heartbeat_escalates_on_the_lines_clock(line: Line, clock: Clock) -> None:
    """What a server's loop calls every second: ``line.hotline.escalate_due()``."""
    msg = _distress(line.hotline, _key(line, "officer", "blue"))
    assert line.hotline.escalate_due() == []
    clock.now = msg.deadline_s
    assert [m.message_id for m in line.hotline.escalate_due()] == [msg.message_id]
    assert line.hotline.escalate_due() == []


def test_a_beat_of_the_servers_ticker_escalates(line: Line, clock: Clock) -> None:
    from deconflict.line.ticker import Ticker

    blue = _key(line, "officer", "blue")
    msg = _distress(line.hotline, blue)
    ticker = Ticker(line)
    ticker.beat()
    assert line.hotline.message(blue, msg.message_id).escalation == 0
    clock.now = msg.deadline_s
    ticker.beat()
    assert line.hotline.message(blue, msg.message_id).escalation == 1


# -- the agreement in force ------------------------------------------------------------------


@pytest.mark.parametrize("status", ["suspended", "terminated"])
def test_without_an_agreement_in_force_nothing_passes(
    line: Line, clock: Clock, status: str
) -> None:
    hl = Hotline(line)
    blue, red = _key(line, "officer", "blue"), _key(line, "officer", "red")
    msg = _distress(hl, blue)
    line.change_agreement(OPERATOR, _ab(line), 1, status)
    told = {p: len(line.events(who)) for p, who in (("blue", blue), ("red", red))}
    records = len(_audit_kinds(line))
    closed = "blue and red have no agreement in force: the hotline between them is closed"
    with pytest.raises(RefusedError, match=closed):
        hl.send(blue, "b-2", "routine", "free", FREE, thread_id=msg.thread_id)
    with pytest.raises(RefusedError, match="no agreement in force"):
        hl.send(blue, "b-3", "routine", "free", FREE, to_party="red", subject="again")
    for act in (hl.read, hl.acknowledge):
        with pytest.raises(RefusedError, match="no agreement in force"):
            act(red, msg.message_id)
    assert hl.escalate_due(T0 + 1e6) == []
    # what was written stays readable, but no receipt is given
    (seen,) = hl.messages(red)
    assert seen.delivered_s is None and seen.message_id == msg.message_id
    assert [t.open for t in hl.threads(red)] == [False]
    assert {"blue": len(line.events(blue)), "red": len(line.events(red))} == told
    assert len(_audit_kinds(line)) == records
    if status == "suspended":  # back in force: the escalation goes on
        line.change_agreement(OPERATOR, _ab(line), 2, "in_force")
        (up,) = hl.escalate_due(T0 + 1e6)
        assert up.escalation == 1
        assert hl.messages(red)[0].delivered_s == clock.now


# -- the audit chain and the events ----------------------------------------------------------


def test_every_message_and_receipt_is_audited_and_the_chain_holds(line: Line, clock: Clock) -> None:
    hl = Hotline(line)
    blue, red = _key(line, "officer", "blue"), _key(line, "officer", "red")
    before = len(_audit_kinds(line))
    msg = _distress(hl, blue)
    hl.messages(red)
    hl.escalate_due(T0 + 30.0)
    hl.read(red, msg.message_id)
    hl.acknowledge(red, msg.message_id)
    kinds = _audit_kinds(line)[before:]
    assert kinds == ["hotline.sent", "hotline.delivered", "hotline.escalated", "hotline.read",
                     "hotline.acknowledged"]  # fmt: skip
    rows = line.store.read(
        lambda tx: tx.rows("SELECT actor, body FROM audit ORDER BY seq DESC LIMIT 5")
    )
    actors = [a for a, _ in reversed(rows)]
    assert actors[0] == blue.actor and actors[2] == "admin:-:escalation"
    assert actors[1] == actors[3] == actors[4] == red.actor
    sent = json.loads(rows[-1][1])
    assert sent["fields"]["nature"] == "crew down" and sent["message_id"] == msg.message_id
    count, broken = line.verify_audit(OPERATOR)
    assert broken is None and count == len(_audit_kinds(line))


def test_events_reach_both_parties_and_no_third(line: Line) -> None:
    hl = Hotline(line)
    blue, red, green = (_key(line, "officer", p) for p in ("blue", "red", "green"))
    msg = _send(hl, blue, "b-1", fields={"text": "secret words"})
    hl.messages(red)
    hl.acknowledge(red, msg.message_id)
    for who in (blue, red):
        found = [e for e in line.events(who) if e["kind"].startswith("hotline.")]
        assert [e["kind"] for e in found] == ["hotline.message", "hotline.delivered",
                                              "hotline.acknowledged"]  # fmt: skip
        assert all(e["body"]["message_id"] == msg.message_id for e in found)
        assert found[0]["body"]["fields"] == {"text": "secret words"}
    assert line.events(green) == []
    rows = line.store.read(lambda tx: tx.rows("SELECT body FROM events WHERE party_id = 'green'"))
    assert rows == []


# -- the schema ------------------------------------------------------------------------------


def test_a_version_3_database_is_migrated_to_the_hotline(
    store_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import deconflict.store.plans as store_plans
    from deconflict.store.schema import HEAD, MIGRATIONS

    terms = audit.canonical(terms_from_json({"contacts": CONTACTS}, ("blue", "red")).as_json())

    def write(tx: Tx) -> None:  # two parties and their agreement, as version 3 keeps them
        for p in ("blue", "red"):
            tx.run("INSERT INTO parties (party_id, name, members, created_s) "
                   "VALUES (?, ?, '[]', ?)", (p, p.title(), T0))  # fmt: skip
        tx.run(
            "INSERT INTO agreements (agreement_id, party_a, party_b, status, version, terms, "
            "created_s, updated_s) VALUES ('ab', 'blue', 'red', 'in_force', 1, ?, ?, ?)",
            (terms, T0, T0),
        )

    with monkeypatch.context() as m:
        m.setattr(store_plans, "MIGRATIONS", MIGRATIONS[:3])
        m.setattr(store_plans, "HEAD", 3)
        old = open_store(store_url)
        try:
            assert old.schema_version() == 3
            old.write(write)
        finally:
            old.close()
    line = Line(open_store(store_url), clock=clock)
    try:
        assert line.store.schema_version() == HEAD >= 4
        hl = Hotline(line)
        msg = _send(hl, _key(line, "officer", "blue"), "b-1")
        assert msg.contact is not None and msg.contact.name == "R1 duty officer"
        assert hl.escalate_due(T0 + 1e6)[0].escalation == 1
        assert line.verify_audit(OPERATOR)[1] is None
    finally:
        line.close()


# -- the checks of a message -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "priority", "fields", "error"),
    [
        ("poem", "routine", {}, "template 'poem' is not one of: free, alter_course"),
        ("free", "whenever", FREE, "priority 'whenever' is not one of: routine, urgent"),
        ("free", "routine", {}, "free needs the field 'text'"),
        ("free", "routine", {"text": "x", "colour": 1}, "free has no field 'colour'"),
        ("free", "routine", {"text": "   "}, "text must be text of 1-4000"),
        ("free", "routine", {"text": "x" * (MAX_TEXT + 1)}, "text must be text of 1-4000"),
        ("free", "routine", {"text": 12}, "text must be text"),
        ("free", "routine", {"text": "a\x00b"}, "text holds a control character"),
        ("free", "routine", {"text": "a\ud800b"}, "text is not valid Unicode"),
        ("free", "routine", [1], "fields must be an object"),
        ("distress", "urgent", {},
         "a message of template distress is at least emergency, not urgent"),
        ("alter_course", "routine", {"track": "x"},
         "a message of template alter_course is at least urgent"),
        ("distress", "emergency", {"nature": "x", "lat_deg": 91, "lon_deg": 0},
         "lat_deg must be a number in [-90, 90]"),
        ("distress", "emergency", {"nature": "x", "lat_deg": "45", "lon_deg": 0},
         "lat_deg must be a number"),
        ("distress", "emergency", {"nature": "x", "lat_deg": True, "lon_deg": 0},
         "lat_deg must be a number"),
        ("distress", "emergency", {"nature": "x", "lat_deg": 1e308 * 10, "lon_deg": 0},
         "lat_deg must be a number in"),
        ("distress", "emergency", {"nature": "x", "lat_deg": float("nan"), "lon_deg": 0},
         "lat_deg must be a number in"),
        ("distress", "emergency", {"nature": "x", "lat_deg": 10**400, "lon_deg": 0},
         "lat_deg must be a number in"),
        ("position_report", "routine", {"lat_deg": 0, "lon_deg": 0, "at_s": -1},
         "at_s must be a number in [0, 2.53402e+11]"),
    ],
)  # fmt: skip
def test_a_bad_message_is_refused_with_a_one_line_reason(
    template: Any, priority: Any, fields: Any, error: str
) -> None:
    with pytest.raises(InputError) as e:
        check_message(template, priority, fields)
    assert str(e.value).startswith(error) and "\n" not in str(e.value)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8,
)  # fmt: skip


@given(
    template=st.sampled_from([*TEMPLATES, "nope"]) | _JSON,
    priority=st.sampled_from([p.value for p in Priority]) | _JSON,
    fields=st.dictionaries(
        st.sampled_from(["text", "track", "lat_deg", "lon_deg", "nature", "at_s", "x"]),
        _JSON,
    )
    | _JSON,
)
def test_any_message_is_accepted_or_refused_in_one_short_line(
    template: Any, priority: Any, fields: Any
) -> None:
    try:
        p, checked = check_message(template, priority, fields)
    except InputError as e:
        assert "\n" not in str(e) and len(str(e)) < 300
        return
    t = TEMPLATES[template]
    assert p in Priority and set(checked) <= {f.name for f in t.fields}
    assert all(f.name in checked for f in t.fields if f.required)
    json.dumps(checked, allow_nan=False)  # what the audit chain can hold


# -- over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(f"sqlite:///{tmp_path / 'line.db'}")
    yield made
    made.line.close()


def _new(client_id: Any = "a-1", **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"client_id": client_id, "to_party": "b", "subject": "Tanker track",
                            "priority": "routine", "template": "free",
                            "fields": {"text": "Tanker orbit moved 10 NM north"}}  # fmt: skip
    body.update(kw)
    return body


def _records(world: World) -> int:
    return _count(world.line, "SELECT COUNT(*) FROM audit")


def test_over_http_a_message_goes_and_comes_back_with_its_receipts(world: World) -> None:
    r = world.call("officer_a", "POST", "/v1/hotline/messages", _new())
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["to_party"] == "b" and sent["subject"] == "Tanker track"
    again = world.call("officer_a", "POST", "/v1/hotline/messages", _new())
    assert again.status_code == 200 and again.json() == sent
    r = world.call("officer_a", "POST", "/v1/hotline/messages", _new(priority="urgent"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "refused"
    (thread,) = world.call("officer_b", "GET", "/v1/hotline/threads").json()
    assert thread["thread_id"] == sent["thread_id"] and thread["unacknowledged"] == 1
    listed = world.call("officer_b", "GET",
                        f"/v1/hotline/messages?thread_id={sent['thread_id']}").json()  # fmt: skip
    assert [m["message_id"] for m in listed] == [sent["message_id"]]
    assert listed[0]["delivered_s"] is not None
    mid = sent["message_id"]
    assert world.call("officer_b", "POST", f"/v1/hotline/messages/{mid}/read").json()["read_s"]
    acked = world.call("officer_b", "POST", f"/v1/hotline/messages/{mid}/ack")
    assert acked.status_code == 200 and acked.json()["acked_s"] is not None
    seen = world.call("officer_a", "GET", f"/v1/hotline/messages/{mid}").json()
    assert seen == acked.json()
    kinds = [e["kind"] for e in world.call("officer_a", "GET", "/v1/events").json()["events"]]
    assert kinds[-4:] == ["hotline.message", "hotline.delivered", "hotline.read",
                          "hotline.acknowledged"]  # fmt: skip
    for who in ("officer_c", "admin"):
        assert "Tanker" not in world.call(who, "GET", "/v1/events").text
    assert world.call("admin", "GET", "/v1/audit/verify").json()["intact"]


def test_over_http_the_templates_say_what_to_send(world: World) -> None:
    found = world.call("observer_a", "GET", "/v1/hotline/templates").json()
    by_name = {t["name"]: t for t in found}
    assert set(by_name) == set(TEMPLATES)
    assert by_name["distress"]["least_priority"] == "emergency"
    lat = next(f for f in by_name["distress"]["fields"] if f["name"] == "lat_deg")
    assert lat == {"name": "lat_deg", "kind": "number", "required": True, "min": -90.0,
                   "max": 90.0}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (_new(template="poem"), ["template 'poem' is not one of"]),
        (_new(fields={}), ["needs the field 'text'"]),
        (_new(fields={"text": "x" * 10_000}), ["1-4000 characters"]),
        (_new(fields={"text": ["x"]}), ["text must be text"]),
        (_new(template="distress", priority="emergency",
              fields={"nature": "x", "lat_deg": 1e300, "lon_deg": 0}), ["lat_deg"]),
        (_new(priority="asap"), ["priority"]),
        (_new(client_id=""), ["client_id"]),
        (_new(client_id="x" * 500), ["client_id"]),
        (_new(client_id="a b"), ["client_id must be"]),
        (_new(client_id=7), ["client_id"]),
        (_new(subject="s" * 201), ["subject must be text of 1-200"]),
        (_new(subject=None), ["needs a thread_id, or a to_party and a subject"]),
        (_new(to_party="a"), ["another party"]),
        (_new(fields=[1, 2]), ["fields"]),
        (_new(colour="red"), ["colour", "not permitted"]),
        ({"client_id": "x"}, ["required"]),
        ([1, 2], []),
    ],
)  # fmt: skip
def test_over_http_bad_input_is_a_400_in_one_line_and_writes_nothing(
    world: World, body: Any, words: list[str]
) -> None:
    before = _records(world)
    r = world.call("officer_a", "POST", "/v1/hotline/messages", body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "bad_request" and "\n" not in error["message"]
    assert len(error["message"]) < 300
    for w in words:
        assert w in error["message"], error["message"]
    assert _records(world) == before


def test_over_http_extreme_numbers_in_raw_json_are_refused(world: World) -> None:
    headers = {"Authorization": f"Bearer {world.tokens['officer_a']}",
               "Content-Type": "application/json"}  # fmt: skip
    template = ('{"client_id": "x1", "to_party": "b", "subject": "s", "priority": "emergency", '
                '"template": "distress", "fields": {"nature": "n", "lat_deg": LAT, '
                '"lon_deg": 0}}')  # fmt: skip
    for lat in ("1e999", "-1e999", "NaN", "Infinity", "9" * 4000):
        r = world.client.post("/v1/hotline/messages", headers=headers,
                              content=template.replace("LAT", lat).encode())  # fmt: skip
        assert r.status_code == 400, (lat, r.text)
        assert "\n" not in r.json()["error"]["message"]
    r = world.call("officer_a", "GET", "/v1/hotline/messages?since_s=nan")
    assert r.status_code == 400
    r = world.call("officer_a", "GET", "/v1/hotline/messages?limit=0")
    assert r.status_code == 400
    assert _count(world.line, "SELECT COUNT(*) FROM hotline_messages") == 0


def test_over_http_another_party_gets_404_and_nothing_of_the_message(world: World) -> None:
    sent = world.call("officer_a", "POST", "/v1/hotline/messages",
                      _new(fields={"text": "Tanker at the secret orbit"})).json()  # fmt: skip
    mid, tid = sent["message_id"], sent["thread_id"]
    for method, path, probe in (("GET", f"/v1/hotline/messages/{mid}", mid),
                                ("POST", f"/v1/hotline/messages/{mid}/read", mid),
                                ("POST", f"/v1/hotline/messages/{mid}/ack", mid),
                                ("GET", f"/v1/hotline/messages?thread_id={tid}", tid)):  # fmt: skip
        made_up = "0" * 16
        r = world.call("officer_c", method, path)
        r2 = world.call("officer_c", method, path.replace(probe, made_up))
        assert r.status_code == r2.status_code == 404
        assert r.json()["error"]["message"].replace(probe, "X") == r2.json()["error"][
            "message"
        ].replace(made_up, "X")
        assert "secret" not in r.text
    # d's agreement with a is terminated: d knows a, and is told that the hotline is closed
    r = world.call("officer_a", "POST", "/v1/hotline/messages", _new("a-2", to_party="d"))
    assert r.status_code == 409 and "no agreement in force" in r.json()["error"]["message"]
    # c knows of no a: told the same as for a party that does not exist
    r = world.call("officer_c", "POST", "/v1/hotline/messages", _new("c-1", to_party="a"))
    r2 = world.call("officer_c", "POST", "/v1/hotline/messages", _new("c-1", to_party="zz"))
    assert r.status_code == r2.status_code == 404
    assert r.json()["error"]["message"].replace("'a'", "X") == r2.json()["error"][
        "message"
    ].replace("'zz'", "X")
    assert world.call("officer_c", "GET", "/v1/hotline/threads").json() == []
    assert world.call("officer_c", "GET", "/v1/hotline/messages").json() == []


def test_over_http_an_observer_reads_and_delivers_but_answers_nothing(world: World) -> None:
    sent = world.call("officer_b", "POST", "/v1/hotline/messages",
                      _new("b-1", to_party="a")).json()  # fmt: skip
    (seen,) = world.call("observer_a", "GET", "/v1/hotline/messages").json()
    assert seen["message_id"] == sent["message_id"] and seen["delivered_s"] is not None
    for tail in ("read", "ack"):
        r = world.call("observer_a", "POST", f"/v1/hotline/messages/{sent['message_id']}/{tail}")
        assert r.status_code == 403
    reply = _new("o-1", thread_id=sent["thread_id"], to_party=None, subject=None)
    r = world.call("observer_a", "POST", "/v1/hotline/messages", reply)
    assert r.status_code == 403
