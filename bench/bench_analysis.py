"""Benchmark of the incident review (`deconflict analyze`, issue 7), whole-process:

- **quickstart**: `traffic`'s sample (3 h over Paris), analysed by the command line in
  fresh processes, tables only and with the report; the all-pairs reference
  (`tests/analysis_reference.py`) runs on the same states in the same run, and the losses
  and closest approaches of both are compared;
- **generated**: N state vectors of generated traffic (`bench/gen_traffic.py`, Parquet
  files of 10 minutes each) analysed on a local cluster of one process per core; the
  peak memory of the whole process tree is sampled.

    python bench/bench_analysis.py --out docs/benchmarks.md              # part of `make bench`
    python bench/bench_analysis.py --states 100000000 --out docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the all-pairs reference lives with the tests

import report  # noqa: E402  (bench/report.py, beside this script)

FILTERS = ["--exclude-ground", "--vsep-tolerance-ft", "50"]
DECONFLICT = str(Path(sys.executable).parent / "deconflict")


def run_measured(args: list[str]) -> dict[str, Any]:
    """Run a command; its wall time and the peak of the summed RSS of its process tree
    (sampled every 0.2 s), and its last line of standard error."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not stop.wait(0.2):
            try:
                tree = [root, *root.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in tree if p.is_running())
            except psutil.Error:
                continue
            peak = max(peak, rss / 1e6)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{err}")
    return {"wall_s": wall, "peak_mb": peak, "line": err.strip().splitlines()[-1]}


def quickstart(runs: int, out: Path) -> dict[str, Any]:
    from deconflict.data import traffic_sample

    path = str(traffic_sample("quickstart"))
    tables = [
        run_measured([DECONFLICT, "analyze", path, *FILTERS, "-o", str(out), "--no-report"])
        for _ in range(runs)
    ]
    full = [run_measured([DECONFLICT, "analyze", path, *FILTERS, "-o", str(out)])
            for _ in range(runs)]  # fmt: skip
    return {"tables": tables, "full": full, **compare_with_reference(path)}


def compare_with_reference(path: str) -> dict[str, Any]:
    """The fast path's losses and closest approaches against the all-pairs reference's."""
    import importlib

    from analysis_reference import reference_review
    from deconflict.analysis.run import analyze
    from deconflict.analysis.scan import ReviewOptions
    from deconflict.readers import read_states
    from deconflict.tactical.engine import Criteria, considered

    criteria = Criteria(exclude_onground=True, vsep_tolerance_ft=50.0)
    distributed: Any = importlib.import_module("distributed")
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0"
    ) as client:
        fast = analyze([path], ReviewOptions(criteria=criteria), client=client)
    states = considered(read_states(path).states, criteria)
    started = time.perf_counter()
    losses, closest = reference_review(states, vsep_tolerance_ft=50.0)
    reference_s = time.perf_counter() - started
    return {
        "reference_s": reference_s,
        "losses": (len(fast.losses), len(losses), _same(fast.losses, losses, "min_hsep_nm")),
        "closest": (len(fast.closest), len(closest), _same(fast.closest, closest, "hsep_nm")),
    }


def _same(fast: Any, reference: Any, separation: str) -> tuple[bool, float, float]:
    """Same pairs with the same intervals: (whether, largest difference of start or end in
    s, of the smallest separation in m)."""
    if len(fast) != len(reference):
        return False, np.inf, np.inf
    key = ["id1", "id2", "start_s"]
    a = fast.sort_values(key).reset_index(drop=True)
    b = reference.sort_values(key).reset_index(drop=True)
    if not ((a["id1"] == b["id1"]).all() and (a["id2"] == b["id2"]).all()):
        return False, np.inf, np.inf
    dt = float(np.max(np.abs(np.r_[a["start_s"] - b["start_s"], a["end_s"] - b["end_s"]])))
    dh = float(np.max(np.abs(a[separation] - b[separation]))) * 1852.0
    return dt < 1e-3 and dh < 0.01, dt, dh


def generated(states: int, out: Path, partition_s: float) -> dict[str, Any]:
    data = ROOT / "build" / f"gen-{states}"
    if not (data / "designed.json").exists():  # written last, by a generation that ended
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "gen_traffic.py"), "--states", str(states),
             "--out", str(data), "--period-s", "1,1"],
            check=True,
        )  # fmt: skip
    files = sorted(data.glob("*.parquet"))
    size = sum(f.stat().st_size for f in files)
    run = run_measured(
        [
            DECONFLICT,
            "analyze",
            str(data / "*.parquet"),
            "--processes",
            "--partition-s",
            f"{partition_s:g}",
            "-o",
            str(out),
            "--no-report",
        ]
    )
    # the designed encounters: each found as designed (a loss, or a close encounter only)
    designed = json.loads((data / "designed.json").read_text())
    losses = pd.read_parquet(out / "losses.parquet")
    closest = pd.read_parquet(out / "closest.parquet")
    lost = set(zip(losses["id1"], losses["id2"], strict=True))
    close = set(zip(closest["id1"], closest["id2"], strict=True))
    right = sum(
        ((d["id1"], d["id2"]) in lost) == d["loss"]
        and ((d["id1"], d["id2"]) in close) == d["close"]
        for d in designed["designed"]
    )
    return {
        "files": len(files), "bytes": size, "generate_s": designed["seconds"],
        "designed": len(designed["designed"]), "designed_right": right,
        "hours": (designed["end_s"] - designed["start_s"]) / 3600.0, **run,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per quickstart row")
    parser.add_argument("--states", type=int, default=0, help="generated states (0: none)")
    parser.add_argument("--partition-s", type=float, default=120.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    work = ROOT / "build" / "bench-analysis"
    q = quickstart(args.runs, work)
    med = {k: statistics.median(r["wall_s"] for r in q[k]) for k in ("tables", "full")}
    peak = {k: max(r["peak_mb"] for r in q[k]) for k in ("tables", "full")}
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}. "
        f"Whole process (`deconflict analyze`, from start to exit), median of {args.runs} "
        "fresh processes; peak memory: the summed RSS of the process and its children, "
        "sampled every 0.2 s.",
        "",
        "| case | states | wall (s) | peak memory (MB) | found |",
        "|---|---:|---:|---:|---|",
        f"| quickstart, tables only | 229,530 | {med['tables']:.2f} | {peak['tables']:.0f} | "
        f"{q['tables'][0]['line'].split(';')[0]} |",
        f"| quickstart, tables and report | 229,530 | {med['full']:.2f} | {peak['full']:.0f} | "
        f"same |",
    ]
    if args.states:
        g = generated(args.states, work, args.partition_s)
        lines.append(
            f"| generated: 10,000 aircraft at a time over Europe reporting every second, "
            f"{g['hours']:.1f} h in {g['files']} Parquet files ({g['bytes'] / 1e9:.1f} GB); "
            f"partitions of {args.partition_s:g} s, a process per core | {args.states:,} | "
            f"{g['wall_s']:.0f} | {g['peak_mb']:.0f} | {g['line'].split(';')[0]}; "
            f"designed encounters found as designed: {g['designed_right']} of "
            f"{g['designed']} |"
        )
    lo, hi = q["losses"], q["closest"]
    lines += [
        "",
        f"All-pairs reference on the same states (`tests/analysis_reference.py`: every pair "
        f"of aircraft over the grid times both cover, each segment that can come within the "
        f"limits solved on its own in Python): {q['reference_s']:.0f} s. "
        f"Losses of separation: {lo[0]} found, {lo[1]} by the reference, same pairs and "
        f"intervals: {'yes' if lo[2][0] else 'no'} (largest difference {lo[2][1]:.1e} s, "
        f"{lo[2][2]:.1e} m). Closest approaches: {hi[0]} found, {hi[1]} by the reference, "
        f"same: {'yes' if hi[2][0] else 'no'} ({hi[2][1]:.1e} s, {hi[2][2]:.1e} m).",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        report.update(
            args.out, "bench_analysis", text,
            "## Incident review (issue 7)\n\nCommand: `make bench` "
            "(`bench/bench_analysis.py --out docs/benchmarks.md`).\n\n",
        )  # fmt: skip


if __name__ == "__main__":
    main()
