"""Benchmark on a real recording: `traffic`'s quickstart sample (3 h over Paris, 284,505
records), read and checked for conflicts in every snapshot, whole-process, against the
all-pairs reference run snapshot by snapshot in the same process.

    python bench/bench_real.py --out docs/benchmarks.md    # part of `make bench`
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the all-pairs reference lives with the tests

import report  # noqa: E402  (bench/report.py, beside this script)

CASES = {
    "every second (rows sharing a timestamp)": {},
    "every second, airborne only": {"exclude_onground": True},
    "10 s windows, airborne only, 50 ft tolerance": {
        "window_s": 10.0,
        "exclude_onground": True,
        "vsep_tolerance_ft": 50.0,
    },
}


def child(case: str) -> dict[str, Any]:
    from deconflict.data import traffic_sample
    from deconflict.readers import read_states
    from deconflict.tactical import engine
    from reference import all_pairs

    path = traffic_sample("quickstart")
    started = time.perf_counter()
    read = read_states(path)
    read_s = time.perf_counter() - started
    criteria = engine.Criteria(**CASES[case])  # type: ignore[arg-type]
    started = time.perf_counter()
    conflicts = engine.detect(read.states, criteria)
    detect_s = time.perf_counter() - started
    started = time.perf_counter()
    reference = 0
    for _, snapshot in engine.snapshots(read.states, criteria.window_s):
        kin, h, v = engine.prepare(engine.considered(snapshot, criteria), criteria)
        reference += len(all_pairs(kin, h, v, criteria.lookahead_s)[0])
    reference_s = time.perf_counter() - started
    return {
        "read_s": read_s,
        "states": len(read.states),
        "bad": read.bad.count,
        "detect_s": detect_s,
        "snapshots": conflicts.snapshots,
        "conflicts": len(conflicts),
        "reference_s": reference_s,
        "reference_conflicts": reference,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def measure(case: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", case], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"bench child failed for {case!r}:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="markdown file to update (between markers)")
    parser.add_argument("--processes", type=int, default=3)
    args = parser.parse_args()
    lines = [
        f"Median over {args.processes} fresh processes. Reading: "
        "`read_states` of the gzipped JSON (bad rows dropped). Detection: `detect` over every "
        "snapshot (numba's start and kernel loading included, in the first snapshot). "
        "Reference: all pairs of every snapshot through the same exact test.",
        "",
        "| case | states | snapshots | read (s) | detect (s) | reference (s) | conflicts "
        "| reference conflicts | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in CASES:
        runs = [measure(case) for _ in range(args.processes)]
        r = runs[0]
        med = {k: statistics.median(x[k] for x in runs) for k in r}
        line = (
            f"| {case} | {r['states']:,} | {r['snapshots']:,} | {med['read_s']:.2f} "
            f"| {med['detect_s']:.2f} | {med['reference_s']:.2f} | {r['conflicts']:,} "
            f"| {r['reference_conflicts']:,} | {med['peak_rss_mb']:.0f} |"
        )
        print(line, flush=True)
        lines.append(line)
        if r["conflicts"] != r["reference_conflicts"]:
            raise SystemExit("the engine and the reference disagree")
    if args.out:
        preamble = (
            "## Detection core on a real recording\n\n"
            "Command: `make bench` (`bench/bench_real.py --out docs/benchmarks.md`).\n\n"
        )
        report.update(args.out, "bench_real", "\n".join(lines), preamble)


if __name__ == "__main__":
    main()
