"""Plausible recorded traffic at the incident review's scale, as Parquet files.

    python bench/gen_traffic.py --states 100_000_000 --out /data/traffic

writes ``states-00000.parquet``, ``states-00001.parquet``, ... one per ``--chunk-s`` of time
(10 minutes by default), each sorted by time, in the canonical schema that ``deconflict
detect`` and ``deconflict analyze`` read: ``timestamp`` (UNIX s), ``id``, ``party``,
``callsign``, ``latitude``, ``longitude`` (deg), ``altitude`` (ft), ``groundspeed`` (kt),
``track`` (deg), ``vertical_rate`` (ft/min), ``onground``. Exactly ``--states`` rows in all
(the last file is cut short in time order). Memory is bounded by one file's rows
(``aircraft × chunk_s / 7.5 s``, about 800,000 by default): nothing else is kept.

The traffic: ``--aircraft`` aircraft at a time over Europe (36-60° N, 10° W-30° E), each
reporting every 5-10 s (its own period, ±0.4 s of jitter; ``--period-s 1,1``: every
second). Most cruise at flight levels of the semicircular rule (odd thousands eastbound,
even westbound, FL200-FL410), the others climb from or descend to FL50-FL100 at
1,500-2,500 ft/min; now and then one turns or changes level. An aircraft that leaves the
region or lands is replaced by a new one (a new id), so the number flying stays the same.
Altitudes are in 25 ft steps, as ADS-B reports them.

Designed encounters: every ``--encounter-every-s`` (300 s) a pair meets at FL430-FL470,
above all the other traffic (at least 2,000 ft from it, so it meets nobody else), in
alternate halves of the region: a loss (2 NM, same level), a head-on loss (1 NM, 500 ft), a
close encounter without loss (7 NM, same level) and one 1,500 ft apart (0.5 NM), in turn.
``designed.json`` lists them (ids, time and place of the closest approach, the designed
separations and whether they lose separation), for checking what an analysis finds; the
random traffic adds losses of its own (climbs and descents through occupied levels).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from deconflict.progress import progress_bar
from deconflict.units import KT_MPS, NM_M, mps_to_kt

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

T0 = 1_795_510_800.0  #: 2026-11-24T09:00:00Z
LAT_MIN, LAT_MAX, LON_MIN, LON_MAX = 36.0, 60.0, -10.0, 30.0
M_PER_DEG = 6_371_000.0 * math.pi / 180.0  #: metres per degree of latitude (a sphere suffices)
PARTIES = np.array(["civil", "civil", "civil", "civil", "navy", "air force", ""])
AIRLINES = np.array(["AFR", "DLH", "BAW", "KLM", "RYR", "EZY", "IBE", "SAS", "AUA", "TAP"])
LOW_FT, HIGH_FT = 5_000.0, 10_000.0  #: climbs start and descents end between these
DESIGNED_HALF_S = 300.0  #: a designed pair flies its closest approach ± this
#: the designed encounters, in turn: (name, miss NM, angle deg, dz ft, loss, close)
KINDS = (
    ("crossing_loss", 2.0, 90.0, 0.0, True, True),
    ("head_on_loss", 1.0, 180.0, 500.0, True, True),
    ("close_7nm", 7.0, 60.0, 0.0, False, True),
    ("close_1500ft", 0.5, 150.0, 1500.0, False, True),
)


@dataclass
class Fleet:
    """The aircraft flying now, at the start of the current chunk (SI and degrees)."""

    serial: I64  #: each aircraft's number; its id is the number in hex
    party: I64
    lat: F64
    lon: F64
    alt_ft: F64
    target_ft: F64  #: the level it climbs or descends to (its altitude when level)
    gs_mps: F64
    track_deg: F64
    vr_fpm: F64
    period_s: F64  #: its reporting period
    next_s: F64  #: its next report's time (before jitter)

    def __len__(self) -> int:
        return len(self.serial)


def _cruise_level_ft(rng: np.random.Generator, track_deg: F64) -> F64:
    """A level of the semicircular rule: odd thousands for tracks 0-179°, even otherwise."""
    thousands = rng.integers(10, 21, size=len(track_deg)) * 2  # 20 .. 40
    odd = track_deg < 180.0
    return np.where(odd, np.minimum(thousands + 1, 41), thousands) * 1000.0


def _new_aircraft(
    rng: np.random.Generator,
    n: int,
    first_serial: int,
    now_s: float,
    period_s: tuple[float, float] = (5.0, 10.0),
) -> Fleet:
    track = rng.uniform(0.0, 360.0, n)
    cruise = _cruise_level_ft(rng, track)
    low = np.round(rng.uniform(LOW_FT, HIGH_FT, n), -2)
    phase = rng.random(n)  # < 0.7 cruising, < 0.85 climbing, else descending
    climbing, descending = (phase >= 0.7) & (phase < 0.85), phase >= 0.85
    alt = np.where(climbing, low, cruise)
    target = np.where(descending, low, cruise)
    rate = rng.uniform(1500.0, 2500.0, n)
    vr = np.where(climbing, rate, np.where(descending, -rate, 0.0))
    gs_kt = np.where(alt >= 25_000.0, rng.uniform(400.0, 490.0, n), rng.uniform(250.0, 360.0, n))
    period = rng.uniform(period_s[0], period_s[1], n)
    return Fleet(
        serial=np.arange(first_serial, first_serial + n, dtype=np.int64),
        party=rng.integers(0, len(PARTIES), n),
        lat=rng.uniform(LAT_MIN, LAT_MAX, n),
        lon=rng.uniform(LON_MIN, LON_MAX, n),
        alt_ft=alt,
        target_ft=target,
        gs_mps=gs_kt * KT_MPS,
        track_deg=track,
        vr_fpm=vr,
        period_s=period,
        next_s=now_s + rng.uniform(0.0, 1.0, n) * period,
    )


def _altitude(fleet: Fleet, index: I64, dt_s: F64) -> tuple[F64, F64]:
    """Altitude (ft) and vertical rate (ft/min) dt_s after the chunk's start: a climb or
    descent stops at its target."""
    alt0, target, vr = fleet.alt_ft[index], fleet.target_ft[index], fleet.vr_fpm[index]
    alt = alt0 + vr / 60.0 * dt_s
    reached = ((vr > 0.0) & (alt >= target)) | ((vr < 0.0) & (alt <= target))
    return np.where(reached, target, alt), np.where(reached, 0.0, vr)


def _position(fleet: Fleet, index: I64, dt_s: F64) -> tuple[F64, F64]:
    """Latitude and longitude dt_s after the chunk's start, along the track (a rhumb line,
    the track held for the chunk)."""
    track = np.radians(fleet.track_deg[index])
    dist = fleet.gs_mps[index] * dt_s
    lat = fleet.lat[index] + dist * np.cos(track) / M_PER_DEG
    coslat = np.cos(np.radians(fleet.lat[index]))
    lon = fleet.lon[index] + dist * np.sin(track) / (M_PER_DEG * coslat)
    return lat, lon


def _background_rows(
    rng: np.random.Generator, fleet: Fleet, c0: float, c1: float
) -> dict[str, Any]:
    """Every report of the fleet in [c0, c1)."""
    count = np.maximum(np.ceil((c1 - fleet.next_s) / fleet.period_s), 0).astype(np.int64)
    owner = np.repeat(np.arange(len(fleet)), count)
    first = np.repeat(np.cumsum(count) - count, count)
    j = np.arange(len(owner)) - first
    jitter = rng.uniform(-0.4, 0.4, len(owner))
    report = np.clip(fleet.next_s[owner] + j * fleet.period_s[owner] + jitter, c0, c1 - 0.001)
    t = np.round(report, 3).astype(np.float64)  # to the millisecond
    fleet.next_s = fleet.next_s + count * fleet.period_s
    dt = t - c0
    lat, lon = _position(fleet, owner, dt)
    alt, vr = _altitude(fleet, owner, dt)
    serial = fleet.serial[owner]
    return {
        "timestamp": t,
        "id": _hex(serial),
        "party": pc.take(pa.array(PARTIES), pa.array(fleet.party[owner])),
        "callsign": _callsigns(serial),
        "latitude": lat,
        "longitude": lon,
        "altitude": np.round(alt / 25.0) * 25.0,
        "groundspeed": mps_to_kt(fleet.gs_mps[owner]),
        "track": fleet.track_deg[owner],
        "vertical_rate": vr,
    }


def _hex(serial: I64) -> pa.Array:
    """ICAO 24-bit-like ids: each serial in six hex digits."""
    distinct, inverse = np.unique(serial, return_inverse=True)
    names = pa.array([f"{int(s):06x}" for s in distinct])
    return pc.take(names, pa.array(inverse.astype(np.int64)))


def _callsigns(serial: I64) -> pa.Array:
    distinct, inverse = np.unique(serial, return_inverse=True)
    names = pa.array([f"{AIRLINES[int(s) % len(AIRLINES)]}{int(s) % 9000 + 100}" for s in distinct])
    return pc.take(names, pa.array(inverse.astype(np.int64)))


def _advance(
    rng: np.random.Generator,
    fleet: Fleet,
    chunk_s: float,
    serial: int,
    period_s: tuple[float, float] = (5.0, 10.0),
) -> int:
    """Move the fleet to the next chunk's start; replace those that left or landed, turn
    some and start some level changes. Returns the next free serial."""
    everyone = np.arange(len(fleet))
    dt = np.full(len(fleet), chunk_s)
    fleet.lat, fleet.lon = _position(fleet, everyone, dt)
    fleet.alt_ft, fleet.vr_fpm = _altitude(fleet, everyone, dt)
    gone = (
        (fleet.lat < LAT_MIN - 1.0)
        | (fleet.lat > LAT_MAX + 1.0)
        | (fleet.lon < LON_MIN - 1.0)
        | (fleet.lon > LON_MAX + 1.0)
        | ((fleet.vr_fpm == 0.0) & (fleet.alt_ft <= HIGH_FT))  # landed
    )
    n = int(gone.sum())
    if n:
        new = _new_aircraft(rng, n, serial, 0.0, period_s)
        new.next_s = fleet.next_s[gone]  # reports go on from the same time
        for name in Fleet.__dataclass_fields__:
            getattr(fleet, name)[gone] = getattr(new, name)
    turn = rng.random(len(fleet)) < 0.2
    fleet.track_deg = np.where(
        turn, (fleet.track_deg + rng.normal(0.0, 20.0, len(fleet))) % 360.0, fleet.track_deg
    )
    level = (fleet.vr_fpm == 0.0) & (rng.random(len(fleet)) < 0.05)
    new_level = _cruise_level_ft(rng, fleet.track_deg)
    fleet.target_ft = np.where(level, new_level, fleet.target_ft)
    rate = rng.uniform(1000.0, 2000.0, len(fleet))
    fleet.vr_fpm = np.where(
        level & (new_level != fleet.alt_ft), np.sign(new_level - fleet.alt_ft) * rate, fleet.vr_fpm
    )
    return serial + n


# --- designed encounters -------------------------------------------------------------------------


def _designed_pair(seed: int, m: int, start_s: float, every_s: float) -> dict[str, Any]:
    """The m-th designed pair: where and when it meets, and its two legs' reports."""
    rng = np.random.default_rng([seed, 7, m])
    name, miss_nm, angle, dz_ft, loss, close = KINDS[m % len(KINDS)]
    tcpa = start_s + every_s / 2.0 + m * every_s
    west = m % 2 == 0
    mid_lon = (LON_MIN + LON_MAX) / 2.0
    lat_c = float(rng.uniform(LAT_MIN + 2.0, LAT_MAX - 2.0))
    lon_c = float(
        rng.uniform(LON_MIN + 2.0, mid_lon - 2.0)
        if west
        else rng.uniform(mid_lon + 2.0, LON_MAX - 2.0)
    )
    level = float(rng.integers(43, 46)) * 1000.0
    h1 = float(rng.uniform(0.0, 360.0))
    h2 = h1 + angle
    s1, s2 = float(rng.uniform(220.0, 250.0)), float(rng.uniform(220.0, 250.0))
    v1 = s1 * np.array([math.sin(math.radians(h1)), math.cos(math.radians(h1))])
    v2 = s2 * np.array([math.sin(math.radians(h2)), math.cos(math.radians(h2))])
    rel = v1 - v2
    r_c = miss_nm * NM_M * np.array([-rel[1], rel[0]]) / float(np.hypot(*rel))
    legs = []
    for k, (p_c, v, alt, heading) in enumerate(
        ((r_c / 2.0, v1, level + dz_ft, h1), (-r_c / 2.0, v2, level, h2))
    ):
        steps = rng.uniform(1.0, 6.0, int(2.0 * DESIGNED_HALF_S) + 1)
        t = np.round(tcpa - DESIGNED_HALF_S + np.cumsum(steps), 3)
        t = t[t <= tcpa + DESIGNED_HALF_S]
        x = p_c[0] + v[0] * (t - tcpa)
        y = p_c[1] + v[1] * (t - tcpa)
        legs.append(
            {
                "timestamp": t,
                "id": f"enc{m:05d}{'ab'[k]}",
                "party": ("red", "blue")[k],
                "callsign": f"ENC{m:05d}{'AB'[k]}",
                "latitude": lat_c + y / M_PER_DEG,
                "longitude": lon_c + x / (M_PER_DEG * math.cos(math.radians(lat_c))),
                "altitude": alt,
                "groundspeed": mps_to_kt(float(np.hypot(*v))),
                "track": heading % 360.0,
                "vertical_rate": 0.0,
            }
        )
    return {
        "name": name,
        "id1": legs[0]["id"],
        "id2": legs[1]["id"],
        "tcpa_s": tcpa,
        "latitude_deg": lat_c,
        "longitude_deg": lon_c,
        "miss_nm": miss_nm,
        "vsep_ft": dz_ft,
        "loss": loss,
        "close": close,
        "legs": legs,
    }


def _designed_rows(
    seed: int, c0: float, c1: float, start_s: float, every_s: float
) -> list[dict[str, Any]]:
    """The designed legs' reports in [c0, c1)."""
    first = max(0, math.floor((c0 - start_s - every_s / 2.0 - DESIGNED_HALF_S) / every_s))
    rows = []
    m = first
    while start_s + every_s / 2.0 + m * every_s - DESIGNED_HALF_S < c1:
        for leg in _designed_pair(seed, m, start_s, every_s)["legs"]:
            inside = (leg["timestamp"] >= c0) & (leg["timestamp"] < c1)
            if inside.any():
                n = int(inside.sum())
                rows.append(
                    {
                        key: value[inside] if isinstance(value, np.ndarray) else np.full(n, value)
                        for key, value in leg.items()
                    }
                )
        m += 1
    return rows


# --- writing -----------------------------------------------------------------------------------


SCHEMA = pa.schema(
    [
        ("timestamp", pa.float64()),
        ("id", pa.string()),
        ("party", pa.string()),
        ("callsign", pa.string()),
        ("latitude", pa.float64()),
        ("longitude", pa.float64()),
        ("altitude", pa.float64()),
        ("groundspeed", pa.float64()),
        ("track", pa.float64()),
        ("vertical_rate", pa.float64()),
        ("onground", pa.bool_()),
    ]
)


def _arrow(values: Any, kind: pa.DataType) -> pa.Array:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.cast(kind)
    return pa.array(values, type=kind)


def _table(parts: list[dict[str, Any]]) -> pa.Table:
    """One table of the parts' rows, sorted by time."""
    tables = []
    for part in parts:
        n = len(part["timestamp"])
        columns = {**part, "onground": np.zeros(n, dtype=np.bool_)}
        tables.append(pa.table([_arrow(columns[f.name], f.type) for f in SCHEMA], SCHEMA))
    table = pa.concat_tables(tables)
    return table.take(pc.sort_indices(table, [("timestamp", "ascending"), ("id", "ascending")]))


def generate(
    states: int,
    out: Path,
    *,
    aircraft: int = 10_000,
    chunk_s: float = 600.0,
    encounter_every_s: float = 300.0,
    seed: int = 0,
    start_s: float = T0,
    compression: str = "zstd",
    period_s: tuple[float, float] = (5.0, 10.0),
) -> dict[str, Any]:
    """Write ``states`` rows to ``out``; returns a summary (also in ``out/designed.json``)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    fleet = _new_aircraft(rng, aircraft, 0x100000, start_s, period_s)
    serial = 0x100000 + aircraft
    files: list[str] = []
    written, c0, last_s = 0, start_s, start_s
    started = time.perf_counter()
    with progress_bar("writing", "states") as advance:
        while written < states:
            c1 = c0 + chunk_s
            parts = [_background_rows(rng, fleet, c0, c1)]
            parts += _designed_rows(seed, c0, c1, start_s, encounter_every_s)
            table = _table(parts)
            table = table.slice(0, min(table.num_rows, states - written))
            path = out / f"states-{len(files):05d}.parquet"
            pq.write_table(table, path, compression=compression)
            files.append(path.name)
            written += table.num_rows
            last_s = float(pc.max(table["timestamp"]).as_py()) if table.num_rows else c0
            advance(written, states)
            serial = _advance(rng, fleet, chunk_s, serial, period_s)
            c0 = c1
    designed = []
    m = 0
    while start_s + encounter_every_s / 2.0 + m * encounter_every_s + DESIGNED_HALF_S <= last_s:
        pair = _designed_pair(seed, m, start_s, encounter_every_s)
        del pair["legs"]
        designed.append(pair)
        m += 1
    summary = {
        "states": written,
        "files": files,
        "start_s": start_s,
        "end_s": last_s,
        "aircraft_at_a_time": aircraft,
        "aircraft_in_all": serial - 0x100000,
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
        "designed": designed,
    }
    (out / "designed.json").write_text(json.dumps(summary, indent=1))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--states", type=int, required=True, help="rows to write in all (e.g. 100_000_000)"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the Parquet files")
    parser.add_argument(
        "--aircraft", type=int, default=10_000, help="aircraft flying at a time (10,000)"
    )
    parser.add_argument(
        "--chunk-s", type=float, default=600.0, help="seconds of traffic per file (600)"
    )
    parser.add_argument(
        "--encounter-every-s",
        type=float,
        default=300.0,
        help="a designed encounter every S seconds (300)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument(
        "--start-s",
        type=float,
        default=T0,
        help=f"UNIX time of the first report ({T0:.0f}, 2026-11-24T09:00Z)",
    )
    parser.add_argument("--compression", default="zstd", help="Parquet compression (zstd)")
    parser.add_argument(
        "--period-s",
        default="5,10",
        help="each aircraft reports every LO-HI seconds, its own period drawn between them "
        "(5,10: OpenSky-like; 1,1: a receiver's ADS-B, about one report a second)",
    )
    args = parser.parse_args(argv)
    try:
        lo, hi = (float(x) for x in args.period_s.split(","))
    except ValueError:
        parser.error("--period-s must be LO,HI seconds, e.g. 5,10")
    if not 0.9 <= lo <= hi:  # with ±0.4 s of jitter, reports stay in order
        parser.error("--period-s needs 0.9 <= LO <= HI")
    if args.states < 0 or args.aircraft < 1 or args.chunk_s <= 0 or args.encounter_every_s <= 0:
        parser.error("--states must be >= 0; --aircraft, --chunk-s and --encounter-every-s > 0")
    summary = generate(
        args.states,
        args.out,
        aircraft=args.aircraft,
        chunk_s=args.chunk_s,
        encounter_every_s=args.encounter_every_s,
        seed=args.seed,
        start_s=args.start_s,
        compression=args.compression,
        period_s=(lo, hi),
    )
    hours = (summary["end_s"] - summary["start_s"]) / 3600.0
    print(
        f"{summary['states']:,} states in {len(summary['files'])} files under {args.out} "
        f"({hours:.1f} h of traffic, {summary['aircraft_in_all']:,} aircraft, "
        f"{len(summary['designed'])} designed encounters) in {summary['seconds']} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
