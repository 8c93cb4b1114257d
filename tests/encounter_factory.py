"""Recorded traffic with encounters known by construction, for the incident review's tests.

``designed_traffic(seed)`` returns state vectors and the catalogue of designed pairs with
what ``docs/analysis.md`` should find for each under the default criteria (5 NM / 1,000 ft
minima, 10 NM / 2,000 ft reporting limits, 1 s grid, 20 s gaps, no tolerance).

How the truth is known:

- Each designed pair flies straight, at constant velocity, in the plane tangent to the
  WGS84 ellipsoid at its closest approach (east, north); each point of that plane is put
  on the ellipsoid along the normal (pyproj, ECEF to geodetic). Their relative position is
  ``r_c + v_rel (t - tcpa)`` with ``r_c`` perpendicular to ``v_rel``, so the horizontal
  separation is ``sqrt(miss² + |v_rel|² (t - tcpa)²)`` and the loss and close intervals are
  closed formulas. Altitudes are linear in time, so the vertical is exact.
- What the plane misses: a point ``r`` from the tangent point lands ``~r³/2R²`` away from
  where the plane puts it, so a separation ``s`` is off by about ``1.5 (r/R)² s``; the
  designed legs stay within ~70 km of their tangent point (1.3 m on 10 NM at 70 km, a few
  cm near the closest approach); linear interpolation of latitude and longitude between
  samples bends a straight leg by ``L² tan(lat) / 8R`` (L the distance between samples:
  cm at mid latitudes, ~1 m for the polar pair at 89.4°). The chord is shorter than the
  arc by ``s³/24R²`` (mm).
- Coverage: the grid times an aircraft covers are counted from the sample times generated
  (on a sample, or between two at most 20 s apart); a designed gap removes every sample
  strictly between two given times, so its length is exact.

Places: every designed pair and every background aircraft has a slot of its own, on a
lattice 20° of latitude by 30° of longitude apart (at least 1,600 km), jittered by the seed;
nothing flies more than ~150 km from its slot, so no two slots ever interact. Two pairs have
fixed places: one on the antimeridian, one at 89.4° N.

Sampling: irregular, 1-6 s (fractional times to the millisecond for half the aircraft,
whole seconds for the other half), a few rows with no callsign; some aircraft repeat a time
(the earlier row with a wrong position and altitude, then the right one: the later row
must win); some background aircraft have gaps longer than 20 s.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from pyproj import Transformer

from deconflict.states import StateVectors
from deconflict.units import fpm_to_mps, ft_to_m, m_to_ft, m_to_nm, nm_to_m

F64 = NDArray[np.float64]

T0 = 1_795_510_800.0  #: 2026-11-24T09:00:00Z, an hour boundary (the next is T0 + 3600)
START_S = T0 - 1800.0  #: the traffic spans [START_S, END_S], across two hour boundaries
END_S = T0 + 5400.0

#: the criteria the truth is computed for (the defaults of docs/analysis.md)
HSEP_NM, VSEP_FT, CPA_NM, CPA_FT, STEP_S, MAX_GAP_S = 5.0, 1000.0, 10.0, 2000.0, 1.0, 20.0

WGS84_A_M = 6_378_137.0
WGS84_E2 = (1.0 / 298.257223563) * (2.0 - 1.0 / 298.257223563)

_TO_LATLON = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)


@dataclass(frozen=True)
class Spec:
    """One designed pair: two straight legs through a closest approach at ``tcpa``."""

    name: str
    miss_nm: float  #: horizontal separation at the closest approach
    angle_deg: float  #: between the two tracks (0 same direction, 180 head-on)
    speed1_mps: float
    speed2_mps: float
    alt1_ft: float  #: altitudes at tcpa
    alt2_ft: float
    vz1_fpm: float = 0.0
    vz2_fpm: float = 0.0
    tcpa_s: float | None = None  #: None: drawn by the seed
    half_s: float = 300.0  #: each leg spans tcpa ± half_s (plus a few seconds)
    gap_s: tuple[float, float] | None = None  #: aircraft 2 has no sample strictly inside
    duplicates: bool = False  #: aircraft 1 repeats times near tcpa, a wrong row first
    place: str = ""  #: "antimeridian", "pole" or "" (a lattice slot)


FL350, FL300 = 35_000.0, 30_000.0

#: what every seed designs; the comments say what the review should find (see COUNTS)
CATALOGUE: tuple[Spec, ...] = (
    # losses of separation (one loss and one close encounter each, unless said)
    Spec("crossing_loss", 2.0, 90.0, 230.0, 240.0, FL350, FL350),
    Spec("head_on_fast", 1.0, 180.0, 250.0, 250.0, FL350, FL350 - 300.0),  # ~36 s
    Spec("head_on_short", 4.9, 180.0, 250.0, 250.0, FL350, FL350),  # ~7.4 s
    # level 300 against a 2,000 ft/min climb through it at tcpa: ±30 s of loss
    Spec("climb_through", 3.0, 60.0, 230.0, 230.0, FL300, FL300, 0.0, 2000.0),
    # climb against descent, co-altitude at tcpa + 10 s
    Spec("climb_descend", 2.0, 120.0, 220.0, 200.0, FL300 - 250.0, FL300 + 250.0, 1500.0, -1500.0),
    Spec("loss_on_hour", 1.5, 70.0, 220.0, 210.0, FL350, FL350, tcpa_s=T0 + 3600.0),
    # 13.7 m/s closure: a loss of ~16 min and an encounter of ~35 min across T0
    Spec("long_loss_straddle", 3.0, 12.0, 50.0, 40.0, 9000.0, 9000.0, tcpa_s=T0 + 120.0,
         half_s=1300.0),
    # aircraft 2 silent for 40 s around tcpa: the loss and the encounter break in two
    Spec("loss_with_gap", 1.0, 90.0, 230.0, 230.0, FL350, FL350, gap_s=(-20.0, 20.0)),
    # a 15 s silence (under max_gap_s) breaks nothing
    Spec("loss_short_gap", 1.0, 90.0, 230.0, 230.0, FL350, FL350, gap_s=(-7.0, 8.0)),
    Spec("loss_duplicates", 2.5, 100.0, 230.0, 220.0, FL350, FL350, duplicates=True),
    Spec("antimeridian_loss", 2.0, 90.0, 230.0, 230.0, FL350, FL350, place="antimeridian"),
    Spec("polar_loss", 2.0, 90.0, 120.0, 130.0, FL350, FL350, place="pole"),
    # close encounters without loss
    Spec("close_level_7nm", 7.0, 90.0, 230.0, 230.0, FL350, FL350),
    Spec("close_1500ft", 0.5, 150.0, 230.0, 230.0, FL350, FL350 - 1500.0),
    Spec("close_on_hour", 8.0, 90.0, 230.0, 230.0, FL350, FL350, tcpa_s=T0),
    Spec("long_close_straddle", 7.0, 12.0, 50.0, 40.0, 9000.0, 9000.0,
         tcpa_s=T0 + 3600.0 - 200.0, half_s=1300.0),
    # within 5 NM only while more than 1,000 ft apart: no loss; the encounter starts at
    # tcpa + 10 s (the climber within 2,000 ft), where its closest approach is
    Spec("level_cross_close_only", 3.0, 180.0, 150.0, 150.0, FL300, FL300 - 2250.0, 0.0, 1500.0),
    # exactly 1,000 ft apart: at the minimum, not below it
    Spec("threshold_vertical", 1.0, 90.0, 230.0, 230.0, 31_000.0, 30_000.0),
    # nothing at all
    Spec("far_15nm", 15.0, 90.0, 230.0, 230.0, FL350, FL350),
    Spec("far_vertical", 0.5, 180.0, 230.0, 230.0, FL350, FL350 - 3000.0),
)  # fmt: skip

#: what the review finds in designed_traffic(seed, ...) whatever the seed
COUNTS = {"losses": 13, "closest": 19, "pairs_with_loss": 12, "pairs_close": 18}


@dataclass(frozen=True)
class Expected:
    """One interval the review should find: a loss, or a close encounter."""

    start_s: float
    end_s: float
    time_min_s: float  #: time of the smallest horizontal separation in it
    min_hsep_nm: float
    vsep_at_min_ft: float
    min_vsep_ft: float  #: the smallest vertical separation over the interval
    latitude_deg: float  #: the pair's midpoint at time_min_s
    longitude_deg: float
    altitude_ft: float  #: the pair's mean altitude at time_min_s


@dataclass(frozen=True)
class Designed:
    """A designed pair and what should be found for it (id1 < id2)."""

    name: str
    id1: str
    id2: str
    tcpa_s: float
    miss_nm: float
    vsep_cpa_ft: float
    latitude_deg: float  #: where the closest approach is (the tangent point)
    longitude_deg: float
    losses: tuple[Expected, ...]
    close: tuple[Expected, ...]


@dataclass
class _Rows:
    """The rows of one aircraft, in file order."""

    id: str
    party: str
    callsign: str
    time_s: list[F64] = field(default_factory=list)
    lat: list[F64] = field(default_factory=list)
    lon: list[F64] = field(default_factory=list)
    alt_m: list[F64] = field(default_factory=list)
    gs: list[F64] = field(default_factory=list)
    track: list[F64] = field(default_factory=list)
    vz: list[F64] = field(default_factory=list)
    blank_callsign: list[NDArray[np.bool_]] = field(default_factory=list)

    def add(
        self,
        t: F64,
        lat: F64,
        lon: F64,
        alt_m: F64,
        gs: F64,
        track: F64,
        vz: F64,
        blank_callsign: NDArray[np.bool_],
    ) -> None:
        self.time_s.append(t)
        self.lat.append(lat)
        self.lon.append(lon)
        self.alt_m.append(alt_m)
        self.gs.append(gs)
        self.track.append(track)
        self.vz.append(vz)
        self.blank_callsign.append(blank_callsign)


# --- geometry ----------------------------------------------------------------------------------


def _frame(lat_deg: float, lon_deg: float) -> tuple[F64, F64, F64]:
    """The tangent point on the ellipsoid (ECEF) and its unit east and north vectors."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    n = WGS84_A_M / math.sqrt(1.0 - WGS84_E2 * math.sin(lat) ** 2)
    origin = np.array(
        [
            n * math.cos(lat) * math.cos(lon),
            n * math.cos(lat) * math.sin(lon),
            n * (1.0 - WGS84_E2) * math.sin(lat),
        ]
    )
    east = np.array([-math.sin(lon), math.cos(lon), 0.0])
    north = np.array(
        [-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat)]
    )
    return origin, east, north


def plane_to_latlon(lat0_deg: float, lon0_deg: float, x_m: F64, y_m: F64) -> tuple[F64, F64]:
    """Points of the plane tangent at (lat0, lon0) (x east, y north, m) put on the ellipsoid
    along its normal: their geodetic latitude and longitude."""
    origin, east, north = _frame(lat0_deg, lon0_deg)
    p = origin + np.outer(x_m, east) + np.outer(y_m, north)
    lon, lat, _ = _TO_LATLON.transform(p[:, 0], p[:, 1], p[:, 2])
    return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)


# --- sampling ----------------------------------------------------------------------------------


def _sample_times(rng: np.random.Generator, t0: float, t1: float, whole: bool) -> F64:
    """Irregular times from about t0 to about t1, 1-6 s apart."""
    n = int((t1 - t0) / 1.0) + 2
    if whole:
        steps = rng.integers(1, 7, size=n).astype(np.float64)
        t = math.floor(t0) + np.concatenate([[0.0], np.cumsum(steps)])
    else:
        steps = rng.uniform(1.0, 6.0, size=n)
        t = np.round(t0 + np.concatenate([[0.0], np.cumsum(steps)]), 3)
    return t[t <= t1 + 6.0]


def _with_gap(t: F64, t_a: float, t_b: float) -> F64:
    """No sample strictly between t_a and t_b, one at each."""
    outside = t[(t < t_a) | (t > t_b)]
    return np.unique(np.concatenate([outside, [t_a, t_b]]))


@dataclass(frozen=True)
class _Leg:
    """Straight, constant-velocity flight in the plane tangent at ``place``: at ``p_c`` (m,
    east and north) at ``tcpa``, moving at ``v``; altitude linear in time."""

    place: tuple[float, float]
    tcpa: float
    p_c: F64
    v: F64
    alt_c_m: float
    vz_mps: float
    heading_deg: float

    def emit(
        self, rng: np.random.Generator, rows: _Rows, t: F64, dx_m: float = 0.0, dz_m: float = 0.0
    ) -> None:
        """Append the states at times t (shifted by dx_m east and dz_m up: a wrong row)."""
        x = self.p_c[0] + self.v[0] * (t - self.tcpa) + dx_m
        y = self.p_c[1] + self.v[1] * (t - self.tcpa)
        lat, lon = plane_to_latlon(self.place[0], self.place[1], x, y)
        rows.add(
            t,
            lat,
            lon,
            self.alt_c_m + self.vz_mps * (t - self.tcpa) + dz_m,
            np.full(len(t), float(np.hypot(*self.v))),
            np.full(len(t), self.heading_deg % 360.0),
            np.full(len(t), self.vz_mps),
            rng.random(len(t)) < 0.2,
        )


# --- truth ---------------------------------------------------------------------------------


def covered_grid(time_s: F64, step_s: float = STEP_S, max_gap_s: float = MAX_GAP_S) -> set[int]:
    """Grid indices k an aircraft with these sample times covers: k·step on a sample, or
    between two consecutive samples at most max_gap_s apart."""
    t = [float(x) for x in np.unique(time_s)]
    ks: set[int] = {int(x / step_s) for x in t if (x / step_s).is_integer()}
    for a, b in itertools.pairwise(t):
        if b - a <= max_gap_s:
            ks.update(range(math.ceil(a / step_s), math.floor(b / step_s) + 1))
    return ks


def _runs(ks: set[int]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive integers, as (first, last)."""
    runs: list[tuple[int, int]] = []
    for k in sorted(ks):
        if runs and k == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    return runs


def expected_intervals(
    *,
    tcpa_s: float,
    miss_m: float,
    vrel_mps: float,
    dz_cpa_m: float,
    vz_rel_mps: float,
    pieces: Sequence[tuple[float, float]],
    limit_h_m: float,
    limit_v_m: float,
    where: Callable[[float], tuple[float, float, float]],
) -> list[Expected]:
    """The intervals within ``pieces`` (closed, the pair's co-covered runs of grid times)
    where ``sqrt(miss² + vrel² (t - tcpa)²) < limit_h`` and
    ``|dz_cpa + vz_rel (t - tcpa)| < limit_v``, with their minima; ``where(t)`` is the
    pair's midpoint and mean altitude (ft) at t."""
    if miss_m >= limit_h_m:
        return []
    half = math.sqrt(limit_h_m**2 - miss_m**2) / vrel_mps
    h_lo, h_hi = tcpa_s - half, tcpa_s + half
    if vz_rel_mps == 0.0:
        if abs(dz_cpa_m) >= limit_v_m:
            return []
        v_lo, v_hi = -math.inf, math.inf
    else:
        ends = sorted(((-limit_v_m - dz_cpa_m) / vz_rel_mps, (limit_v_m - dz_cpa_m) / vz_rel_mps))
        v_lo, v_hi = tcpa_s + ends[0], tcpa_s + ends[1]
    found: list[Expected] = []
    for a, b in pieces:
        lo, hi = max(h_lo, v_lo, a), min(h_hi, v_hi, b)
        if not (lo < hi or (a == b and h_lo < a < h_hi and v_lo < a < v_hi)):
            continue
        t_min = min(max(tcpa_s, lo), hi)

        def dz(t: float) -> float:
            return dz_cpa_m + vz_rel_mps * (t - tcpa_s)

        crosses = dz(lo) * dz(hi) <= 0.0
        lat, lon, alt_ft = where(t_min)
        found.append(
            Expected(
                start_s=lo,
                end_s=hi,
                time_min_s=t_min,
                min_hsep_nm=m_to_nm(math.hypot(miss_m, vrel_mps * (t_min - tcpa_s))),
                vsep_at_min_ft=m_to_ft(abs(dz(t_min))),
                min_vsep_ft=0.0 if crosses else m_to_ft(min(abs(dz(lo)), abs(dz(hi)))),
                latitude_deg=lat,
                longitude_deg=lon,
                altitude_ft=alt_ft,
            )
        )
    return found


# --- the traffic -------------------------------------------------------------------------------


def _slots(rng: np.random.Generator) -> list[tuple[float, float]]:
    """Lattice places (lat, lon), shuffled and jittered by up to 3°; lon 180 ones first."""
    lattice = [(lat, lon) for lat in range(-60, 61, 20) for lon in range(-150, 181, 30)]
    order = rng.permutation(len(lattice))
    shuffled = [lattice[i] for i in order]
    shuffled.sort(key=lambda p: p[1] != 180)  # stable: the antimeridian slots first
    return [(lat + rng.uniform(-3.0, 3.0), lon + rng.uniform(-3.0, 3.0)) for lat, lon in shuffled]


def designed_traffic(seed: int = 0, *, background: int = 20) -> tuple[StateVectors, list[Designed]]:
    """The catalogue's pairs (``CATALOGUE``) and ``background`` aircraft that never come
    near anyone, as state vectors in time order, and what the review should find for each
    designed pair (``COUNTS`` in total)."""
    rng = np.random.default_rng(seed)
    slots = _slots(rng)
    antimeridian = slots.pop(0)
    aircraft: list[_Rows] = []
    designed: list[Designed] = []
    for index, spec in enumerate(CATALOGUE):
        if spec.place == "antimeridian":
            place = (antimeridian[0], 180.0)
        elif spec.place == "pole":
            place = (89.4, float(rng.uniform(-180.0, 180.0)))
        else:
            place = slots.pop()
        rows, truth = _design_pair(rng, index, spec, place)
        aircraft += rows
        designed.append(truth)
    for index in range(background):
        aircraft.append(_background(rng, index, slots.pop()))
    return _states(aircraft), designed


def _design_pair(
    rng: np.random.Generator, index: int, spec: Spec, place: tuple[float, float]
) -> tuple[list[_Rows], Designed]:
    half = spec.half_s
    if spec.tcpa_s is None:
        tcpa = float(rng.uniform(START_S + half + 60.0, END_S - half - 60.0))
    else:
        tcpa = spec.tcpa_s
    if spec.place == "antimeridian":
        heading1 = float(rng.uniform(60.0, 120.0))  # eastbound across 180°
    else:
        heading1 = float(rng.uniform(0.0, 360.0))
    heading2 = heading1 + spec.angle_deg * (1.0 if rng.random() < 0.5 else -1.0)
    v1 = spec.speed1_mps * np.array(
        [math.sin(math.radians(heading1)), math.cos(math.radians(heading1))]
    )
    v2 = spec.speed2_mps * np.array(
        [math.sin(math.radians(heading2)), math.cos(math.radians(heading2))]
    )
    v_rel = v1 - v2
    vrel = float(np.hypot(*v_rel))
    side = 1.0 if rng.random() < 0.5 else -1.0
    r_c = side * nm_to_m(spec.miss_nm) * np.array([-v_rel[1], v_rel[0]]) / vrel
    alt1_m, alt2_m = ft_to_m(spec.alt1_ft), ft_to_m(spec.alt2_ft)
    vz1, vz2 = fpm_to_mps(spec.vz1_fpm), fpm_to_mps(spec.vz2_fpm)

    id1, id2 = f"d{index:02d}a", f"d{index:02d}b"
    parties = ("red", "blue", "")
    pair: list[_Rows] = []
    legs: list[F64] = []
    for k, (p_c, v, alt_c, vz, heading) in enumerate(
        ((r_c / 2.0, v1, alt1_m, vz1, heading1), (-r_c / 2.0, v2, alt2_m, vz2, heading2))
    ):
        t0 = tcpa - half - float(rng.uniform(0.0, 5.0))
        t1 = tcpa + half + float(rng.uniform(0.0, 5.0))
        t = _sample_times(rng, t0, t1, whole=bool(rng.random() < 0.5))
        if k == 1 and spec.gap_s is not None:
            t = _with_gap(t, tcpa + spec.gap_s[0], tcpa + spec.gap_s[1])
        rows = _Rows((id1, id2)[k], parties[(index + k) % 3], f"DSG{index:02d}{'AB'[k]}")
        leg = _Leg(place, tcpa, p_c, v, alt_c, vz, heading)
        if k == 0 and spec.duplicates:
            # around the closest approach: a wrong row (2 km east, 2,000 ft up), then the right
            near = t[np.abs(t - tcpa) < 15.0]
            leg.emit(rng, rows, t[t < near[0]])
            for x in near:
                leg.emit(rng, rows, np.array([x]), dx_m=2000.0, dz_m=ft_to_m(2000.0))
                leg.emit(rng, rows, np.array([x]))
            leg.emit(rng, rows, t[t > near[-1]])
        else:
            leg.emit(rng, rows, t)
        pair.append(rows)
        legs.append(t)

    both = covered_grid(legs[0]) & covered_grid(legs[1])
    pieces = [(a * STEP_S, b * STEP_S) for a, b in _runs(both)]

    def where(t: float) -> tuple[float, float, float]:
        """The midpoint of the pair in the plane (the r_c halves cancel), on the ellipsoid."""
        mid = (v1 + v2) / 2.0 * (t - tcpa)
        lat, lon = plane_to_latlon(place[0], place[1], mid[:1], mid[1:])
        alt_m = (alt1_m + alt2_m) / 2.0 + (vz1 + vz2) / 2.0 * (t - tcpa)
        return float(lat[0]), float(lon[0]), m_to_ft(alt_m)

    within = functools.partial(
        expected_intervals,
        tcpa_s=tcpa,
        miss_m=nm_to_m(spec.miss_nm),
        vrel_mps=vrel,
        dz_cpa_m=alt1_m - alt2_m,
        vz_rel_mps=vz1 - vz2,
        pieces=pieces,
        where=where,
    )
    # (1e-6 m: at a threshold is not below it, as in the docs)
    losses = within(limit_h_m=nm_to_m(HSEP_NM), limit_v_m=ft_to_m(VSEP_FT) - 1e-6)
    close = within(limit_h_m=nm_to_m(CPA_NM), limit_v_m=ft_to_m(CPA_FT) - 1e-6)
    truth = Designed(
        name=spec.name,
        id1=id1,
        id2=id2,
        tcpa_s=tcpa,
        miss_nm=spec.miss_nm,
        vsep_cpa_ft=abs(spec.alt1_ft - spec.alt2_ft),
        latitude_deg=place[0],
        longitude_deg=place[1],
        losses=tuple(losses),
        close=tuple(close),
    )
    return pair, truth


def _background(rng: np.random.Generator, index: int, place: tuple[float, float]) -> _Rows:
    """An aircraft that flies back and forth along one line (legs of 8-12 min, at most
    ~90 km from its slot) for the whole span; some climb and descend between two levels,
    some have gaps longer than 20 s, some repeat a time."""
    speed = float(rng.uniform(150.0, 250.0))
    leg_s = float(rng.uniform(480.0, 720.0))
    heading = float(rng.uniform(0.0, 360.0))
    u = np.array([math.sin(math.radians(heading)), math.cos(math.radians(heading))])
    t = _sample_times(rng, START_S + float(rng.uniform(0.0, 30.0)), END_S - 10.0, index % 2 == 0)
    if index % 4 == 1:  # a gap of 30-120 s somewhere
        t_a = float(rng.uniform(START_S + 600.0, END_S - 600.0))
        t = _with_gap(t, t_a, t_a + float(rng.uniform(30.0, 120.0)))
    phase = (t - START_S) % (2.0 * leg_s)
    out = phase < leg_s
    along = speed * np.where(out, phase, 2.0 * leg_s - phase) - speed * leg_s / 2.0
    lat, lon = plane_to_latlon(place[0], place[1], along * u[0], along * u[1])
    level = ft_to_m(float(rng.integers(20, 41)) * 1000.0)
    if index % 3 == 0:  # up and down 2,000 ft, 1,000 ft/min
        swing = np.abs(((t - START_S) / 120.0) % 4.0 - 2.0) - 1.0  # -1..1, period 8 min
        alt = level + ft_to_m(1000.0) * swing
        vz = np.where(((t - START_S) / 120.0) % 4.0 < 2.0, -1.0, 1.0) * fpm_to_mps(1000.0)
    else:
        alt, vz = np.full(len(t), level), np.zeros(len(t))
    rows = _Rows(f"bg{index:03d}", ("red", "blue", "green", "")[index % 4], f"BGR{index:03d}")
    track = np.where(out, heading, heading + 180.0) % 360.0
    blank = rng.random(len(t)) < 0.1
    if index % 5 == 2:  # repeats a time: a wrong row, then the right one
        k = len(t) // 2
        wrong = slice(k, k + 1)
        rows.add(t[:k], lat[:k], lon[:k], alt[:k], np.full(k, speed), track[:k], vz[:k], blank[:k])
        rows.add(t[wrong], lat[wrong] + 0.5, lon[wrong], alt[wrong] + 300.0,
                 np.full(1, speed), track[wrong], vz[wrong], blank[wrong])  # fmt: skip
        t, lat, lon, alt, vz, track = t[k:], lat[k:], lon[k:], alt[k:], vz[k:], track[k:]
        blank = blank[k:]
    rows.add(t, lat, lon, alt, np.full(len(t), speed), track, vz, blank)
    return rows


def _states(aircraft: list[_Rows]) -> StateVectors:
    """All rows in time order (the rows of one time in the order they were made)."""
    n = [sum(len(t) for t in a.time_s) for a in aircraft]
    t = np.concatenate([np.concatenate(a.time_s) for a in aircraft])
    order = np.argsort(t, kind="stable")

    def column(name: str) -> F64:
        return np.concatenate([np.concatenate(getattr(a, name)) for a in aircraft])[order]

    blank = np.concatenate([np.concatenate(a.blank_callsign) for a in aircraft])[order]
    callsign = np.repeat([a.callsign for a in aircraft], n)[order]
    return StateVectors.from_arrays(
        time_s=t[order],
        id=np.repeat([a.id for a in aircraft], n)[order],
        party=np.repeat([a.party for a in aircraft], n)[order],
        latitude_deg=column("lat"),
        longitude_deg=column("lon"),
        altitude_m=column("alt_m"),
        groundspeed_mps=column("gs"),
        track_deg=column("track"),
        vertical_rate_mps=column("vz"),
        callsign=np.where(blank, "", callsign),
    )
