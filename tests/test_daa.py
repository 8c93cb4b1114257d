"""Tests of deconflict.daa: units, velocity components, grouping, layouts, a round trip of
random encounters and every input error."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.daa import DaaStates, parse_daa, read_daa
from deconflict.errors import InputError

# Expected conversions, written out from the definitions rather than taken from units.py
FOOT = 0.3048  # m, international foot
NAUTICAL_MILE = 1852.0  # m
KILOMETRE = 1000.0  # m
KNOT = 1852.0 / 3600.0  # m/s, one nautical mile per hour
FOOT_PER_MINUTE = 0.3048 / 60.0  # m/s
RADIAN = 180.0 / math.pi  # degrees
MINUTE = 60.0  # s
HOUR = 3600.0  # s

FIXTURE = Path(__file__).parent / "data" / "daa" / "converging.daa"
GEODETIC = "name lat lon alt trk gs vs time"
EUCLIDEAN = "name sx sy sz vx vy vz time"


def daa(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def one_row(units: str, row: str = "A 1 2 3 4 5 6 7") -> DaaStates:
    return parse_daa(daa(GEODETIC, units, row))


# --- units -----------------------------------------------------------------------------------

LENGTHS = {
    "m": 1.0,
    "ft": FOOT,
    "km": KILOMETRE,
    "nmi": NAUTICAL_MILE,
    "NM": NAUTICAL_MILE,
    "nm": NAUTICAL_MILE,
}
ANGLES = {"deg": 1.0, "rad": RADIAN}
SPEEDS = {
    "m/s": 1.0,
    "knot": KNOT,
    "kn": KNOT,
    "kts": KNOT,
    "knots": KNOT,
    "fpm": FOOT_PER_MINUTE,
    "ft/min": FOOT_PER_MINUTE,
}
TIMES = {"s": 1.0, "min": MINUTE, "h": HOUR}
NONE = ("none", "unitless", "", "-", "unspecified")


@pytest.mark.parametrize(("unit", "factor"), LENGTHS.items())
def test_length_units(unit: str, factor: float) -> None:
    s = one_row(f"[] [deg] [deg] [{unit}] [deg] [m/s] [m/s] [s]", "A 1 2 2.5 4 5 6 7")
    assert s.altitude_m[0] == pytest.approx(2.5 * factor, rel=1e-12)


@pytest.mark.parametrize(("unit", "factor"), LENGTHS.items())
def test_length_units_of_euclidean_positions(unit: str, factor: float) -> None:
    units = f"[none] [{unit}] [{unit}] [{unit}] [m/s] [m/s] [m/s] [s]"
    s = parse_daa(daa(EUCLIDEAN, units, "A 1.5 -2 3 0 0 0 0"))
    assert s.x_m[0] == pytest.approx(1.5 * factor, rel=1e-12)
    assert s.y_m[0] == pytest.approx(-2 * factor, rel=1e-12)
    assert s.altitude_m[0] == pytest.approx(3 * factor, rel=1e-12)


@pytest.mark.parametrize(("unit", "factor"), ANGLES.items())
def test_angle_units(unit: str, factor: float) -> None:
    units = f"[none] [{unit}] [{unit}] [m] [{unit}] [m/s] [m/s] [s]"
    s = one_row(units, "A 0.5 -1.25 0 0.75 10 0 0")
    assert s.latitude_deg[0] == pytest.approx(0.5 * factor, rel=1e-12)
    assert s.longitude_deg[0] == pytest.approx(-1.25 * factor, rel=1e-12)
    track = math.radians(0.75 * factor)
    assert s.v_east_mps[0] == pytest.approx(10 * math.sin(track), rel=1e-12)
    assert s.v_north_mps[0] == pytest.approx(10 * math.cos(track), rel=1e-12)


@pytest.mark.parametrize(("unit", "factor"), SPEEDS.items())
def test_speed_units(unit: str, factor: float) -> None:
    s = one_row(f"[] [deg] [deg] [m] [deg] [{unit}] [{unit}] [s]", "A 0 0 0 0 250 -3.5 0")
    assert s.v_north_mps[0] == pytest.approx(250 * factor, rel=1e-12)
    assert s.v_up_mps[0] == pytest.approx(-3.5 * factor, rel=1e-12)


@pytest.mark.parametrize(("unit", "factor"), SPEEDS.items())
def test_speed_units_of_cartesian_velocities(unit: str, factor: float) -> None:
    units = f"[none] [m] [m] [m] [{unit}] [{unit}] [{unit}] [s]"
    s = parse_daa(daa(EUCLIDEAN, units, "A 0 0 0 -7 8 9.5 0"))
    assert s.v_east_mps[0] == pytest.approx(-7 * factor, rel=1e-12)
    assert s.v_north_mps[0] == pytest.approx(8 * factor, rel=1e-12)
    assert s.v_up_mps[0] == pytest.approx(9.5 * factor, rel=1e-12)


@pytest.mark.parametrize(("unit", "factor"), TIMES.items())
def test_time_units(unit: str, factor: float) -> None:
    s = one_row(f"[] [deg] [deg] [m] [deg] [m/s] [m/s] [{unit}]", "A 0 0 0 0 0 0 1.5")
    assert s.time_s[0] == pytest.approx(1.5 * factor, rel=1e-12)


@pytest.mark.parametrize("unit", NONE)
def test_units_of_names_and_alerters(unit: str) -> None:
    text = daa(
        f"{GEODETIC} alerter",
        f"[{unit}] [deg] [deg] [m] [deg] [m/s] [m/s] [s] [{unit}]",
        "A 0 0 0 0 0 0 0 3",
    )
    s = parse_daa(text)
    assert s.name.tolist() == ["A"]
    assert s.alerter.tolist() == [3]


def test_units_ignore_case_and_padding() -> None:
    s = one_row("[NONE], [DEG], [Deg], [ FT ], [deg], [KNOT], [FPM], [S]", "A 0 0 100 0 1 60 0")
    assert s.altitude_m[0] == pytest.approx(100 * FOOT)
    assert s.v_north_mps[0] == pytest.approx(KNOT)
    assert s.v_up_mps[0] == pytest.approx(60 * FOOT_PER_MINUTE)


def test_missing_units_line_means_daidalus_defaults() -> None:
    geodetic = parse_daa(daa(GEODETIC, "A 10 20 1000 0 100 600 5"))
    assert geodetic.latitude_deg[0] == 10 and geodetic.longitude_deg[0] == 20
    assert geodetic.altitude_m[0] == pytest.approx(1000 * FOOT)
    assert geodetic.v_north_mps[0] == pytest.approx(100 * KNOT)
    assert geodetic.v_up_mps[0] == pytest.approx(600 * FOOT_PER_MINUTE)
    assert geodetic.time_s[0] == 5
    euclidean = parse_daa(daa(EUCLIDEAN, "A 2 -3 1000 100 -50 600 5"))
    assert euclidean.x_m[0] == pytest.approx(2 * NAUTICAL_MILE)
    assert euclidean.y_m[0] == pytest.approx(-3 * NAUTICAL_MILE)
    assert euclidean.altitude_m[0] == pytest.approx(1000 * FOOT)
    assert euclidean.v_east_mps[0] == pytest.approx(100 * KNOT)
    assert euclidean.v_north_mps[0] == pytest.approx(-50 * KNOT)
    assert euclidean.v_up_mps[0] == pytest.approx(600 * FOOT_PER_MINUTE)


# --- velocity --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("track", "east", "north"),
    [
        (0.0, 0.0, 1.0),
        (90.0, 1.0, 0.0),
        (180.0, 0.0, -1.0),
        (225.0, -math.sqrt(0.5), -math.sqrt(0.5)),
        (270.0, -1.0, 0.0),
        (-90.0, -1.0, 0.0),
        (450.0, 1.0, 0.0),
    ],
)
def test_track_and_groundspeed_to_east_and_north(track: float, east: float, north: float) -> None:
    s = one_row("[] [deg] [deg] [m] [deg] [m/s] [m/s] [s]", f"A 0 0 0 {track} 200 0 0")
    assert s.v_east_mps[0] == pytest.approx(200 * east, abs=1e-9)
    assert s.v_north_mps[0] == pytest.approx(200 * north, abs=1e-9)


def test_track_225_has_both_components_negative() -> None:
    s = one_row("[] [deg] [deg] [m] [deg] [m/s] [m/s] [s]", "A 0 0 0 225 100 0 0")
    assert s.v_east_mps[0] < 0 and s.v_north_mps[0] < 0
    assert s.v_east_mps[0] == pytest.approx(s.v_north_mps[0])


# --- grouping and layout ---------------------------------------------------------------------


def test_fixture_file() -> None:
    s = read_daa(FIXTURE)
    assert s.name.tolist() == ["own", "north", "sw"] * 2
    assert s.ownship.tolist() == [True, False, False, True, False, False]
    assert s.time_s.tolist() == [0, 0, 0, 1, 1, 1]
    assert s.line.tolist() == [6, 7, 8, 11, 12, 13]
    assert s.alerter.tolist() == [1, 1, 2, 1, 1, 2]
    assert s.geodetic
    assert np.isnan(s.x_m).all() and np.isnan(s.y_m).all()
    assert s.latitude_deg[2] == 40.05 and s.longitude_deg[2] == -73.95
    assert s.altitude_m[2] == pytest.approx(16000 * FOOT)
    assert s.v_east_mps[0] == pytest.approx(120 * KNOT)
    assert s.v_north_mps[0] == pytest.approx(0, abs=1e-9)
    assert s.v_east_mps[1] == pytest.approx(0, abs=1e-9)
    assert s.v_north_mps[1] == pytest.approx(150 * KNOT)
    assert s.v_east_mps[2] == pytest.approx(-100 * KNOT * math.sqrt(0.5))
    assert s.v_north_mps[2] == pytest.approx(-100 * KNOT * math.sqrt(0.5))
    assert s.v_up_mps[2] == pytest.approx(-500 * FOOT_PER_MINUTE)


def test_read_daa_takes_a_string_path() -> None:
    assert read_daa(str(FIXTURE)).name.size == 6


def test_groups_by_time() -> None:
    s = parse_daa(
        daa(
            GEODETIC,
            "own 0 0 0 0 0 0 0",
            "b 0 0 0 0 0 0 0",
            "c 0 0 0 0 0 0 0",
            "own 0 0 0 0 0 0 1",
            "own 0 0 0 0 0 0 2",
            "d 0 0 0 0 0 0 2",
        )
    )
    assert s.ownship.tolist() == [True, False, False, True, True, False]
    assert s.name.tolist() == ["own", "b", "c", "own", "own", "d"]
    assert s.time_s.tolist() == [0, 0, 0, 1, 2, 2]
    assert s.alerter.tolist() == [1] * 6


def test_the_ownship_is_whoever_comes_first() -> None:
    s = parse_daa(daa(GEODETIC, "a 0 0 0 0 0 0 0", "b 0 0 0 0 0 0 0", "b 0 0 0 0 0 0 1"))
    assert s.ownship.tolist() == [True, False, True]


@pytest.mark.parametrize(
    "row",
    [
        "A, 1.5, -2, 300, 90, 10, 0, 4",
        "A,1.5,-2,300,90,10,0,4",
        "A 1.5 -2 300 90 10 0 4",
        "A\t1.5\t-2   300 ,90, 10 ,0,  4",
        "A, 1.5, -2, 300, 90, 10, 0, 4,",
    ],
)
def test_separators(row: str) -> None:
    header = "name, lat, lon, alt, trk, gs, vs, time"
    s = parse_daa(daa(header, "[none], [deg], [deg], [m], [deg], [m/s], [m/s], [s]", row))
    assert s.name.tolist() == ["A"]
    assert (s.latitude_deg[0], s.longitude_deg[0], s.altitude_m[0]) == (1.5, -2, 300)
    assert s.v_east_mps[0] == pytest.approx(10)
    assert s.time_s[0] == 4


def test_comments_and_blank_lines_anywhere() -> None:
    text = daa(
        "",
        "# a comment first",
        "   # an indented comment",
        GEODETIC,
        "",
        "# between the header and the units",
        "[none] [deg] [deg] [m] [deg] [m/s] [m/s] [s]",
        "\t",
        "a 0 0 0 0 0 0 0",
        "# between rows",
        "b 0 0 0 0 0 0 0",
        "",
        "a 0 0 0 0 0 0 1",
        "# last",
    )
    s = parse_daa(text)
    assert s.name.tolist() == ["a", "b", "a"]
    assert s.line.tolist() == [9, 11, 13]
    assert s.ownship.tolist() == [True, False, True]


def test_windows_line_ends_and_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "crlf.daa"
    path.write_bytes(
        b"\xef\xbb\xbf" + daa(GEODETIC, "a 0 0 0 0 0 0 0").replace("\n", "\r\n").encode()
    )
    s = read_daa(path)
    assert s.name.tolist() == ["a"]
    assert s.line.tolist() == [2]


def test_header_is_case_insensitive() -> None:
    s = parse_daa(daa("NAME LAT Lon ALT Trk GS vs TIME Alerter", "A 1 2 3 4 5 6 7 2"))
    assert s.latitude_deg[0] == 1 and s.time_s[0] == 7 and s.alerter[0] == 2
    e = parse_daa(daa("Name SX sy Sz VX vY vz Time", "A 1 2 3 4 5 6 7"))
    assert not e.geodetic and e.x_m[0] == pytest.approx(NAUTICAL_MILE)


def test_names_keep_their_case() -> None:
    s = parse_daa(daa(GEODETIC, "N123Ab 0 0 0 0 0 0 0", "n123ab 0 0 0 0 0 0 0"))
    assert s.name.tolist() == ["N123Ab", "n123ab"]


def test_columns_in_any_order_with_unknown_columns_ignored() -> None:
    text = daa(
        "time heading gs name vs s_EW_std lon trk airspeed alt lat alerter",
        "[s] [deg] [kn] [none] [fpm] [furlong] [deg] [deg] [mph] [ft] [deg] [none]",
        "3 45 100 X 200 whatever -1 90 110 500 2 4",
    )
    s = parse_daa(text)
    assert s.name.tolist() == ["X"]
    assert (s.latitude_deg[0], s.longitude_deg[0]) == (2, -1)
    assert s.altitude_m[0] == pytest.approx(500 * FOOT)
    assert s.v_east_mps[0] == pytest.approx(100 * KNOT)
    assert s.v_up_mps[0] == pytest.approx(200 * FOOT_PER_MINUTE)
    assert s.time_s[0] == 3 and s.alerter[0] == 4


def test_euclidean_file() -> None:
    text = daa(
        "NAME sx sy sz vx vy vz time",
        "[none] [m] [m] [m] [m/s] [m/s] [m/s] [s]",
        "own 0 0 1000 50 0 0 0",
        "intruder 2000 -1000 1100 -40 10 -2 0",
        "own 50 0 1000 50 0 0 1",
        "intruder 1960 -990 1098 -40 10 -2 1",
    )
    s = parse_daa(text)
    assert not s.geodetic
    assert np.isnan(s.latitude_deg).all() and np.isnan(s.longitude_deg).all()
    assert s.x_m.tolist() == [0, 2000, 50, 1960]
    assert s.y_m.tolist() == [0, -1000, 0, -990]
    assert s.altitude_m.tolist() == [1000, 1100, 1000, 1098]
    assert s.v_east_mps.tolist() == [50, -40, 50, -40]
    assert s.v_north_mps.tolist() == [0, 10, 0, 10]
    assert s.v_up_mps.tolist() == [0, -2, 0, -2]
    assert s.ownship.tolist() == [True, False, True, False]


def test_arrays_have_the_documented_types() -> None:
    s = read_daa(FIXTURE)
    for name in ("time_s", "latitude_deg", "longitude_deg", "x_m", "y_m", "altitude_m"):
        assert getattr(s, name).dtype == np.float64, name
    for name in ("v_east_mps", "v_north_mps", "v_up_mps"):
        assert getattr(s, name).dtype == np.float64, name
    assert s.name.dtype.kind == "U"
    assert s.ownship.dtype == np.bool_
    assert s.alerter.dtype == np.int64 and s.line.dtype == np.int64
    assert {getattr(s, n).shape for n in ("time_s", "x_m", "alerter", "line")} == {(6,)}


# --- round trip ------------------------------------------------------------------------------


@dataclass
class Encounter:
    """Random aircraft states in SI units, and the .daa text a small writer made of them."""

    text: str = ""
    expected: dict[str, list[float]] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    ownship: list[bool] = field(default_factory=list)
    alerter: list[int] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    geodetic: bool = True


NAMES = st.text(
    st.characters(
        blacklist_categories=("Z", "C"), blacklist_characters=",#[]", max_codepoint=0x2FFF
    ),
    min_size=1,
    max_size=8,
)


@st.composite
def encounters(draw: st.DrawFn) -> Encounter:
    geodetic, polar = draw(st.booleans()), draw(st.booleans())
    columns = ["name", *(("lat", "lon", "alt") if geodetic else ("sx", "sy", "sz"))]
    columns += [*(("trk", "gs", "vs") if polar else ("vx", "vy", "vz")), "time"]
    if draw(st.booleans()):
        columns.append("alerter")
    if draw(st.booleans()):
        columns.append("heading")  # ignored
    columns = draw(st.permutations(columns))
    units = _draw_units(draw, columns) if draw(st.booleans()) else None
    separator = draw(st.sampled_from([", ", ",", " ", "\t", " , "]))
    header = separator.join(c.upper() if draw(st.booleans()) else c for c in columns)
    lines = ["# a random encounter", header]
    if units is not None:
        lines.append(separator.join(f"[{units[c][0]}]" for c in columns))
    out = Encounter(geodetic=geodetic)
    times = sorted(draw(st.sets(st.integers(-1000, 10**6), min_size=1, max_size=4)))
    for tick in times:
        for i, name in enumerate(draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))):
            values = _draw_state(draw, geodetic, polar, tick * 0.5)
            values["name"], values["alerter"] = name, draw(st.integers(1, 9))
            values["heading"] = draw(st.floats(0, 360))
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["", "# comment", "   "])))
            lines.append(separator.join(_written(c, values[c], units) for c in columns))
            out.names.append(name)
            out.ownship.append(i == 0)
            out.alerter.append(int(values["alerter"]) if "alerter" in columns else 1)
            out.line.append(len(lines))
            for key, value in _expected(values, geodetic).items():
                out.expected.setdefault(key, []).append(value)
    out.text = "\n".join(lines) + draw(st.sampled_from(["", "\n"]))
    return out


def _draw_units(draw: st.DrawFn, columns: list[str]) -> dict[str, tuple[str, float]]:
    kinds = {"lat": ANGLES, "lon": ANGLES, "trk": ANGLES, "time": TIMES}
    kinds |= {c: LENGTHS for c in ("alt", "sx", "sy", "sz")}
    kinds |= {c: SPEEDS for c in ("gs", "vs", "vx", "vy", "vz")}
    units: dict[str, tuple[str, float]] = {}
    for column in columns:
        if column in kinds:
            unit = draw(st.sampled_from(sorted(kinds[column])))
            units[column] = (unit, kinds[column][unit])
        else:
            units[column] = (draw(st.sampled_from(NONE)), 1.0)
    return units


def _draw_state(
    draw: st.DrawFn, geodetic: bool, polar: bool, time: float
) -> dict[str, float | str]:
    east, north = draw(st.floats(-400, 400)), draw(st.floats(-400, 400))
    state: dict[str, float | str] = {"time": time, "vs": draw(st.floats(-60, 60))}
    state["east"], state["north"] = east, north  # not columns: what the velocity must be
    if geodetic:
        state["lat"], state["lon"] = draw(st.floats(-90, 90)), draw(st.floats(-180, 180))
        state["alt"] = draw(st.floats(-500, 20000))
    else:
        state["sx"], state["sy"] = draw(st.floats(-1e6, 1e6)), draw(st.floats(-1e6, 1e6))
        state["sz"] = draw(st.floats(-500, 20000))
    if polar:
        state["trk"] = math.degrees(math.atan2(east, north)) % 360.0
        state["gs"] = math.hypot(east, north)
    else:
        state["vx"], state["vy"], state["vz"] = east, north, state.pop("vs")
    return state


def _written(column: str, value: float | str, units: dict[str, tuple[str, float]] | None) -> str:
    """``value`` (SI, degrees) in the column's unit in the file, or DAIDALUS's default."""
    if isinstance(value, str):
        return value
    defaults = {"alt": FOOT, "sz": FOOT, "sx": NAUTICAL_MILE, "sy": NAUTICAL_MILE}
    defaults |= {"gs": KNOT, "vx": KNOT, "vy": KNOT, "vs": FOOT_PER_MINUTE}
    defaults |= {"vz": FOOT_PER_MINUTE, "alerter": 1.0}
    factor = units[column][1] if units is not None else defaults.get(column, 1.0)
    return str(int(value)) if column == "alerter" else repr(value / factor)


def _expected(values: dict[str, float | str], geodetic: bool) -> dict[str, float]:
    get = {k: v for k, v in values.items() if isinstance(v, float)}
    nan = math.nan
    out = {"time_s": get["time"], "v_east_mps": get["east"], "v_north_mps": get["north"]}
    if geodetic:
        out |= {"latitude_deg": get["lat"], "longitude_deg": get["lon"], "x_m": nan, "y_m": nan}
        out["altitude_m"] = get["alt"]
    else:
        out |= {"latitude_deg": nan, "longitude_deg": nan, "x_m": get["sx"], "y_m": get["sy"]}
        out["altitude_m"] = get["sz"]
    out["v_up_mps"] = get["vs"] if "vs" in get else get["vz"]
    return out


@settings(max_examples=200, deadline=None)
@given(encounters())
def test_round_trip(encounter: Encounter) -> None:
    s = parse_daa(encounter.text, "random.daa")
    assert s.geodetic == encounter.geodetic
    assert s.name.tolist() == encounter.names
    assert s.ownship.tolist() == encounter.ownship
    assert s.alerter.tolist() == encounter.alerter
    assert s.line.tolist() == encounter.line
    expected = {k: np.asarray(v, dtype=np.float64) for k, v in encounter.expected.items()}
    speed = np.hypot(expected["v_east_mps"], expected["v_north_mps"])
    for name, values in expected.items():
        # a component from a track and a speed is only as exact as the speed
        slack = 1e-9 * speed if name in ("v_east_mps", "v_north_mps") else 1e-300
        actual = getattr(s, name)
        close = np.abs(actual - values) <= 1e-9 * np.abs(values) + slack
        assert (close | (np.isnan(actual) & np.isnan(values))).all(), (name, actual, values)


# --- errors ----------------------------------------------------------------------------------

UNITS = "[none] [deg] [deg] [ft] [deg] [knot] [fpm] [s]"
ROW = "A 1 2 3 4 5 6 7"


@pytest.mark.parametrize(
    ("lines", "line", "words"),
    [
        (["lat lon alt trk gs vs time", "1 2 3 4 5 6 7"], 1, ["missing column 'name'"]),
        (["name lat lon alt trk gs vs", "A 1 2 3 4 5 6"], 1, ["missing column 'time'"]),
        (["name lat alt trk gs vs time", "A 1 3 4 5 6 7"], 1, ["missing column 'lon'"]),
        (["name sx sy trk gs vs time", "A 1 3 4 5 6 7"], 1, ["missing column 'sz'"]),
        (["name lat lon alt trk vs time", "A 1 2 3 4 6 7"], 1, ["missing column 'gs'"]),
        (["name lat lon alt vx vz time", "A 1 2 3 4 6 7"], 1, ["missing column 'vy'"]),
        (["name trk gs vs time", "A 4 5 6 7"], 1, ["'lat', 'lon', 'alt'", "'sx', 'sy', 'sz'"]),
        (["name lat lon alt time", "A 1 2 3 7"], 1, ["'trk', 'gs', 'vs'", "'vx', 'vy', 'vz'"]),
        ([GEODETIC + " LAT", ROW + " 1"], 1, ["column 'lat' appears twice"]),
        ([UNITS, GEODETIC, ROW], 1, ["units line where the column names should be"]),
        ([GEODETIC, "A 1 2 3 4 5 6"], 2, ["7 fields, expected 8"]),
        ([GEODETIC, UNITS, ROW, "B 1 2 3 4 5 6 7 8"], 4, ["9 fields, expected 8"]),
        ([GEODETIC, UNITS, "A 1 2 3 4 fast 6 7"], 3, ["'gs'", "'fast'", "not a number"]),
        ([GEODETIC, "A 1 2 3 4 5 6 seven"], 2, ["'time'", "'seven'", "not a number"]),
        ([GEODETIC, "A 1 2 3 4 5 inf 7"], 2, ["'vs'", "'inf'", "not a finite number"]),
        ([GEODETIC, "A nan 2 3 4 5 6 7"], 2, ["'lat'", "'nan'", "not a finite number"]),
        ([EUCLIDEAN, "A 1e308 2 3 4 5 6 7"], 2, ["'sx'", "'1e308'", "too large"]),
        ([GEODETIC, UNITS.replace("[knot]", "[furlong/fortnight]"), ROW], 2, ["furlong"]),
        ([GEODETIC, UNITS.replace("[none]", "[kg]"), ROW], 2, ["'[kg]'", "'name'"]),
        ([GEODETIC, UNITS.replace("[deg] [knot]", "[ft] [knot]"), ROW], 2, ["[ft]", "'trk'"]),
        ([GEODETIC, UNITS.replace("[s]", "[m]"), ROW], 2, ["[m]", "'time'", "time"]),
        ([GEODETIC, UNITS.replace("[fpm]", "[s]"), ROW], 2, ["[s]", "'vs'", "speed"]),
        ([GEODETIC, "[none] [deg] [deg] [ft] [deg] [knot] [fpm]", ROW], 2, ["7 units", "8"]),
        ([GEODETIC, UNITS + " [none]", ROW], 2, ["9 units for 8 columns"]),
        ([GEODETIC, "[none]", ROW], 2, ["1 unit for 8 columns"]),
        ([GEODETIC, "A"], 2, ["1 field, expected 8"]),
        ([GEODETIC, "[none] deg [deg] [ft] [deg] [knot] [fpm] [s]", ROW], 2, ["units line"]),
        ([GEODETIC + " alerter", ROW + " 0"], 2, ["'alerter'", "'0'", "positive integer"]),
        ([GEODETIC + " alerter", ROW + " -2"], 2, ["'-2'", "positive integer"]),
        ([GEODETIC + " alerter", ROW + " 1.5"], 2, ["'1.5'", "positive integer"]),
        ([GEODETIC + " alerter", ROW + " first"], 2, ["'first'", "positive integer"]),
        ([GEODETIC + " alerter", ROW + " " + "9" * 30], 2, ["positive integer"]),
        ([GEODETIC + " alerter", UNITS + " [s]", ROW + " 1"], 2, ["[s]", "'alerter'"]),
        (["# only a header", GEODETIC], 2, ["no data rows"]),
        ([GEODETIC, UNITS, "# and a comment"], 1, ["no data rows"]),
        ([GEODETIC, ROW, "B 1 2 3 4 5 6 7", "A 1 2 3 4 5 6 6.5"], 4, ["time goes back"]),
        (
            [GEODETIC, UNITS.replace("[s]", "[min]"), ROW, "B 1 2 3 4 5 6 6"],
            4,
            ["420.0 s to 360.0 s"],
        ),
        ([GEODETIC, ROW, "A 1 2 3 4 5 6 7"], 3, ["'A'", "already at line 2"]),
    ],
)
def test_errors(tmp_path: Path, lines: list[str], line: int, words: list[str]) -> None:
    path = tmp_path / "bad.daa"
    path.write_text(daa(*lines))
    readers: list[Callable[[], DaaStates]] = [
        lambda: read_daa(path),
        lambda: parse_daa(daa(*lines), str(path)),
    ]
    for read in readers:
        with pytest.raises(InputError) as info:
            read()
        message = str(info.value)
        assert "\n" not in message and "\r" not in message
        assert message.startswith(f"{path}: line {line}: "), message
        for word in words:
            assert word in message, message


@pytest.mark.parametrize("text", ["", "\n\n", "   \n", "# nothing\n  # but comments\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.daa"
    path.write_text(text)
    with pytest.raises(InputError, match=r"^.*empty\.daa: empty file") as info:
        read_daa(path)
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match=r"^<string>: empty file"):
        parse_daa(text)


def test_error_names_the_source_given_to_parse_daa() -> None:
    with pytest.raises(InputError, match=r"^encounter 7: line 2: 'gs' is 'x'"):
        parse_daa(daa(GEODETIC, "A 1 2 3 4 x 6 7"), "encounter 7")


def test_a_source_name_with_a_line_break_stays_on_one_line() -> None:
    with pytest.raises(InputError) as info:
        parse_daa(daa(GEODETIC), "two\nlines.daa")
    assert "\n" not in str(info.value)


def test_a_long_value_is_shortened_in_the_message() -> None:
    with pytest.raises(InputError) as info:
        parse_daa(daa(GEODETIC, "A 1 2 3 4 " + "x" * 500 + " 6 7"))
    assert len(str(info.value)) < 120


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.daa"
    path.write_bytes(daa(GEODETIC, ROW, "caf\xe9 1 2 3 4 5 6 7").encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.daa: line 3: not UTF-8 text$"):
        read_daa(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.daa: no such file$"):
        read_daa(tmp_path / "nope.daa")
    with pytest.raises(InputError, match=r": a directory, not a file$"):
        read_daa(tmp_path)


def test_binary_garbage_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.daa"
    path.write_bytes(b"name lat lon alt trk gs vs time\n\x00\x01 2 3 4 5 6 7 8\n")
    with pytest.raises(InputError, match=r"garbage\.daa: line 2: binary data, not text$"):
        read_daa(path)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("nametlosxyzgvkrhdi ,#[]\n\t0123456789.-e")), max_size=200))
def test_any_text_gives_states_or_an_input_error(text: str) -> None:
    try:
        parse_daa(text)
    except InputError as e:
        assert "\n" not in str(e)
