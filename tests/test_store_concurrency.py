"""Concurrent filings, from threads and from processes, on both backends: two plans that
conflict are never both accepted unless one saw the other."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from deconflict.plans.check import check_plans
from deconflict.plans.volume import Plan
from deconflict.store import Filing, Status, open_store
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
