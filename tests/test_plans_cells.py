"""The cell index (``plans.cells``): the keys against a bit-by-bit reference, no false
negatives whatever the sizes and places, the time buckets; and ``check.check_plans``, which
finds its candidates with the index, against the all-pairs check."""

from __future__ import annotations

import bisect
import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import plans_reference as ref
from deconflict.geo import surface_ecef
from deconflict.plans import cells
from deconflict.plans.check import PlanConflict, Separation, VolumeConflict, check_plans
from deconflict.plans.check import volumes_conflict as rule
from deconflict.plans.geometry import cap
from deconflict.plans.validate import outline_problem
from deconflict.plans.volume import Circle, Outline, Plan, Volume4D, polygon

Ball = tuple[tuple[float, float, float], float]


# --- a reference for the keys, bit by bit ----------------------------------------------------


def ref_level(extent_m: float) -> int:
    """The finest level (counting down from 18) whose cells, 2^(24 - level) m wide, are at
    least ``extent_m`` wide; 0 when none is."""
    level = cells.MAX_LEVEL
    while level > 0 and 2.0 ** (24 - level) < extent_m:
        level -= 1
    return level


def ref_morton(i: int, j: int, k: int, bits: int) -> int:
    """Bit b of i, j, k goes to bit 3b, 3b + 1, 3b + 2."""
    out = 0
    for b in range(bits):
        out |= (
            ((i >> b) & 1) << (3 * b)
            | ((j >> b) & 1) << (3 * b + 1)
            | ((k >> b) & 1) << (3 * b + 2)
        )
    return out


def ref_cells(
    centre: tuple[float, float, float], radius_m: float, level: int
) -> set[tuple[int, int, int]]:
    """The (i, j, k) cells of a level that meet the ball's bounding box (clamped to the
    cube)."""
    size = 2.0 ** (24 - level)
    top = 2**level - 1
    axes = []
    for c in centre:
        lo = min(top, max(0, math.floor((c - radius_m + 2.0**23) / size)))
        hi = min(top, max(0, math.floor((c + radius_m + 2.0**23) / size)))
        axes.append(range(lo, hi + 1))
    return {(i, j, k) for i in axes[0] for j in axes[1] for k in axes[2]}


def ref_key(i: int, j: int, k: int, level: int) -> int:
    return (ref_morton(i, j, k, 24) << (3 * (cells.MAX_LEVEL - level))) << 5 | level


def decode(key: int) -> tuple[int, int]:
    """(level, Morton code at that level) of a key."""
    level = key & 31
    return level, (key >> 5) >> (3 * (cells.MAX_LEVEL - level))


def probed(key: int, probe_level: int, probe_mortons: set[int]) -> bool:
    """What a probe must find, by definition: a key whose cell is inside one of the probe's
    cells, or holds one of them."""
    level, m = decode(key)
    if level >= probe_level:
        return (m >> (3 * (level - probe_level))) in probe_mortons
    return any((p >> (3 * (probe_level - level))) == m for p in probe_mortons)


def in_ranges(key: int, ranges: list[tuple[int, int]]) -> bool:
    k = bisect.bisect_right(ranges, (key, math.inf)) - 1
    return k >= 0 and ranges[k][0] <= key <= ranges[k][1]


# --- strategies ------------------------------------------------------------------------------

log_radius = st.floats(math.log(10.0), math.log(1_000_000.0)).map(math.exp)
hseps = st.one_of(st.just(0.0), st.floats(0.0, 100_000.0), st.just(9_260.0))


def ecef(lat: float, lon: float) -> tuple[float, float, float]:
    p = surface_ecef(np.array([lat]), np.array([lon]))[0]
    return float(p[0]), float(p[1]), float(p[2])


@st.composite
def ball_pairs(draw: st.DrawFn) -> tuple[Ball, Ball, float]:
    """Two balls (centres on the ellipsoid, radii 10 m to 1,000 km) and an H such that the
    balls are less than H apart in a straight line; often just so."""
    lat, lon = draw(ref.places())
    r1, r2, h = draw(log_radius), draw(log_radius), draw(hseps)
    reach = r1 + r2 + h
    # a geodesic distance under the reach keeps the chord under it
    frac = draw(
        st.one_of(st.floats(0.0, 1.0, exclude_max=True), st.floats(0.999, 1.0, exclude_max=True))
    )
    lat2, lon2 = ref.destination(lat, lon, draw(st.floats(0.0, 360.0)), reach * frac)
    c1, c2 = ecef(lat, lon), ecef(lat2, lon2)
    assume(math.dist(c1, c2) < reach)
    return (c1, r1), (c2, r2), h


# --- keys -----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(place=ref.places(), radius=log_radius)
def test_cell_keys_match_the_reference(place: tuple[float, float], radius: float) -> None:
    """The keys are those of the cells of the finest level at least 2r wide that meet the
    ball's box: at most 2 x 2 x 2, distinct."""
    centre = ecef(*place)
    keys = cells.cell_keys(centre, radius)
    level = ref_level(2.0 * radius)
    expected = {ref_key(i, j, k, level) for i, j, k in ref_cells(centre, radius, level)}
    assert sorted(keys) == sorted(expected)
    assert len(keys) == len(set(keys)) <= 8


@settings(max_examples=300, deadline=None)
@given(extents=st.lists(st.floats(0.0, 1e9), min_size=2, max_size=2))
def test_level_for_is_monotone_and_tight(extents: list[float]) -> None:
    small, big = sorted(extents)
    assert cells.level_for(small) >= cells.level_for(big)
    for e in (small, big):
        level = cells.level_for(e)
        assert level == ref_level(e)
        assert 0 <= level <= cells.MAX_LEVEL
        if level > 0:
            assert cells.cell_size_m(level) >= e
        if level < cells.MAX_LEVEL:
            assert cells.cell_size_m(level + 1) < e


@pytest.mark.parametrize("e", [64.0, 128.0, 2.0**23, 2.0**24, 2.0**24 + 1.0, 1e-3, 0.0])
def test_level_for_at_powers_of_two(e: float) -> None:
    level = cells.level_for(e)
    assert level == ref_level(e)


@settings(max_examples=300, deadline=None)
@given(probe=ball_pairs(), other_radius=log_radius)
def test_probe_ranges_hold_exactly_the_cells_inside_or_around_the_probe_cells(
    probe: tuple[Ball, Ball, float], other_radius: float
) -> None:
    """Sorted, disjoint, merged ranges; a key is in them exactly when its cell is inside one
    of the probe's cells or holds one (checked on the keys of another ball nearby, and on
    the cells just around the probe's)."""
    (c1, r1), (c2, _), h = probe
    ranges = cells.probe_ranges(c1, r1 + h)
    assert all(lo <= hi for lo, hi in ranges)
    assert all(a[1] + 1 < b[0] for a, b in itertools.pairwise(ranges))
    level = ref_level(2.0 * (r1 + h))
    mortons = {ref_morton(i, j, k, 24) for i, j, k in ref_cells(c1, r1 + h, level)}
    keys = list(cells.cell_keys(c2, other_radius))
    # the neighbours of the probe's cells, at the probe's level, one finer and one coarser
    for lvl in {level, min(level + 1, cells.MAX_LEVEL), max(level - 1, 0)}:
        keys += [
            ref_key(i, j, k, lvl) for i, j, k in ref_cells(c1, r1 + h + 2.0 ** (24 - lvl), lvl)
        ]
    for key in keys:
        assert in_ranges(key, ranges) == probed(key, level, mortons), decode(key)


# --- no false negatives -------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(pair=ball_pairs())
def test_no_false_negatives_for_balls(pair: tuple[Ball, Ball, float]) -> None:
    """Balls less than H apart in a straight line: the probe of either, widened by H, holds
    a key of the other, whatever their sizes."""
    (c1, r1), (c2, r2), h = pair
    for (ca, ra), (cb, rb) in (((c1, r1), (c2, r2)), ((c2, r2), (c1, r1))):
        ranges = cells.probe_ranges(ca, ra + h)
        assert any(in_ranges(k, ranges) for k in cells.cell_keys(cb, rb))


@settings(max_examples=100, deadline=None)
@given(pair=ref.outline_pairs(min_size_m=10.0, max_size_m=1_000_000.0), h=hseps)
def test_no_false_negatives_for_outlines(pair: tuple[Outline, Outline], h: float) -> None:
    """Outlines less than H apart along the ellipsoid (the reference's distance), or whose
    interiors meet when H = 0: their caps' keys and probes find each other."""
    a, b = pair
    assume(outline_problem(a) is None and outline_problem(b) is None)
    d = ref.region_distance(a, b)
    assume(d.hi < h or (h == 0.0 and d.hi == 0.0))
    ca, cb = cap(a), cap(b)
    for x, y in ((ca, cb), (cb, ca)):
        ranges = cells.probe_ranges(x.centre_ecef_m, x.radius_m + h)
        assert any(in_ranges(k, ranges) for k in cells.cell_keys(y.centre_ecef_m, y.radius_m))


# --- time buckets -------------------------------------------------------------------------

times = st.floats(0.0, 4e9)


@settings(max_examples=300, deadline=None)
@given(start=times, length=st.floats(1e-3, 40 * 86_400.0), at=st.floats(0.0, 1.0, exclude_max=True))
def test_buckets_cover_every_instant_of_the_window(start: float, length: float, at: float) -> None:
    end = start + length
    assume(end > start)
    b = cells.buckets(start, end)
    t = min(start + at * (end - start), math.nextafter(end, -math.inf))
    assert math.floor(t / cells.BUCKET_S) in b
    assert math.floor(start / cells.BUCKET_S) == b.start  # no bucket before the window
    assert len(b) <= length / cells.BUCKET_S + 2


@settings(max_examples=300, deadline=None)
@given(
    s1=times,
    l1=st.floats(1e-3, 86_400.0),
    l2=st.floats(1e-3, 86_400.0),
    at=st.floats(0.0, 1.0, exclude_min=True, exclude_max=True),
)
def test_overlapping_windows_share_a_bucket(s1: float, l1: float, l2: float, at: float) -> None:
    """Windows that overlap (the second starts anywhere in (s1 - l2, s1 + l1))."""
    a = (s1, s1 + l1)
    s2 = s1 - l2 + at * (l1 + l2)
    b = (s2, s2 + l2)
    assume(a[0] < b[1] and b[0] < a[1])
    assert set(cells.buckets(*a)) & set(cells.buckets(*b))


def test_a_window_on_bucket_boundaries() -> None:
    """[k B, (k + 1) B) lies in bucket k; the end's bucket is registered too (harmless)."""
    k = 81_000
    b = cells.buckets(k * cells.BUCKET_S, (k + 1) * cells.BUCKET_S)
    assert b.start == k and k in b


# --- check_plans (with the index) against all pairs ---------------------------------------

T0 = 1_795_500_000.0


@st.composite
def volumes(draw: st.DrawFn, lat: float, lon: float) -> Volume4D:
    """A volume within 150 km of (lat, lon), 10 m to 200 km across, in 12 hours that
    straddle 6-hour bucket boundaries, in a band of 0-15,000 ft: plans of which many
    conflict, and many just miss."""
    d = draw(st.floats(0.0, 150_000.0))
    clat, clon = ref.destination(lat, lon, draw(st.floats(0.0, 360.0)), d)
    size = math.exp(draw(st.floats(math.log(10.0), math.log(200_000.0))))
    outline = draw(
        ref.outlines(clat, clon, size, turn_deg=draw(st.sampled_from([0.0, 41.0, 137.5])))
    )
    t0 = T0 + draw(st.floats(0.0, 12 * 3600.0))
    t1 = t0 + draw(st.floats(60.0, 6 * 3600.0))
    lo = draw(st.floats(0.0, 10_000.0))
    hi = lo + draw(st.floats(100.0, 5_000.0))
    return Volume4D(outline, lo, hi, t0, t1)


@st.composite
def plan_sets(draw: st.DrawFn) -> list[Plan]:
    lat, lon = draw(ref.places())
    n = draw(st.integers(2, 6))
    ids = draw(
        st.lists(st.text("abcxyz0123", min_size=1, max_size=4), min_size=n, max_size=n, unique=True)
    )
    plans = []
    for plan_id in ids:
        k = draw(st.integers(1, 3))
        vols = tuple(draw(volumes(lat, lon)) for _ in range(k))
        plans.append(Plan(plan_id, draw(st.sampled_from(["red", "blue", "green"])), vols))
    return plans


def all_pairs(plans: list[Plan], sep: Separation) -> list[PlanConflict]:
    """Every pair of plans of different parties, every pair of their volumes, through the
    rule, with no index."""
    out = []
    for x in range(len(plans)):
        for y in range(x + 1, len(plans)):
            a, b = sorted((plans[x], plans[y]), key=lambda p: p.plan_id)
            if a.party == b.party:
                continue
            found = []
            for i, va in enumerate(a.volumes):
                for j, vb in enumerate(b.volumes):
                    hit = rule(va, vb, sep)
                    if hit is not None:
                        found.append(
                            VolumeConflict(
                                i,
                                j,
                                hit.time_start_s,
                                hit.time_end_s,
                                hit.alt_lower_ft,
                                hit.alt_upper_ft,
                            )
                        )
            if found:
                out.append(PlanConflict(a.plan_id, b.plan_id, a.party, b.party, tuple(found)))
    return sorted(out, key=lambda c: (c.plan_a, c.plan_b))


@settings(max_examples=60, deadline=None)
@given(
    plans=plan_sets(),
    sep=st.builds(
        Separation,
        st.sampled_from([0.0, 1_000.0, 9_260.0, 100_000.0]),
        st.sampled_from([0.0, 500.0, 1_000.0, 5_000.0]),
    ),
)
def test_check_plans_equals_all_pairs(plans: list[Plan], sep: Separation) -> None:
    assume(all(outline_problem(v.outline) is None for p in plans for v in p.volumes))
    assert check_plans(plans, sep) == all_pairs(plans, sep)


def busy_sky(seed: int, n: int, lat: float, lon: float) -> list[Plan]:
    """n plans of 1-3 volumes (circles and star-shaped polygons of 50 m to 100 km) within
    200 km of (lat, lon) and 12 hours."""
    rng = np.random.default_rng(seed)
    plans = []
    for p in range(n):
        vols = []
        for _ in range(int(rng.integers(1, 4))):
            clat, clon = ref.destination(lat, lon, rng.uniform(0, 360), rng.uniform(0, 200_000))
            size = float(np.exp(rng.uniform(math.log(50.0), math.log(100_000.0))))
            outline: Outline
            if rng.random() < 0.4:
                outline = Circle(clat, clon, size)
            else:
                k = int(rng.integers(3, 12))
                az = np.sort(rng.uniform(0, 360, k)) if k > 4 else np.arange(k) * 360.0 / k
                outline = polygon(ref.star_ring(clat, clon, az, size * rng.uniform(0.4, 1.0, k)))
                if outline_problem(outline) is not None:
                    outline = Circle(clat, clon, size)
            t0 = T0 + rng.uniform(0, 12 * 3600)
            lo = rng.uniform(0, 10_000)
            vols.append(
                Volume4D(
                    outline, lo, lo + rng.uniform(200, 4000), t0, t0 + rng.uniform(600, 4 * 3600)
                )
            )
        plans.append(
            Plan(
                f"p{rng.integers(10**6)}-{p}",
                str(rng.choice(["red", "blue", "green", "grey"])),
                tuple(vols),
            )
        )
    return plans


@pytest.mark.parametrize(
    ("seed", "lat", "lon"), [(1, 45.0, 5.0), (2, 0.0, 180.0), (3, 89.0, -120.0), (4, -89.9, 10.0)]
)
@pytest.mark.parametrize(
    "sep", [Separation(), Separation(0.0, 0.0), Separation(50_000.0, 2_000.0)], ids=str
)
def test_check_plans_equals_all_pairs_on_a_busy_sky(
    seed: int, lat: float, lon: float, sep: Separation
) -> None:
    """80 plans at a time (about 160 volumes): at mid-latitude, astride the antimeridian, by
    the north pole and over the south pole."""
    plans = busy_sky(seed, 80, lat, lon)
    expected = all_pairs(plans, sep)
    assert len(expected) > 5  # a busy sky: the comparison means something
    assert check_plans(plans, sep) == expected
