"""The incident review's HTML report (``docs/analysis.md``): one self-contained file for the
working group that reviews an arrangement.

Nothing in it is fetched at view time: the style is inline and each plot is a PNG drawn
off-screen by matplotlib (a ``Figure`` on an Agg canvas; no pyplot, no global state) and
embedded as a data URI. Every string that comes from the data is HTML-escaped, and no string
from the data is drawn into a plot (matplotlib would read ``$`` as mathematics).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from numpy.typing import NDArray

from deconflict.analysis.review import Review

FloatArray = NDArray[np.float64]
Row = Mapping[str, Any]

LOSS_ROWS_MAX = 200  #: the most losses listed in the report's table
ALTITUDE_BANDS_FT = (100, 250, 500, 1000, 2000, 5000)  #: band widths tried, finest first
ALTITUDE_BANDS_MAX = 20  #: the finest band width that gives at most this many bands wins
HOUR_S = 3600
HOUR_TICKS_MAX = 12
HOUR_BARS_MAX = 96  #: bars per hour up to this many hours, step lines beyond
MAP_MARGIN_DEG = 1.0  #: the least margin around the data on the map
DPI = 100
COLOR = {"losses": "#c0392b", "conflicts": "#e08214", "closest": "#2c7fb8"}
LABEL = {
    "losses": "losses of separation",
    "conflicts": "predicted conflicts",
    "closest": "close encounters",
}
MAP_LABEL = {
    "losses": "loss of separation, at its horizontal minimum",
    "closest": "closest approach",
}
MAP_STYLE: dict[str, dict[str, Any]] = {
    "losses": {"marker": "x", "s": 30, "color": COLOR["losses"], "zorder": 3},
    "closest": {"marker": "o", "s": 25, "facecolors": "none", "edgecolors": COLOR["closest"]},
}
LEAD_BINS_MAX = 60
#: alert level, the column of its first time and the column of its lead time
LEVELS = (
    ("preventive", "preventive_s", "lead_preventive_s"),
    ("corrective", "corrective_s", "lead_corrective_s"),
    ("warning", "warning_s", "lead_warning_s"),
)


def write_report(review: Review, path: Path, closest_pairs: int = 10) -> None:
    """Write the report of ``review`` to ``path`` as one HTML file (UTF-8), with the profiles
    and the table of the ``closest_pairs`` closest approaches."""
    path.write_text(render_report(review, closest_pairs), encoding="utf-8")


def render_report(review: Review, closest_pairs: int = 10) -> str:
    """The report of ``review`` as one HTML document."""
    sections = (
        summary_section(review),
        per_hour_section(review),
        altitude_section(review),
        map_section(review),
        profiles_section(review, closest_pairs),
        lead_times_section(review),
        tables_section(review, closest_pairs),
    )
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Incident review</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n<h1>Incident review</h1>\n{body}\n"
        "</body>\n</html>\n"
    )


STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; }
p.none { font-style: italic; color: #555; }
figure { margin: 1em 0; }
"""


# --- values ---------------------------------------------------------------------------------


def floats(frame: pd.DataFrame, column: str) -> FloatArray:
    """A column as float64, missing and unreadable values as NaN (an empty table's columns
    are often of dtype object)."""
    numbers = pd.to_numeric(frame[column], errors="coerce")
    return np.asarray(numbers.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def as_float(value: Any) -> float:
    """``value`` as a float, NaN when it is missing or not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def as_text(value: Any) -> str:
    """``value`` as text, empty when missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def esc(value: Any) -> str:
    return html.escape(as_text(value), quote=True)


def utc_iso(time_s: float, tenths: bool = False) -> str:
    """``2024-05-01T12:34:56Z`` (with tenths of a second if asked); a dash when missing."""
    if not math.isfinite(time_s):
        return "—"
    rounded = round(time_s, 1) if tenths else round(time_s)
    moment = datetime.fromtimestamp(rounded, tz=UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if tenths:
        text += f".{moment.microsecond // 100_000}"
    return text + "Z"


def number(value: float, decimals: int = 0) -> str:
    """``value`` with thousands separators; a dash when missing."""
    return f"{value:,.{decimals}f}" if math.isfinite(value) else "—"


def meta_text(value: Any) -> str:
    """A value from ``meta``, as text (not escaped)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(meta_text(v) for v in value)
    text = as_text(value)
    return text if len(text) <= 300 else text[:300] + "…"


# --- HTML pieces ----------------------------------------------------------------------------


def section(anchor: str, title: str, content: str) -> str:
    return f'<section id="{anchor}">\n<h2>{html.escape(title)}</h2>\n{content}\n</section>'


def none(text: str) -> str:
    return f'<p class="none">None: {html.escape(text)}</p>'


def image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


@dataclass(frozen=True)
class Column:
    """A column of an HTML table: its header (with the unit) and how a row reads in it."""

    header: str
    cell: Callable[[Row], str]
    numeric: bool = False


def html_table(rows: Sequence[Row], columns: Sequence[Column]) -> str:
    """An HTML table; headers and cells are escaped here."""
    head = "".join(f"<th>{html.escape(c.header)}</th>" for c in columns)
    body = "\n".join(
        "<tr>"
        + "".join(
            f"<td{' class=n' if c.numeric else ''}>{html.escape(c.cell(row))}</td>" for c in columns
        )
        + "</tr>"
        for row in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    names = [str(c) for c in frame.columns]
    return [dict(zip(names, values, strict=True)) for values in frame.itertuples(index=False)]


def time_cell(column: str) -> Callable[[Row], str]:
    return lambda row: utc_iso(as_float(row[column]), tenths=True)


def number_cell(column: str, decimals: int) -> Callable[[Row], str]:
    return lambda row: number(as_float(row[column]), decimals)


def aircraft_cell(which: int) -> Callable[[Row], str]:
    """``id · callsign · party`` of aircraft 1 or 2 of a pair, leaving out what is missing."""

    def cell(row: Row) -> str:
        parts = (as_text(row.get(f"{name}{which}")) for name in ("id", "callsign", "party"))
        return " · ".join(part for part in parts if part)

    return cell


# --- matplotlib -----------------------------------------------------------------------------


def new_figure(width_in: float, height_in: float, constrained: bool = True) -> Figure:
    """A figure on its own Agg canvas. Constrained layout fits the labels, at about twice
    the drawing time: figures drawn many times (the profiles) place their axes instead."""
    figure = Figure(
        figsize=(width_in, height_in), dpi=DPI, layout="constrained" if constrained else None
    )
    FigureCanvasAgg(figure)
    return figure


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


# --- 1. summary -----------------------------------------------------------------------------


def time_span_s(review: Review) -> tuple[float, float]:
    """The time span of the data: from ``meta``, else from the aircraft's first and last
    samples; NaN when unknown."""
    first = as_float(review.meta.get("time_start_s"))
    last = as_float(review.meta.get("time_end_s"))
    if not math.isfinite(first) and len(review.aircraft):
        first = float(np.nanmin(floats(review.aircraft, "first_s"), initial=np.inf))
    if not math.isfinite(last) and len(review.aircraft):
        last = float(np.nanmax(floats(review.aircraft, "last_s"), initial=-np.inf))
    return (first if math.isfinite(first) else math.nan, last if math.isfinite(last) else math.nan)


def summary_section(review: Review) -> str:
    meta = review.meta
    first_s, last_s = time_span_s(review)
    aircraft = meta.get("aircraft", len(review.aircraft))
    states = meta.get("states")
    if states is None and len(review.aircraft):
        states = int(np.nansum(floats(review.aircraft, "states")))
    paragraph = (
        f"<p>{len(review.losses):,} {LABEL['losses']}, {len(review.conflicts):,} "
        f"{LABEL['conflicts']} and {len(review.closest):,} {LABEL['closest']} among "
        f"{esc(meta_text(aircraft))} aircraft, from {utc_iso(first_s)} to {utc_iso(last_s)} "
        "(UTC).</p>"
    )
    facts: list[tuple[str, str]] = [
        ("time span (UTC)", f"{utc_iso(first_s)} to {utc_iso(last_s)}"),
        ("aircraft", meta_text(aircraft)),
        ("states read", meta_text(states) if states is not None else "not recorded"),
        (LABEL["losses"], f"{len(review.losses):,}"),
        (LABEL["conflicts"], f"{len(review.conflicts):,}"),
        (LABEL["closest"], f"{len(review.closest):,}"),
        ("run time (s)", meta_text(meta["elapsed_s"]) if "elapsed_s" in meta else "not recorded"),
    ]
    known = {"inputs", "criteria", "aircraft", "states", "time_start_s", "time_end_s", "elapsed_s"}
    facts += [(str(key), meta_text(value)) for key, value in meta.items() if key not in known]
    rows = "\n".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts)
    inputs = meta.get("inputs")
    if isinstance(inputs, str):
        inputs = [inputs]
    inputs_html = (
        "<ul>\n" + "\n".join(f"<li><code>{esc(name)}</code></li>" for name in inputs) + "\n</ul>"
        if isinstance(inputs, list | tuple) and inputs
        else "<p>Not recorded.</p>"
    )
    criteria = meta.get("criteria")
    criteria_html = (
        "<table>\n"
        + "\n".join(
            f"<tr><th>{esc(k)}</th><td>{esc(meta_text(v))}</td></tr>" for k, v in criteria.items()
        )
        + "\n</table>"
        if isinstance(criteria, dict) and criteria
        else "<p>Not recorded.</p>"
    )
    content = (
        f"{paragraph}\n<table>\n{rows}\n</table>\n<h3>Inputs</h3>\n{inputs_html}\n"
        f"<h3>Criteria</h3>\n{criteria_html}"
    )
    return section("summary", "Summary", content)


# --- 2. per hour ----------------------------------------------------------------------------


def encounters_per_hour(review: Review) -> pd.DataFrame:
    """Losses (by their start), predicted conflicts (by their start) and close encounters (by
    their closest approach) per UTC hour: index ``hour_s`` (the hour's start, every hour from
    the first to the last that has one), columns ``losses``, ``conflicts``, ``closest``."""
    times_s = {
        "losses": floats(review.losses, "start_s"),
        "conflicts": floats(review.conflicts, "start_s"),
        "closest": floats(review.closest, "time_s"),
    }
    hours = {
        name: np.floor(t[np.isfinite(t)] / HOUR_S).astype(np.int64) for name, t in times_s.items()
    }
    every = np.concatenate(list(hours.values()))
    if every.size == 0:
        empty = {name: np.zeros(0, dtype=np.int64) for name in hours}
        return pd.DataFrame(empty, index=pd.Index(np.zeros(0, dtype=np.int64), name="hour_s"))
    first, last = int(every.min()), int(every.max())
    counts = {name: np.bincount(h - first, minlength=last - first + 1) for name, h in hours.items()}
    index = pd.Index(np.arange(first, last + 1, dtype=np.int64) * HOUR_S, name="hour_s")
    return pd.DataFrame(counts, index=index)


def plot_per_hour(counts: pd.DataFrame) -> bytes:
    """Bars of the counts per hour (``encounters_per_hour``), step lines beyond
    ``HOUR_BARS_MAX`` hours; x labels in UTC."""
    figure = new_figure(9, 3.5)
    ax = figure.add_subplot()
    hours = len(counts)
    names = ("losses", "conflicts", "closest")
    for i, name in enumerate(names):
        values = counts[name].to_numpy()
        if hours <= HOUR_BARS_MAX:
            left = np.arange(hours) + 0.1 + 0.8 * i / len(names)
            ax.bar(
                left, values, 0.8 / len(names), align="edge", color=COLOR[name], label=LABEL[name]
            )
        else:
            ax.stairs(values, np.arange(hours + 1), color=COLOR[name], lw=1.5, label=LABEL[name])
    step = next((s for s in (1, 2, 3, 6, 12, 24) if hours / s <= HOUR_TICKS_MAX), None)
    step = step or 24 * math.ceil(hours / 24 / HOUR_TICKS_MAX)
    ticks = list(range(0, hours, step))
    hour_s = counts.index.to_numpy()
    labels = [datetime.fromtimestamp(int(hour_s[i]), tz=UTC).strftime("%m-%d %H:00") for i in ticks]
    ax.set_xticks(ticks, labels=labels, rotation=30, ha="right")
    ax.set_xlim(0, hours)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("hour (UTC, month-day hour)")
    ax.set_ylabel("count per hour")
    ax.legend(loc="upper right", fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return png(figure)


def per_hour_section(review: Review) -> str:
    counts = encounters_per_hour(review)
    if counts.empty:
        content = none("no losses, predicted conflicts or close encounters.")
    else:
        content = (
            "<p>Losses and predicted conflicts count in the hour they start, close encounters "
            "in the hour of their closest approach.</p>\n"
            + image(plot_per_hour(counts), "encounters per hour")
        )
    return section("per-hour", "Encounters per hour (UTC)", content)


# --- 3. altitude bands ----------------------------------------------------------------------


def altitude_band_ft(altitudes_ft: FloatArray) -> int:
    """The finest band width of ``ALTITUDE_BANDS_FT`` that cuts the altitudes into at most
    ``ALTITUDE_BANDS_MAX`` bands (the coarsest when none does)."""
    finite = altitudes_ft[np.isfinite(altitudes_ft)]
    if finite.size == 0:
        return ALTITUDE_BANDS_FT[-1]
    low, high = float(finite.min()), float(finite.max())
    for band_ft in ALTITUDE_BANDS_FT:
        if math.floor(high / band_ft) - math.floor(low / band_ft) + 1 <= ALTITUDE_BANDS_MAX:
            return band_ft
    return ALTITUDE_BANDS_FT[-1]


def encounters_per_band(review: Review) -> tuple[int, pd.DataFrame]:
    """The band width (ft), and the losses and close encounters per altitude band (by the
    altitude of the horizontal minimum): index ``band_ft`` (the band's floor, every band from
    the lowest to the highest that has one), columns ``losses``, ``closest``."""
    altitudes_ft = {
        "losses": floats(review.losses, "altitude_ft"),
        "closest": floats(review.closest, "altitude_ft"),
    }
    finite = {name: a[np.isfinite(a)] for name, a in altitudes_ft.items()}
    band_ft = altitude_band_ft(np.concatenate(list(finite.values())))
    bands = {name: np.floor(a / band_ft).astype(np.int64) for name, a in finite.items()}
    every = np.concatenate(list(bands.values()))
    if every.size == 0:
        empty = {name: np.zeros(0, dtype=np.int64) for name in bands}
        return band_ft, pd.DataFrame(empty, index=pd.Index(np.zeros(0, np.int64), name="band_ft"))
    low, high = int(every.min()), int(every.max())
    counts = {name: np.bincount(b - low, minlength=high - low + 1) for name, b in bands.items()}
    index = pd.Index(np.arange(low, high + 1, dtype=np.int64) * band_ft, name="band_ft")
    return band_ft, pd.DataFrame(counts, index=index)


def plot_altitude_bands(band_ft: int, counts: pd.DataFrame) -> bytes:
    """Horizontal bars of the counts per altitude band (``encounters_per_band``)."""
    figure = new_figure(8, 1.5 + 0.3 * len(counts))
    ax = figure.add_subplot()
    y = np.arange(len(counts), dtype=np.float64)
    for offset, name in ((0.2, "losses"), (-0.2, "closest")):
        ax.barh(
            y + offset, counts[name].to_numpy(), height=0.4, color=COLOR[name], label=LABEL[name]
        )
    floors_ft = counts.index.to_numpy()
    ax.set_yticks(y, labels=[f"{f:,}–{f + band_ft:,}" for f in floors_ft])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("altitude band (ft)")
    ax.set_xlabel("count")
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    return png(figure)


def altitude_section(review: Review) -> str:
    band_ft, counts = encounters_per_band(review)
    if counts.empty:
        content = none("no losses or close encounters with an altitude.")
    else:
        content = (
            f"<p>Bands of {band_ft:,} ft, by the mean altitude of the pair at the horizontal "
            "minimum (losses) or at the closest approach (close encounters).</p>\n"
            + image(plot_altitude_bands(band_ft, counts), "encounters per altitude band")
        )
    return section("altitude", "Encounters per altitude band", content)


# --- 4. map ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Basemap:
    """Country outlines: lines of (lon, lat) in degrees and each line's bounds
    (west, south, east, north)."""

    rings: tuple[FloatArray, ...]
    bounds_deg: FloatArray


@lru_cache(maxsize=1)
def basemap() -> Basemap:
    """The outlines that ship with the console (``deconflict/web/basemap``)."""
    source = resources.files("deconflict.web") / "basemap" / "countries-50m.geojson"
    collection = json.loads(source.read_text(encoding="utf-8"))
    rings: list[FloatArray] = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else []
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else polygons
        for ring in (np.asarray(r, dtype=np.float64) for polygon in polygons for r in polygon):
            # a ring that jumps across the antimeridian is drawn as pieces on either side
            jumps = np.flatnonzero(np.abs(np.diff(ring[:, 0])) > 180.0) + 1
            rings += [piece for piece in np.split(ring, jumps) if len(piece) > 1]
    bounds = np.array([[*r.min(axis=0), *r.max(axis=0)] for r in rings], dtype=np.float64)
    return Basemap(tuple(rings), bounds.reshape(-1, 4))


def unwrap_longitudes_deg(longitude_deg: FloatArray) -> FloatArray:
    """Longitudes moved by whole turns to within 180° of their circular mean, so that data
    across the antimeridian stays together."""
    radians = np.radians(longitude_deg)
    center = math.degrees(math.atan2(np.mean(np.sin(radians)), np.mean(np.cos(radians))))
    return np.asarray(center + (longitude_deg - center + 180.0) % 360.0 - 180.0, np.float64)


def plot_map(points_deg: Mapping[str, tuple[FloatArray, FloatArray]]) -> bytes:
    """Scatter of (longitude, latitude) points per kind (``losses``, ``closest``; at least one
    finite point in all) over the country outlines, zoomed to the points with a margin."""
    kinds = list(points_deg)
    lon_all = unwrap_longitudes_deg(np.concatenate([points_deg[k][0] for k in kinds]))
    lat_all = np.concatenate([points_deg[k][1] for k in kinds])
    west, east = float(lon_all.min()), float(lon_all.max())
    south, north = float(lat_all.min()), float(lat_all.max())
    margin_deg = max(MAP_MARGIN_DEG, 0.15 * max(east - west, north - south))
    west, east = west - margin_deg, east + margin_deg
    south, north = max(south - margin_deg, -90.0), min(north + margin_deg, 90.0)

    figure = new_figure(8, 6)
    ax = figure.add_subplot()
    outlines = basemap()
    segments: list[FloatArray] = []
    for turn_deg in (-360.0, 0.0, 360.0):
        w, s, e, n = (outlines.bounds_deg + np.array([turn_deg, 0.0, turn_deg, 0.0])).T
        seen = (e >= west) & (w <= east) & (n >= south) & (s <= north)
        segments += [outlines.rings[i] + np.array([turn_deg, 0.0]) for i in np.flatnonzero(seen)]
    ax.add_collection(LineCollection(segments, colors="#999999", linewidths=0.6, zorder=1))
    start = 0
    for kind in kinds:
        count = len(points_deg[kind][0])
        lon, lat = lon_all[start : start + count], lat_all[start : start + count]
        start += count
        ax.scatter(lon, lat, label=f"{MAP_LABEL[kind]} ({count:,})", **MAP_STYLE[kind])
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    mean_lat_rad = math.radians((south + north) / 2)
    ax.set_aspect(1.0 / max(math.cos(mean_lat_rad), 0.1), adjustable="box")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{(x + 180) % 360 - 180:g}"))
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    figure.legend(loc="outside lower center", ncols=2, fontsize="small")
    return png(figure)


def map_section(review: Review) -> str:
    points: dict[str, tuple[FloatArray, FloatArray]] = {}
    for kind, frame in (("closest", review.closest), ("losses", review.losses)):
        lon, lat = floats(frame, "longitude_deg"), floats(frame, "latitude_deg")
        finite = np.isfinite(lon) & np.isfinite(lat)
        if finite.any():
            points[kind] = (lon[finite], lat[finite])
    if not points:
        content = none("no losses or close encounters with a position.")
    else:
        content = (
            "<p>Losses at the midpoint of the pair at their horizontal minimum, close encounters "
            "at the midpoint at the closest approach.</p>\n"
            + image(plot_map(points), "map of the losses and closest approaches")
        )
    return section("map", "Where they happened", content)


# --- 5. profiles ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """One of the closest pairs: its rank, its grid rows, the time of its closest approach
    and its row of ``closest`` (empty when it has none there)."""

    rank: int
    rows: pd.DataFrame
    time_cpa_s: float
    closest: dict[str, Any]


def closest_profiles(review: Review, closest_pairs: int) -> list[Profile]:
    """The profiles of ranks 1 to ``closest_pairs``, each with the time of its closest approach:
    that of the pair's smallest horizontal separation in ``closest`` within the profile's
    time span, else the time of the profile's own smallest one."""
    profiles = review.profiles
    ranks = floats(profiles, "rank")
    closest = review.closest
    pairs = [
        frozenset((as_text(a), as_text(b)))
        for a, b in zip(closest["id1"], closest["id2"], strict=True)
    ]
    closest_s, closest_nm = floats(closest, "time_s"), floats(closest, "hsep_nm")
    chosen: list[Profile] = []
    for rank in sorted({int(r) for r in ranks[np.isfinite(ranks)] if 1 <= r <= closest_pairs}):
        rows = profiles[ranks == rank]
        rows = rows[np.isfinite(floats(rows, "time_s"))]
        if rows.empty:
            continue
        times_s, hsep_nm = floats(rows, "time_s"), floats(rows, "hsep_nm")
        order = np.argsort(times_s, kind="stable")
        rows, times_s, hsep_nm = rows.iloc[order], times_s[order], hsep_nm[order]
        first_s, last_s = float(times_s[0]), float(times_s[-1])
        pair = frozenset((as_text(rows["id1"].iloc[0]), as_text(rows["id2"].iloc[0])))
        same = np.array([p == pair for p in pairs], dtype=bool).reshape(-1)
        matches = np.flatnonzero(same & (closest_s >= first_s) & (closest_s <= last_s))
        best: dict[str, Any] = {}
        if matches.size:
            best = records(closest.iloc[[matches[np.argmin(closest_nm[matches])]]])[0]
            time_cpa_s = as_float(best["time_s"])
        elif np.isfinite(hsep_nm).any():
            time_cpa_s = float(times_s[np.nanargmin(hsep_nm)])
        else:
            time_cpa_s = first_s
        run = run_around(times_s, time_cpa_s)
        chosen.append(Profile(rank, rows.iloc[run], time_cpa_s, best))
    return chosen


def run_around(times_s: FloatArray, time_s: float) -> slice:
    """The run of consecutive grid times (``times_s`` sorted and finite; no gap wider than one
    and a half of their usual step) that holds ``time_s``, or the nearest run: a pair's profile
    may hold several encounters, hours apart."""
    steps_s = np.diff(times_s)
    usual_s = float(np.median(steps_s)) if steps_s.size else 0.0
    breaks = np.flatnonzero(steps_s > 1.5 * usual_s) + 1
    starts = np.concatenate([[0], breaks]).astype(np.int64)
    ends = np.concatenate([breaks, [len(times_s)]]).astype(np.int64)
    distance_s = [
        max(times_s[a] - time_s, time_s - times_s[b - 1], 0.0)
        for a, b in zip(starts, ends, strict=True)
    ]
    i = int(np.argmin(distance_s))
    return slice(int(starts[i]), int(ends[i]))


def plot_profile(profile: Profile, hsep_limit_nm: float) -> bytes:
    """Horizontal separation, and both altitudes, against the time from the closest approach;
    a dashed line at ``hsep_limit_nm`` when it is finite."""
    rows = profile.rows
    t_s = floats(rows, "time_s") - profile.time_cpa_s
    figure = new_figure(9, 2.8, constrained=False)
    figure.subplots_adjust(left=0.08, right=0.99, bottom=0.17, top=0.97, wspace=0.22)
    ax_h, ax_v = figure.subplots(1, 2)
    ax_h.plot(t_s, floats(rows, "hsep_nm"), color=COLOR["closest"], lw=1.5)
    if math.isfinite(hsep_limit_nm):
        ax_h.axhline(hsep_limit_nm, color=COLOR["losses"], ls="--", lw=1)
    ax_h.set_ylim(bottom=0)
    ax_h.set_ylabel("horizontal separation (NM)")
    ax_v.plot(t_s, floats(rows, "altitude1_ft"), color="#4d4d4d", lw=1.5, label="aircraft 1")
    ax_v.plot(t_s, floats(rows, "altitude2_ft"), color="#9e4cc1", lw=1.5, label="aircraft 2")
    ax_v.set_ylabel("altitude (ft)")
    ax_v.legend(loc="best", fontsize="small")
    for ax in (ax_h, ax_v):
        ax.axvline(0.0, color="#888888", ls=":", lw=1)
        ax.set_xlabel("time from the closest approach (s)")
        ax.grid(alpha=0.3)
    return png(figure)


def profiles_section(review: Review, closest_pairs: int) -> str:
    profiles = closest_profiles(review, closest_pairs)
    if not profiles:
        return section("profiles", "Profiles of the closest pairs", none("no profiles."))
    criteria = review.meta.get("criteria")
    hsep_limit_nm = as_float(criteria.get("hsep_nm")) if isinstance(criteria, dict) else math.nan
    figures = []
    for profile in profiles:
        first = profile.rows.iloc[0]
        pair = profile.closest or {"id1": first["id1"], "id2": first["id2"]}
        names = f"aircraft 1: {aircraft_cell(1)(pair)}, aircraft 2: {aircraft_cell(2)(pair)}"
        at = ""
        if profile.closest:
            at = (
                f"; closest approach {number(as_float(profile.closest['hsep_nm']), 2)} NM and "
                f"{number(as_float(profile.closest['vsep_ft']))} ft apart"
            )
        caption = f"{profile.rank}. {names}{at}, at {utc_iso(profile.time_cpa_s, tenths=True)}"
        plot = image(plot_profile(profile, hsep_limit_nm), f"profile of pair {profile.rank}")
        figures.append(
            f"<figure>\n<figcaption>{html.escape(caption)}</figcaption>\n{plot}\n</figure>"
        )
    intro = (
        "<p>Left: horizontal separation (the dashed line is the horizontal minimum); right: "
        "the altitudes of both aircraft; time from the closest approach.</p>"
    )
    return section("profiles", "Profiles of the closest pairs", intro + "\n" + "\n".join(figures))


# --- 6. lead times --------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadTimes:
    """For one alert level: the conflicts that raised it, those of them with a lead time
    (they led to a loss), those raised late (negative lead), and the median lead."""

    level: str
    raised: int
    timed: int
    late: int
    median_s: float


def lead_times(conflicts: pd.DataFrame) -> list[LeadTimes]:
    result = []
    for level, first_column, lead_column in LEVELS:
        lead_s = floats(conflicts, lead_column)
        timed = lead_s[np.isfinite(lead_s)]
        result.append(
            LeadTimes(
                level=level,
                raised=int(np.isfinite(floats(conflicts, first_column)).sum()),
                timed=int(timed.size),
                late=int((timed < 0).sum()),
                median_s=float(np.median(timed)) if timed.size else math.nan,
            )
        )
    return result


def lead_bins_s(leads_s: FloatArray) -> FloatArray:
    """Histogram edges for lead times (at least one): a round width of at least a second,
    at most ``LEAD_BINS_MAX`` bins, with 0 on an edge so that late and early never share one."""
    low, high = float(leads_s.min()), float(leads_s.max())
    auto = np.histogram_bin_edges(leads_s, bins="auto")
    width = max(float(auto[1] - auto[0]), (high - low) / LEAD_BINS_MAX, 1.0)
    width = next(w * 10**k for k in range(12) for w in (1, 2, 5) if w * 10**k >= width - 1e-9)
    first, last = math.floor(low / width), math.floor(high / width) + 1
    return np.asarray(np.arange(first, last + 1) * width, dtype=np.float64)


def plot_lead_times(conflicts: pd.DataFrame) -> bytes:
    """Histograms of the lead times of each level (at least one finite in all), on common bins."""
    leads_s = {lead: floats(conflicts, lead) for _, _, lead in LEVELS}
    finite = {lead: v[np.isfinite(v)] for lead, v in leads_s.items()}
    every = np.concatenate(list(finite.values()))
    edges = lead_bins_s(every)
    figure = new_figure(8, 6)
    axes = figure.subplots(3, 1, sharex=True)
    colors = ("#fdb863", "#e08214", "#b2182b")
    for ax, (level, _, lead), color in zip(axes, LEVELS, colors, strict=True):
        values = finite[lead]
        if values.size:
            ax.hist(values, bins=edges, color=color, edgecolor="white", linewidth=0.5)
        else:
            ax.text(0.5, 0.5, "none", transform=ax.transAxes, ha="center", va="center")
        ax.axvline(0.0, color="#444444", ls="--", lw=1)
        ax.set_ylabel(f"{level}\n(count)")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", alpha=0.3)
    axes[-1].set_xlabel("lead time before the loss (s); negative: raised late")
    return png(figure)


def lead_times_section(review: Review) -> str:
    conflicts = review.conflicts
    title = "Alert lead times"
    if conflicts.empty:
        return section("lead-times", title, none("no predicted conflicts."))
    led = int(np.isfinite(floats(conflicts, "los_start_s")).sum())
    late = int((floats(conflicts, "lead_preventive_s") < 0).sum())
    summary = (
        f"<p>{len(conflicts):,} predicted conflicts; {led:,} led to a loss of separation; "
        f"{late:,} were raised late (their first alert came after the loss had started).</p>"
    )
    rows = [asdict(t) for t in lead_times(conflicts)]
    table = html_table(
        rows,
        [
            Column("alert level", lambda r: as_text(r["level"])),
            Column("conflicts that raised it", lambda r: f"{r['raised']:,}", numeric=True),
            Column("of which led to a loss", lambda r: f"{r['timed']:,}", numeric=True),
            Column("raised late (lead < 0)", lambda r: f"{r['late']:,}", numeric=True),
            Column("median lead time (s)", number_cell("median_s", 1), numeric=True),
        ],
    )
    if led == 0 or not any(t["timed"] for t in rows):
        plot = none("no predicted conflict led to a loss, so there are no lead times.")
    else:
        plot = image(plot_lead_times(conflicts), "histograms of the alert lead times")
    return section("lead-times", title, f"{summary}\n{table}\n{plot}")


# --- 7. tables ------------------------------------------------------------------------------

PAIR_COLUMNS = (Column("aircraft 1", aircraft_cell(1)), Column("aircraft 2", aircraft_cell(2)))

CLOSEST_COLUMNS = (
    Column("rank", lambda r: as_text(r["rank"]), numeric=True),
    *PAIR_COLUMNS,
    Column("closest approach (UTC)", time_cell("time_s")),
    Column("horizontal separation (NM)", number_cell("hsep_nm", 2), numeric=True),
    Column("vertical separation (ft)", number_cell("vsep_ft", 0), numeric=True),
    Column("latitude (°)", number_cell("latitude_deg", 4), numeric=True),
    Column("longitude (°)", number_cell("longitude_deg", 4), numeric=True),
    Column("altitude (ft)", number_cell("altitude_ft", 0), numeric=True),
    Column("start (UTC)", time_cell("start_s")),
    Column("end (UTC)", time_cell("end_s")),
    Column("loss", lambda r: {"True": "yes", "False": "no"}.get(as_text(r["loss"]), "")),
)

LOSS_COLUMNS = (
    *PAIR_COLUMNS,
    Column("start (UTC)", time_cell("start_s")),
    Column("end (UTC)", time_cell("end_s")),
    Column("duration (s)", number_cell("duration_s", 1), numeric=True),
    Column("min horizontal separation (NM)", number_cell("min_hsep_nm", 2), numeric=True),
    Column("min vertical separation (ft)", number_cell("min_vsep_ft", 0), numeric=True),
    Column("horizontal minimum (UTC)", time_cell("time_min_s")),
    Column("latitude (°)", number_cell("latitude_deg", 4), numeric=True),
    Column("longitude (°)", number_cell("longitude_deg", 4), numeric=True),
    Column("altitude (ft)", number_cell("altitude_ft", 0), numeric=True),
    Column("minimum applied (NM)", number_cell("hsep_applied_nm", 1), numeric=True),
    Column("minimum applied (ft)", number_cell("vsep_applied_ft", 0), numeric=True),
)


def tables_section(review: Review, closest_pairs: int) -> str:
    closest = review.closest
    if closest.empty:
        closest_html = none("no close encounters.")
    else:
        order = np.lexsort((floats(closest, "vsep_ft"), floats(closest, "hsep_nm")))
        rows = records(closest.iloc[order[:closest_pairs]])
        for rank, row in enumerate(rows, start=1):
            row["rank"] = rank
        closest_html = (
            f"<p>The {len(rows):,} closest of {len(closest):,}, by horizontal separation at the "
            "closest approach.</p>\n" + html_table(rows, CLOSEST_COLUMNS)
        )
    losses = review.losses
    if losses.empty:
        losses_html = none("no losses of separation.")
    else:
        kept = np.lexsort((floats(losses, "min_vsep_ft"), floats(losses, "min_hsep_nm")))
        kept = kept[:LOSS_ROWS_MAX]
        shown = losses.iloc[kept[np.argsort(floats(losses, "start_s")[kept], kind="stable")]]
        left_out = len(losses) - len(shown)
        note = (
            f"<p>The {len(shown):,} with the smallest horizontal separation; {left_out:,} more "
            "are left out (all are in the losses table).</p>\n"
            if left_out
            else f"<p>All {len(shown):,}, by start time.</p>\n"
        )
        losses_html = note + html_table(records(shown), LOSS_COLUMNS)
    content = (
        f"<h3>Closest approaches</h3>\n{closest_html}\n<h3>Losses of separation</h3>\n{losses_html}"
    )
    return section("tables", "Tables", content)
