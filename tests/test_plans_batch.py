"""The batched forms ``geometry.horizontal_conflicts`` and ``check.volumes_conflicts``: equal,
pair by pair, to the per-pair functions they stand for, and to the reference of
``plans_reference`` wherever it is sure; on random sets of outlines anywhere (poles,
antimeridian), pairs placed just inside and just outside H, and the named edge cases. Also
the premise of their bounds (``geometry.chord_band_m``) and that clear cases are settled
without the per-pair function."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

import plans_reference as ref
from deconflict.geo import WGS84_MIN_CURVATURE_RADIUS_M
from deconflict.plans import geometry
from deconflict.plans.check import Separation, volumes_conflict, volumes_conflicts
from deconflict.plans.geometry import cap, horizontal_conflict, horizontal_conflicts
from deconflict.plans.validate import outline_problem
from deconflict.plans.volume import Circle, Outline, Polygon, Volume4D, polygon

HSEPS = [0.0, 9_260.0, 100_000.0]
#: how far from H the pairs placed near it are meant to be (m); negative: inside
NEAR_H_M = [-50.0, -5.0, -1.5, -0.3, -0.05, 0.05, 0.3, 1.5, 5.0, 50.0]


def valid(o: Outline) -> bool:
    return outline_problem(o) is None


def per_pair(a: Outline, others: Sequence[Outline], hsep_m: float) -> list[bool]:
    ca = cap(a)
    return [horizontal_conflict(a, b, hsep_m, ca, cap(b)) for b in others]


def batched(a: Outline, others: Sequence[Outline], hsep_m: float) -> list[bool]:
    got = horizontal_conflicts(a, cap(a), others, [cap(b) for b in others], hsep_m)
    assert got.dtype == np.bool_ and got.shape == (len(others),)
    return [bool(g) for g in got]


def reference_verdict(a: Outline, b: Outline, hsep_m: float) -> bool | None:
    """The rule from the reference: None where it is not sure (within the tolerance the
    per-pair function is held to of H, touching under H = 0, or it cannot bound the pair)."""
    try:
        return ref.horizontal_verdict(a, b, hsep_m, max(1.0, 1e-5 * hsep_m))
    except ref.ReferenceError:
        return None


def assert_agree(
    a: Outline, others: Sequence[Outline], hsep_m: float, events: bool = False
) -> list[bool]:
    """The batched answer equals the per-pair one, pair by pair, and the reference's where
    it is sure; returns it (``events``: hypothesis counts the pairs the reference is sure
    of)."""
    got = batched(a, others, hsep_m)
    assert got == per_pair(a, others, hsep_m)
    for b, g in zip(others, got, strict=True):
        expected = reference_verdict(a, b, hsep_m)
        if events:
            event(f"reference {'unsure' if expected is None else 'sure'}, H = {hsep_m:g}")
        if expected is not None:
            assert g is expected, (a, b, hsep_m)
    return got


@pytest.fixture
def no_per_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    """Within the test, the per-pair function may not be called: the batch settles all."""

    def refuse(*args: object, **kwargs: object) -> bool:
        raise AssertionError("left to the per-pair function")

    monkeypatch.setattr(geometry, "horizontal_conflict", refuse)


# --- random sets --------------------------------------------------------------------------


log_sizes = st.floats(math.log(1_000.0), math.log(300_000.0)).map(math.exp)


@st.composite
def scenes(draw: st.DrawFn, least: int = 1, most: int = 6) -> tuple[Outline, list[Outline], float]:
    """An outline somewhere (poles and antimeridian included), H, and up to ``most`` others
    around it: apart, meeting, holding or held, up to about twice as far as would conflict."""
    lat, lon = draw(ref.places())
    hsep_m = draw(st.sampled_from(HSEPS))
    size = draw(log_sizes)
    a = draw(ref.outlines(lat, lon, size))
    others = []
    for _ in range(draw(st.integers(least, most))):
        s = draw(log_sizes)
        d = (size + s + hsep_m) * draw(st.floats(0.0, 1.6))
        lat2, lon2 = ref.destination(lat, lon, draw(st.floats(0.0, 360.0)), d)
        b = draw(ref.outlines(lat2, lon2, s, turn_deg=137.5))
        if valid(b):
            others.append(b)
    assume(valid(a))
    return a, others, hsep_m


@settings(max_examples=150, deadline=None)
@given(scene=scenes(least=0, most=10))
def test_batch_equals_per_pair(scene: tuple[Outline, list[Outline], float]) -> None:
    a, others, hsep_m = scene
    event(f"{type(a).__name__}, H = {hsep_m:g}")
    got = batched(a, others, hsep_m)
    assert got == per_pair(a, others, hsep_m)
    # and from the other side, where the frame and the paths are the other's
    for b in others:
        assert batched(b, [a], hsep_m) == per_pair(b, [a], hsep_m)


@settings(max_examples=60, deadline=None)
@given(scene=scenes())
def test_batch_agrees_with_reference(scene: tuple[Outline, list[Outline], float]) -> None:
    a, others, hsep_m = scene
    assert_agree(a, others, hsep_m, events=True)


def near_h(a: Outline, hsep_m: float, az: float, beyond: float, off_m: float) -> list[Outline]:
    """A circle and a triangle whose distance from ``a`` is about ``hsep_m + off_m``: the
    circle about a point outside ``a`` (in the direction ``az`` from its centre, ``beyond``
    of its size farther than its edge), the triangle pointing at ``a`` from that side."""
    ca = cap(a)
    lat, lon = ref.destination(ca.lat_deg, ca.lon_deg, az, ca.radius_m * (1.0 + beyond) + hsep_m)
    r = ref.region_distance(Circle(lat, lon, 1.0), a)  # from a point 1 m from the centre
    to_a = r.hi + 1.0
    out: list[Outline] = []
    radius = to_a - hsep_m - off_m
    if radius >= 1.0:
        out.append(Circle(lat, lon, radius))
    # the triangle: its tip ``hsep_m + off_m`` from the nearest point of a, out along the
    # geodesic towards the point, its other corners 20 km behind the tip, 25° either side
    q = r.b
    out_az = float(ref.GEOD.inv(q[0], q[1], lon, lat)[0])
    tip = ref.destination(q[1], q[0], out_az, hsep_m + off_m)
    back = float(ref.GEOD.inv(tip[1], tip[0], q[0], q[1])[0]) + 180.0
    corners = [ref.destination(*tip, back + t, 20_000.0) for t in (-25.0, 25.0)]
    tri = polygon([(tip[1], tip[0]), *((c[1], c[0]) for c in corners)])
    if valid(tri):
        out.append(tri)
    return out


@settings(max_examples=60, deadline=None)
@given(
    place=ref.places(),
    size=log_sizes,
    hsep_m=st.sampled_from(HSEPS),
    az=st.floats(0.0, 360.0),
    beyond=st.floats(0.05, 0.5),
    offs=st.lists(st.sampled_from(NEAR_H_M), min_size=1, max_size=3, unique=True),
    data=st.data(),
)
def test_pairs_just_inside_and_just_outside_h(
    place: tuple[float, float],
    size: float,
    hsep_m: float,
    az: float,
    beyond: float,
    offs: list[float],
    data: st.DataObject,
) -> None:
    """Circles and polygons placed from a few centimetres to 50 m either side of H (of
    touching, for H = 0): the batch still answers as the per-pair function, and as the
    reference where the reference is sure; and so it does with the roles swapped."""
    a = data.draw(ref.outlines(*place, size))
    assume(valid(a))
    others = [o for off in offs for o in near_h(a, hsep_m, az, beyond, off)]
    assume(others)
    assert_agree(a, others, hsep_m, events=True)
    for b in others:
        assert_agree(b, [a], hsep_m)


# --- named edge cases ------------------------------------------------------------------------


def corridor(lat: float, lon: float, az: float, length_m: float, half_width_m: float) -> Polygon:
    """A long thin polygon around the geodesic leaving (lat, lon) at ``az``: its sides sampled
    every 10 km (short edges: narrow bands), the left side first, west to east for az 90°."""
    s = np.linspace(0.0, length_m, int(length_m // 10_000.0) + 1)
    n = len(s)
    lon1, lat1, back = ref.GEOD.fwd(np.full(n, lon), np.full(n, lat), np.full(n, az), s)
    along = np.asarray(back) + 180.0
    sides = []
    for turn in (-90.0, 90.0):
        lo, la, _ = ref.GEOD.fwd(lon1, lat1, along + turn, np.full(n, half_width_m))
        sides.append(np.column_stack([lo, la]))
    return polygon(np.concatenate([sides[0], sides[1][::-1]]))


@pytest.mark.parametrize(("lat", "lon"), [(60.0, 20.0), (-10.0, 170.0), (85.0, -30.0)])
def test_across_a_stretched_frame(lat: float, lon: float) -> None:
    """A corridor 1,400 km long: its frame, centred between its ends, stretches lengths across
    the radius by some 2e-3 near them. A circle and a triangle beside its far end, just
    within and just beyond H: the stretch must be allowed for, else the pairs within would be
    taken for apart (tens of metres of frame distance too many)."""
    a = corridor(lat, lon, 80.0, 1_400_000.0, 10_000.0)
    assert valid(a)
    for hsep_m in (9_260.0, 100_000.0):
        others: list[Outline] = []
        for off in (-50.0, -20.0, -5.0, 5.0, 20.0, 50.0):
            # from the right side, 100 km short of the start, out along its normal there
            edge = a.rings[0][-11:-9]
            mid = ref.ring_edges(edge)
            q_lon, q_lat = mid.at(np.array([0]), mid.length[:1] / 2.0)
            q = (float(q_lat[0]), float(q_lon[0]))
            out = float(mid.az[0]) - 90.0
            centre = ref.destination(*q, out, hsep_m + off + 5_000.0)
            others.append(Circle(*centre, 5_000.0))
            tip = ref.destination(*q, out, hsep_m + off)
            corners = [ref.destination(*tip, out + t, 20_000.0) for t in (-25.0, 25.0)]
            others.append(polygon([(p[1], p[0]) for p in (tip, *corners)]))
        got = assert_agree(a, others, hsep_m)
        assert got == [off < 0 for off in (-50.0, -20.0, -5.0, 5.0, 20.0, 50.0) for _ in "ct"]
        for b in others:
            assert_agree(b, [a], hsep_m)


def square(lon0: float, lat0: float, lon1: float, lat1: float) -> Polygon:
    return polygon([(lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1)])


def star(lat: float, lon: float, n: int, r: float, phase: float = 0.0) -> Polygon:
    return polygon(ref.star_ring(lat, lon, phase + np.arange(n) * 360.0 / n, np.full(n, r)))


@pytest.mark.parametrize("hsep_m", HSEPS)
@pytest.mark.parametrize("kind", ["circle", "polygon"])
def test_no_others(kind: str, hsep_m: float) -> None:
    a: Outline = Circle(45.0, 5.0, 10_000.0) if kind == "circle" else star(45.0, 5.0, 7, 10_000.0)
    got = horizontal_conflicts(a, cap(a), [], [], hsep_m)
    assert got.dtype == np.bool_ and got.shape == (0,)
    vol = Volume4D(a, 0.0, 1_000.0, 0.0, 3_600.0)
    assert volumes_conflicts(vol, cap(a), [], [], Separation(hsep_m)) == []


def test_caps_must_match_outlines() -> None:
    a = Circle(0.0, 0.0, 1_000.0)
    with pytest.raises(ValueError, match="caps"):
        horizontal_conflicts(a, cap(a), [a, a], [cap(a)], 9_260.0)


@pytest.mark.parametrize("hsep_m", HSEPS)
def test_identical_outlines(hsep_m: float) -> None:
    """An outline against itself and against an equal copy: a conflict under any H."""
    for a in (
        Circle(-33.9, 151.2, 25_000.0),
        star(-33.9, 151.2, 9, 25_000.0, 11.0),
        star(89.5, 0.0, 12, 60_000.0),
        square(179.5, 10.0, -179.5, 11.0),
    ):
        copy = (
            Circle(a.lat_deg, a.lon_deg, a.radius_m)
            if isinstance(a, Circle)
            else Polygon(tuple(r.copy() for r in a.rings))
        )
        assert assert_agree(a, [a, copy], hsep_m) == [True, True]


#: (lon0, lat0, lon1, lat1) of the west square; the east square shares its east edge
SHARED_EDGE_PLACES = [
    (10.0, -0.5, 11.0, 0.5),
    (179.2, 20.0, 179.9, 21.0),
    (30.0, 88.0, 60.0, 89.0),
    (0.0, 40.0, 6.0, 45.0),
]


@pytest.mark.parametrize("where", SHARED_EDGE_PLACES)
def test_touching_outlines(where: tuple[float, float, float, float]) -> None:
    """Sectors sharing an edge, circles tangent to each other and to them: as the per-pair
    function has them; the sectors never conflict at H = 0 (their interiors only touch), and
    every pair does for H > 0 (distance 0)."""
    lon0, lat0, lon1, lat1 = where
    west = square(lon0, lat0, lon1, lat1)
    east_lon = (lon1 + (lon1 - lon0) + 180.0) % 360.0 - 180.0
    east = polygon([(lon1, lat0), (east_lon, lat0), (east_lon, lat1), (lon1, lat1)])
    # a circle tangent to the west square's south edge, below its middle, and one tangent
    # to that circle
    edges = ref.ring_edges(west.rings[0])
    mid_lon, mid_lat = edges.at(np.array([0]), edges.length[:1] / 2.0)
    on = float(ref.GEOD.inv(float(mid_lon[0]), float(mid_lat[0]), lon1, lat0)[0])
    clat, clon = ref.destination(float(mid_lat[0]), float(mid_lon[0]), on + 90.0, 3_000.0)
    disc = Circle(clat, clon, 3_000.0)
    tlat, tlon = ref.destination(clat, clon, on + 90.0, 5_000.0)
    tangent = Circle(tlat, tlon, 2_000.0)
    pairs: list[tuple[Outline, list[Outline]]] = [
        (west, [east, disc]),
        (east, [west]),
        (disc, [west, tangent]),
    ]
    for hsep_m in HSEPS:
        for a, others in pairs:
            got = batched(a, others, hsep_m)
            assert got == per_pair(a, others, hsep_m)
            if hsep_m > 0.0:
                assert all(got)
        # the shared edge is drawn alike in both: never a conflict; tangent circles may
        # overlap by a rounding error either way, as the per-pair function has them
        assert batched(west, [east], 0.0) == batched(east, [west], 0.0) == [False]


def test_one_inside_another() -> None:
    """Held and holding, polygons and circles, under every H: conflicts, all settled by the
    batch (and as the per-pair function has them)."""
    big = star(45.0, 10.0, 12, 300_000.0)
    inner = star(45.3, 10.2, 5, 20_000.0)
    disc = Circle(44.8, 9.9, 50_000.0)
    around = Circle(45.0, 10.0, 400_000.0)
    tiny = Circle(45.1, 10.1, 5.0)
    pairs: list[tuple[Outline, list[Outline]]] = [
        (big, [inner, disc, around, tiny]),
        (inner, [big, around]),
        (disc, [big, around, tiny]),
        (around, [big, inner, disc, tiny]),
        (tiny, [big, disc, around]),
    ]
    for hsep_m in HSEPS:
        for a, others in pairs:
            assert assert_agree(a, others, hsep_m) == [True] * len(others)


@pytest.mark.usefixtures("no_per_pair")
def test_clear_cases_are_settled_in_the_batch() -> None:
    """Held, overlapping, a few kilometres apart, beside it beyond H though its cap is not,
    far away: no pair is left to the per-pair function (which is refused here), whichever
    of the two leads."""
    a = star(52.0, 4.0, 10, 40_000.0)  # a decagon 40 km from its centre to its corners
    held = star(52.05, 4.02, 6, 5_000.0, 7.0)
    disc_in = Circle(52.0, 4.1, 2_000.0)
    over = star(52.3, 4.4, 8, 30_000.0, 3.0)
    # centres 73 km apart: 3 to 7.3 km between the octagon and the decagon
    apart = star(*ref.destination(52.0, 4.0, 70.0, 73_000.0), 8, 30_000.0)
    # a corridor 10 km wide, 200 km long, its near side 52 km north of the centre (and a's
    # corners 40 km at most): 12 km apart, its cap 100 km wide
    mid = ref.destination(52.0, 4.0, 0.0, 57_000.0)
    ends = [ref.destination(*mid, az, 100_000.0) for az in (90.0, 270.0)]
    corners = [ref.destination(*e, az, 5_000.0) for e in ends for az in (0.0, 180.0)]
    corridor = polygon([(c[1], c[0]) for c in (corners[0], corners[1], corners[3], corners[2])])
    disc_apart = Circle(*ref.destination(52.0, 4.0, 10.0, 60_000.0), 5_000.0)
    far = star(*ref.destination(52.0, 4.0, 200.0, 2_000_000.0), 6, 30_000.0)
    antipode = Circle(-52.0, -176.0, 100_000.0)
    others: list[Outline] = [held, disc_in, over, apart, corridor, disc_apart, far, antipode]
    assert all(valid(o) for o in [a, *others])
    assert geometry.chord_lower_bound_m(cap(a), cap(corridor)) < 9_260.0
    meets = [True, True, True]
    for hsep_m, expected in ((0.0, [*meets, False]), (9_260.0, [*meets, True])):
        expected += [False] * 4
        assert batched(a, others, hsep_m) == expected
        assert [batched(b, [a], hsep_m)[0] for b in others] == expected


@pytest.mark.parametrize("lat", [0.0, 60.0, 89.0, 90.0])
def test_inside_the_hole(lat: float) -> None:
    """Outlines in the hole of a ring-shaped polygon astride the antimeridian (around the
    pole at 90°): apart by the distance to the hole's edge, some 75 km."""
    az = np.arange(16) * 22.5
    ring = polygon(
        ref.star_ring(lat, 180.0, az, np.full(16, 400_000.0)),
        ref.star_ring(lat, 180.0, az + 11.0, np.full(16, 200_000.0)),
    )
    small = star(lat, 180.0, 6, 50_000.0, 7.0)
    disc = Circle(lat, 180.0, 120_000.0)
    for hsep_m in (*HSEPS, 60_000.0):
        assert_agree(ring, [small, disc], hsep_m)
        assert_agree(small, [ring], hsep_m)
        assert_agree(disc, [ring], hsep_m)


def test_a_mixed_batch_keeps_its_order() -> None:
    """All of the above in one batch, shuffled: each answer where its pair is."""
    a = star(0.0, 179.9, 9, 60_000.0)
    pool: list[Outline] = [
        Polygon(tuple(r.copy() for r in a.rings)),
        star(0.1, 179.95, 5, 5_000.0),
        star(0.0, -179.0, 7, 30_000.0),
        Circle(0.0, -179.5, 10_000.0),
        Circle(0.0, 0.0, 10_000.0),
        star(1.2, 179.9, 6, 8_000.0),
        *near_h(a, 9_260.0, 45.0, 0.2, 0.3),
        *near_h(a, 9_260.0, 135.0, 0.2, -0.3),
    ]
    order = np.random.default_rng(5).permutation(len(pool))
    others = [pool[i] for i in order]
    for hsep_m in HSEPS:
        got = assert_agree(a, others, hsep_m)
        alone = [batched(a, [o], hsep_m)[0] for o in others]
        assert got == alone


# --- the premise of the bounds ---------------------------------------------------------------


def test_chord_band_holds_the_geodesic() -> None:
    """A geodesic edge's image in a frame strays from the chord between its ends' images by
    no more than ``chord_band_m``: r L² / (8 R²) (r the farther end's distance, L the chord)
    is never exceeded even by two thirds of it (0.662 on 80,000 edges); the band is twice
    that. Edges of 100 m to 4,000 km, 1 m to 5,000 km from the centre, a third aimed at it,
    centres anywhere, a fifth at or near a pole or on the equator."""
    rng = np.random.default_rng(11)
    n, samples = 4_000, 129
    lat0 = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    lat0[: n // 5] = rng.choice([90.0, -90.0, 89.999, -89.9, 0.0], n // 5)
    lon0 = rng.uniform(-180.0, 180.0, n)
    d0 = np.exp(rng.uniform(math.log(1.0), math.log(5e6), n))
    length = np.exp(rng.uniform(math.log(100.0), math.log(4e6), n))
    lon1, lat1, _ = ref.GEOD.fwd(lon0, lat0, rng.uniform(0.0, 360.0, n), d0)
    az = rng.uniform(0.0, 360.0, n)
    back, _, _ = ref.GEOD.inv(lon1, lat1, lon0, lat0)
    aimed = np.arange(n) % 3 == 0
    az[aimed] = np.asarray(back)[aimed] + rng.normal(0.0, 2.0, int(aimed.sum()))
    f = np.tile(np.linspace(0.0, 1.0, samples), n)
    lon, lat, _ = ref.GEOD.fwd(
        np.repeat(lon1, samples), np.repeat(lat1, samples), np.repeat(az, samples),
        np.repeat(length, samples) * f,
    )  # fmt: skip
    azc, _, s = ref.GEOD.inv(np.repeat(lon0, samples), np.repeat(lat0, samples), lon, lat)
    s = np.asarray(s).reshape(n, samples)
    a = np.radians(np.asarray(azc)).reshape(n, samples)
    x, y = s * np.sin(a), s * np.cos(a)
    dx, dy = x[:, -1:] - x[:, :1], y[:, -1:] - y[:, :1]
    chord = np.hypot(dx, dy)[:, 0]
    off = np.abs((x - x[:, :1]) * dy - (y - y[:, :1]) * dx).max(axis=1) / chord
    reach = np.maximum(s[:, 0], s[:, -1])
    keep = s.max(axis=1) <= 5e6
    assert keep.sum() > 0.95 * n
    band = geometry.chord_band_m(reach, chord)
    assert bool(np.all(off[keep] <= band[keep]))
    step_bound = reach * chord**2 / (8.0 * WGS84_MIN_CURVATURE_RADIUS_M**2)
    assert bool(np.all(off[keep] <= 0.7 * step_bound[keep] + 1e-6))


# --- volumes ---------------------------------------------------------------------------------


def volumes_of(data: st.DataObject, outlines: Sequence[Outline]) -> list[Volume4D]:
    """Volumes of the outlines with windows and bands on a coarse grid around [0, 2] h and
    [0, 1,000] ft, so that windows that touch and gaps of exactly V come up."""
    out = []
    for o in outlines:
        t0 = data.draw(st.integers(-2, 5)) * 1_800.0
        t1 = t0 + data.draw(st.integers(1, 6)) * 1_800.0
        z0 = data.draw(st.integers(-4, 5)) * 500.0
        z1 = z0 + data.draw(st.integers(1, 4)) * 500.0
        out.append(Volume4D(o, z0, z1, t0, t1))
    return out


@settings(max_examples=80, deadline=None)
@given(
    scene=scenes(most=8),
    vsep_ft=st.sampled_from([0.0, 500.0, 1_000.0]),
    data=st.data(),
)
def test_volumes_conflicts_equals_per_pair(
    scene: tuple[Outline, list[Outline], float], vsep_ft: float, data: st.DataObject
) -> None:
    """The rule on volumes: the window, the band, then the outlines; the same conflicts,
    with the same windows and bands, as ``volumes_conflict`` pair by pair."""
    a_outline, outlines, hsep_m = scene
    sep = Separation(hsep_m, vsep_ft)
    a = Volume4D(a_outline, 0.0, 1_000.0, 0.0, 7_200.0)
    others = volumes_of(data, outlines)
    ca, caps = cap(a.outline), [cap(v.outline) for v in others]
    got = volumes_conflicts(a, ca, others, caps, sep)
    expected = [volumes_conflict(a, b, sep, ca, cb) for b, cb in zip(others, caps, strict=True)]
    assert got == expected
    event(f"{sum(g is not None for g in got)} of {len(got)} in conflict")


def test_volumes_conflicts_at_the_edges_of_the_rule() -> None:
    """One outline, volumes whose windows touch or overlap by a second, whose bands are
    exactly V apart or a foot closer: as the per-pair rule has them."""
    o = Circle(45.0, 5.0, 10_000.0)
    a = Volume4D(o, 1_000.0, 2_000.0, 3_600.0, 7_200.0)
    sep = Separation(9_260.0, 1_000.0)
    cases = [
        Volume4D(o, 1_000.0, 2_000.0, 7_200.0, 9_000.0),  # starts as a ends
        Volume4D(o, 1_000.0, 2_000.0, 0.0, 3_600.0),  # ends as a starts
        Volume4D(o, 1_000.0, 2_000.0, 7_199.0, 9_000.0),  # a second of overlap
        Volume4D(o, 3_000.0, 4_000.0, 0.0, 9_000.0),  # 1,000 ft above
        Volume4D(o, 2_999.0, 4_000.0, 0.0, 9_000.0),  # 999 ft above
        Volume4D(o, -1_000.0, 1.0, 0.0, 9_000.0),  # 999 ft below
        Volume4D(Circle(45.0, 7.0, 1_000.0), 1_000.0, 2_000.0, 0.0, 9_000.0),  # far
    ]
    caps = [cap(v.outline) for v in cases]
    got = volumes_conflicts(a, cap(o), cases, caps, sep)
    assert got == [volumes_conflict(a, b, sep, cap(o), c) for b, c in zip(cases, caps, strict=True)]
    assert [g is not None for g in got] == [False, False, True, False, True, True, False]
    hit = got[4]
    assert hit is not None and (hit.alt_lower_ft, hit.alt_upper_ft) == (2_000.0, 2_999.0)
