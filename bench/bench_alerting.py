"""Benchmark of stream alerting (every aircraft an ownship, DO-365B) at 1 Hz, whole-process.

Each fresh process generates a dense snapshot (1,000 km box, FL200-400, 200-250 m/s, a
third climbing or descending), then steps it at 1 Hz: every aircraft moves 1 s along its
track. Warm = median of the steps after the first. Where feasible, the all-pairs reference
(every ordered pair through the same per-pair alerting and hysteresis, no broad phase)
runs in the same process on the same steps, and their reported rows must be identical.

    python bench/bench_alerting.py --out docs/benchmarks.md    # part of `make bench`
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the all-pairs reference lives with the tests

import report  # noqa: E402  (bench/report.py, beside this script)

SIZES = (1_000, 2_000, 20_000)
REFERENCE_UP_TO = 2_000  #: n (n - 1) ordered pairs per step: 4e8 at 20,000 is not feasible
STEPS = 6


def _rows(alerts: Any) -> set[tuple[str, str, int]]:
    return set(
        zip(
            alerts.ownship.tolist(),
            alerts.intruder.tolist(),
            alerts.alert_level.tolist(),
            strict=True,
        )
    )


def child(n: int) -> dict[str, Any]:
    from deconflict import geo, sample
    from deconflict.alerting.config import load_config
    from deconflict.alerting.stream import StreamAlerting
    from reference import AllPairsAlerting

    config = load_config("do365b")
    states = sample.dense_box(n, seed=1)
    stream = StreamAlerting(config)
    reference = AllPairsAlerting(n, config) if n <= REFERENCE_UP_TO else None
    times, ref_times, rows, alerting, same = [], [], [], [], True
    for step in range(STEPS):
        t = float(step)
        started = time.perf_counter()
        alerts = stream.step(t, states)
        times.append(time.perf_counter() - started)
        rows.append(len(alerts))
        alerting.append(int((alerts.alert_level > 0).sum()))
        if reference is not None:
            started = time.perf_counter()
            ref_rows = reference.step(t, states)
            ref_times.append(time.perf_counter() - started)
            same = same and ref_rows == _rows(alerts)
        lat, lon = geo.destination(
            states.latitude_deg, states.longitude_deg, states.track_deg, states.groundspeed_mps
        )
        states = replace(
            states,
            latitude_deg=lat,
            longitude_deg=lon,
            altitude_m=states.altitude_m + states.vertical_rate_mps,
            time_s=states.time_s + 1.0,
        )
    return {
        "n": n,
        "first_s": times[0],
        "warm_s": statistics.median(times[1:]),
        "reference_s": statistics.median(ref_times) if ref_times else None,
        "rows": statistics.median(rows),
        "alerting": statistics.median(alerting),
        "same": same if ref_times else None,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(int(sys.argv[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args()
    lines = [
        f"Median over {args.processes} fresh processes of {STEPS} steps each; warm = median "
        "of the steps after the first (the first also loads numba's kernels). Rows: ordered "
        "pairs reported (alerting, or with a volume violated within the 180 s lookahead).",
        "",
        "| aircraft | first step (s) | step, warm (s) | all-pairs reference step (s) | rows per "
        "step | alerting rows | same rows as reference | peak RSS (MB) |",
        "|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for n in args.sizes:
        runs = []
        for _ in range(args.processes):
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(n)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                raise SystemExit(f"bench child failed for n={n}:\n{done.stderr}")
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        med = {
            k: statistics.median(r[k] for r in runs) for k in ("first_s", "warm_s", "peak_rss_mb")
        }
        ref = runs[0]["reference_s"]
        same = {r["same"] for r in runs}
        line = (
            f"| {n:,} | {med['first_s']:.3f} | {med['warm_s']:.3f} "
            f"| {'not run (n² pairs)' if ref is None else f'{ref:.2f}'} | {runs[0]['rows']:,.0f} "
            f"| {runs[0]['alerting']:,.0f} "
            f"| {'n/a' if None in same else ('yes' if all(same) else '**no**')} "
            f"| {med['peak_rss_mb']:.0f} |"
        )
        print(line, flush=True)
        lines.append(line)
        if False in same:
            raise SystemExit("stream alerting and the all-pairs reference disagree")
    if args.out:
        preamble = (
            "## Graded alerting over many aircraft (issue 3)\n\n"
            "Command: `make bench` (`bench/bench_alerting.py --out docs/benchmarks.md`). "
            "Target: each 1 Hz step over 20,000 aircraft in ≤ 0.5 s.\n\n"
        )
        report.update(args.out, "bench_alerting", "\n".join(lines), preamble)


if __name__ == "__main__":
    main()
