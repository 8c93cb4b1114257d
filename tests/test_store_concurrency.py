"""Concurrent filings, from threads and from processes, on both backends: two plans that
conflict are never both accepted unless one saw the other."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace

import pytest

from deconflict.errors import RefusedError
from deconflict.plans.check import check_plans
from deconflict.plans.volume import Plan
from deconflict.store import Filing, PlanStore, Policy, Status, Terms, open_store
from deconflict.store.backend import Tx
from plan_factory import plan, random_plans, square


def _no_accepted_conflicts(url: str) -> list[str]:
    with open_store(url) as store:
        live = [p.plan for p in store.plans()]
    assert check_plans(live) == [], "two accepted plans of different parties conflict"
    return sorted(p.plan_id for p in live)


def _file_all(
    url: str, plans: list[Plan], barrier: threading.Barrier | None = None
) -> list[Filing]:
    with open_store(url) as store:
        if barrier is not None:
            barrier.wait()
        return [store.file(p) for p in plans]


def test_simultaneous_filings_in_one_place_accept_exactly_one(store_url: str) -> None:
    n = 8
    open_store(store_url).close()  # the schema, before the race
    barrier = threading.Barrier(n)
    plans = [plan(f"P{i}", f"party{i}", square(45, 5, 0.1)) for i in range(n)]
    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(lambda p: _file_all(store_url, [p], barrier)[0], plans))
    accepted = [r.plan_id for r in results if r.accepted]
    assert len(accepted) == 1
    assert all(r.status is Status.MISSED for r in results if not r.accepted)
    assert _no_accepted_conflicts(store_url) == accepted


def test_many_threads_filing_many_plans(store_url: str) -> None:
    plans = random_plans(120, seed=11, parties=6)
    open_store(store_url).close()
    threads = 6
    barrier = threading.Barrier(threads)
    shares = [plans[i::threads] for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        results = [
            r for rs in pool.map(lambda s: _file_all(store_url, s, barrier), shares) for r in rs
        ]
    accepted = sorted(r.plan_id for r in results if r.accepted)
    assert _no_accepted_conflicts(store_url) == accepted
    assert 0 < len(accepted) < len(plans)  # some conflicts were there to be refused


def _file_share(url: str, seed: int, share: int, of: int) -> list[tuple[str, bool]]:
    plans = random_plans(80, seed=seed, parties=4)[share::of]
    return [(f.plan_id, f.accepted) for f in _file_all(url, plans)]


def test_many_processes_filing_many_plans(store_url: str) -> None:
    open_store(store_url).close()
    procs = 4
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(procs, mp_context=ctx) as pool:
        futures = [pool.submit(_file_share, store_url, 5, i, procs) for i in range(procs)]
        results = [r for f in futures for r in f.result()]
    accepted = sorted(pid for pid, ok in results if ok)
    assert _no_accepted_conflicts(store_url) == accepted
    assert 0 < len(accepted) < 80


# -- between a filing's snapshot and its write ---------------------------------------------
# A filing checks on a snapshot, then writes in a second transaction that looks only at the
# plans changed since. These tests make a change land exactly in between, from another
# connection, just before the filing's write transaction begins.


def _between(store: PlanStore, change: Callable[[], object]) -> None:
    """Run ``change`` once, just before ``store``'s next write transaction."""
    original = store.backend.transaction
    done: list[object] = []

    @contextmanager
    def transaction(write: bool) -> Iterator[Tx]:
        if write and not done:
            done.append(change())
        with original(write) as tx:
            yield tx

    store.backend.transaction = transaction  # type: ignore[method-assign]


def test_a_conflict_filed_after_the_snapshot_is_seen(store_url: str) -> None:
    with open_store(store_url) as store, open_store(store_url) as other:
        _between(store, lambda: other.file(plan("B", "blue", square(45, 5, 0.1))))
        f = store.file(plan("A", "red", square(45, 5, 0.1)))
        assert f.status is Status.MISSED
        assert [n["other_party"] for n in f.notices] == ["blue"]
        assert [p.plan.plan_id for p in store.plans()] == ["B"]


def test_a_conflict_cancelled_after_the_snapshot_is_dropped(store_url: str) -> None:
    with open_store(store_url, Policy(Terms(allow_conflicts=True))) as store:
        other = open_store(store_url)
        b = other.file(plan("B", "blue", square(45, 5, 0.1)))
        _between(store, lambda: other.cancel("B", "blue"))
        assert b.ref is not None
        f = store.file(plan("A", "red", square(45, 5, 0.1)), {b.ref: 1})
        other.close()
        # accepted with a conflict on the snapshot; in the write, B is gone
        assert f.status is Status.ACCEPTED and f.notices == ()
        assert store.notices("blue") == []


def test_a_conflict_updated_after_the_snapshot_needs_its_new_version(store_url: str) -> None:
    with (
        open_store(store_url, Policy(Terms(allow_conflicts=True))) as store,
        open_store(store_url) as other,
    ):
        b = other.file(plan("B", "blue", square(45, 5, 0.1)))
        assert b.ref is not None
        moved = replace(plan("B", "blue", square(45, 5.05, 0.1)), version=1)
        _between(store, lambda: other.file(moved))
        f = store.file(plan("A", "red", square(45, 5, 0.1)), {b.ref: 1})
        assert f.status is Status.MISSED
        assert [(n["other_plan_ref"], n["other_version"]) for n in f.notices] == [(b.ref, 2)]
        again = store.file(plan("A", "red", square(45, 5, 0.1)), {b.ref: 2})
        assert again.status is Status.ACCEPTED_WITH_CONFLICTS


@pytest.mark.parametrize("others", [3, 100])  # looked up plan by plan; by the cells again
def test_a_conflict_among_many_changes_after_the_snapshot_is_seen(
    store_url: str, others: int
) -> None:
    far = [plan(f"far{i:03d}", "blue", square(-30, 100 + i * 0.3, 0.1)) for i in range(others)]
    near = plan("B", "blue", square(45, 5.05, 0.1))
    with open_store(store_url) as store, open_store(store_url) as other:
        _between(store, lambda: other.import_plans([*far, near]))
        f = store.file(plan("A", "red", square(45, 5, 0.1)))
        assert f.status is Status.MISSED
        assert [n["other_party"] for n in f.notices] == ["blue"]
        assert "A" not in {p.plan.plan_id for p in store.plans()}


def test_an_unrelated_change_after_the_snapshot_does_not_stop_a_filing(store_url: str) -> None:
    with open_store(store_url) as store, open_store(store_url) as other:
        _between(store, lambda: other.file(plan("far", "blue", square(-30, 120, 0.1))))
        f = store.file(plan("A", "red", square(45, 5, 0.1)))
        assert f.status is Status.ACCEPTED
        assert sorted(p.plan.plan_id for p in store.plans()) == ["A", "far"]


def test_the_same_new_plan_filed_twice_at_once_is_accepted_once(store_url: str) -> None:
    with open_store(store_url) as store, open_store(store_url) as other:
        _between(store, lambda: other.file(plan("A", "red", square(45, 5, 0.1))))
        with pytest.raises(RefusedError, match="at version 1, not 0"):
            store.file(plan("A", "red", square(45, 5, 0.1)))
        assert store.get("A").plan.version == 1


# -- threads sharing one store: writes grouped into one transaction -------------------------


def test_threads_sharing_a_store_write_as_one_group(store_url: str) -> None:
    """Filings of several threads that wait for the write lock at the same time are written
    in one transaction, each seeing the ones before it; a refusal or an error in one
    leaves the others as they are."""
    with open_store(store_url) as store:
        store.file(plan("mine", "red", square(-30, 120, 0.1)))
        writes: list[bool] = []
        original = store.backend.transaction

        @contextmanager
        def counted(write: bool) -> Iterator[Tx]:
            writes.append(write)
            with original(write) as tx:
                yield tx

        store.backend.transaction = counted  # type: ignore[method-assign]
        same_place = [plan(f"P{i}", f"party{i}", square(45, 5, 0.1)) for i in range(4)]
        elsewhere = [plan(f"Q{i}", f"party{i}", square(10 * i, -60, 0.1)) for i in range(3)]
        stale = replace(plan("mine", "red", square(-30, 121, 0.1)), version=7)
        jobs: list[Plan] = [*same_place, *elsewhere, stale]
        results: dict[str, Filing | BaseException] = {}

        def file(p: Plan) -> None:
            try:
                results[p.plan_id + ("-stale" if p.version else "")] = store.file(p)
            except RefusedError as e:
                results[p.plan_id + "-stale"] = e

        with store._write_lock:  # hold the writes back until every thread waits
            threads = [threading.Thread(target=file, args=(p,)) for p in jobs]
            for t in threads:
                t.start()
            while len(store._pending) < len(threads) - 1:  # the stale one fails early
                time.sleep(0.01)
        for t in threads:
            t.join()
        assert writes.count(True) == 1, "one write transaction for the whole group"
        statuses = {k: v.status for k, v in results.items() if isinstance(v, Filing)}
        assert sorted(statuses[p.plan_id] for p in same_place) == [
            Status.ACCEPTED, Status.MISSED, Status.MISSED, Status.MISSED,
        ]  # fmt: skip
        assert all(statuses[p.plan_id] is Status.ACCEPTED for p in elsewhere)
        assert isinstance(results["mine-stale"], RefusedError)
        accepted = sorted(k for k, v in statuses.items() if v is Status.ACCEPTED)
        assert _no_accepted_conflicts(store_url) == sorted([*accepted, "mine"])


def test_many_threads_sharing_one_store(store_url: str) -> None:
    plans = random_plans(120, seed=12, parties=6)
    with open_store(store_url) as store:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(store.file, plans))
        for r in results:
            if r.accepted:
                assert store.get(r.plan_id).plan.version == r.version
    accepted = sorted(r.plan_id for r in results if r.accepted)
    assert _no_accepted_conflicts(store_url) == accepted
    assert 0 < len(accepted) < len(plans)
