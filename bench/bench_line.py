"""Load benchmark of the line: many aircraft of several parties pushed at 1 Hz over loopback.

A real ``deconflict serve`` (one process, its beat every second) on a fresh database: four
parties a, b, c, d with agreements a-b and c-d (``safety``) and a-c and b-d
(``coordination``), 5 NM / 1,000 ft over 300 s and DO-365B alerting. One feeder process
per party moves its aircraft (great circles at 250-500 kt, flight levels 100-400, a few
climbing or descending) over a continent-sized box and pushes all their states once a
second, in batches of 2,500, each feeder at its own phase within the second (1/8, 3/8, 5/8
and 7/8 s: none on a beat). One listener process per party follows its event stream
(server-sent events) with an officer's key. Each backend runs with each beat asked for
(``--tick-s``: the line's default 0.5 s, and 1 s).

Measured:
- **states/s**: the states accepted (202) per second of the run, against those offered;
- **alert latency from the state**: for every alert raised or changed, from the moment the
  feeder began to send the latest state of its two aircraft before the beat that raised it
  to its delivery on each party's event stream; p50 and p99. A change the beat makes
  because time passed (an extrapolated state crossing a threshold, the M-of-N filter) is
  counted from a state up to a second older than the beat before, and a state still in
  flight at the beat is counted although the beat did not have it: neither a bound nor
  an estimate of what the line adds;
- **alert latency, bound**: an upper bound of the time from the moment the change was due
  to its delivery. A beat sees every aircraft's latest state; the last state of each
  aircraft acknowledged before the beat was on the board when it began. If the previous
  beat had it too (acknowledged before that beat) for both aircraft, the change is time's
  doing and was due after the previous beat; otherwise it may be the new state's, due no
  earlier than the moment its sending began. The bound counts from the earlier of the
  previous beat and those moments: a whole beat at least, as periodic assessment implies;
  Both leave out the alerts of the first ``--warm-up-s`` (10 s) after every aircraft is on
  the board: then every conflict of the 20,000 aircraft is raised at once (about a
  thousand alerts in one beat, written and sent together), a start a line in service
  does not see; they are counted apart, and printed;
- **beat**: how long the watch takes each second (from the server's metrics);
- **CPU and memory** of the server process (``/proc``), beside the feeders'.

    python bench/bench_line.py --out docs/benchmarks.md     # part of `make bench`
    python bench/bench_line.py --aircraft 2000 --duration-s 30 --backends sqlite --tick-s 1
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

import databases  # bench/databases.py, beside this script
import report
from deconflict.client import Client
from deconflict.line.line import OPERATOR, Line

PARTIES = ("a", "b", "c", "d")
AGREEMENTS = (("a", "b", "safety"), ("c", "d", "safety"), ("a", "c", "coordination"),
              ("b", "d", "coordination"))  # fmt: skip
#: the box the aircraft fly in (about 1,500 x 1,100 NM, Europe's size)
LAT_DEG, LON_DEG = (40.0, 58.0), (-5.0, 30.0)
BATCH = 2_500
NM_M, FT_M, KT_MPS = 1852.0, 0.3048, 1852.0 / 3600.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def set_up(url: str) -> dict[str, str]:
    """Parties, agreements and keys; the tokens by name (feed_a, officer_a, admin...)."""
    tokens: dict[str, str] = {}
    with Line.open(url) as line:
        for p in PARTIES:
            line.add_party(OPERATOR, p, f"Party {p.upper()}")
            for role in ("feed", "officer"):
                _, tokens[f"{role}_{p}"] = line.create_key(OPERATOR, role, p, f"bench {role}")
        _, tokens["admin"] = line.create_key(OPERATOR, "admin", None, "bench admin")
        for a, b, sharing in AGREEMENTS:
            line.make_agreement(OPERATOR, a, b, {"sharing": sharing})
    return tokens


# -- feeders ------------------------------------------------------------------------------


def feeder(base_url: str, token: str, party: str, n: int, seed: int, phase_s: float,
           start_s: float, duration_s: float, out: Any) -> None:  # fmt: skip
    """Fly ``n`` aircraft and push all their states every second at ``phase_s`` past
    the second, from ``start_s`` for ``duration_s``; put (second, the start of each batch's
    sending, when each was acknowledged, accepted, offered, seconds late) of each second on
    ``out``."""
    rng = np.random.default_rng(seed)
    lat = np.radians(rng.uniform(*LAT_DEG, n))
    lon = np.radians(rng.uniform(*LON_DEG, n))
    track = np.radians(rng.uniform(0, 360, n))
    speed = rng.uniform(250, 500, n) * KT_MPS
    alt = rng.integers(10, 41, n) * 1000.0 * FT_M
    vs = np.where(rng.random(n) < 0.15, rng.choice([-1500.0, 1500.0], n), 0.0) * FT_M / 60.0
    ids = [f"{party}{k:05d}" for k in range(n)]
    log = []
    with Client(base_url, token, timeout_s=30.0) as client:
        second = math.floor(start_s)
        while second < start_s + duration_s:
            wake = second + phase_s
            late = time.time() - wake
            if late < 0:
                time.sleep(-late)
            # move one second along the great circle, turning back into the box
            d = speed / 6_371_000.0
            lat2 = np.arcsin(np.sin(lat) * np.cos(d) + np.cos(lat) * np.sin(d) * np.cos(track))
            lon = lon + np.arctan2(np.sin(track) * np.sin(d) * np.cos(lat),
                                   np.cos(d) - np.sin(lat) * np.sin(lat2))  # fmt: skip
            lat = lat2
            alt = np.clip(alt + vs, 3000.0, 13_000.0)
            out_of_box = (np.degrees(lat) < LAT_DEG[0]) | (np.degrees(lat) > LAT_DEG[1]) | (
                np.degrees(lon) < LON_DEG[0]) | (np.degrees(lon) > LON_DEG[1])  # fmt: skip
            track = np.where(out_of_box, (track + math.pi) % (2 * math.pi), track)
            now = time.time()
            states = [
                {"id": i, "time_s": now, "latitude_deg": la, "longitude_deg": lo,
                 "altitude_ft": z, "groundspeed_kt": v, "track_deg": t,
                 "vertical_rate_fpm": w}
                for i, la, lo, z, v, t, w in zip(
                    ids, np.degrees(lat).round(6).tolist(), np.degrees(lon).round(6).tolist(),
                    (alt / FT_M).round(0).tolist(), (speed / KT_MPS).round(1).tolist(),
                    np.degrees(track).round(2).tolist(), (vs * 60 / FT_M).round(0).tolist(),
                    strict=True,
                )
            ]  # fmt: skip
            accepted, starts, acks = 0, [], []
            for k in range(0, n, BATCH):
                starts.append(time.time())
                try:
                    accepted += client.push_tracks(states[k : k + BATCH])
                    acks.append(time.time())
                except Exception as e:  # counted as not accepted; the run goes on
                    print(f"feeder {party}: {e}", file=sys.stderr)
                    acks.append(math.inf)
            log.append((second, starts, acks, accepted, n, max(late, 0.0)))
            second += 1
    out.put((party, log))


# -- listeners ----------------------------------------------------------------------------


Heard = list[tuple[str, str, float, str, float]]
"""What a party's listener got: (alert id, change, beat time, own aircraft, when)."""


def listen(base_url: str, token: str, until_s: float, out: Any) -> None:
    """Follow a party's event stream until ``until_s`` (in a process of its own, so that
    the time an event is received is not the time another listener let it run)."""
    heard: Heard = []

    def follow() -> None:
        with Client(base_url, token, timeout_s=60.0) as client:
            for event in client.follow(after=0):
                now = time.time()
                body = event["body"]
                if event["kind"] == "alert" and body.get("change") in ("raised", "updated"):
                    heard.append((body["alert_id"], body["change"], body["updated_s"],
                                  body["own"]["id"], now))  # fmt: skip

    threading.Thread(target=follow, daemon=True).start()
    time.sleep(max(0.0, until_s - time.time()))
    out.put(list(heard))


# -- the server's process -----------------------------------------------------------------


def proc_usage(pid: int) -> tuple[float, float, float]:
    """CPU seconds (user + system) and resident memory now and at peak (MiB)."""
    fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields_[11]) + int(fields_[12])) / os.sysconf("SC_CLK_TCK")
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text()
                  .splitlines() if ":" in line)  # fmt: skip
    return cpu, int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def run(name: str, url: str, args: argparse.Namespace, tmp: Path) -> str:
    tokens = set_up(url)
    errors = (tmp / "server.err").open("w")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("deconflict")), "serve", "--db", url, "--port",
         str(port),
         "--rate-limit", "0", "--tick-s", str(args.tick_s)],
        stdout=subprocess.DEVNULL, stderr=errors, text=True,
    )  # fmt: skip
    try:
        with Client(base, tokens["admin"], timeout_s=5.0) as admin:
            for _ in range(300):
                try:
                    admin.health()
                    break
                except Exception:
                    if server.poll() is not None:
                        errors.close()
                        said = (tmp / "server.err").read_text()[-2000:]
                        raise SystemExit(f"the server stopped: {said}") from None
                    time.sleep(0.1)
        cpu0 = proc_usage(server.pid)[0]
        start = math.floor(time.time()) + 3.0
        out: Any = multiprocessing.Queue()
        heard_q: dict[str, Any] = {p: multiprocessing.Queue() for p in PARTIES}
        listeners = [
            multiprocessing.Process(target=listen, args=(
                base, tokens[f"officer_{p}"], start + args.duration_s + 5.0, heard_q[p]))
            for p in PARTIES
        ]  # fmt: skip
        for t in listeners:
            t.start()
        per = args.aircraft // len(PARTIES)
        feeders = [
            multiprocessing.Process(target=feeder, args=(
                base, tokens[f"feed_{p}"], p, per, k, (k + 0.5) / len(PARTIES), start,
                args.duration_s, out))
            for k, p in enumerate(PARTIES)
        ]  # fmt: skip
        for f in feeders:
            f.start()
        rss = []
        while time.time() < start + args.duration_s + 2:
            time.sleep(1.0)
            rss.append(proc_usage(server.pid)[1])
            print(f"  {name}: {time.time() - start:5.0f} s, server RSS {rss[-1]:.0f} MiB",
                  file=sys.stderr, end="\r")  # fmt: skip
        logs = dict(out.get(timeout=120) for _ in feeders)
        for f in feeders:
            f.join()
        cpu1, _, peak = proc_usage(server.pid)
        heard = {p: heard_q[p].get(timeout=60) for p in PARTIES}
        for t in listeners:
            t.join()
        with Client(base, tokens["admin"], timeout_s=10.0) as admin:
            metrics = admin.request("GET", "/v1/metrics")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        errors.close()
    return summarise(name, args, logs, heard, metrics, cpu1 - cpu0, rss, peak)


def summarise(name: str, args: argparse.Namespace, logs: dict[str, list[Any]],
              heard: dict[str, Heard], metrics: dict[str, Any], cpu_s: float,
              rss: list[float], peak: float) -> str:  # fmt: skip
    accepted = sum(a for log in logs.values() for _, _, _, a, _, _ in log)
    offered = sum(n for log in logs.values() for _, _, _, _, n, _ in log)
    late = [lt for log in logs.values() for *_, lt in log]
    # when each party's feeder began to send each batch, and had it acknowledged, second
    # after second
    sent = {p: np.array([starts for _, starts, *_ in sorted(log, key=lambda r: r[0])])
            for p, log in logs.items()}  # fmt: skip
    acked = {p: np.array([acks for _, _, acks, *_ in sorted(log, key=lambda r: r[0])])
             for p, log in logs.items()}  # fmt: skip
    aircraft: dict[str, dict[str, str]] = {}  # each alert's aircraft, by party
    for p, h in heard.items():
        for alert_id, _, _, own, _ in h:
            aircraft.setdefault(alert_id, {})[p] = own
    latency, bound, waited, delivered, warming = [], [], [], [], []
    first = max(float(t[0, -1]) for t in sent.values())  # every aircraft is on the board
    last = min(float(t[-1, 0]) for t in sent.values())  # and no feeder has stopped yet
    for h in heard.values():
        for alert_id, _, beat_s, _, got in h:
            if not first < beat_s <= last or len(aircraft[alert_id]) != 2:
                continue
            if beat_s <= first + args.warm_up_s:  # the board filling: every conflict at once
                warming.append(got - beat_s)
                continue
            cause, due = 0.0, beat_s - args.tick_s
            for p, own in aircraft[alert_id].items():
                k = int(own[1:]) // BATCH
                times = sent[p][:, k]
                # the state that began its way last before the beat
                cause = max(cause, float(times[np.searchsorted(times, beat_s) - 1]))
                # the last state on the board when the beat began (acknowledged before it):
                # if the previous beat may not have had it, the change may be its doing
                used = np.searchsorted(acked[p][:, k], beat_s, side="right") - 1
                if acked[p][used, k] > beat_s - args.tick_s:
                    due = min(due, float(sent[p][used, k]))
            latency.append(got - cause)
            bound.append(got - due)
            waited.append(beat_s - cause)
            delivered.append(got - beat_s)
    latency.sort()
    if latency:
        w, d = np.quantile(waited, [0.5, 0.99]), np.quantile(delivered, [0.5, 0.99])
        print(
            f"  {name}: from the state to the beat {w[0]:.2f} / {w[1]:.2f} s, "
            f"from the beat to delivery {d[0]:.2f} / {d[1]:.2f} s",
            file=sys.stderr,
        )
    if warming:
        print(f"  {name}: warm-up ({args.warm_up_s:g} s): {len(warming):,} alert changes, "
              f"from the beat to delivery p50 / max {np.median(warming):.2f} / "
              f"{max(warming):.2f} s", file=sys.stderr)  # fmt: skip
    q = np.quantile(latency, [0.5, 0.99]) if latency else [math.nan, math.nan]
    qb = np.quantile(bound, [0.5, 0.99]) if bound else [math.nan, math.nan]
    beats = metrics["beat_s"]
    return (
        f"| {name} | {args.aircraft:,} | {args.tick_s:g} s | {args.duration_s:.0f} s | "
        f"{accepted / args.duration_s:,.0f} of {offered / args.duration_s:,.0f} | "
        f"{len(latency):,} (+{len(warming):,} in the warm-up) | "
        f"{q[0]:.2f} / {q[1]:.2f} s | {qb[0]:.2f} / {qb[1]:.2f} s | "
        f"{beats['p50']:.2f} / {beats['p99']:.2f} s | "
        f"{cpu_s / args.duration_s * 100:.0f} % | {statistics.median(rss):.0f} / {peak:.0f} MiB "
        f"| {statistics.median(late):.3f} / {max(late):.2f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--aircraft", type=int, default=20_000)
    parser.add_argument("--duration-s", type=float, default=300.0)
    parser.add_argument("--tick-s", default="0.5,1",
                        help="the beats to run with (serve --tick-s), comma-separated")  # fmt: skip
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--warm-up-s", type=float, default=10.0,
                        help="alerts of the beats this long after every aircraft is on the "
                        "board are left out of the latencies (counted apart)")  # fmt: skip
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        for tick_s in (float(t) for t in args.tick_s.split(",")):
            run_args = argparse.Namespace(**{**vars(args), "tick_s": tick_s})
            with tempfile.TemporaryDirectory(prefix="deconflict-bench-") as tmp:
                try:
                    with databases.fresh(backend, tmp, "line.db") as url:
                        rows.append(run(databases.NAMES[backend], url, run_args, Path(tmp)))
                except databases.UnavailableError as e:
                    rows.append(f"| {backend} | not run: {e} | | | | | | | | | |")
    table = "\n".join([
        f"Command: `python bench/bench_line.py --aircraft {args.aircraft} --duration-s "
        f"{args.duration_s:.0f} --tick-s {args.tick_s} --backends {args.backends} "
        f"--warm-up-s {args.warm_up_s:g}` "
        f"({os.cpu_count()} cores; server, feeders and listeners on the same machine).\n",
        "| store | aircraft | beat | run | states/s accepted of offered | alerts delivered "
        "| alert latency from the state p50 / p99 | alert latency, bound p50 / p99 "
        "| beat p50 / p99 | server CPU | server RSS median / peak | feeders late median / max |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ])  # fmt: skip
    print(table)
    if args.out:
        report.update(args.out, "bench_line", table,
                      "## The line under load: tracks at 1 Hz, alerts on the event stream "
                      "(issue 5)\n\n")  # fmt: skip


if __name__ == "__main__":
    main()
