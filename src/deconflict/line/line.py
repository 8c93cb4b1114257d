"""The line: parties, keys, agreements and plans, with who may do what, and the audit chain.

Every change is made in one write transaction of the store with its audit record (and the
events it gives each party): the change and its record are durable together, or neither.
The plan store's policy is the agreements in force, kept in step with them.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from deconflict.errors import (
    AuthError,
    DeconflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
    RefusedError,
)
from deconflict.line import audit, keys
from deconflict.line.agreements import (
    Agreement,
    AgreementStatus,
    check_move,
    policy,
    terms_from_json,
)
from deconflict.line.keys import Role
from deconflict.line.live import Live
from deconflict.plans.volume import Plan, PlanState
from deconflict.store import Filing, PlanStore, StoredPlan, open_store
from deconflict.store.backend import Tx

if TYPE_CHECKING:
    from deconflict.line.hotline import Hotline

_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")


@dataclass(frozen=True)
class Party:
    party_id: str
    name: str
    members: tuple[str, ...]
    created_s: float

    def as_json(self) -> dict[str, Any]:
        return {"party_id": self.party_id, "name": self.name, "members": list(self.members),
                "created_s": self.created_s}  # fmt: skip


@dataclass(frozen=True)
class KeyInfo:
    """An API key as the line shows it (never its secret)."""

    key_id: str
    party_id: str | None
    role: Role
    label: str
    created_s: float
    expires_s: float | None
    revoked_s: float | None

    def as_json(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "party_id": self.party_id, "role": str(self.role),
                "label": self.label, "created_s": self.created_s, "expires_s": self.expires_s,
                "revoked_s": self.revoked_s}  # fmt: skip


@dataclass(frozen=True)
class Caller:
    """Who is asking: the key's role and party."""

    key_id: str
    role: Role
    party_id: str | None

    @property
    def actor(self) -> str:
        """How the audit chain names the caller."""
        return f"{self.role}:{self.party_id or '-'}:{self.key_id}"


#: the operator working from the command line on the database itself
OPERATOR = Caller("local", Role.ADMIN, None)

_KEY_COLUMNS = "key_id, party_id, role, label, created_s, expires_s, revoked_s"
_AGREEMENT_COLUMNS = "agreement_id, party_a, party_b, status, version, terms, created_s, updated_s"


def _key(row: Sequence[Any]) -> KeyInfo:
    kid, party, role, label, created, expires, revoked = row
    return KeyInfo(kid, party, Role(role), label, created, expires, revoked)


def _agreement(row: Sequence[Any]) -> Agreement:
    aid, a, b, status, version, terms, created, updated = row
    return Agreement(
        aid, a, b, AgreementStatus(status), int(version),
        terms_from_json(json.loads(terms), (a, b)), created, updated,
    )  # fmt: skip


def _scoped(party: str, plan_id: str) -> str:
    return f"{party}/{plan_id}"


@contextmanager
def _named(party: str) -> Iterator[None]:
    """The store's errors with the party's plans named as the party names them."""
    try:
        yield
    except DeconflictError as e:
        raise type(e)(str(e).replace(f"'{party}/", "'")) from None


def _local(sp: StoredPlan, plan_id: str) -> StoredPlan:
    return replace(sp, plan=replace(sp.plan, plan_id=plan_id))


def _own(party: str, notice: Mapping[str, Any]) -> dict[str, Any]:
    """A notice with the party's own plan named as the party names it."""
    out = dict(notice)
    for name in ("own_plan", "plan_id"):
        if isinstance(out.get(name), str):
            out[name] = out[name].removeprefix(f"{party}/")
    return out


def _check_id(what: str, value: object) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise InputError(
            f"{what} {value!r} must be 1-63 characters: lower-case letters, digits, '_', '.', "
            "'-', starting with a letter or digit"
        )
    return value


class Line:
    """A deconfliction line on one database (``Line.open(url)``)."""

    def __init__(self, store: PlanStore, clock: Callable[[], float] = time.time) -> None:
        self.store, self.clock = store, clock
        self._lock = threading.Lock()
        #: called (from any thread) after a write that told parties events
        self.listeners: list[Callable[[], None]] = []
        self._in_force: list[Agreement] = []
        store.journal = self._journal
        self.refresh_policy()
        self.live = Live(self)

    @classmethod
    def open(cls, url: str) -> Line:
        return cls(open_store(url))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Line:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def hotline(self) -> Hotline:
        """The line's hotline (``deconflict.line.hotline``: it keeps nothing but the line)."""
        from deconflict.line.hotline import Hotline

        return Hotline(self)

    # -- the record of every change ---------------------------------------------------

    def _journal(self, tx: Tx, kind: str, actor: str, body: dict[str, Any]) -> None:
        """Audit a change of the plan store, and tell a notice to its party."""
        now = self.clock()
        audit.append(tx, now, kind, actor, body)
        if kind == "notice":
            self.tell(tx, body["party"], now, kind, _own(body["party"], body))

    @staticmethod
    def tell(tx: Tx, party_id: str, at_s: float, kind: str, body: Mapping[str, Any]) -> int:
        """Tell a party an event, in the transaction ``tx``; its event id."""
        return Line.tell_many(tx, [(party_id, at_s, kind, body)])[0]

    @staticmethod
    def tell_many(tx: Tx, events: Sequence[tuple[str, float, str, Mapping[str, Any]]]) -> list[int]:
        """Tell events ``(party_id, at_s, kind, body)`` in order, in one insert."""
        if not events:
            return []
        first = int(tx.rows("SELECT COALESCE(MAX(event_id), 0) FROM events")[0][0]) + 1
        rows = [
            (first + k, party, at_s, kind, audit.canonical(body))
            for k, (party, at_s, kind, body) in enumerate(events)
        ]
        tx.insert("events", ("event_id", "party_id", "at_s", "kind", "body"), rows)
        return [first + k for k in range(len(rows))]

    def record_change(
        self, caller: Caller, kind: str, work: Callable[[Tx, float], dict[str, Any]]
    ) -> tuple[dict[str, Any], audit.Receipt]:
        """Run ``work`` in a write transaction and audit what it returns, in the same one."""

        def run(tx: Tx) -> tuple[dict[str, Any], audit.Receipt]:
            now = self.clock()
            body = work(tx, now)
            return body, audit.append(tx, now, kind, caller.actor, body)

        result: tuple[dict[str, Any], audit.Receipt] = self.store.write(run)
        self.notify()
        return result

    def notify(self) -> None:
        """Tell the listeners that events may have been written."""
        for listener in list(self.listeners):
            listener()

    # -- who is asking ----------------------------------------------------------------

    def authenticate(self, token: str | None) -> Caller:
        """The caller of a bearer token; ``AuthError`` when it is missing, malformed,
        unknown, revoked or expired (one message for all: nothing to probe)."""
        parsed = keys.parse(token or "")
        if parsed is None:
            raise AuthError("a valid API key is required (Authorization: Bearer dk_...)")
        key_id, secret = parsed
        rows = self.store.read(
            lambda tx: tx.rows(
                "SELECT role, party_id, secret_sha256, expires_s, revoked_s FROM api_keys "
                "WHERE key_id = ?",
                (key_id,),
            )
        )
        now = self.clock()
        if (
            not rows
            or not keys.matches(secret, rows[0][2])
            or rows[0][4] is not None
            or (rows[0][3] is not None and rows[0][3] <= now)
        ):
            raise AuthError("a valid API key is required (Authorization: Bearer dk_...)")
        return Caller(key_id, Role(rows[0][0]), rows[0][1])

    @staticmethod
    def require(caller: Caller, *roles: Role) -> None:
        if caller.role not in roles:
            raise ForbiddenError(
                f"this needs a key of role {' or '.join(map(str, roles))}, not {caller.role}"
            )

    def party_of(self, caller: Caller) -> str:
        """The party an officer, feed or observer acts for."""
        self.require(caller, Role.OFFICER, Role.FEED, Role.OBSERVER)
        assert caller.party_id is not None
        return caller.party_id

    # -- parties ----------------------------------------------------------------------

    def add_party(
        self, caller: Caller, party_id: str, name: str, members: Sequence[str] = ()
    ) -> Party:
        self.require(caller, Role.ADMIN)
        _check_id("party_id", party_id)
        if not isinstance(name, str) or not 0 < len(name) <= 200:
            raise InputError("name must be 1-200 characters")
        if not all(isinstance(m, str) and 0 < len(m) <= 200 for m in members):
            raise InputError("members must be names of 1-200 characters")

        def work(tx: Tx, now: float) -> dict[str, Any]:
            if tx.rows("SELECT 1 FROM parties WHERE party_id = ?", (party_id,)):
                raise RefusedError(f"party {party_id!r} exists already")
            tx.run(
                "INSERT INTO parties (party_id, name, members, created_s) VALUES (?, ?, ?, ?)",
                (party_id, name, json.dumps(list(members)), now),
            )
            return Party(party_id, name, tuple(members), now).as_json()

        body, _ = self.record_change(caller, "party.added", work)
        return Party(body["party_id"], body["name"], tuple(body["members"]), body["created_s"])

    def parties(self, caller: Caller) -> list[Party]:
        """Every party for an admin; for anyone else, its own and those it has an agreement
        with (in any status)."""
        rows = self.store.read(
            lambda tx: tx.rows(
                "SELECT party_id, name, members, created_s FROM parties ORDER BY party_id"
            )
        )
        out = [Party(p, n, tuple(json.loads(m)), c) for p, n, m, c in rows]
        if caller.role is Role.ADMIN:
            return out
        self.require(caller, Role.ADMIN, Role.OFFICER, Role.OBSERVER)
        own = self.party_of(caller)
        known = {own} | {a.other(own) for a in self.agreements(caller)}
        return [p for p in out if p.party_id in known]

    def _require_party(self, tx: Tx, party_id: str) -> None:
        if not tx.rows("SELECT 1 FROM parties WHERE party_id = ?", (party_id,)):
            raise NotFoundError(f"no party {party_id!r}")

    # -- keys -------------------------------------------------------------------------

    def create_key(
        self,
        caller: Caller,
        role: Role | str,
        party_id: str | None,
        label: str = "",
        expires_s: float | None = None,
    ) -> tuple[KeyInfo, str]:
        """A new key and its token (shown once: the line keeps its hash only)."""
        self.require(caller, Role.ADMIN)
        try:
            role = Role(role)
        except ValueError:
            raise InputError(
                f"role {role!r} is not one of: {', '.join(r.value for r in Role)}"
            ) from None
        if (role is Role.ADMIN) != (party_id is None):
            raise InputError(
                "an admin key belongs to no party" if role is Role.ADMIN
                else f"a key of role {role} needs a party"
            )  # fmt: skip
        if not isinstance(label, str) or len(label) > 200:
            raise InputError("label must be at most 200 characters")
        if expires_s is not None and not (isinstance(expires_s, int | float)
                                          and expires_s > self.clock()):  # fmt: skip
            raise InputError("expires_s must be a time in the future (seconds since 1970)")
        new = keys.new_key()

        def work(tx: Tx, now: float) -> dict[str, Any]:
            if party_id is not None:
                self._require_party(tx, party_id)
            tx.run(
                f"INSERT INTO api_keys ({_KEY_COLUMNS}, secret_sha256) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (new.key_id, party_id, str(role), label, now, expires_s, None, new.secret_sha256),
            )
            return KeyInfo(new.key_id, party_id, Role(role), label, now, expires_s, None).as_json()

        body, _ = self.record_change(caller, "key.created", work)
        return _key([body[c] for c in _KEY_COLUMNS.split(", ")]), new.token

    def revoke_key(self, caller: Caller, key_id: str) -> KeyInfo:
        self.require(caller, Role.ADMIN)

        def work(tx: Tx, now: float) -> dict[str, Any]:
            rows = tx.rows(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,))
            if not rows:
                raise NotFoundError(f"no key {key_id!r}")
            if rows[0][6] is not None:
                raise RefusedError(f"key {key_id!r} is revoked already")
            tx.run("UPDATE api_keys SET revoked_s = ? WHERE key_id = ?", (now, key_id))
            return _key([*rows[0][:6], now]).as_json()

        body, _ = self.record_change(caller, "key.revoked", work)
        return _key([body[c] for c in _KEY_COLUMNS.split(", ")])

    def keys(self, caller: Caller, party_id: str | None = None) -> list[KeyInfo]:
        self.require(caller, Role.ADMIN)
        where, params = ("WHERE party_id = ?", (party_id,)) if party_id else ("", ())
        rows = self.store.read(
            lambda tx: tx.rows(
                f"SELECT {_KEY_COLUMNS} FROM api_keys {where} ORDER BY created_s, key_id", params
            )
        )
        return [_key(r) for r in rows]

    # -- agreements -------------------------------------------------------------------

    def make_agreement(
        self, caller: Caller, party_a: str, party_b: str, terms: Mapping[str, Any]
    ) -> Agreement:
        """A new agreement between two parties, in force at once. There is at most one
        agreement not terminated between two parties."""
        self.require(caller, Role.ADMIN)
        a, b = sorted((_check_id("party", party_a), _check_id("party", party_b)))
        if a == b:
            raise InputError("an agreement is between two different parties")
        checked = terms_from_json(terms, (a, b))

        def work(tx: Tx, now: float) -> dict[str, Any]:
            self._require_party(tx, a)
            self._require_party(tx, b)
            if tx.rows(
                "SELECT agreement_id FROM agreements WHERE party_a = ? AND party_b = ? "
                "AND status <> ?",
                (a, b, str(AgreementStatus.TERMINATED)),
            ):
                raise RefusedError(f"{a} and {b} have an agreement already: change it instead")
            made = Agreement(
                uuid.uuid4().hex[:16], a, b, AgreementStatus.IN_FORCE, 1, checked, now, now
            )
            self._write_agreement(tx, made, caller, insert=True)
            return made.as_json()

        with self._lock:
            body, _ = self.record_change(caller, "agreement.made", work)
            self.refresh_policy()
        return self.agreement(caller, body["agreement_id"])

    def _write_agreement(self, tx: Tx, ag: Agreement, caller: Caller, insert: bool) -> None:
        terms = audit.canonical(ag.terms.as_json())
        if insert:
            tx.run(
                f"INSERT INTO agreements ({_AGREEMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (ag.agreement_id, ag.party_a, ag.party_b, str(ag.status), ag.version, terms,
                 ag.created_s, ag.updated_s),
            )  # fmt: skip
        else:
            tx.run(
                "UPDATE agreements SET status = ?, version = ?, terms = ?, updated_s = ? "
                "WHERE agreement_id = ?",
                (str(ag.status), ag.version, terms, ag.updated_s, ag.agreement_id),
            )
        tx.run(
            "INSERT INTO agreement_history (agreement_id, version, status, terms, changed_s, "
            "actor) VALUES (?, ?, ?, ?, ?, ?)",
            (ag.agreement_id, ag.version, str(ag.status), terms, ag.updated_s, caller.actor),
        )
        for party in ag.parties:
            self.tell(tx, party, ag.updated_s, "agreement", ag.as_json())

    def change_agreement(
        self,
        caller: Caller,
        agreement_id: str,
        version: int,
        status: AgreementStatus | str | None = None,
        terms: Mapping[str, Any] | None = None,
    ) -> Agreement:
        """Change the status or the terms of an agreement at ``version`` (its current one:
        a change made meanwhile is not overwritten)."""
        self.require(caller, Role.ADMIN)
        try:
            new_status = AgreementStatus(status) if status is not None else None
        except ValueError:
            raise InputError(
                f"status {status!r} is not one of: {', '.join(s.value for s in AgreementStatus)}"
            ) from None

        def work(tx: Tx, now: float) -> dict[str, Any]:
            ag = self._load_agreement(tx, agreement_id)
            if ag.version != version:
                raise RefusedError(
                    f"agreement {agreement_id} is at version {ag.version}, not {version}"
                )
            if new_status is not None and new_status is not ag.status:
                check_move(ag, new_status)
            if ag.status is AgreementStatus.TERMINATED:
                raise RefusedError(f"agreement {agreement_id} is terminated")
            changed = Agreement(
                ag.agreement_id, ag.party_a, ag.party_b, new_status or ag.status,
                ag.version + 1,
                ag.terms if terms is None else terms_from_json(terms, ag.parties),
                ag.created_s, now,
            )  # fmt: skip
            self._write_agreement(tx, changed, caller, insert=False)
            return changed.as_json()

        with self._lock:
            self.record_change(caller, "agreement.changed", work)
            self.refresh_policy()
        return self.agreement(caller, agreement_id)

    def _load_agreement(self, tx: Tx, agreement_id: str) -> Agreement:
        rows = tx.rows(
            f"SELECT {_AGREEMENT_COLUMNS} FROM agreements WHERE agreement_id = ?", (agreement_id,)
        )
        if not rows:
            raise NotFoundError(f"no agreement {agreement_id!r}")
        return _agreement(rows[0])

    def _all_agreements(self) -> list[Agreement]:
        rows = self.store.read(
            lambda tx: tx.rows(
                f"SELECT {_AGREEMENT_COLUMNS} FROM agreements ORDER BY created_s, agreement_id"
            )
        )
        return [_agreement(r) for r in rows]

    def agreements(self, caller: Caller) -> list[Agreement]:
        """Every agreement for an admin; a party's own for anyone else."""
        found = self._all_agreements()
        if caller.role is Role.ADMIN:
            return found
        self.require(caller, Role.ADMIN, Role.OFFICER, Role.OBSERVER)
        own = self.party_of(caller)
        return [a for a in found if own in a.parties]

    def agreement(self, caller: Caller, agreement_id: str) -> Agreement:
        for a in self.agreements(caller):
            if a.agreement_id == agreement_id:
                return a
        raise NotFoundError(f"no agreement {agreement_id!r}")

    def history(self, caller: Caller, agreement_id: str) -> list[dict[str, Any]]:
        """The versions of an agreement, oldest first: status, terms, when, by whom."""
        self.agreement(caller, agreement_id)  # may the caller see it
        rows = self.store.read(
            lambda tx: tx.rows(
                "SELECT version, status, terms, changed_s, actor FROM agreement_history "
                "WHERE agreement_id = ? ORDER BY version",
                (agreement_id,),
            )
        )
        return [
            {"version": v, "status": s, "terms": json.loads(t), "changed_s": c, "actor": a}
            for v, s, t, c, a in rows
        ]

    def in_force(self, party_a: str, party_b: str) -> Agreement | None:
        for a in self._all_agreements():
            if set(a.parties) == {party_a, party_b} and a.status is AgreementStatus.IN_FORCE:
                return a
        return None

    def refresh_policy(self) -> None:
        """Set the plan store's policy (and the watch's pairs) to the agreements in force."""
        found = self._all_agreements()
        self.store.policy = policy(found)
        self._in_force = [a for a in found if a.status is AgreementStatus.IN_FORCE]

    def in_force_agreements(self) -> list[Agreement]:
        """The agreements in force (kept in step with every change made by this line)."""
        return list(self._in_force)

    # -- plans ------------------------------------------------------------------------
    # A party names its plans as it likes; the store keeps them as ``party/plan_id``, so
    # that no party learns, by a name it cannot use, that another party has a plan by it.

    def file_plan(self, caller: Caller, plan: Plan, known: Mapping[str, int] | None = None
                  ) -> Filing:  # fmt: skip
        """File (or update) a plan of the caller's party: an officer's."""
        self.require(caller, Role.OFFICER)
        party = self.party_of(caller)
        if plan.party != party:
            raise ForbiddenError("a plan is filed for the caller's own party only")
        _check_id("plan_id", plan.plan_id)
        with _named(party):
            filing = self.store.file(
                replace(plan, plan_id=_scoped(party, plan.plan_id)), known, actor=caller.actor
            )
        self.notify()
        return replace(
            filing, plan_id=plan.plan_id, notices=tuple(_own(party, n) for n in filing.notices)
        )

    def set_plan_state(self, caller: Caller, plan_id: str, state: PlanState) -> StoredPlan:
        self.require(caller, Role.OFFICER)
        party = self.party_of(caller)
        with _named(party):
            changed = self.store.set_state(_scoped(party, plan_id), party, state, caller.actor)
        return _local(changed, plan_id)

    def plans(self, caller: Caller, states: Sequence[PlanState] | None = None) -> list[StoredPlan]:
        """The caller's party's plans (officers and observers)."""
        self.require(caller, Role.OFFICER, Role.OBSERVER)
        party = self.party_of(caller)
        found = self.store.plans(party) if states is None else self.store.plans(party, states)
        return [_local(sp, sp.plan.plan_id.removeprefix(f"{party}/")) for sp in found]

    def plan(self, caller: Caller, plan_id: str) -> StoredPlan:
        self.require(caller, Role.OFFICER, Role.OBSERVER)
        party = self.party_of(caller)
        with _named(party):
            return _local(self.store.get(_scoped(party, plan_id), party), plan_id)

    def notices(self, caller: Caller, since_s: float | None = None) -> list[dict[str, Any]]:
        self.require(caller, Role.OFFICER, Role.OBSERVER)
        party = self.party_of(caller)
        found = self.store.notices(party) if since_s is None else self.store.notices(party, since_s)
        return [_own(party, n) for n in found]

    # -- events and audit -------------------------------------------------------------

    def last_event_id(self, caller: Caller) -> int:
        """The cursor of the caller's party's latest event (0: none yet): a client that has
        just read the state of things follows the stream from there."""
        self.require(caller, Role.OFFICER, Role.OBSERVER)
        party = self.party_of(caller)
        rows = self.store.read(
            lambda tx: tx.rows("SELECT MAX(event_id) FROM events WHERE party_id = ?", (party,))
        )
        return int(rows[0][0] or 0)

    def events(self, caller: Caller, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """The events told to the caller's party after the cursor ``after``, oldest first."""
        self.require(caller, Role.OFFICER, Role.OBSERVER)
        party = self.party_of(caller)
        rows = self.store.read(
            lambda tx: tx.rows(
                "SELECT event_id, at_s, kind, body FROM events WHERE party_id = ? "
                "AND event_id > ? ORDER BY event_id LIMIT ?",
                (party, int(after), int(limit)),
            )
        )
        return [{"event_id": e, "at_s": t, "kind": k, "body": json.loads(b)} for e, t, k, b in rows]

    def verify_audit(
        self, caller: Caller, receipt: audit.Receipt | None = None
    ) -> tuple[int, audit.Break | None]:
        self.require(caller, Role.ADMIN)
        rows = self.store.read(
            lambda tx: tx.rows(
                "SELECT seq, at_s, kind, actor, body, prev_sha256, sha256 FROM audit ORDER BY seq"
            )
        )
        return audit.verify(rows, receipt)
