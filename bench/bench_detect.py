"""Benchmark of the detection core against the all-pairs reference, whole-process.

Every measurement runs in a fresh Python process (``--child``): it generates the snapshot
(not timed), then times ``deconflict.detect`` (engine) or ``reference.all_pairs`` over the
same aircraft and minima, and reports the time, the process's peak memory and a hash of
the pairs found. The engine's first call in a process also loads its compiled kernels
from numba's cache; it is reported apart ("cold") from the later calls ("warm").

    python bench/bench_detect.py --out docs/benchmarks.md    # what `make bench` runs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the all-pairs reference lives with the tests

import report  # noqa: E402  (bench/report.py, beside this script)

SIZES = (1_000, 5_000, 10_000, 20_000)
SCENARIOS = ("dense", "world")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def _pairs_digest(i: NDArray[np.int64], j: NDArray[np.int64]) -> str:
    a, b = np.minimum(i, j), np.maximum(i, j)
    order = np.lexsort((b, a))
    data = np.stack([a[order], b[order]]).astype(np.int64).tobytes()
    return hashlib.sha256(data).hexdigest()[:16]


def child(mode: str, scenario: str, n: int, seed: int, repeats: int) -> dict[str, Any]:
    """One whole-process measurement; returns what the parent records."""
    started = time.perf_counter()
    import numba

    @numba.njit(cache=True)
    def _start(x: float) -> float:
        return x + 1.0

    numba_started = time.perf_counter()
    _start(1.0)  # numba's one-time start (typing and code generation set-up)
    numba_start_s = time.perf_counter() - numba_started + (numba_started - started)

    from deconflict import sample
    from deconflict.tactical import engine

    make = sample.dense_box if scenario == "dense" else sample.world_routes
    states = make(n, seed=seed)
    criteria = engine.Criteria()
    baseline_mb = _peak_rss_mb()
    setup_s = time.perf_counter() - started
    times = []
    if mode == "engine":
        for _ in range(repeats):
            t = time.perf_counter()
            conflicts = engine.detect(states, criteria)
            times.append(time.perf_counter() - t)
        index = {name: k for k, name in enumerate(states.id)}
        i = np.array([index[x] for x in conflicts.id1], dtype=np.int64)
        j = np.array([index[x] for x in conflicts.id2], dtype=np.int64)
    else:
        from reference import all_pairs

        kin, h, v = engine.prepare(states, criteria)
        for _ in range(repeats):
            t = time.perf_counter()
            i, j, _ = all_pairs(kin, h, v, criteria.lookahead_s)
            times.append(time.perf_counter() - t)
    return {
        "mode": mode,
        "scenario": scenario,
        "n": n,
        "times_s": times,
        "pairs": len(i),
        "digest": _pairs_digest(i, j),
        "peak_rss_mb": _peak_rss_mb(),
        "baseline_rss_mb": baseline_mb,
        "setup_s": setup_s,
        "numba_start_s": numba_start_s,
    }


def measure(mode: str, scenario: str, n: int, seed: int, repeats: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", mode, scenario, str(n), str(seed), str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench child failed: {' '.join(command)}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(processes: int, warm_calls: int, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    rows = []
    for scenario in SCENARIOS:
        for n in sizes:
            engine_runs = [
                measure("engine", scenario, n, 1, 1 + warm_calls) for _ in range(processes)
            ]
            ref_processes = processes if n <= 5_000 else 1
            ref_runs = [measure("reference", scenario, n, 1, 1) for _ in range(ref_processes)]
            digests = {r["digest"] for r in engine_runs + ref_runs}
            row = {
                "scenario": scenario,
                "n": n,
                "numba_start_s": statistics.median(r["numba_start_s"] for r in engine_runs),
                "cold_s": statistics.median(r["times_s"][0] for r in engine_runs),
                "warm_s": statistics.median(t for r in engine_runs for t in r["times_s"][1:]),
                "engine_rss_mb": statistics.median(r["peak_rss_mb"] for r in engine_runs),
                "engine_delta_mb": statistics.median(
                    r["peak_rss_mb"] - r["baseline_rss_mb"] for r in engine_runs
                ),
                "reference_s": statistics.median(r["times_s"][0] for r in ref_runs),
                "reference_rss_mb": statistics.median(r["peak_rss_mb"] for r in ref_runs),
                "pairs": engine_runs[0]["pairs"],
                "reference_pairs": ref_runs[0]["pairs"],
                "same_pairs": len(digests) == 1,
                "ref_processes": ref_processes,
            }
            rows.append(row)
            print(
                f"{scenario:5} {n:6}: engine warm {row['warm_s']:.3f} s cold {row['cold_s']:.3f} s "
                f"{row['engine_rss_mb']:.0f} MB | reference {row['reference_s']:.2f} s "
                f"{row['reference_rss_mb']:.0f} MB | pairs {row['pairs']} "
                f"{'same' if row['same_pairs'] else 'DIFFERENT'}",
                flush=True,
            )
    return rows


def table(rows: list[dict[str, Any]], processes: int, warm_calls: int) -> str:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, "
        f"{len(__import__('os').sched_getaffinity(0))} cores, Python {platform.python_version()}. "
        f"Engine: median over {processes} processes; warm = median of the {warm_calls} calls "
        "after the first in each process; first call = the first call in a fresh process, "
        "which also loads the compiled kernels from numba's on-disk cache; numba start = "
        "importing numba and its one-time set-up (first call of a trivial function), paid once "
        "per process before any of ours. Reference: all n(n-1)/2 pairs through the same "
        "exact kernel, median over the processes shown. Peak RSS is the whole process's "
        "(Python, numpy, numba, pyarrow and pyproj included); Δ is its growth during detection.",
        "",
        "| scenario | aircraft | engine warm (s) | first call (s) | numba start (s) "
        "| engine peak RSS (MB) "
        "| Δ RSS (MB) | all-pairs reference (s) | reference peak RSS (MB) | speed-up (warm) "
        "| pairs | same pairs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['scenario']} | {r['n']:,} | {r['warm_s']:.3f} | {r['cold_s']:.3f} "
            f"| {r['numba_start_s']:.2f} "
            f"| {r['engine_rss_mb']:.0f} | {r['engine_delta_mb']:.0f} "
            f"| {r['reference_s']:.2f} ({r['ref_processes']}×) | {r['reference_rss_mb']:.0f} "
            f"| {r['reference_s'] / r['warm_s']:.0f}× | {r['pairs']:,} "
            f"| {'yes' if r['same_pairs'] else '**no**'} |"
        )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, scenario, n, seed, repeats = sys.argv[2:7]
        print(json.dumps(child(mode, scenario, int(n), int(seed), int(repeats))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="markdown file to update (between markers)")
    parser.add_argument("--processes", type=int, default=3, help="fresh processes per point")
    parser.add_argument("--warm-calls", type=int, default=5, help="calls after the first")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args()
    rows = run(args.processes, args.warm_calls, tuple(args.sizes))
    text = table(rows, args.processes, args.warm_calls)
    if args.out:
        report.update(args.out, "bench_detect", text)
        print(f"-> {args.out}")
    if not all(r["same_pairs"] for r in rows):
        raise SystemExit("the engine and the reference found different pairs")


if __name__ == "__main__":
    main()
