"""Benchmark of the plan store: checking and filing plans against 1,000,000 live volumes.

Two skies, each of 1,000,000 volumes over one week (20 parties, one volume per plan):

- ``world``: centres spread evenly over the whole Earth (poles and antimeridian included);
- ``europe``: the same volumes packed over one continent (36-70° N, 10° W-40° E), a sky
  about 27 times denser, where three new plans in four conflict with something.

Outlines are circles or star-shaped polygons of 6-12 geodesic edges, 1-200 km across
(log-uniform); windows last 10 min-6 h (log-uniform); bands start at 0-40,000 ft and are
500-10,000 ft thick. For each backend (SQLite, PostgreSQL) and sky the volumes are imported,
then:

- check latency: ``store.check`` of new plans from the same distribution, one at a time;
  p50 and p99. Beside it, in the same process, the brute force: a shapely STRtree over the
  boxes, in Earth-centred x and y, of every volume's bounding ball, then the distance
  between the balls, the time and altitude bounds and the same exact rule; both must find
  the same conflicts.
- filings per second: filers file new plans with the key, sustained over a batch: a plan
  missed by its filer is filed again with the references it was told (the terms allow
  acknowledged conflicts). Filers are processes, each with its own store, and threads in
  a process, sharing its store (and so its group commits), as a service's workers would.
  Every accepted filing must be in the store afterwards, with its version.

    python bench/bench_plans.py --out docs/benchmarks.md   # part of `make bench`
    python bench/bench_plans.py --volumes 100000 --backends sqlite --skies world  # a look
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod

import databases  # bench/databases.py, beside this script
import report
from deconflict.geo import surface_ecef
from deconflict.plans.check import PlanConflict, Separation, volumes_conflict
from deconflict.plans.volume import Circle, Outline, Plan, Volume4D, polygon
from deconflict.store import PlanStore, Policy, Status, Terms, open_store

GEOD = Geod(ellps="WGS84")
T0 = 1_795_478_400.0  # 2026-11-24T00:00:00Z
WEEK_S = 7 * 86_400.0
PARTIES = 20
MAX_VERTICES = 12
F64 = NDArray[np.float64]


@dataclass
class Volumes:
    """Generated volumes as arrays (one per plan)."""

    circle: NDArray[np.bool_]
    lat: F64
    lon: F64
    radius_m: F64
    nvert: NDArray[np.int64]
    verts: F64  # (n, MAX_VERTICES, 2) lon, lat
    t0: F64
    t1: F64
    lower: F64
    upper: F64
    party: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.lat)

    def volume(self, i: int) -> Volume4D:
        if self.circle[i]:
            outline: Outline = Circle(
                float(self.lat[i]), float(self.lon[i]), float(self.radius_m[i])
            )
        else:
            outline = polygon(self.verts[i, : self.nvert[i]])
        return Volume4D(
            outline,
            float(self.lower[i]),
            float(self.upper[i]),
            float(self.t0[i]),
            float(self.t1[i]),
        )

    def plan(self, i: int, prefix: str) -> Plan:
        return Plan(f"{prefix}{i:07d}", f"party{self.party[i]:02d}", (self.volume(i),))


#: where the volumes' centres are drawn: (south, north, west, east), degrees
SKIES = {"world": (-90.0, 90.0, -180.0, 180.0), "europe": (36.0, 70.0, -10.0, 40.0)}


def generate(n: int, seed: int, sky: str = "world") -> Volumes:
    rng = np.random.default_rng(seed)
    south, north, west, east = SKIES[sky]
    lat = np.degrees(
        np.arcsin(rng.uniform(math.sin(math.radians(south)), math.sin(math.radians(north)), n))
    )
    lon = rng.uniform(west, east, n)
    radius = np.exp(rng.uniform(math.log(1_000.0), math.log(200_000.0), n)) / 2.0
    nvert = rng.integers(6, MAX_VERTICES + 1, n)
    # one vertex in each of nvert equal sectors: star-shaped around the centre, so simple
    sector = 360.0 / nvert[:, None]
    az = (np.arange(MAX_VERTICES)[None, :] + rng.uniform(0.0, 0.8, (n, MAX_VERTICES))) * sector
    # unused vertices repeat the last used one (dropped by polygon())
    idx = np.minimum(np.arange(MAX_VERTICES)[None, :], (nvert - 1)[:, None])
    az = np.take_along_axis(az, idx, axis=1)
    dist = radius[:, None] * rng.uniform(0.6, 1.0, (n, MAX_VERTICES))
    dist = np.take_along_axis(dist, idx, axis=1)
    vlon, vlat, _ = GEOD.fwd(
        np.repeat(lon, MAX_VERTICES), np.repeat(lat, MAX_VERTICES), az.ravel(), dist.ravel()
    )
    verts = np.stack([np.asarray(vlon), np.asarray(vlat)], axis=-1).reshape(n, MAX_VERTICES, 2)
    duration = np.exp(rng.uniform(math.log(600.0), math.log(6 * 3600.0), n))
    t0 = T0 + rng.uniform(0.0, WEEK_S, n)
    lower = np.round(rng.uniform(0.0, 40_000.0, n) / 100.0) * 100.0
    thick = np.exp(rng.uniform(math.log(500.0), math.log(10_000.0), n))
    return Volumes(
        rng.random(n) < 0.5, lat, lon, radius, nvert, verts, t0, t0 + duration, lower,
        lower + np.round(thick), rng.integers(0, PARTIES, n),
    )  # fmt: skip


def chunks(n: int, size: int) -> Iterator[range]:
    for start in range(0, n, size):
        yield range(start, min(n, start + size))


class BruteForce:
    """The reference: an STRtree over the boxes, in Earth-centred x and y, of every volume's
    bounding ball (its generating centre and radius: every vertex is within the radius of
    the centre along the ellipsoid, so within it in a straight line), then the distance
    between the balls, the time and altitude bounds, and the same exact rule. Nothing here
    depends on longitudes, so the poles and the antimeridian need no care."""

    def __init__(self, v: Volumes, sep: Separation) -> None:
        self.v, self.sep = v, sep
        self.centre = surface_ecef(v.lat, v.lon)
        reach = v.radius_m + sep.hsep_m
        x, y = self.centre[:, 0], self.centre[:, 1]
        self.tree = shapely.STRtree(shapely.box(x - reach, y - reach, x + reach, y + reach))

    def check(self, plan: Plan, new: Volumes, i: int) -> set[str]:
        v, sep = self.v, self.sep
        c = surface_ecef(new.lat[i : i + 1], new.lon[i : i + 1])[0]
        r = float(new.radius_m[i])
        cand = self.tree.query(shapely.box(c[0] - r, c[1] - r, c[0] + r, c[1] + r))
        keep = (
            (np.linalg.norm(self.centre[cand] - c, axis=1) < v.radius_m[cand] + r + sep.hsep_m)
            & (v.t0[cand] < new.t1[i]) & (new.t0[i] < v.t1[cand])
            & (v.lower[cand] < new.upper[i] + sep.vsep_ft)
            & (new.lower[i] < v.upper[cand] + sep.vsep_ft)
            & (v.party[cand] != new.party[i])
        )  # fmt: skip
        out = set()
        for j in cand[keep]:
            if volumes_conflict(plan.volumes[0], v.volume(int(j)), sep) is not None:
                out.add(f"B{int(j):07d}")
        return out


#: plans each filer checks, untimed, before it starts
_WARM = 50

#: seconds the filer processes are given to start and warm up before they all begin
_START_S = 8.0


def settle(url: str) -> None:
    """Write the SQLite log into the database and the disk's cache to the disk, so that a
    row does not pay for the writes of the one before it."""
    if url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        conn.close()
    os.sync()


def percentile(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


def _filer(
    url: str,
    sky: str,
    seed: int,
    count: int,
    prefix: str,
    durable: bool,
    threads: int,
    start_at: float,
) -> tuple[list[tuple[str, int]], int, float, list[float], list[float]]:
    """One filer process: ``threads`` threads sharing one store (as a service's workers
    would) file ``count`` new plans with the key, from ``start_at`` (the time on the
    clock at which every filer starts, once its store is open and warm). Returns the
    accepted ids and versions, the requests made, the seconds, and the milliseconds each
    plan took, apart for plans without and with conflicts."""
    new = generate(count + _WARM, seed, sky)
    plans = [new.plan(i, prefix) for i in range(count)]
    warm = [new.plan(i, prefix) for i in range(count, count + _WARM)]
    policy = Policy(Terms(allow_conflicts=True))
    accepted: list[tuple[str, int]] = []
    requests = [0]
    clear_ms: list[float] = []
    conflict_ms: list[float] = []

    def file_share(store: PlanStore, share: list[Plan]) -> None:
        for p in share:
            t = time.perf_counter()
            f = store.file(p)
            requests[0] += 1
            if f.status is Status.MISSED:
                known = {n["other_plan_ref"]: n["other_version"] for n in f.notices}
                f = store.file(p, known)
                requests[0] += 1
            (conflict_ms if f.notices else clear_ms).append((time.perf_counter() - t) * 1e3)
            if f.accepted:
                accepted.append((f.plan_id, int(f.version or 0)))

    with open_store(url, policy, durable=durable) as store:
        for p in warm:  # the code, the caches of the connection and of pyproj
            store.check(p)
        time.sleep(max(0.0, start_at - time.time()))
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            done = [pool.submit(file_share, store, plans[k::threads]) for k in range(threads)]
            for d in done:
                d.result()
        seconds = time.perf_counter() - started
    return accepted, requests[0], seconds, clear_ms, conflict_ms


def _log(rows: list[str], row: str) -> None:
    """A row of a table, shown at once (a long run that fails keeps what it measured)."""
    rows.append(row)
    print(row, file=sys.stderr, flush=True)


def run_backend(
    name: str, url: str, sky: str, args: argparse.Namespace, modes: dict[str, bool]
) -> tuple[list[str], list[str]]:
    """Import, check, then file in each durability mode (label suffix: durable)."""
    sep = Separation()
    checks: list[str] = []
    filings: list[str] = []
    background = generate(args.volumes, seed=1, sky=sky)
    started = time.perf_counter()
    with open_store(url) as store:
        for r in chunks(len(background), 20_000):
            store.import_plans([background.plan(i, "B") for i in r], validate=False)
            print(f"  {name}, {sky}: imported {r.stop:,} volumes", file=sys.stderr, end="\r")
    load_s = time.perf_counter() - started
    print(file=sys.stderr)

    # check latency, store against brute force
    new = generate(args.checks, seed=2, sky=sky)
    plans = [new.plan(i, "N") for i in range(args.checks)]
    with open_store(url) as store:
        for p in plans[:20]:  # warm caches and code
            store.check(p)
        store_ms, found = [], []
        for p in plans:
            t = time.perf_counter()
            conflicts: list[PlanConflict] = store.check(p)
            store_ms.append((time.perf_counter() - t) * 1e3)
            found.append({c.plan_a if c.plan_b == p.plan_id else c.plan_b for c in conflicts})
    t = time.perf_counter()
    brute = BruteForce(background, sep)
    build_s = time.perf_counter() - t
    brute_ms, expected = [], []
    for i, p in enumerate(plans):
        t = time.perf_counter()
        expected.append(brute.check(p, new, i))
        brute_ms.append((time.perf_counter() - t) * 1e3)
    same = sum(a == b for a, b in zip(found, expected, strict=True))
    mean_conflicts = statistics.mean(len(x) for x in found)
    _log(
        checks,
        f"| {name} | {sky} | {load_s:.0f} s | {percentile(store_ms, 50):.2f} "
        f"| {percentile(store_ms, 99):.2f} "
        f"| {percentile(brute_ms, 50):.2f} / {percentile(brute_ms, 99):.2f} (tree built in "
        f"{build_s:.1f} s) | {mean_conflicts:.2f} | {same} of {len(plans)} |",
    )

    # filings per second, one filer then several, in each durability mode
    ctx = multiprocessing.get_context("spawn")
    for mode, durable in modes.items():
        for row, (filers, threads) in enumerate(args.filers):
            per = args.filings // (filers * threads) * threads
            settle(url)
            start_at = time.time() + _START_S
            with ProcessPoolExecutor(filers, mp_context=ctx) as pool:
                futures = [
                    pool.submit(
                        _filer,
                        url,
                        sky,
                        100 + filers * 10 + threads * 100 + k + 1000 * row,
                        per,
                        f"F{len(mode)}r{row}_{filers}x{threads}x{k}_",
                        durable,
                        threads,
                        start_at,
                    )
                    for k in range(filers)
                ]
                results = [f.result() for f in futures]
            accepted = [a for r in results for a in r[0]]
            requests = sum(r[1] for r in results)
            busy = max(r[2] for r in results)
            clear = [x for r in results for x in r[3]]
            conflicted = [x for r in results for x in r[4]]
            with open_store(url) as store:
                lost = sum(store.get(pid).plan.version != ver for pid, ver in accepted)
            _log(
                filings,
                f"| {name}{mode} | {sky} | {filers} × {threads} | {len(accepted) / busy:,.0f} "
                f"({requests / busy:,.0f}) | {len(accepted)} of {filers * per}; {lost} "
                f"| {len(clear)}: {statistics.median(clear or [0]):.2f} ms "
                f"| {len(conflicted)}: {statistics.median(conflicted or [0]):.2f} ms |",
            )
    return checks, filings


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--volumes", type=int, default=1_000_000)
    parser.add_argument("--checks", type=int, default=1_000)
    parser.add_argument("--filings", type=int, default=2_000)
    parser.add_argument(
        "--filers",
        type=lambda s: [tuple(int(n) for n in x.split("x")) for x in s.split(",")],
        default=[(1, 1), (2, 1), (4, 1), (1, 8)],
        help="filer processes x threads in each, comma-separated (default 1x1,2x1,4x1,1x8)",
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--skies", default="world,europe", help="of: " + ", ".join(SKIES))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    checks: list[str] = []
    filings: list[str] = []
    for backend in args.backends.split(","):
        for sky in args.skies.split(","):
            with tempfile.TemporaryDirectory(prefix="deconflict-bench-") as tmp:
                # SQLite with and without syncing each commit; PostgreSQL as it is set up
                modes = ({", durable": True, ", synchronous=NORMAL": False}
                         if backend == "sqlite" else {"": True})  # fmt: skip
                try:
                    with databases.fresh(backend, tmp, "plans.db") as url:
                        c, f = run_backend(databases.NAMES[backend], url, sky, args, modes)
                except databases.UnavailableError as e:
                    checks.append(f"| {backend} | {sky} | not run: {e} | | | | | |")
                    continue
                checks, filings = checks + c, filings + f
    table = "\n".join(
        [
            f"Command: `python bench/bench_plans.py --volumes {args.volumes}` "
            f"({args.checks} checks, {args.filings} filings per row; "
            f"{os.cpu_count()} cores).\n",
            "Checking a new plan against the live volumes (nothing written):\n",
            "| store | sky | import | p50 ms | p99 ms | brute force p50 / p99 ms "
            "| conflicts per plan | same conflicts as brute force |",
            "|---|---|---|---|---|---|---|---|",
            *checks,
            "\nFiling new plans, sustained (a plan missed is filed again with the references "
            "it was told; acknowledged conflicts are allowed):\n",
            "| store | sky | processes × threads | filings/s (requests/s) "
            "| accepted; lost or changed | plans without conflicts: median ms each "
            "| plans with conflicts: median ms each |",
            "|---|---|---|---|---|---|---|",
            *filings,
        ]
    )
    print(table)
    if args.out:
        report.update(args.out, "plans", table, "## Plan store: checking and filing plans\n\n")


if __name__ == "__main__":
    main()
