"""Benchmark of the console in headless Chromium: frames per second while panning over N
aircraft, and the delay from a feed's push to the map drawing it.

A real server (``deconflict serve`` on a temporary SQLite line) gets N aircraft of party a
pushed once a second (one batch, over an 8° x 5° box of the eastern Mediterranean, all on
screen). Chromium (Debian's, software WebGL) opens the console as a's officer; once the
N aircraft are drawn:

- **panning:** the page moves the camera a little every animation frame for ``--pan-s``
  seconds, as a drag does, and counts the animation frames (requestAnimationFrame) and the
  map's own frames (its ``render`` events);
- **update delay:** one aircraft carries a sequence number in its altitude; the page notes
  the first frame the map draws once its source holds each new batch, and the delay is that
  moment less the moment the batch was pushed (one clock: the same machine). The console
  gets the tracks pushed on the ``/v1/picture/ws`` socket as the feed pushes them.

Chromium runs with the flags a user of a machine with no GPU needs for WebGL at all
(SwiftShader); Debian's Chromium picks the same renderer without them. On such a renderer
the console draws the map coarser while it moves (``docs/console.md``): what it shows while
panning is what is measured.

    python bench/bench_console.py --out docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import math
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

import report  # bench/report.py, beside this script

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--enable-unsafe-swiftshader", "--use-angle=swiftshader", "--ignore-gpu-blocklist"]
VIEWPORTS = ("1400x860", "800x600")
PROBE = "probe"

#: run in the page: note when the aircraft source holds each batch (the probe's altitude
#: is its sequence number)
WATCH = """() => {
  const c = window.deconflictConsole, map = c.map();
  window.__seen = [];
  let pending = null;
  map.on('sourcedata', (e) => {
    if (e.sourceId !== 'aircraft' || e.sourceDataType !== 'content') return;
    const p = c.state.tracks.find((t) => t.id === 'probe');
    if (p) pending = Math.round(p.altitude_ft / 100);
  });
  map.on('render', () => {
    if (pending !== null && map.isSourceLoaded('aircraft')) {
      window.__seen.push([pending, Date.now() / 1000]);
      pending = null;
    }
  });
}"""

#: run in the page: pan for ``s`` seconds, one camera step per animation frame
PAN = """(s) => new Promise((resolve) => {
  const map = window.deconflictConsole.map();
  const start = map.getCenter();
  let frames = 0, renders = 0, t0 = null;
  const onRender = () => { renders += 1; };
  map.on('render', onRender);
  const step = (t) => {
    if (t0 === null) t0 = t;
    const k = (t - t0) / 1000;
    if (k >= s) {
      map.off('render', onRender);
      map.jumpTo({center: start});
      resolve({frames, renders, seconds: k});
      return;
    }
    frames += 1;
    const dx = 1.5 * Math.sin(k * 1.3), dy = 0.8 * Math.sin(k * 0.9);
    map.jumpTo({center: [start.lng + dx, start.lat + dy]});
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
})"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Feeder(threading.Thread):
    """N aircraft of party a, pushed once a second; the probe's altitude is the batch's
    sequence number (x 100 ft), and ``pushed[seq]`` the moment its push began."""

    def __init__(self, url: str, key: str, n: int, seed: int = 1) -> None:
        super().__init__(daemon=True)
        from deconflict.client import Client

        self.client = Client(url, key)
        rng = np.random.default_rng(seed)
        self.lon0 = rng.uniform(29.0, 37.0, n)
        self.lat0 = rng.uniform(31.5, 36.5, n)
        self.track = rng.uniform(0.0, 360.0, n)
        self.gs = rng.uniform(250.0, 480.0, n)
        self.alt = rng.choice(np.arange(100, 410, 10), n) * 100.0
        self.t0 = time.time()
        self.pushed: dict[int, float] = {}
        self.stopping = threading.Event()

    def batch(self, seq: int) -> list[dict[str, Any]]:
        now = time.time()
        d = self.gs * 1852.0 / 3600.0 * (now - self.t0) / 111_320.0
        lat = self.lat0 + d * np.cos(np.radians(self.track))
        lon = self.lon0 + d * np.sin(np.radians(self.track)) / np.cos(np.radians(self.lat0))
        states = [
            {"id": f"a{i}", "callsign": f"BLU{i:04d}", "time_s": now, "latitude_deg": lat[i],
             "longitude_deg": lon[i], "altitude_ft": self.alt[i], "groundspeed_kt": self.gs[i],
             "track_deg": self.track[i], "vertical_rate_fpm": 0.0}
            for i in range(len(lat))
        ]  # fmt: skip
        states[0].update(id=PROBE, altitude_ft=100.0 * self.tag(seq))
        return states

    @staticmethod
    def tag(seq: int) -> int:
        """The probe's flight level for batch ``seq``."""
        return seq % 900 + 10

    def run(self) -> None:
        seq = 0
        while not self.stopping.is_set():
            seq += 1
            states = self.batch(seq)
            self.pushed[self.tag(seq)] = time.time()
            self.client.push_tracks(states)
            self.stopping.wait(max(0.0, 1.0 - (time.time() - self.pushed[self.tag(seq)])))

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)
        self.client.close()


def measure(n: int, pan_s: float, watch_s: float, viewport: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from deconflict.line.line import OPERATOR, Line

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "line.db"
        with Line.open(f"sqlite:///{db}") as line:
            line.add_party(OPERATOR, "a", "Blue air group")
            officer = line.create_key(OPERATOR, "officer", "a")[1]
            feed = line.create_key(OPERATOR, "feed", "a")[1]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        exe = Path(sys.executable).parent / "deconflict"
        server = subprocess.Popen(
            [str(exe), "serve", "--db", str(db), "--port", str(port), "--rate-limit", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"{url}/v1/health", timeout=2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.2)
            feeder = Feeder(url, feed, n)
            feeder.start()
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                width, height = (int(x) for x in viewport.split("x"))
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(f"{url}/console/")
                page.fill("#login-key", officer)
                page.click("#login button[type=submit]")
                page.wait_for_selector("body[data-ready=true]", timeout=60_000)
                page.evaluate("window.deconflictConsole.map().jumpTo({center: [33, 34], zoom: 5})")
                page.wait_for_function(
                    f"window.deconflictConsole.state.tracks.length >= {n}", timeout=60_000
                )
                page.wait_for_timeout(2000)
                drawn = page.evaluate(
                    "window.deconflictConsole.map().queryRenderedFeatures("
                    "{layers: ['aircraft']}).length"
                )
                page.evaluate(WATCH)
                page.wait_for_timeout(watch_s * 1000)
                seen = page.evaluate("window.__seen")
                pan = page.evaluate(PAN, pan_s)
                version = browser.version
                browser.close()
            feeder.stop()
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:  # a socket still draining: no need to wait
                server.kill()
                server.wait(10)
    delays = []
    first: set[int] = set()
    for tag, at in seen:
        if tag in feeder.pushed and tag not in first:
            first.add(tag)
            delays.append(at - feeder.pushed[tag])
    delays.sort()
    return {
        "n": n, "drawn": drawn, "fps": pan["frames"] / pan["seconds"],
        "map_fps": pan["renders"] / pan["seconds"], "updates": len(delays),
        "p50": statistics.median(delays) if delays else math.nan,
        "p95": delays[min(len(delays) - 1, int(0.95 * len(delays)))] if delays else math.nan,
        "max": delays[-1] if delays else math.nan, "version": version,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 1_000, 5_000])
    parser.add_argument("--viewports", nargs="+", default=list(VIEWPORTS))
    parser.add_argument("--pan-s", type=float, default=10.0)
    parser.add_argument("--watch-s", type=float, default=30.0)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no {CHROMIUM}: `make chromium` installs it")
    rows = []
    version = ""
    for viewport in args.viewports:
        for n in args.sizes:
            r = measure(n, args.pan_s, args.watch_s, viewport)
            version = r["version"]
            row = (
                f"| {viewport} | {n:,} | {r['drawn']:,} | {r['fps']:.1f} | {r['map_fps']:.1f} "
                f"| {r['updates']} | {r['p50']:.2f} | {r['p95']:.2f} | {r['max']:.2f} |"
            )
            print(row, flush=True)
            rows.append(row)
    lines = [
        f"Headless Chromium {version} (Debian's, WebGL on the CPU with SwiftShader), all "
        "aircraft on screen (1: the probe alone, i.e. the map and its basemap), labels off by "
        f"density; panning {args.pan_s:.0f} s, updates watched {args.watch_s:.0f} s. Update "
        "delay: from the start of a feed's push to the map's source holding it (the line "
        "pushes the tracks to the console on its picture socket). While the map moves, "
        "Chromium's software WebGL draws it at half resolution without leader lines, "
        "graticule and borders (docs/console.md).",
        "",
        "| viewport | aircraft | drawn | fps panning (animation frames) | map frames/s "
        "| updates seen "
        "| update delay p50 (s) | p95 (s) | max (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
    ]
    if args.out:
        preamble = (
            "## The console in a browser (issue 6)\n\n"
            "Command: `python bench/bench_console.py --out docs/benchmarks.md`. Target: with "
            "5,000 aircraft on screen, ≥ 30 fps panning and updates within 1 s.\n\n"
        )
        report.update(args.out, "bench_console", "\n".join(lines), preamble)


if __name__ == "__main__":
    main()
