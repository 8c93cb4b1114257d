"""The plan store: filing, updating and cancelling plans, race-free, with notices.

Filing a plan checks it against every live plan of the other parties and records it in
one transaction (``backend.py`` says how each database serialises that). The filer states,
as in ASTM F3548's "key", the versions of the other parties' plans it has been told
conflict with its own (their opaque references and versions, from earlier notices):

- no conflict: ``accepted``;
- a conflict the filer has not acknowledged (the plan is unknown to it, or has changed
  since): refused as ``missed``, with a notice for each such conflict;
- every conflict acknowledged, and the terms between the two parties allow conflicts:
  ``accepted_with_conflicts``; otherwise refused as ``conflicts``.

An accepted plan with conflicts produces a notice for both parties of each conflict. The
candidates come from the space-time cells (``plans.cells``) with plain SQL; the exact rule
(``plans.check``) runs on them only.
"""

from __future__ import annotations

import functools
import json
import math
import secrets
import threading
import time
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, cast

import numpy as np

from deconflict.errors import InputError, NotFoundError, RefusedError
from deconflict.geo import surface_ecef_point
from deconflict.plans import cells
from deconflict.plans.check import PlanConflict, Separation, VolumeConflict, volumes_conflicts
from deconflict.plans.geometry import Cap, cap
from deconflict.plans.notices import MIN_CELL_M, Sharing, notice
from deconflict.plans.validate import volume_problem
from deconflict.plans.volume import (
    LIVE_STATES,
    MAX_RADIUS_M,
    Circle,
    Outline,
    Plan,
    PlanState,
    Volume4D,
    polygon,
)
from deconflict.store.backend import Backend, Tx, chunks
from deconflict.store.schema import CREATE_MIGRATIONS, HEAD, MIGRATIONS, TYPES, statements


@dataclass(frozen=True)
class Terms:
    """What two parties agreed for their plans: the minima, what a notice discloses,
    whether a plan may be accepted with conflicts, and the size of a region's cells."""

    sep: Separation = field(default_factory=Separation)
    sharing: Sharing = Sharing.SAFETY
    allow_conflicts: bool = False
    region_cell_m: float = MIN_CELL_M


@dataclass(frozen=True)
class Policy:
    """The terms between every pair of parties: ``pairs`` (unordered), else ``default``.
    ``None`` means no agreement: the two parties' plans are not checked against each other
    and nothing about one reaches the other."""

    default: Terms | None = Terms()
    pairs: Mapping[frozenset[str], Terms | None] = field(default_factory=dict)

    def terms(self, a: str, b: str) -> Terms | None:
        return self.pairs.get(frozenset((a, b)), self.default)

    def _all(self) -> list[Terms]:
        return [t for t in (self.default, *self.pairs.values()) if t is not None]

    @property
    def max_hsep_m(self) -> float:
        return max((t.sep.hsep_m for t in self._all()), default=0.0)

    @property
    def max_vsep_ft(self) -> float:
        return max((t.sep.vsep_ft for t in self._all()), default=0.0)


class Status(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_CONFLICTS = "accepted_with_conflicts"
    MISSED = "missed"
    CONFLICTS = "conflicts"


@dataclass(frozen=True)
class Filing:
    """The answer to a filing. ``notices`` are the filer's notices of the conflicts (for a
    ``missed`` filing, of those it had not acknowledged)."""

    status: Status
    plan_id: str
    version: int | None
    ref: str | None
    notices: tuple[dict[str, Any], ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status in (Status.ACCEPTED, Status.ACCEPTED_WITH_CONFLICTS)


@dataclass(frozen=True)
class StoredPlan:
    plan: Plan
    ref: str
    status: str
    created_s: float
    updated_s: float


def encode_outline(outline: Outline) -> str:
    if isinstance(outline, Circle):
        return json.dumps({"c": [outline.lat_deg, outline.lon_deg, outline.radius_m]})
    return json.dumps({"p": [r.ravel().tolist() for r in outline.rings]})


def decode_outline(text: str) -> Outline:
    data = json.loads(text)
    if "c" in data:
        lat, lon, r = data["c"]
        return Circle(lat, lon, r)
    return polygon(*(np.asarray(r, dtype=np.float64).reshape(-1, 2) for r in data["p"]))


def _cap_of(lat: float, lon: float, radius: float) -> Cap:
    return Cap(lat, lon, radius, surface_ecef_point(lat, lon))


@dataclass(frozen=True)
class _VolumeRows:
    """The rows of one plan's volumes, and of their cells."""

    volumes: list[tuple[Any, ...]]
    cells: list[tuple[Any, ...]]


#: (plan id, index): a volume in the store
_Key = tuple[str, int]

#: past this many plans changed since a filing's snapshot, the write transaction finds
#: the candidates among them in the cells, as the snapshot did, not plan by plan
_CHANGED_LOOKED_UP = 64

#: the bounds a volume of another party's plan must meet to be a candidate for the exact
#: rule: time windows that overlap, bands less than V apart, and caps whose centres are
#: less than r_a + r_b + H apart (outlines less than H apart have such caps)
_NEAR = (
    "time_start_s < ? AND time_end_s > ? AND alt_lower_ft < ? AND alt_upper_ft > ? "
    "AND (cap_x_m - ?) * (cap_x_m - ?) + (cap_y_m - ?) * (cap_y_m - ?) "
    "+ (cap_z_m - ?) * (cap_z_m - ?) < (cap_radius_m + ?) * (cap_radius_m + ?) "
    "AND party <> ? AND plan_id <> ?"
)

#: the coarsest level of the cells a volume is registered at: that of the widest cap a
#: valid volume may have (``_validate`` refuses wider ones), so no cell coarser is probed
_COARSEST_LEVEL = cells.level_for(2.0 * MAX_RADIUS_M)

#: the most ranges scanned in one statement (SQLite), and a range that holds nothing
#: (no bucket is negative) to pad a statement's list with
_PROBES_AT_ONCE = 512
_EMPTY_PROBE = [-1, 1, 0]


@functools.lru_cache(maxsize=16)
def _probe_sql(size: int) -> str:
    """SQLite's statement for ``size`` ranges of cells, then the parameters of ``_NEAR``."""
    ranges = ", ".join(["(?, ?, ?)"] * size)
    return (
        f"WITH probe (b, lo, hi) AS (VALUES {ranges}) "
        "SELECT plan_id, idx FROM probe CROSS JOIN volume_cells "
        f"WHERE bucket = probe.b AND cell BETWEEN probe.lo AND probe.hi AND {_NEAR}"
    )


_VOLUME_COLUMNS = (
    "plan_id, idx, time_start_s, time_end_s, alt_lower_ft, alt_upper_ft, "
    "cap_lat_deg, cap_lon_deg, cap_radius_m, outline"
)
_VOLUME_INSERT = (
    "plan_id", "idx", "party", "time_start_s", "time_end_s", "alt_lower_ft", "alt_upper_ft",
    "cap_lat_deg", "cap_lon_deg", "cap_radius_m", "outline",
)  # fmt: skip
_CELL_COLUMNS = (
    "bucket", "cell", "plan_id", "idx", "party", "time_start_s", "time_end_s", "alt_lower_ft",
    "alt_upper_ft", "cap_x_m", "cap_y_m", "cap_z_m", "cap_radius_m",
)  # fmt: skip
_PLAN_COLUMNS = (
    "plan_id", "ref", "party", "state", "status", "version", "created_s", "updated_s", "seq",
    "meta",
)  # fmt: skip
#: the notice regions kept between filings (a plan refused as ``missed`` is usually filed
#: again at once, with the same conflicts)
_REGIONS_KEPT = 4096
#: the exact rule's answers kept (pairs of volumes)
_EXACT_KEPT = 16_384
_NOTICE_COLUMNS = ("notice_id", "party", "plan_id", "other_ref", "created_s", "body")


@dataclass
class _Candidate:
    plan_id: str
    party: str
    version: int
    ref: str


@dataclass(eq=False)
class _Pending:
    """A write waiting for its group: the work, then its value or its error."""

    work: Callable[[Tx], Any]
    value: Any = None
    error: BaseException | None = None
    done: bool = False


#: the exact rule's answers kept: (own volume, other plan, its volume, its version, the
#: minima) -> the conflict (its indices as computed), or None
_ExactKey = tuple[Volume4D, str, int, int, Separation]

#: told of each change inside the transaction that makes it: (transaction, kind, who made
#: it, what it is); kinds: ``plan.filed``, ``plan.state``, ``notice``
Journal = Callable[[Tx, str, str, dict[str, Any]], None]


@dataclass(frozen=True)
class _Decision:
    """What a filing comes to on what a transaction sees: the answer, the plan's state,
    version and reference before it, and for an acceptance the notices of each conflict
    (the other plan; the filer's notice; the other party's)."""

    filing: Filing
    state: str
    version: int
    ref: str
    notes: tuple[tuple[_Candidate, dict[str, Any], dict[str, Any]], ...]


class PlanStore:
    """Plans in a database (``open_store`` makes one from a URL)."""

    def __init__(
        self,
        backend: Backend,
        policy: Policy = Policy(),
        clock: Callable[[], float] = time.time,
        attempts: int = 50,
    ) -> None:
        self.backend, self.policy, self.clock, self.attempts = backend, policy, clock, attempts
        self._write_lock = threading.Lock()  # held by the thread writing a group
        self._pending_lock = threading.Lock()
        self._pending: list[_Pending] = []
        self._readers = threading.local()
        self._opened: list[Backend] = []
        self._single = False
        self._regions: OrderedDict[tuple[Outline, Outline, float, float], set[tuple[int, int]]] = (
            OrderedDict()
        )
        self._regions_lock = threading.Lock()
        self._exact: OrderedDict[_ExactKey, VolumeConflict | None] = OrderedDict()
        self._exact_lock = threading.Lock()
        #: the line's audit chain and event log, written in the transaction of each change
        self.journal: Journal | None = None
        try:
            self.migrate()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> PlanStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------

    def read(self, work: Callable[[Tx], Any]) -> Any:
        """``work`` in a reading transaction (on this thread's connection)."""
        return self._in_tx(False, work)

    def write(self, work: Callable[[Tx], Any]) -> Any:
        """``work`` in the write transaction of the store (serialised with filings, grouped
        with other threads' writes); returns once it is durable."""
        return self._in_tx(True, work)

    def _in_tx(self, write: bool, work: Callable[[Tx], Any]) -> Any:
        """Run ``work`` in a transaction: a write on the store's one writing connection, in
        a group with the writes other threads are waiting to make (``_write``); a read on
        the thread's own connection, so that reads never wait for writes."""
        if write:
            return self._write(work)
        reader = self._reader()
        if reader is None:  # one connection only: reads wait their turn
            with self._write_lock:
                return self._run(self.backend, False, work)
        return self._run(reader, False, work)

    def _run(self, backend: Backend, write: bool, work: Callable[[Tx], Any]) -> Any:
        """``work`` in a transaction on ``backend``, run again after a retryable error."""
        delay = 0.001
        for attempt in range(self.attempts):
            try:
                with backend.transaction(write) as tx:
                    return work(tx)
            except backend.retryable:
                if attempt == self.attempts - 1:
                    raise
                time.sleep(delay * (1.0 + secrets.randbelow(1000) / 1000.0))
                delay = min(0.1, delay * 2.0)
        raise AssertionError("unreachable")

    def _reader(self) -> Backend | None:
        """This thread's reading connection (None when the database allows only one)."""
        reader: Backend | None = getattr(self._readers, "backend", None)
        if reader is None and not self._single:
            reader = self.backend.connect_again()
            if reader is None:
                self._single = True
                return None
            self._readers.backend = reader
            with self._pending_lock:
                self._opened.append(reader)
        return reader

    def _write(self, work: Callable[[Tx], Any]) -> Any:
        """Run ``work`` in a write transaction, together with the writes other threads are
        waiting to make (group commit): one of them takes the write lock and runs them all,
        each in its own savepoint (a refusal or an error undoes that one only), in one
        transaction, and so one commit, one wait for the disk, for all. Each sees the ones
        before it, as if they had been written one after another."""
        item = _Pending(work)
        with self._pending_lock:
            self._pending.append(item)
        with self._write_lock:
            if not item.done:
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                self._write_batch(batch)
        if item.error is not None:
            raise item.error
        return item.value

    def _write_batch(self, batch: list[_Pending]) -> None:
        def run(tx: Tx) -> None:
            for item in batch:
                if len(batch) == 1:  # alone: its error undoes the transaction
                    item.value = item.work(tx)
                    continue
                tx.run("SAVEPOINT filing")
                try:
                    item.value, item.error = item.work(tx), None
                except self.backend.retryable:
                    raise  # the whole group is run again
                except Exception as e:
                    tx.run("ROLLBACK TO SAVEPOINT filing")
                    item.error = e
                tx.run("RELEASE SAVEPOINT filing")

        try:
            self._run(self.backend, True, run)
        except BaseException as e:
            for item in batch:
                item.error = e
            if not isinstance(e, Exception):
                raise
        finally:
            for item in batch:
                item.done = True

    def migrate(self) -> int:
        """Apply the missing migrations; the schema version now."""
        types = TYPES[self.backend.dialect]
        self.backend.ensure_schema_table(CREATE_MIGRATIONS.format(**types))
        current = self.schema_version()
        if current > HEAD:
            raise RefusedError(
                f"the database has schema version {current}, newer than this deconflict "
                f"({HEAD}): upgrade deconflict"
            )
        for m in MIGRATIONS:
            if m.version <= current:
                continue

            def apply(tx: Tx, m: Any = m) -> None:
                if tx.rows("SELECT 1 FROM schema_migrations WHERE version = ?", (m.version,)):
                    return  # applied meanwhile by another process
                for sql in statements(m, self.backend.dialect):
                    tx.run(sql)
                tx.run(
                    "INSERT INTO schema_migrations (version, description, applied_s) "
                    "VALUES (?, ?, ?)",
                    (m.version, m.description, self.clock()),
                )

            self._in_tx(True, apply)
        return self.schema_version()

    def schema_version(self) -> int:
        rows = self._in_tx(False, lambda tx: tx.rows("SELECT MAX(version) FROM schema_migrations"))
        return int(rows[0][0] or 0)

    def close(self) -> None:
        with self._pending_lock:
            opened, self._opened = self._opened, []
        for reader in opened:
            reader.close()
        self.backend.close()

    # -- the check ---------------------------------------------------------------------

    def _candidates(
        self, tx: Tx, plan: Plan, caps: Sequence[Cap]
    ) -> dict[int, set[tuple[str, int]]]:
        """For each volume of the plan, the live volumes of other parties that the cells
        and the bounds in time and altitude leave in: one indexed range scan per probe range
        (the ancestors' cells are ranges of one key) and bucket, with the bounds in time and
        altitude, and the caps (outlines less than H apart have caps whose centres are less
        than r_a + r_b + H apart)."""
        found: dict[int, set[tuple[str, int]]] = defaultdict(set)
        probes: list[tuple[int, list[tuple[int, int, int]], tuple[Any, ...]]] = []
        for v, (vol, c) in enumerate(zip(plan.volumes, caps, strict=True)):
            ranges = cells.probe_ranges(
                c.centre_ecef_m, c.radius_m + self.policy.max_hsep_m, _COARSEST_LEVEL
            )
            times = cells.buckets(vol.time_start_s, vol.time_end_s)
            rows = [(b, lo, hi) for b in times for lo, hi in ranges]
            probes.append((v, rows, self._near_bounds(plan, vol, c)))
        if self.backend.dialect == "sqlite":
            # every scan of a volume in one statement: a list of the ranges joined to the
            # cells, the list first (SQLite runs a join in the order given by CROSS JOIN),
            # padded with empty ranges to a few lengths, so that few statements are prepared
            for v, rows, bounds in probes:
                for chunk in chunks(rows, _PROBES_AT_ONCE):
                    size = max(8, 1 << (len(chunk) - 1).bit_length())
                    params = [x for row in chunk for x in row]
                    params += _EMPTY_PROBE * (size - len(chunk))
                    for plan_id, idx in tx.rows(_probe_sql(size), (*params, *bounds)):
                        found[v].add((plan_id, idx))
            return found
        # PostgreSQL: a join of a list with the cells leaves its planner a hash join over
        # the whole table: one statement per range and bucket, pipelined, and the single
        # keys (the ancestors' cells) of every bucket in one statement per volume
        select = (
            "SELECT plan_id, idx, CAST(? AS INTEGER) FROM volume_cells "
            f"WHERE bucket = ? AND cell BETWEEN ? AND ? AND {_NEAR}"
        )
        params_each: list[tuple[Any, ...]] = []
        keyed: list[tuple[int, list[int], list[int], tuple[Any, ...]]] = []
        for v, rows, bounds in probes:
            buckets = sorted({b for b, _, _ in rows})
            keys = sorted({lo for _, lo, hi in rows if lo == hi})
            if keys:
                keyed.append((v, buckets, keys, bounds))
            params_each += [(v, b, lo, hi, *bounds) for b, lo, hi in rows if lo != hi]
        for plan_id, idx, v in tx.rows_each(select, params_each):
            found[int(v)].add((str(plan_id), int(idx)))
        for v, buckets, keys, bounds in keyed:
            # lists padded to a few lengths, so that few statements are prepared
            buckets += buckets[-1:] * (-len(buckets) % 4)
            keys += keys[-1:] * (-len(keys) % 16)
            for plan_id, idx in tx.rows(
                "SELECT plan_id, idx FROM volume_cells "
                f"WHERE bucket IN ({', '.join('?' * len(buckets))}) "
                f"AND cell IN ({', '.join('?' * len(keys))}) AND {_NEAR}",
                (*buckets, *keys, *bounds),
            ):
                found[v].add((str(plan_id), int(idx)))
        return found

    def _near_bounds(self, plan: Plan, vol: Volume4D, c: Cap) -> tuple[Any, ...]:
        """The parameters of ``_NEAR`` for one volume of a plan."""
        r, vsep = c.radius_m + self.policy.max_hsep_m, self.policy.max_vsep_ft
        x, y, z = c.centre_ecef_m
        a0, a1 = vol.alt_lower_ft - vsep, vol.alt_upper_ft + vsep
        return (vol.time_end_s, vol.time_start_s, a1, a0,
                x, x, y, y, z, z, r, r, plan.party, plan.plan_id)  # fmt: skip

    def _candidates_among(
        self, tx: Tx, plan: Plan, caps: Sequence[Cap], plan_ids: Iterable[str]
    ) -> dict[int, set[tuple[str, int]]]:
        """``_candidates`` among the given plans only: the same bounds, looked up by plan
        (a few plans changed since a snapshot) instead of by cell."""
        found: dict[int, set[tuple[str, int]]] = defaultdict(set)
        for chunk in chunks(sorted(plan_ids), 400):
            marks = ", ".join("?" * len(chunk))
            for v, (vol, c) in enumerate(zip(plan.volumes, caps, strict=True)):
                for plan_id, idx in tx.rows(
                    f"SELECT DISTINCT plan_id, idx FROM volume_cells "
                    f"WHERE plan_id IN ({marks}) AND {_NEAR}",
                    (*chunk, *self._near_bounds(plan, vol, c)),
                ):
                    found[v].add((str(plan_id), int(idx)))
        return found

    def _volumes(
        self, tx: Tx, keys: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], tuple[Volume4D, Cap]]:
        out: dict[tuple[str, int], tuple[Volume4D, Cap]] = {}
        for chunk in chunks(sorted(set(keys)), 400):
            values = ", ".join(["(?, ?)"] * len(chunk))
            rows = tx.rows(
                f"WITH k (pid, i) AS (VALUES {values}) "
                f"SELECT {_VOLUME_COLUMNS} FROM k JOIN volumes ON plan_id = k.pid AND idx = k.i",
                [x for k in chunk for x in k],
            )
            for pid, idx, t0, t1, a0, a1, lat, lon, r, outline in rows:
                vol = Volume4D(decode_outline(outline), a0, a1, t0, t1)
                out[(pid, int(idx))] = (vol, _cap_of(lat, lon, r))
        return out

    def _plans_info(self, tx: Tx, plan_ids: Iterable[str]) -> dict[str, _Candidate]:
        out = {}
        for chunk in chunks(sorted(set(plan_ids)), 500):
            marks = ", ".join("?" * len(chunk))
            for pid, party, version, ref in tx.rows(
                f"SELECT plan_id, party, version, ref FROM plans WHERE plan_id IN ({marks})",
                list(chunk),
            ):
                out[pid] = _Candidate(pid, party, int(version), ref)
        return out

    def _conflicts(
        self,
        tx: Tx,
        plan: Plan,
        caps: Sequence[Cap],
        found: Mapping[int, set[tuple[str, int]]],
    ) -> list[tuple[PlanConflict, _Candidate, Terms]]:
        """The plan's conflicts with the live plans of other parties, among the candidates
        ``found`` for each of its volumes. The exact rule's answers are kept by the two
        volumes (the other one by plan, index and version) and the minima: a filing
        after a ``missed`` answer, or a write after its snapshot, does not compute again
        those it already has."""
        if not found:
            return []
        keys = {(pid, idx) for ks in found.values() for pid, idx in ks}
        info = self._plans_info(tx, (pid for pid, _ in keys))
        terms_of = {
            party: self.policy.terms(plan.party, party)
            for party in {o.party for o in info.values()}
        }
        # the answers kept, then the exact rule for each own volume and separation at once
        answer: dict[tuple[int, str, int], VolumeConflict | None] = {}
        batches: dict[tuple[int, Separation], list[tuple[str, int]]] = defaultdict(list)
        with self._exact_lock:
            for v, ks in found.items():
                for pid, idx in ks:
                    terms = terms_of[info[pid].party]
                    if terms is None:
                        continue
                    key = (plan.volumes[v], pid, idx, info[pid].version, terms.sep)
                    if key in self._exact:
                        answer[(v, pid, idx)] = self._exact[key]
                        self._exact.move_to_end(key)
                    else:
                        batches[(v, terms.sep)].append((pid, idx))
        volumes = self._volumes(tx, (k for batch in batches.values() for k in batch))
        for (v, sep), batch in batches.items():
            answers = volumes_conflicts(
                plan.volumes[v],
                caps[v],
                [volumes[k][0] for k in batch],
                [volumes[k][1] for k in batch],
                sep,
            )
            with self._exact_lock:
                for (pid, idx), hit in zip(batch, answers, strict=True):
                    answer[(v, pid, idx)] = hit
                    self._exact[(plan.volumes[v], pid, idx, info[pid].version, sep)] = hit
                while len(self._exact) > _EXACT_KEPT:
                    self._exact.popitem(last=False)
        hits: dict[str, list[VolumeConflict]] = defaultdict(list)
        for (v, pid, idx), hit in answer.items():
            if hit is not None:
                hits[pid].append(replace(hit, index_a=v, index_b=idx))
        out = []
        for pid, vc in sorted(hits.items()):
            other = info[pid]
            terms = terms_of[other.party]
            assert terms is not None
            vc.sort(key=lambda c: (c.index_a, c.index_b))
            if plan.plan_id < pid:
                conflict = PlanConflict(plan.plan_id, pid, plan.party, other.party, tuple(vc))
            else:
                flipped = tuple(
                    VolumeConflict(c.index_b, c.index_a, c.time_start_s, c.time_end_s,
                                   c.alt_lower_ft, c.alt_upper_ft)
                    for c in vc
                )  # fmt: skip
                conflict = PlanConflict(pid, plan.plan_id, other.party, plan.party, flipped)
            out.append((conflict, other, terms))
        return out

    def _load_plans(self, tx: Tx, where: str, params: Sequence[Any]) -> list[StoredPlan]:
        """The plans that ``where`` selects, by plan id, with their volumes: two queries."""
        rows = tx.rows(
            "SELECT plan_id, party, state, status, version, ref, created_s, updated_s, meta "
            f"FROM plans WHERE {where} ORDER BY plan_id",
            params,
        )
        volumes: dict[str, list[Volume4D]] = defaultdict(list)
        for pid, _, t0, t1, a0, a1, _, _, _, o in tx.rows(
            f"SELECT {_VOLUME_COLUMNS} FROM volumes WHERE plan_id IN "
            f"(SELECT plan_id FROM plans WHERE {where}) ORDER BY plan_id, idx",
            params,
        ):
            volumes[pid].append(Volume4D(decode_outline(o), a0, a1, t0, t1))
        return [
            StoredPlan(
                Plan(
                    pid,
                    party,
                    tuple(volumes[pid]),
                    PlanState(state),
                    int(version),
                    json.loads(meta),
                ),
                ref,
                status,
                created,
                updated,
            )
            for pid, party, state, status, version, ref, created, updated, meta in rows
        ]

    def _load_plan(self, tx: Tx, plan_id: str) -> StoredPlan | None:
        found = self._load_plans(tx, "plan_id = ?", (plan_id,))
        return found[0] if found else None

    def _existing(self, tx: Tx, plan: Plan) -> tuple[tuple[str, int, str] | None, int]:
        """The state, version and reference of the plan a filing updates (None for a new
        plan), or why the filing cannot be made; and the sequence number of the last change
        (``_mark``), in the same statement."""
        (mark, party, state, version, ref), *_ = tx.rows(
            "SELECT m.seq, p.party, p.state, p.version, p.ref "
            "FROM (SELECT COALESCE(MAX(seq), 0) AS seq FROM plans) AS m "
            "LEFT JOIN plans AS p ON p.plan_id = ?",
            (plan.plan_id,),
        )
        if party is None:
            if plan.version != 0:
                raise NotFoundError(f"no plan {plan.plan_id!r} to update")
            return None, int(mark)
        if party != plan.party:
            raise RefusedError(f"plan {plan.plan_id!r} belongs to another party")
        if PlanState(state) not in LIVE_STATES:
            raise RefusedError(f"plan {plan.plan_id!r} is {state}: it cannot be changed")
        if plan.version != version:
            raise RefusedError(
                f"plan {plan.plan_id!r} is at version {version}, not {plan.version}: "
                "read it again before updating it"
            )
        return (str(state), int(version), str(ref)), int(mark)

    @staticmethod
    def _mark(tx: Tx) -> int:
        """The sequence number of the last change (every write gives the plans it changes
        the next one)."""
        return int(tx.rows("SELECT COALESCE(MAX(seq), 0) FROM plans")[0][0])

    def _notice(
        self,
        conflict: PlanConflict,
        own: Plan,
        other: Plan,
        other_ref: str,
        terms: Terms,
    ) -> dict[str, Any]:
        """A notice, with the regions of its pairs of volumes kept (by the two outlines) for
        the other party's notice and for the next filing of the same plan."""
        a, b = (own, other) if conflict.plan_a == own.plan_id else (other, own)
        keys = {
            (v.index_a, v.index_b): (
                a.volumes[v.index_a].outline,  # outlines compare and hash by value
                b.volumes[v.index_b].outline,
                terms.sep.hsep_m,
                terms.region_cell_m,
            )
            for v in conflict.volumes
        }
        with self._regions_lock:
            regions = {pair: self._regions[k] for pair, k in keys.items() if k in self._regions}
        body = notice(
            conflict, own, other, other_ref, terms.sharing, terms.sep, terms.region_cell_m, regions
        )
        with self._regions_lock:
            for pair, k in keys.items():
                self._regions[k] = regions[pair]
                self._regions.move_to_end(k)
            while len(self._regions) > _REGIONS_KEPT:
                self._regions.popitem(last=False)
        return body

    # -- public ------------------------------------------------------------------------

    def check(self, plan: Plan) -> list[PlanConflict]:
        """The conflicts a plan would have with the live plans of other parties (nothing is
        written)."""
        caps = _validate(plan)
        found = self._in_tx(
            False, lambda tx: self._conflicts(tx, plan, caps, self._candidates(tx, plan, caps))
        )
        return [c for c, _, _ in found]

    def file(self, plan: Plan, known: Mapping[str, int] | None = None, actor: str = "") -> Filing:
        """File a new plan (``plan.version`` 0) or update one (``plan.version`` its current
        version). ``known`` maps the references of other parties' plans the filer was told
        about to the versions it was told of; ``actor`` (who files) goes to the journal.

        The check runs first on a snapshot, outside the write lock; a refusal is answered
        from it (as of that snapshot). An acceptance is then made in the write transaction,
        which looks again only at the plans changed since the snapshot (their sequence
        numbers are higher): filings wait for each other only while they write."""
        caps = _validate(plan)
        known = dict(known or {})
        built: dict[tuple[str, int, str], dict[str, Any]] = {}

        def decide(
            tx: Tx, existing: tuple[str, int, str] | None, found: Mapping[int, set[_Key]]
        ) -> _Decision:
            state, version, ref = existing or (str(PlanState.ACCEPTED), 0, "")
            ref = ref or new_ref
            me = replace(plan, version=version + 1)
            conflicts = self._conflicts(tx, plan, caps, found)
            missed = [(c, o, t) for c, o, t in conflicts if known.get(o.ref) != o.version]
            refused = bool(missed) or not all(t.allow_conflicts for _, _, t in conflicts)
            others: dict[str, StoredPlan | None] = {}

            def once(c: PlanConflict, o: _Candidate, t: Terms, theirs: bool) -> dict[str, Any]:
                key = (o.plan_id, o.version, "theirs" if theirs else "")
                if key not in built:
                    if o.plan_id not in others:
                        others[o.plan_id] = self._load_plan(tx, o.plan_id)
                    other = others[o.plan_id]
                    assert other is not None
                    if theirs:
                        mine = replace(me, state=PlanState(state))
                        built[key] = self._notice(c, other.plan, mine, ref, t)
                    else:
                        built[key] = self._notice(c, me, other.plan, o.ref, t)
                return built[key]

            if refused:  # with the notices of what was missed, else of every conflict
                told = tuple(once(c, o, t, False) for c, o, t in (missed or conflicts))
                status = Status.MISSED if missed else Status.CONFLICTS
                return _Decision(
                    Filing(status, plan.plan_id, None, None, told), state, version, ref, ()
                )
            notes = tuple((o, once(c, o, t, False), once(c, o, t, True)) for c, o, t in conflicts)
            status = Status.ACCEPTED_WITH_CONFLICTS if conflicts else Status.ACCEPTED
            filing = Filing(status, plan.plan_id, version + 1, ref, tuple(n for _, n, _ in notes))
            return _Decision(filing, state, version, ref, notes)

        new_ref = secrets.token_hex(12)
        rows = self._volume_rows(plan, caps)
        meta = json.dumps(plan.meta)

        def draft(tx: Tx) -> tuple[int, dict[int, set[_Key]], _Decision]:
            found = self._candidates(tx, plan, caps)
            existing, mark = self._existing(tx, plan)
            return mark, found, decide(tx, existing, found)

        mark, found, first = self._in_tx(False, draft)
        first = cast(_Decision, first)
        if not first.filing.accepted:
            return first.filing

        def commit(tx: Tx) -> Filing:
            now_existing, last = self._existing(tx, plan)
            d: _Decision = first
            if last != mark:
                changed = {
                    str(pid)
                    for (pid,) in tx.rows("SELECT plan_id FROM plans WHERE seq > ?", (mark,))
                }
                if len(changed) > _CHANGED_LOOKED_UP:  # many: probe the cells again
                    now_found = self._candidates(tx, plan, caps)
                else:  # the snapshot's candidates, less the changed plans, and theirs now
                    now_found = defaultdict(set)
                    for v, keys in found.items():
                        now_found[v] = {k for k in keys if k[0] not in changed}
                    for v, keys in self._candidates_among(tx, plan, caps, changed).items():
                        now_found[v] |= keys
                d = decide(tx, now_existing, now_found)
                if not d.filing.accepted:
                    return d.filing
            now = self.clock()
            seq = last + 1
            status = str(d.filing.status)
            if now_existing:
                tx.run(
                    "UPDATE plans SET version = ?, status = ?, updated_s = ?, seq = ?, meta = ? "
                    "WHERE plan_id = ?",
                    (d.version + 1, status, now, seq, meta, plan.plan_id),
                )
                tx.run("DELETE FROM volume_cells WHERE plan_id = ?", (plan.plan_id,))
                tx.run("DELETE FROM volumes WHERE plan_id = ?", (plan.plan_id,))
            else:
                tx.insert(
                    "plans",
                    _PLAN_COLUMNS,
                    [(plan.plan_id, d.ref, plan.party, d.state, status, d.version + 1, now, now,
                      seq, meta)],
                )  # fmt: skip
            self._write_volumes(tx, rows)
            records = []
            for o, mine, theirs in d.notes:
                records.append(
                    (uuid.uuid4().hex, plan.party, plan.plan_id, o.ref, now, json.dumps(mine))
                )
                records.append(
                    (uuid.uuid4().hex, o.party, o.plan_id, d.ref, now, json.dumps(theirs))
                )
            if records:
                tx.insert("notices", _NOTICE_COLUMNS, records)
            if self.journal is not None:
                self.journal(tx, "plan.filed", actor, {
                    "plan_id": plan.plan_id, "party": plan.party, "ref": d.ref,
                    "version": d.version + 1, "status": status, "state": d.state,
                    "volumes": [list(v) for v in rows.volumes], "meta": plan.meta,
                })  # fmt: skip
                for notice_id, party, plan_id, _, _, body in records:
                    self.journal(tx, "notice", actor, {
                        "notice_id": notice_id, "party": party, "plan_id": plan_id,
                        "created_s": now, **json.loads(body),
                    })  # fmt: skip
            return d.filing

        result: Filing = self._in_tx(True, commit)
        return result

    @staticmethod
    def _volume_rows(plan: Plan, caps: Sequence[Cap]) -> _VolumeRows:
        """The rows of a plan's volumes and of their cells (made before the write lock is
        taken: they depend on the plan only)."""
        vols, cell_rows = [], []
        for i, (v, c) in enumerate(zip(plan.volumes, caps, strict=True)):
            vols.append(
                (plan.plan_id, i, plan.party, v.time_start_s, v.time_end_s, v.alt_lower_ft,
                 v.alt_upper_ft, c.lat_deg, c.lon_deg, c.radius_m, encode_outline(v.outline))
            )  # fmt: skip
            keys = cells.cell_keys(c.centre_ecef_m, c.radius_m)
            for b in cells.buckets(v.time_start_s, v.time_end_s):
                for k in keys:
                    cell_rows.append(
                        (b, k, plan.plan_id, i, plan.party, v.time_start_s, v.time_end_s,
                         v.alt_lower_ft, v.alt_upper_ft, *c.centre_ecef_m, c.radius_m)
                    )  # fmt: skip
        return _VolumeRows(vols, cell_rows)

    @staticmethod
    def _write_volumes(tx: Tx, rows: _VolumeRows) -> None:
        tx.insert("volumes", _VOLUME_INSERT, rows.volumes)
        tx.insert("volume_cells", _CELL_COLUMNS, rows.cells)

    def import_plans(self, plans: Sequence[Plan], validate: bool = True) -> None:
        """Record plans as accepted without checking them against each other (a restore, or
        plans deconflicted elsewhere), in one transaction. ``validate=False`` skips the
        validation of their volumes too: only for plans this program wrote."""
        if validate:
            caps = [_validate(p) for p in plans]
        else:
            caps = [[cap(v.outline) for v in p.volumes] for p in plans]
        now = self.clock()
        rows = [self._volume_rows(p, c) for p, c in zip(plans, caps, strict=True)]

        def work(tx: Tx) -> None:
            seq = self._mark(tx) + 1
            tx.insert(
                "plans",
                _PLAN_COLUMNS,
                [(p.plan_id, secrets.token_hex(12), p.party, str(PlanState.ACCEPTED),
                  str(Status.ACCEPTED), 1, now, now, seq, json.dumps(p.meta)) for p in plans],
            )  # fmt: skip
            for r in rows:
                self._write_volumes(tx, r)

        self._in_tx(True, work)

    def get(self, plan_id: str, party: str | None = None) -> StoredPlan:
        """A plan; with ``party``, only if it is that party's."""
        found: StoredPlan | None = self._in_tx(False, lambda tx: self._load_plan(tx, plan_id))
        if found is None or (party is not None and found.plan.party != party):
            raise NotFoundError(f"no plan {plan_id!r}")
        return found

    def plans(
        self, party: str | None = None, states: Sequence[PlanState] = LIVE_STATES
    ) -> list[StoredPlan]:
        """Plans, of one party or all, in the given states, by plan id."""
        marks = ", ".join("?" * len(states))
        where = f"state IN ({marks})"
        params: list[Any] = [str(s) for s in states]
        if party is not None:
            where += " AND party = ?"
            params.append(party)
        result: list[StoredPlan] = self._in_tx(
            False, lambda tx: self._load_plans(tx, where, params)
        )
        return result

    _MOVES: Mapping[PlanState, tuple[PlanState, ...]] = {
        PlanState.ACCEPTED: (PlanState.ACTIVATED, PlanState.CANCELLED),
        PlanState.ACTIVATED: (PlanState.ENDED, PlanState.CANCELLED),
    }

    def set_state(self, plan_id: str, party: str, state: PlanState, actor: str = "") -> StoredPlan:
        """Move a plan of ``party`` to a new state (accepted → activated → ended; accepted
        or activated → cancelled). Ended and cancelled plans leave the index."""

        def work(tx: Tx) -> StoredPlan:
            rows = tx.rows("SELECT party, state, version FROM plans WHERE plan_id = ?", (plan_id,))
            if not rows or rows[0][0] != party:
                raise NotFoundError(f"no plan {plan_id!r}")
            current = PlanState(rows[0][1])
            if state not in self._MOVES.get(current, ()):
                raise RefusedError(f"plan {plan_id!r} is {current}: it cannot become {state}")
            tx.run(
                "UPDATE plans SET state = ?, version = ?, updated_s = ?, seq = ? WHERE plan_id = ?",
                (str(state), int(rows[0][2]) + 1, self.clock(), self._mark(tx) + 1, plan_id),
            )
            if state not in LIVE_STATES:
                tx.run("DELETE FROM volume_cells WHERE plan_id = ?", (plan_id,))
            found = self._load_plan(tx, plan_id)
            assert found is not None
            if self.journal is not None:
                self.journal(tx, "plan.state", actor, {
                    "plan_id": plan_id, "party": party, "state": str(state),
                    "version": found.plan.version,
                })  # fmt: skip
            return found

        result: StoredPlan = self._in_tx(True, work)
        return result

    def cancel(self, plan_id: str, party: str, actor: str = "") -> StoredPlan:
        return self.set_state(plan_id, party, PlanState.CANCELLED, actor)

    def notices(self, party: str, since_s: float = -math.inf) -> list[dict[str, Any]]:
        """The notices of a party, oldest first, each with its id and time."""
        rows = self._in_tx(
            False,
            lambda tx: tx.rows(
                "SELECT notice_id, created_s, body FROM notices WHERE party = ? AND created_s > ? "
                "ORDER BY created_s, notice_id",
                (party, since_s if math.isfinite(since_s) else -1e300),
            ),
        )
        return [{"notice_id": i, "created_s": t, **json.loads(b)} for i, t, b in rows]


def _validate(plan: Plan) -> list[Cap]:
    """Refuse a plan that cannot be filed; its volumes' caps (computed once, for both)."""
    if not plan.plan_id or not plan.party:
        raise InputError("a plan needs a plan_id and a party")
    if not plan.volumes:
        raise InputError(f"plan {plan.plan_id!r} has no volume")
    caps = []
    for i, v in enumerate(plan.volumes):
        c = cap(v.outline)
        problem = volume_problem(v, c)
        if problem:
            raise InputError(f"plan {plan.plan_id!r} volume {i}: {problem}")
        caps.append(c)
    return caps
