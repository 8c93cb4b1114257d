"""The conflict rule at its edges (``plans.check``), the rule against the reference on random
volumes, what makes a volume or a GeoJSON feature invalid (``plans.validate``,
``plans.geojson``), and what notices disclose (``plans.notices``)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import plans_reference as ref
from deconflict.errors import InputError
from deconflict.plans.check import (
    PlanConflict,
    Separation,
    VolumeConflict,
    check_plans,
    plan_conflict,
    volumes_conflict,
)
from deconflict.plans.geojson import format_time, parse_plans
from deconflict.plans.geometry import cap
from deconflict.plans.notices import MIN_CELL_M, Sharing, notice
from deconflict.plans.validate import outline_problem, volume_problem
from deconflict.plans.volume import Circle, Outline, Plan, Polygon, Volume4D, polygon

T0 = 1_795_507_200.0  # 2026-11-24T08:00:00Z
HOUR = 3600.0


def square(lon: float, lat: float, half_deg: float) -> Outline:
    return polygon(
        [
            (lon - half_deg, lat - half_deg),
            (lon + half_deg, lat - half_deg),
            (lon + half_deg, lat + half_deg),
            (lon - half_deg, lat + half_deg),
        ]
    )


def vol(
    outline: Outline | None = None,
    lower: float = 0.0,
    upper: float = 10_000.0,
    start: float = T0,
    end: float = T0 + HOUR,
) -> Volume4D:
    return Volume4D(outline or square(5.0, 45.0, 0.1), lower, upper, start, end)


# --- the rule at its edges ----------------------------------------------------------------


def test_windows_that_touch_do_not_conflict() -> None:
    a = vol(start=T0, end=T0 + HOUR)
    b = vol(start=T0 + HOUR, end=T0 + 2 * HOUR)
    assert volumes_conflict(a, b, Separation()) is None
    assert volumes_conflict(b, a, Separation()) is None
    c = vol(start=T0 + HOUR - 1e-3, end=T0 + 2 * HOUR)
    hit = volumes_conflict(a, c, Separation())
    assert hit is not None
    assert (hit.time_start_s, hit.time_end_s) == (T0 + HOUR - 1e-3, T0 + HOUR)


@pytest.mark.parametrize(
    ("b_lower", "vsep_ft", "band"),
    [
        (10_000.0, 0.0, None),  # touching bands, V = 0: no overlap of more than a point
        (10_000.0, 1_000.0, (10_000.0, 10_000.0)),  # gap 0 < 1000: the (empty) gap band
        (10_999.0, 1_000.0, (10_000.0, 10_999.0)),  # apart, within V: the gap band
        (11_000.0, 1_000.0, None),  # gap exactly V
        (9_000.0, 0.0, (9_000.0, 10_000.0)),  # overlap: the overlap band
        (-5_000.0, 0.0, (0.0, 5_000.0)),  # b below a, overlapping its lower part
    ],
)
def test_bands(b_lower: float, vsep_ft: float, band: tuple[float, float] | None) -> None:
    a = vol(lower=0.0, upper=10_000.0)
    b = vol(lower=b_lower, upper=b_lower + 10_000.0)
    sep = Separation(9_260.0, vsep_ft)
    for x, y in ((a, b), (b, a)):
        hit = volumes_conflict(x, y, sep)
        if band is None:
            assert hit is None
        else:
            assert hit is not None
            assert (hit.alt_lower_ft, hit.alt_upper_ft) == band


def test_the_reported_window_and_band_are_the_overlap() -> None:
    a = vol(lower=1_000.0, upper=5_000.0, start=T0, end=T0 + 3 * HOUR)
    b = vol(lower=4_000.0, upper=9_000.0, start=T0 + HOUR, end=T0 + 5 * HOUR)
    assert volumes_conflict(a, b, Separation()) == VolumeConflict(
        0, 0, T0 + HOUR, T0 + 3 * HOUR, 4_000.0, 5_000.0
    )


def test_horizontal_edges_of_the_rule() -> None:
    """Squares sharing an edge: H = 0 no conflict, any H > 0 a conflict; 1 km apart: a
    conflict for H = 1,001 m, none for H = 999 m or 1,000 m."""
    west, east = (
        square(5.0, 45.0, 0.1),
        polygon([(5.1, 44.9), (5.3, 44.9), (5.3, 45.1), (5.1, 45.1)]),
    )
    assert volumes_conflict(vol(west), vol(east), Separation(0.0, 0.0)) is None
    assert volumes_conflict(vol(west), vol(east), Separation(1.0, 0.0)) is not None
    c = Circle(45.0, 5.1, 1.0)
    lat, lon = ref.destination(45.0, 5.1, 90.0, 1_002.0)  # 1 km from the centre of c
    d = Circle(lat, lon, 1.0)
    assert volumes_conflict(vol(c), vol(d), Separation(1_001.0, 0.0)) is not None
    for h in (999.0, 1_000.0, 0.0):
        assert volumes_conflict(vol(c), vol(d), Separation(h, 0.0)) is None


def test_same_party_never_conflicts() -> None:
    a = Plan("A", "blue", (vol(),))
    b = Plan("B", "blue", (vol(),))
    c = Plan("C", "red", (vol(),))
    got = check_plans([a, b, c])
    assert [(x.plan_a, x.plan_b) for x in got] == [("A", "C"), ("B", "C")]


def test_plan_a_is_the_lesser_id_whatever_the_order() -> None:
    """The pair is reported (plan_a < plan_b), with the volume indices of each."""
    z = Plan("zulu", "red", (vol(square(50.0, 0.0, 0.1)), vol(lower=20_000.0, upper=30_000.0)))
    a = Plan("alpha", "blue", (vol(lower=25_000.0, upper=26_000.0),))
    expected = PlanConflict(
        "alpha", "zulu", "blue", "red", (VolumeConflict(0, 1, T0, T0 + HOUR, 25_000.0, 26_000.0),)
    )
    assert plan_conflict(z, a, Separation()) == expected
    assert plan_conflict(a, z, Separation()) == expected
    assert check_plans([z, a]) == [expected]
    assert check_plans([a, z]) == [expected]


def test_a_plan_conflict_encloses_its_pairs() -> None:
    a = Plan("a", "blue", (vol(start=T0, end=T0 + HOUR), vol(lower=20_000.0, upper=25_000.0)))
    b = Plan(
        "b",
        "red",
        (vol(lower=5_000.0, upper=21_000.0, start=T0 + 1_800.0, end=T0 + 2 * HOUR),),
    )
    (c,) = check_plans([a, b])
    assert [(v.index_a, v.index_b) for v in c.volumes] == [(0, 0), (1, 0)]
    assert (c.time_start_s, c.time_end_s) == (T0 + 1_800.0, T0 + HOUR)
    assert (c.alt_lower_ft, c.alt_upper_ft) == (5_000.0, 21_000.0)


@st.composite
def volume_pairs(draw: st.DrawFn) -> tuple[Volume4D, Volume4D]:
    a, b = draw(ref.outline_pairs(min_size_m=10.0, max_size_m=300_000.0))
    t = st.floats(0.0, 4 * HOUR)
    s1, s2 = draw(t), draw(t)
    l1, l2 = draw(st.floats(60.0, 2 * HOUR)), draw(st.floats(60.0, 2 * HOUR))
    z = st.floats(0.0, 10_000.0)
    z1, z2 = draw(z), draw(z)
    h1, h2 = draw(st.floats(100.0, 3_000.0)), draw(st.floats(100.0, 3_000.0))
    return (
        Volume4D(a, z1, z1 + h1, T0 + s1, T0 + s1 + l1),
        Volume4D(b, z2, z2 + h2, T0 + s2, T0 + s2 + l2),
    )


@settings(max_examples=200, deadline=None)
@given(
    pair=volume_pairs(),
    hsep_m=st.one_of(st.just(0.0), st.floats(0.0, 50_000.0), st.just(9_260.0)),
    vsep_ft=st.one_of(st.just(0.0), st.floats(0.0, 3_000.0), st.just(1_000.0)),
)
def test_volumes_conflict_agrees_with_the_reference_rule(
    pair: tuple[Volume4D, Volume4D], hsep_m: float, vsep_ft: float
) -> None:
    """The rule of the issue written out on the reference (``plans_reference``), wherever
    the reference is sure (not within the distance tolerance of H, not touching)."""
    a, b = pair
    assume(outline_problem(a.outline) is None and outline_problem(b.outline) is None)
    expected = ref.volume_conflict(a, b, hsep_m, vsep_ft, tol_m=max(1.0, 1e-5 * hsep_m))
    assume(expected is not None)
    got = volumes_conflict(a, b, Separation(hsep_m, vsep_ft))
    assert (got is not None) is expected
    assert (volumes_conflict(b, a, Separation(hsep_m, vsep_ft)) is not None) is expected


# --- invalid volumes and features -------------------------------------------------------------


def feature(
    geometry: dict[str, Any] | None = None,
    plan_id: str = "P1",
    party: object = "blue",
    **props: Any,
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "party": party,
        "plan_id": plan_id,
        "alt_lower_ft": 0,
        "alt_upper_ft": 5000,
        "time_start": "2026-11-24T08:00:00Z",
        "time_end": "2026-11-24T09:00:00Z",
    }
    properties.update(props)
    return {
        "type": "Feature",
        "geometry": geometry
        or {
            "type": "Polygon",
            "coordinates": [[[5, 45], [5.1, 45], [5.1, 45.1], [5, 45.1], [5, 45]]],
        },
        "properties": {k: v for k, v in properties.items() if v is not ...},
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def test_a_valid_collection_reads() -> None:
    circle = feature(
        {"type": "Point", "coordinates": [5.0, 45.0]}, plan_id="P2", party="red", radius_m=3000
    )
    plans = parse_plans(
        collection(feature(), feature(plan_id="P1", alt_lower_ft=6000, alt_upper_ft=7000), circle)
    )
    assert [(p.plan_id, p.party, len(p.volumes)) for p in plans] == [
        ("P1", "blue", 2),
        ("P2", "red", 1),
    ]
    assert plans[1].volumes[0].outline == Circle(45.0, 5.0, 3000.0)
    assert plans[0].volumes[0].time_start_s == T0
    assert format_time(T0) == "2026-11-24T08:00:00Z"


BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[5, 45], [5.1, 45.1], [5.1, 45], [5, 45.1], [5, 45]]],
}
LINE = {"type": "LineString", "coordinates": [[5, 45], [5.1, 45.1]]}
POINT = {"type": "Point", "coordinates": [5.0, 45.0]}
TOO_LARGE = {"type": "Polygon", "coordinates": [[[0, 30], [25, 30], [25, 50], [0, 50], [0, 30]]]}
NAN_VERTEX = {"type": "Polygon", "coordinates": [[[5, 45], [math.nan, 45], [5.1, 45.1], [5, 45]]]}


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (feature(BOW_TIE, plan_id="bow"), "polygon is not simple"),
        (
            feature(plan_id="band", alt_lower_ft=5000),
            "alt_lower_ft 5000 is not below alt_upper_ft 5000",
        ),
        (
            feature(plan_id="band", alt_lower_ft=6000),
            "alt_lower_ft 6000 is not below alt_upper_ft 5000",
        ),
        (
            feature(plan_id="when", time_end="2026-11-24T08:00:00Z"),
            "time_end is not after time_start",
        ),
        (
            feature(plan_id="when", time_end="2026-11-24T07:00:00+00:00"),
            "time_end is not after time_start",
        ),
        (feature(plan_id="who", party=...), "misses the property party"),
        (feature(plan_id="who", party=None, time_end=...), "misses the properties party, time_end"),
        (feature(LINE, plan_id="line"), "geometry 'LineString' is not supported"),
        (feature(POINT, plan_id="dot"), "a Point needs the property radius_m"),
        (feature(plan_id="naive", time_start="2026-11-24T08:00:00"), "has no time zone"),
        (feature(plan_id="nan", alt_upper_ft=math.nan), "alt_upper_ft must be finite"),
        (feature(plan_id="inf", alt_lower_ft=-math.inf), "alt_lower_ft must be finite"),
        (feature(POINT, plan_id="r", radius_m=math.inf), "radius_m must be finite"),
        (feature(NAN_VERTEX, plan_id="v"), "outer ring: a coordinate is not a finite number"),
        (
            feature({"type": "Point", "coordinates": [5.0, math.nan]}, plan_id="c", radius_m=10),
            "latitude nan",
        ),
        (feature(TOO_LARGE, plan_id="huge"), "polygon is too large"),
        (
            feature(POINT, plan_id="big", radius_m=2_000_000),
            "radius_m 2000000.0 is not in [1, 1e+06]",
        ),
        (feature(plan_id="alt", alt_upper_ft="FL300"), "alt_upper_ft must be a number"),
    ],
)
def test_errors_name_the_feature(bad: dict[str, Any], words: str) -> None:
    with pytest.raises(InputError) as e:
        parse_plans(collection(feature(plan_id="ok"), bad), "plans.geojson")
    message = str(e.value)
    assert message.startswith(
        f"plans.geojson: feature 1 (plan_id {bad['properties']['plan_id']!r}) "
    )
    assert words in message
    assert "\n" not in message


def test_a_plan_id_of_two_parties_is_refused() -> None:
    with pytest.raises(
        InputError,
        match=r"feature 2 \(plan_id 'P1'\) belongs to party 'red', "
        r"but plan 'P1' belongs to party 'blue'",
    ):
        parse_plans(collection(feature(), feature(plan_id="P2"), feature(party="red")))


def test_volume_problem() -> None:
    assert volume_problem(vol()) is None
    assert volume_problem(vol(lower=1.0, upper=1.0)) == "alt_lower_ft 1 is not below alt_upper_ft 1"
    assert volume_problem(vol(start=T0, end=T0)) == "time_end is not after time_start"
    assert volume_problem(vol(lower=math.nan)) == "altitudes must be finite numbers"
    assert volume_problem(vol(end=math.inf)) == "times must be finite"
    assert volume_problem(vol(lower=-3_000.0)) is not None
    assert "not simple" in str(
        volume_problem(vol(polygon([(5, 45), (5.1, 45.1), (5.1, 45), (5, 45.1)])))
    )
    assert "fewer than 3" in str(volume_problem(vol(polygon([(5, 45), (5.1, 45.1)]))))


# --- notices ------------------------------------------------------------------------------


def region_cells_of(body: dict[str, Any]) -> list[tuple[float, float, float, float]]:
    """(west, south, east, north) of the cells of a notice's region."""
    out = []
    for (ring,) in body["region"]["coordinates"]:
        (w, s), (e, _), (_, n) = ring[0], ring[1], ring[2]
        out.append((w, s, e, n))
    return out


def in_region(
    lon: float, lat: float, cells: list[tuple[float, float, float, float]], tol: float = 2e-5
) -> bool:
    for w, s, e, n in cells:
        if s - tol <= lat <= n + tol and (
            e - w >= 360.0 - tol or (lon - w + tol) % 360.0 <= e - w + 2 * tol
        ):
            return True
    return False


def assert_cells_are_wide(cells: list[tuple[float, float, float, float]]) -> None:
    """Each cell is at least MIN_CELL_M tall and wide (along its poleward parallel); a cell
    around a pole is a disc at least MIN_CELL_M across."""
    lim = MIN_CELL_M - 1.0  # corners are rounded to 1e-6°
    for w, s, e, n in cells:
        tall = ref.geodesic_m(s, w, n, w)
        assert tall >= lim, (w, s, e, n, tall)
        poleward = n if abs(n) >= abs(s) else s
        if e - w >= 360.0 - 1e-9 and abs(poleward) == 90.0:
            assert 2.0 * tall >= lim
            continue
        lat = math.radians(poleward)
        a, e2 = 6_378_137.0, 0.00669437999014
        parallel_radius = a * math.cos(lat) / math.sqrt(1.0 - e2 * math.sin(lat) ** 2)
        assert parallel_radius * math.radians(e - w) >= lim, (w, s, e, n)


def points_in_both(
    a: Outline, b: Outline, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random points inside both outlines (the reference's point in polygon)."""
    k = cap(a)  # only to pick where to sample
    az = rng.uniform(0, 360, n)
    dist = k.radius_m * np.sqrt(rng.uniform(0, 1, n))
    lon, lat, _ = ref.GEOD.fwd(np.full(n, k.lon_deg), np.full(n, k.lat_deg), az, dist)
    lon, lat = np.asarray(lon), np.asarray(lat)
    keep = ref.in_outline(lon, lat, a) & ref.in_outline(lon, lat, b)
    return lon[keep], lat[keep]


SECRET = "secret-plan-7f3a"


def secret_plan(lat: float, lon: float) -> tuple[Plan, list[float]]:
    """The other party's plan: a conflicting volume near (lat, lon), two far away, with
    coordinates of many digits; and every number of its outlines."""
    rng = np.random.default_rng(17)
    near = ref.star_ring(lat, lon, np.arange(7) * 51.4 + 3.3, rng.uniform(20_000, 40_000, 7))
    far_lat, far_lon = ref.destination(lat, lon, 45.0, 600_000.0)
    far = ref.star_ring(far_lat, far_lon, np.arange(5) * 72.0 + 1.7, rng.uniform(5_000, 9_000, 5))
    vols = (
        Volume4D(polygon(far), 31_234.5, 33_456.5, T0 + 7 * HOUR, T0 + 8 * HOUR),
        Volume4D(polygon(near), 2_000.0, 8_000.0, T0, T0 + 2 * HOUR),
        Volume4D(
            Circle(far_lat + 0.123456789, far_lon, 7_777.7), 41_000.0, 42_000.0, T0, T0 + HOUR
        ),
    )
    plan = Plan(
        SECRET, "red", vols, version=3, meta={"purpose": "recon-orchid", "callsign": "HAWK21"}
    )
    numbers = [float(v) for r in (near, far) for v in r.ravel()] + [far_lat + 0.123456789, far_lon]
    return plan, numbers


@pytest.mark.parametrize(
    ("lat", "lon", "hsep_m"),
    [
        (45.0, 5.0, 9_260.0),
        (45.0, 5.0, 0.0),
        (0.0, 179.99, 9_260.0),
        (89.9, 30.0, 9_260.0),
        (-89.95, 0.0, 0.0),
    ],
)
def test_safety_notice_discloses_the_minimum(lat: float, lon: float, hsep_m: float) -> None:
    other, numbers = secret_plan(lat, lon)
    own_lat, own_lon = ref.destination(lat, lon, 200.0, 15_000.0)
    own = Plan(
        "mine-1",
        "blue",
        (Volume4D(Circle(own_lat, own_lon, 12_000.0), 5_000.0, 9_000.0, T0 + HOUR, T0 + 3 * HOUR),),
    )
    sep = Separation(hsep_m, 1_000.0)
    (conflict,) = check_plans([own, other], sep)
    assert [(v.index_a, v.index_b) for v in conflict.volumes] == [(0, 1)]
    body = notice(conflict, own, other, "ref-0001", Sharing.SAFETY, sep)
    text = json.dumps(body)
    assert SECRET not in text and "recon-orchid" not in text and "HAWK21" not in text
    for x in numbers:
        assert repr(x) not in text and f"{round(x, 6)}" not in text, x
    # nothing of its other volumes: their bands, windows, radius
    for leak in ("31234.5", "33456.5", "41000", "7777.7", format_time(T0 + 7 * HOUR)):
        assert leak not in text
    assert "other_volumes" not in body and "other_plan" not in body
    assert body["other_plan_ref"] == "ref-0001" and body["other_version"] == 3
    assert body["other_party"] == "red" and body["own_plan"] == "mine-1"
    # the overlap: window and band
    assert (body["time_start"], body["time_end"]) == (
        format_time(T0 + HOUR),
        format_time(T0 + 2 * HOUR),
    )
    assert (body["alt_lower_ft"], body["alt_upper_ft"]) == (5_000.0, 8_000.0)
    # the region: cells at least 10 km wide that hold the conflict zone
    cells = region_cells_of(body)
    assert cells
    assert_cells_are_wide(cells)
    lon_in, lat_in = points_in_both(
        own.volumes[0].outline, other.volumes[1].outline, 3_000, np.random.default_rng(5)
    )
    assert len(lon_in) > 10
    for x, y in zip(lon_in, lat_in, strict=True):
        assert in_region(float(x), float(y), cells), (x, y)
    # both parties' notices show the same region
    mirror = notice(conflict, other, own, "ref-0002", Sharing.SAFETY, sep)
    assert mirror["region"] == body["region"]


@pytest.mark.parametrize(("lat", "lon"), [(45.0, 5.0), (-30.0, -179.95), (89.99, 0.0)])
@pytest.mark.parametrize("gap_fraction", [0.2, 0.5, 0.9])
def test_region_holds_the_zone_between_outlines_apart(
    lat: float, lon: float, gap_fraction: float
) -> None:
    """Outlines apart by less than H: the midpoint of their nearest points is less than H/2
    from each, so in the conflict zone; some cell of the region holds it."""
    hsep = 9_260.0
    a = polygon(ref.star_ring(lat, lon, np.arange(6) * 60.0 + 10.0, np.full(6, 20_000.0)))
    # beyond the vertex at 70°, on the same geodesic from the centre
    b_lat, b_lon = ref.destination(lat, lon, 70.0, 20_000.0 + gap_fraction * hsep + 5_000.0)
    b = Circle(b_lat, b_lon, 5_000.0)
    d = ref.region_distance(a, b)
    assert d.lo > 0.0 and d.hi < hsep  # as built
    az, _, dist = ref.GEOD.inv(d.a[0], d.a[1], d.b[0], d.b[1])
    mid_lon, mid_lat, _ = ref.GEOD.fwd(d.a[0], d.a[1], az, dist / 2.0)
    own = Plan("o", "blue", (Volume4D(a, 0.0, 1_000.0, T0, T0 + HOUR),))
    other = Plan("x", "red", (Volume4D(b, 0.0, 1_000.0, T0, T0 + HOUR),))
    sep = Separation(hsep, 1_000.0)
    (conflict,) = check_plans([own, other], sep)
    body = notice(conflict, own, other, "r", Sharing.SAFETY, sep)
    cells = region_cells_of(body)
    assert_cells_are_wide(cells)
    assert in_region(float(mid_lon), float(mid_lat), cells)


def test_coordination_notice_carries_the_conflicting_volumes() -> None:
    other, _ = secret_plan(45.0, 5.0)
    own_lat, own_lon = ref.destination(45.0, 5.0, 200.0, 15_000.0)
    own = Plan(
        "mine-1",
        "blue",
        (Volume4D(Circle(own_lat, own_lon, 12_000.0), 5_000.0, 9_000.0, T0 + HOUR, T0 + 3 * HOUR),),
    )
    sep = Separation()
    (conflict,) = check_plans([own, other], sep)
    body = notice(conflict, own, other, "ref-0001", Sharing.COORDINATION, sep)
    assert body["other_plan"] == SECRET
    (f,) = body["other_volumes"]["features"]
    outline = other.volumes[1].outline
    assert isinstance(outline, Polygon) and f["geometry"]["type"] == "Polygon"
    ring = np.array(f["geometry"]["coordinates"][0])
    assert np.array_equal(ring[:-1], outline.rings[0]) and np.array_equal(ring[0], ring[-1])
    props = f["properties"]
    assert (props["alt_lower_ft"], props["alt_upper_ft"]) == (2_000.0, 8_000.0)
    assert (props["time_start"], props["time_end"]) == (format_time(T0), format_time(T0 + 2 * HOUR))
    text = json.dumps(body)
    for leak in ("31234.5", "41000", "recon-orchid", "HAWK21"):  # not the others, nor the meta
        assert leak not in text
    # what the other party learns of ours, from the same conflict
    mirror = notice(conflict, other, own, "ref-0002", Sharing.COORDINATION, sep)
    (g,) = mirror["other_volumes"]["features"]
    assert g["geometry"] == {"type": "Point", "coordinates": [own_lon, own_lat]}
    assert g["properties"]["radius_m"] == 12_000.0


@pytest.mark.parametrize("pole", [90.0, -90.0])
def test_region_cells_at_a_pole_are_wide(pole: float) -> None:
    """Found by this test: the last row of the grid, at the north pole, was what was left of
    180° after whole rows, a cap 6.7 km across."""
    own = Plan("o", "blue", (Volume4D(Circle(pole, 0.0, 5_000.0), 0.0, 1_000.0, T0, T0 + HOUR),))
    near = math.copysign(89.99, pole)
    other = Plan("x", "red", (Volume4D(Circle(near, 40.0, 5_000.0), 0.0, 1_000.0, T0, T0 + HOUR),))
    sep = Separation(0.0, 0.0)
    (conflict,) = check_plans([own, other], sep)
    cells = region_cells_of(notice(conflict, own, other, "r", Sharing.SAFETY, sep))
    assert_cells_are_wide(cells)
    assert in_region(0.0, pole, cells)
    assert any(abs(n if pole > 0 else s) == 90.0 for _, s, _, n in cells)


@settings(max_examples=100, deadline=None)
@given(pair=ref.outline_pairs(max_size_m=300_000.0), hsep_m=st.floats(0.0, 60_000.0))
def test_region_holds_the_conflict_zone(pair: tuple[Outline, Outline], hsep_m: float) -> None:
    """Random outlines in conflict: the region's cells are wide and hold the zone: points
    inside both outlines, and, when they are apart, the midpoint of their nearest points."""
    a, b = pair
    assume(outline_problem(a) is None and outline_problem(b) is None)
    d = ref.region_distance(a, b)
    assume(d.hi < 0.98 * hsep_m or (hsep_m == 0.0 and ref.interiors_meet(a, b)))
    own = Plan("o", "blue", (Volume4D(a, 0.0, 1_000.0, T0, T0 + HOUR),))
    other = Plan("x", "red", (Volume4D(b, 0.0, 1_000.0, T0, T0 + HOUR),))
    sep = Separation(hsep_m, 0.0)
    (conflict,) = check_plans([own, other], sep)
    cells = region_cells_of(notice(conflict, own, other, "r", Sharing.SAFETY, sep))
    assert_cells_are_wide(cells)
    if d.lo > 0.0:
        az, _, dist = ref.GEOD.inv(d.a[0], d.a[1], d.b[0], d.b[1])
        mid_lon, mid_lat, _ = ref.GEOD.fwd(d.a[0], d.a[1], az, dist / 2.0)
        assert in_region(float(mid_lon), float(mid_lat), cells)
    lon, lat = points_in_both(a, b, 400, np.random.default_rng(1))
    for x, y in zip(lon, lat, strict=True):
        assert in_region(float(x), float(y), cells), (x, y)


@pytest.mark.parametrize("hsep_m", [1e-300, 2.2e-311, 1e-12, 0.0])
def test_region_with_a_tiny_hsep_holds_the_overlap(hsep_m: float) -> None:
    """Found by hypothesis: H/2 = 1e-300 m buffers the outlines to nothing, and the region
    fell back to one point of the overlap, leaving out the rest of it."""
    a = polygon([(0.0, 0.00991762), (0.00853141, -0.00495881), (-0.00853141, -0.00495881)])
    b = Circle(0.0, 0.0, 1096.6331584284585)
    own = Plan("o", "blue", (Volume4D(a, 0.0, 1_000.0, T0, T0 + HOUR),))
    other = Plan("x", "red", (Volume4D(b, 0.0, 1_000.0, T0, T0 + HOUR),))
    sep = Separation(hsep_m, 0.0)
    (conflict,) = check_plans([own, other], sep)
    cells = region_cells_of(notice(conflict, own, other, "r", Sharing.SAFETY, sep))
    lon, lat = points_in_both(a, b, 400, np.random.default_rng(1))
    assert len(lon) > 50
    for x, y in zip(lon, lat, strict=True):
        assert in_region(float(x), float(y), cells), (x, y)
