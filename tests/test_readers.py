"""Tests of deconflict.readers: each format, the unit conversions, bad rows and input errors."""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict import readers
from deconflict.errors import InputError
from deconflict.readers import ReadResult, read_states
from deconflict.states import StateVectors

# Expected conversions, written out from the definitions rather than taken from units.py
FOOT = 0.3048  # m, international foot
KNOT = 1852.0 / 3600.0  # m/s, one nautical mile (1852 m) per hour
FOOT_PER_MINUTE = 0.3048 / 60.0  # m/s

NOON = datetime(2021, 10, 7, 12, tzinfo=UTC).timestamp()  # 2021-10-07T12:00:00Z

CANONICAL = "timestamp,id,party,latitude,longitude,altitude,groundspeed,track,vertical_rate"
OPENSKY = "time,icao24,lat,lon,velocity,heading,vertrate,callsign,onground,baroaltitude,geoaltitude"


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def canonical_row(
    *,
    t: str = "1633608000",
    lat: str = "48.5",
    alt: str = "1000",
    gs: str = "100",
) -> str:
    return f"{t},abc123,blue,{lat},3.8,{alt},{gs},90,60"


def error_of(path: Path, **kwargs: Any) -> str:
    """The message of the InputError that reading ``path`` raises; it must be one line."""
    with pytest.raises(InputError) as info:
        read_states(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message


# --- canonical CSV ---------------------------------------------------------------------------


def test_canonical_csv_converts_units(tmp_path: Path) -> None:
    path = write(
        tmp_path / "states.csv",
        CANONICAL,
        "1633608000,0101de,blue,48.5,3.8,1000,100,90,60",
        "1633608001.5,123,,-33.25,-70.5,0,0,370,-120",
    )
    result = read_states(path)
    s = result.states
    assert (result.fmt, result.row_unit, result.source) == ("canonical", "line", str(path))
    assert result.bad.count == 0
    assert s.id.tolist() == ["0101de", "123"]  # numeric-looking ids stay text
    assert s.party.tolist() == ["blue", ""]
    assert s.has_party
    np.testing.assert_allclose(s.time_s, [1633608000.0, 1633608001.5])
    np.testing.assert_allclose(s.latitude_deg, [48.5, -33.25])
    np.testing.assert_allclose(s.longitude_deg, [3.8, -70.5])
    np.testing.assert_allclose(s.altitude_m, [1000 * FOOT, 0.0])
    assert s.altitude_m[0] == pytest.approx(304.8)
    np.testing.assert_allclose(s.groundspeed_mps, [100 * KNOT, 0.0])
    assert s.groundspeed_mps[0] == pytest.approx(51.4444444444)
    np.testing.assert_allclose(s.track_deg, [90.0, 10.0])  # validate reduces to [0, 360)
    np.testing.assert_allclose(s.vertical_rate_mps, [FOOT, -2 * FOOT])  # 60 and -120 ft/min
    assert s.vertical_rate_mps[0] == pytest.approx(60 * FOOT_PER_MINUTE)
    assert s.onground.tolist() == [False, False]  # no onground column
    assert s.callsign.tolist() == ["", ""]
    assert s.source_row.tolist() == [2, 3]  # the header is line 1


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2021-10-07T12:00:00", NOON),  # no offset: UTC
        ("2021-10-07 12:00:00", NOON),
        ("2021-10-07T12:00:00Z", NOON),
        ("2021-10-07T14:00:00+02:00", NOON),
        ("2021-10-07T07:30:00-04:30", NOON),
        ("2021-10-07T12:00:00.250Z", NOON + 0.25),
        (str(int(NOON)), NOON),
    ],
)
def test_canonical_timestamps(tmp_path: Path, timestamp: str, expected: float) -> None:
    path = write(tmp_path / "t.csv", CANONICAL, canonical_row(t=timestamp))
    assert read_states(path).states.time_s.tolist() == [pytest.approx(expected, abs=1e-6)]


def test_numeric_and_iso_timestamps_mix(tmp_path: Path) -> None:
    path = write(
        tmp_path / "mix.csv",
        CANONICAL,
        canonical_row(t=str(int(NOON))),
        canonical_row(t="2021-10-07T12:00:10Z"),
        canonical_row(t=""),  # missing time: a bad row, not an error
    )
    result = read_states(path)
    np.testing.assert_allclose(result.states.time_s, [NOON, NOON + 10])
    assert result.bad.reasons == {"missing time": 1}
    assert result.bad.first_rows == (4,)


def test_canonical_optional_columns(tmp_path: Path) -> None:
    header = "timestamp,id,latitude,longitude,altitude,groundspeed,track,vertical_rate"
    flags = ["true", "false", "1", "0", "True", "FALSE", ""]
    rows = [f"{i},007,1,2,3,4,5,6,{flag}, AB12 " for i, flag in enumerate(flags)]
    path = write(tmp_path / "opt.csv", header + ",onground,callsign", *rows)
    s = read_states(path).states
    assert s.onground.tolist() == [True, False, True, False, True, False, False]
    assert set(s.callsign.tolist()) == {"AB12"}
    assert set(s.id.tolist()) == {"007"}
    assert s.party.tolist() == [""] * len(flags)  # no party column
    assert not s.has_party


def test_gzipped_csv_and_path_as_text(tmp_path: Path) -> None:
    path = tmp_path / "states.csv.gz"
    path.write_bytes(gzip.compress(f"{CANONICAL}\n{canonical_row()}\n".encode()))
    result = read_states(str(path))
    assert result.source == str(path)
    assert result.states.altitude_m.tolist() == [pytest.approx(1000 * FOOT)]


def test_crlf_bom_and_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    text = "\r\n".join([CANONICAL, canonical_row(), "", canonical_row(lat="91"), ""])
    path = tmp_path / "dos.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    result = read_states(path)
    assert result.states.source_row.tolist() == [2]
    assert result.bad.first_rows == (4,)  # line 3 is blank


# --- OpenSky ---------------------------------------------------------------------------------


def test_opensky_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path / "opensky.csv",
        OPENSKY,
        "1633608000,3c6444,48.5,3.8,100.0,270.0,-5.0,AFR123  ,false,10000.0,10100.0",
        "1633608010,0101de,48.6,3.9,0.0,0.0,0.0,,true,,120.0",  # no baroaltitude
    )
    result = read_states(path)
    s = result.states
    assert (result.fmt, result.row_unit) == ("opensky", "line")
    assert s.id.tolist() == ["3c6444", "0101de"]
    np.testing.assert_allclose(s.time_s, [1633608000, 1633608010])
    np.testing.assert_allclose(s.groundspeed_mps, [100.0, 0.0])  # already m/s
    np.testing.assert_allclose(s.track_deg, [270.0, 0.0])
    np.testing.assert_allclose(s.vertical_rate_mps, [-5.0, 0.0])
    np.testing.assert_allclose(s.altitude_m, [10000.0, 120.0])  # geoaltitude fallback
    assert s.callsign.tolist() == ["AFR123", ""]  # padding stripped
    assert s.onground.tolist() == [False, True]
    assert s.party.tolist() == ["", ""]
    assert not s.has_party
    assert s.source_row.tolist() == [2, 3]


def test_opensky_without_geoaltitude_drops_missing_altitude(tmp_path: Path) -> None:
    header = "time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude"
    path = write(tmp_path / "o.csv", header, "1,abc,1,2,3,4,5,", "2,abc,1,2,3,4,5,6")
    result = read_states(path)
    assert result.bad.reasons == {"missing altitude": 1}
    assert result.states.altitude_m.tolist() == [6.0]


# --- Parquet ---------------------------------------------------------------------------------


def test_canonical_parquet(tmp_path: Path) -> None:
    table = pa.table(
        {
            "timestamp": pa.array([NOON * 1000, NOON * 1000 + 500], pa.timestamp("ms", tz="UTC")),
            "id": pa.array([123, 456]),  # numeric ids become text
            "party": pa.array(["red", "red"]).dictionary_encode(),  # categorical
            "latitude": [10.0, 95.0],  # the second is out of range
            "longitude": [20.0, 20.0],
            "altitude": [1000, 2000],
            "groundspeed": [100.0, 100.0],
            "track": [-90.0, 0.0],
            "vertical_rate": [60.0, 0.0],
            "onground": [True, None],
            "callsign": ["XY1 ", None],
        }
    )
    path = tmp_path / "states.parquet"
    pq.write_table(table, path)
    result = read_states(path)
    s = result.states
    assert (result.fmt, result.row_unit) == ("canonical", "row")
    assert s.id.tolist() == ["123"]
    assert s.party.tolist() == ["red"]
    assert s.time_s.tolist() == [NOON]
    assert s.altitude_m.tolist() == [pytest.approx(1000 * FOOT)]
    assert s.groundspeed_mps.tolist() == [pytest.approx(100 * KNOT)]
    assert s.track_deg.tolist() == [270.0]
    assert s.vertical_rate_mps.tolist() == [pytest.approx(FOOT)]
    assert s.onground.tolist() == [True]
    assert s.callsign.tolist() == ["XY1"]
    assert result.bad.reasons == {"latitude out of range": 1}
    assert result.bad.first_rows == (2,)  # Parquet rows count from 1


def test_opensky_parquet(tmp_path: Path) -> None:
    table = pa.table(
        {
            "time": [1633608000, 1633608010],
            "icao24": ["3c6444", "0101de"],
            "lat": [48.5, 48.6],
            "lon": [3.8, 3.9],
            "velocity": [200.0, 210.0],
            "heading": [90.0, 91.0],
            "vertrate": [0.0, 2.5],
            "baroaltitude": [float("nan"), 11000.0],
            "geoaltitude": [10500.0, 11100.0],
            "onground": [False, False],
            "squawk": ["1000", "7700"],  # ignored
        }
    )
    path = tmp_path / "opensky.pq"
    pq.write_table(table, path)
    result = read_states(path)
    assert (result.fmt, result.row_unit) == ("opensky", "row")
    np.testing.assert_allclose(result.states.altitude_m, [10500.0, 11000.0])
    np.testing.assert_allclose(result.states.groundspeed_mps, [200.0, 210.0])
    assert result.states.source_row.tolist() == [1, 2]


# --- traffic JSON ----------------------------------------------------------------------------


def traffic_record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "altitude": 13650.0,
        "callsign": "MSR799",
        "groundspeed": 325.0,
        "icao24": "0101de",
        "latitude": 48.4824371338,
        "longitude": 3.8288057767,
        "onground": False,
        "squawk": "1000",  # an extra key, ignored
        "timestamp": 1633608773000,
        "track": 311.1362180242,
        "vertical_rate": -896.0,
    }
    record.update(changes)
    return record


@pytest.fixture(params=["pyarrow", "stdlib"])
def json_reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a JSON test through pyarrow's fast reader and through the stdlib fallback."""
    if request.param == "stdlib":
        monkeypatch.setattr(readers, "_arrow_json", lambda data: None)
    return str(request.param)


def test_traffic_json_array(tmp_path: Path, json_reader: str) -> None:
    records = [
        traffic_record(),
        traffic_record(timestamp=1633608774000, onground=None, callsign=None),
        traffic_record(altitude=None),  # dropped: missing altitude
        traffic_record(icao24="4ca7b5", onground=True),
    ]
    path = tmp_path / "flights.json"
    path.write_text(json.dumps(records))
    result = read_states(path)
    s = result.states
    assert (result.fmt, result.row_unit) == ("traffic", "record")
    np.testing.assert_allclose(s.time_s, [1633608773.0, 1633608774.0, 1633608773.0])  # ms → s
    assert s.id.tolist() == ["0101de", "0101de", "4ca7b5"]
    assert s.callsign.tolist() == ["MSR799", "", "MSR799"]
    assert s.onground.tolist() == [False, False, True]
    np.testing.assert_allclose(s.altitude_m, 13650 * FOOT)
    np.testing.assert_allclose(s.groundspeed_mps, 325 * KNOT)
    np.testing.assert_allclose(s.vertical_rate_mps, -896 * FOOT_PER_MINUTE)
    np.testing.assert_allclose(s.track_deg, 311.1362180242)
    assert s.source_row.tolist() == [1, 2, 4]
    assert result.bad.reasons == {"missing altitude": 1}
    assert result.bad.first_rows == (3,)
    assert result.bad.describe(result.source, result.row_unit).endswith("first at record 3")


@pytest.mark.parametrize(
    ("timestamps", "after_noon"),
    [
        (["2021-10-07T12:00:00Z", "2021-10-07T12:00:01Z"], [0.0, 1.0]),
        (["2021-10-07T12:00:00", "2021-10-07 12:00:01"], [0.0, 1.0]),  # no offset: UTC
        (["2021-10-07T11:59:59.750Z", "2021-10-07T12:00:00.750Z"], [-0.25, 0.75]),
        (["2021-10-07T14:00:00+02:00", "2021-10-07T12:00:01+00:00"], [0.0, 1.0]),
        ([int(NOON * 1000), "2021-10-07T12:00:01Z"], [0.0, 1.0]),  # epoch ms and ISO mixed
    ],
)
def test_traffic_iso_timestamps(
    tmp_path: Path, json_reader: str, timestamps: list[Any], after_noon: list[float]
) -> None:
    path = tmp_path / "iso.json"
    path.write_text(json.dumps([traffic_record(timestamp=t) for t in timestamps]))
    np.testing.assert_allclose(read_states(path).states.time_s - NOON, after_noon, atol=1e-6)


@pytest.mark.parametrize("name", ["flights.jsonl", "flights.ndjson", "flights.json"])
def test_traffic_json_lines(tmp_path: Path, json_reader: str, name: str) -> None:
    lines = [json.dumps(traffic_record()), "", json.dumps(traffic_record(latitude=None))]
    path = write(tmp_path / name, *lines)  # .json starting with "{" is JSON-lines too
    result = read_states(path)
    assert (result.fmt, result.row_unit) == ("traffic", "line")
    assert result.states.source_row.tolist() == [1]
    assert result.bad.reasons == {"missing latitude": 1}
    assert result.bad.first_rows == (3,)  # physical line, counting the blank one


@pytest.mark.parametrize("indent", [None, 1])
def test_json_array_in_jsonl_file_and_gzip(
    tmp_path: Path, json_reader: str, indent: int | None
) -> None:
    path = tmp_path / "flights.jsonl.gz"
    records = [traffic_record(icao24=name) for name in ("a", "b", "c")]
    path.write_bytes(gzip.compress(json.dumps(records, indent=indent).encode()))
    result = read_states(path)
    assert result.row_unit == "record"
    assert result.states.id.tolist() == ["a", "b", "c"]
    assert result.states.source_row.tolist() == [1, 2, 3]


def test_json_tricky_text_reads_right(tmp_path: Path, json_reader: str) -> None:
    """Record separators inside strings or nested arrays, keys of mixed types: all fine."""
    records = [
        traffic_record(callsign="A},{B", squawk=[{"x": 1}, {"y": 2}]),
        traffic_record(callsign="C}, {D", squawk=7700, icao24="0042"),
    ]
    path = tmp_path / "tricky.json"
    path.write_text(json.dumps(records, separators=(",", ":")))
    result = read_states(path)
    assert result.states.callsign.tolist() == ["A},{B", "C}, {D"]
    assert result.states.id.tolist() == ["0101de", "0042"]
    assert result.states.source_row.tolist() == [1, 2]


def test_json_readers_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [traffic_record(latitude=40.0 + i / 7, timestamp=NOON * 1000 + i) for i in range(50)]
    records[7]["altitude"] = None
    path = tmp_path / "many.json"
    path.write_text(json.dumps(records))
    fast = read_states(path)
    monkeypatch.setattr(readers, "_json_table", None)  # the stdlib path would fail
    assert read_states(path).states.latitude_deg.tolist() == fast.states.latitude_deg.tolist()
    monkeypatch.undo()
    monkeypatch.setattr(readers, "_arrow_json", lambda data: None)
    slow = read_states(path)
    assert slow.bad == fast.bad
    for field in fields(StateVectors):
        expected, actual = getattr(fast.states, field.name), getattr(slow.states, field.name)
        if isinstance(expected, np.ndarray):
            np.testing.assert_array_equal(actual, expected, err_msg=field.name)


def test_empty_json_array_reads_no_states(tmp_path: Path, json_reader: str) -> None:
    path = write(tmp_path / "none.json", "[]")
    result = read_states(path)
    assert len(result.states) == 0
    assert result.bad.count == 0


# --- bad rows --------------------------------------------------------------------------------

BAD_ROWS = [
    canonical_row(),  # line 2: good
    canonical_row(lat=""),  # line 3: missing latitude
    canonical_row(lat="91"),  # line 4
    canonical_row(alt="-3000"),  # line 5
    canonical_row(alt="100001"),  # line 6
    canonical_row(gs="2001"),  # line 7
    canonical_row(lat="NaN"),  # line 8: missing latitude
    canonical_row(alt="-2000", gs="2000"),  # line 9: good, on the limits
]


def test_bad_rows_are_dropped_counted_and_located(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", CANONICAL, *BAD_ROWS)
    result = read_states(path)
    assert result.states.source_row.tolist() == [2, 9]
    assert result.bad.count == 6
    assert result.bad.reasons == {
        "missing latitude": 2,
        "latitude out of range": 1,
        "altitude out of range": 2,
        "groundspeed out of range": 1,
    }
    assert result.bad.first_rows == (3, 4, 5, 6, 7)


def test_strict_raises_on_bad_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", CANONICAL, *BAD_ROWS)
    message = error_of(path, strict=True)
    assert message.startswith(f"6 bad rows dropped from {path}")
    assert "first at line 3, 4, 5, 6, 7" in message


def test_strict_accepts_a_clean_file(tmp_path: Path) -> None:
    path = write(tmp_path / "good.csv", CANONICAL, canonical_row())
    assert len(read_states(path, strict=True).states) == 1


# --- errors ----------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in error_of(tmp_path / "absent.csv")


def test_directory_is_unreadable(tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert "not a regular file" in error_of(folder)


def test_devices_and_pipes_are_refused(tmp_path: Path) -> None:
    endless = tmp_path / "zero.csv"
    endless.symlink_to("/dev/zero")
    assert "not a regular file" in error_of(endless)  # rather than reading for ever
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert "not a regular file" in error_of(fifo)  # and it does not wait for a writer


def test_csv_header_problems(tmp_path: Path) -> None:
    cr_only = tmp_path / "cr.csv"
    cr_only.write_bytes(b"timestamp,id,latitude\r0,a,1\r")
    assert "malformed CSV" in error_of(cr_only)
    twice = tmp_path / "twice.csv"
    twice.write_text(f"{CANONICAL},altitude\n{canonical_row()},1000\n")
    assert "duplicate column 'altitude'" in error_of(twice)


def test_deeply_nested_json_is_an_error_not_a_crash(tmp_path: Path) -> None:
    for name, text in {
        "deep.json": '[{"latitude": ' + "[" * 100_000 + "]" * 100_000 + "}]",
        "deep.jsonl": '{"latitude": ' + '{"a": ' * 10_000 + "1" + "}" * 10_001 + "\n",
    }.items():
        path = tmp_path / name
        path.write_text(text)
        message = error_of(path)
        assert "\n" not in message


def test_missing_column_names_file_column_and_schema(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", CANONICAL.replace(",altitude", ""), "1,a,,1,2,3,4,5")
    assert error_of(path) == f"{path}: missing column 'altitude' (canonical schema)"


def test_missing_columns_of_opensky(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "time,icao24,lat,lon", "1,abc,1,2")
    message = error_of(path)
    assert "'velocity', 'heading', 'vertrate', 'baroaltitude'" in message
    assert "(opensky schema)" in message


def test_missing_column_in_parquet_and_json(tmp_path: Path) -> None:
    parquet = tmp_path / "m.parquet"
    pq.write_table(pa.table({"timestamp": [1.0], "id": ["a"]}), parquet)
    assert "missing columns 'latitude'" in error_of(parquet)
    record = traffic_record()
    del record["track"]
    jsonl = write(tmp_path / "m.jsonl", json.dumps(record))
    assert error_of(jsonl) == f"{jsonl}: missing column 'track' (traffic schema)"


GARBAGE = bytes(range(256)) * 8


@pytest.mark.parametrize(
    "name", ["junk.csv", "junk.parquet", "junk.pq", "junk.json", "junk.jsonl", "junk.csv.gz"]
)
def test_garbage_binary_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(GARBAGE) if name.endswith(".gz") else GARBAGE)
    error_of(path)


def test_gz_extension_without_gzip_data(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv.gz"
    path.write_bytes(GARBAGE)
    assert "not gzip data" in error_of(path)


def test_csv_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(
        f"{CANONICAL}\n{canonical_row()}\n".encode() + "1,a,Séte,1,2,3,4,5,6\n".encode("latin-1")
    )
    assert "malformed CSV at line 3" in error_of(path)


def test_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(gzip.compress(f"{CANONICAL}\n{canonical_row()}\n".encode())[:20])
    assert "gzip" in error_of(path)


@pytest.mark.parametrize("name", ["e.csv", "e.parquet", "e.json", "e.jsonl", "e.csv.gz"])
@pytest.mark.parametrize("content", [b"", b" \n\n"])
def test_empty_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(content) if name.endswith(".gz") else content)
    assert "empty file" in error_of(path)


def test_malformed_json_line(tmp_path: Path, json_reader: str) -> None:
    lines = [json.dumps(traffic_record()), json.dumps(traffic_record()), '{"timestamp": 1,']
    path = write(tmp_path / "broken.jsonl", *lines)
    assert "malformed JSON at line 3" in error_of(path)


def test_malformed_json_array(tmp_path: Path, json_reader: str) -> None:
    path = write(tmp_path / "broken.json", "[", json.dumps(traffic_record()) + ",", "{oops}", "]")
    assert "malformed JSON at line 3" in error_of(path)


def test_missing_comma_between_records(tmp_path: Path, json_reader: str) -> None:
    record = json.dumps(traffic_record())
    path = write(tmp_path / "comma.json", f"[{record},", f"{record}", f"{record}]")
    assert "malformed JSON at line 3" in error_of(path)  # where the comma was due


def test_two_records_on_one_line(tmp_path: Path, json_reader: str) -> None:
    record = json.dumps(traffic_record())
    path = write(tmp_path / "two.jsonl", record, f"{record} {record}")
    assert "malformed JSON at line 2" in error_of(path)


def test_json_neither_array_nor_records(tmp_path: Path) -> None:
    path = write(tmp_path / "n.json", "", "42")
    assert "malformed JSON at line 2" in error_of(path)


def test_json_record_that_is_not_an_object(tmp_path: Path, json_reader: str) -> None:
    path = write(tmp_path / "a.json", json.dumps([traffic_record(), [1, 2]]))
    assert "record 2 is not a JSON object" in error_of(path)


def test_text_in_numeric_column_is_a_bad_row(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", CANONICAL, canonical_row(), canonical_row(alt="FL300"))
    result = read_states(path)
    assert len(result.states) == 1
    assert result.bad.reasons == {"unreadable altitude": 1}
    assert result.bad.first_rows == (3,)
    assert "unreadable altitude: 1" in error_of(path, strict=True)


def test_text_in_numeric_json_field(tmp_path: Path, json_reader: str) -> None:
    records = [traffic_record(), traffic_record(), traffic_record(groundspeed="fast")]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(records))
    result = read_states(path)
    assert result.bad.reasons == {"unreadable groundspeed": 1}
    assert result.bad.first_rows == (3,)


def test_boolean_in_numeric_json_field(tmp_path: Path, json_reader: str) -> None:
    path = write(tmp_path / "b.jsonl", json.dumps(traffic_record(altitude=True)))
    assert "column 'altitude' has True at line 1" in error_of(path)


def test_unreadable_timestamp_is_a_bad_row(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", CANONICAL, canonical_row(t="yesterday"), canonical_row())
    result = read_states(path)
    assert result.bad.reasons == {"unreadable timestamp": 1}
    assert result.bad.first_rows == (2,)
    assert len(result.states) == 1


def test_unreadable_onground(tmp_path: Path) -> None:
    header = "time,icao24,lat,lon,velocity,heading,vertrate,baroaltitude,onground"
    path = write(tmp_path / "o.csv", header, "1,a,1,2,3,4,5,6,true", "1,a,1,2,3,4,5,6,maybe")
    assert "column 'onground' has 'maybe' at line 3" in error_of(path)


def test_ragged_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", CANONICAL, canonical_row(), "1,2,3")
    assert "malformed CSV at line 3" in error_of(path)


@pytest.mark.parametrize("name", ["states.txt", "states", "states.xlsx", "states.gz"])
def test_unknown_extension(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, CANONICAL, canonical_row())
    assert "unrecognised file type" in error_of(path)


# --- property --------------------------------------------------------------------------------


def finite(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


ROW = st.tuples(
    finite(0.0, 4e9),  # time, s
    st.text("0123456789abcdef", min_size=1, max_size=6),  # id, often numeric-looking
    finite(-90.0, 90.0),
    finite(-180.0, 180.0),
    finite(-2000.0, 100_000.0),  # altitude, ft
    finite(0.0, 2000.0),  # groundspeed, kt
    finite(0.0, 359.0),  # track, deg
    finite(-20_000.0, 20_000.0),  # vertical rate, ft/min
)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(ROW, min_size=1, max_size=20))
def test_canonical_csv_round_trip(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[Any, ...]]
) -> None:
    path = tmp_path_factory.mktemp("prop") / "states.csv"
    text = [",".join([repr(r[0]), r[1], "", *map(repr, r[2:])]) for r in rows]
    write(path, CANONICAL, *text)
    result = read_states(path, strict=True)
    s = result.states
    columns = list(zip(*rows, strict=True))
    assert s.id.tolist() == list(columns[1])

    def close(actual: Any, expected: Any) -> None:
        np.testing.assert_allclose(actual, np.asarray(expected, np.float64), rtol=1e-9, atol=0.0)

    close(s.time_s, columns[0])
    close(s.latitude_deg, columns[2])
    close(s.longitude_deg, columns[3])
    close(s.altitude_m, np.multiply(columns[4], FOOT))
    close(s.groundspeed_mps, np.multiply(columns[5], KNOT))
    close(s.track_deg, columns[6])
    close(s.vertical_rate_mps, np.multiply(columns[7], FOOT_PER_MINUTE))
    assert s.source_row.tolist() == list(range(2, len(rows) + 2))
    assert isinstance(result, ReadResult)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 400), batch=st.integers(1, 500), seed=st.integers(0, 1000))
def test_parquet_in_batches_reads_what_one_read_does(
    tmp_path_factory: pytest.TempPathFactory, n: int, batch: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    latitude = rng.uniform(-80, 80, n)
    latitude[rng.random(n) < 0.1] = 120.0  # bad rows, dropped in whichever batch they are
    path = tmp_path_factory.mktemp("batches") / "s.parquet"
    pq.write_table(
        pa.table(
            {
                "timestamp": np.arange(n, dtype=np.float64),
                "id": [f"a{i % 7}" for i in range(n)],
                "latitude": latitude,
                "longitude": rng.uniform(-180, 180, n),
                "altitude": rng.uniform(0, 40_000, n),
                "groundspeed": np.full(n, 400.0),
                "track": rng.uniform(0, 360, n),
                "vertical_rate": np.zeros(n),
            }
        ),
        path,
        row_group_size=max(1, n // 3),
    )
    whole = read_states(path)
    parts = list(readers.read_state_batches(path, rows=batch))
    assert len(parts) == (1 if n <= batch else -(-n // batch))
    assert sum(p.bad.count for p in parts) == whole.bad.count
    for f in fields(StateVectors):
        if f.name == "has_party":
            continue
        joined = np.concatenate([getattr(p.states, f.name) for p in parts])
        np.testing.assert_array_equal(joined, getattr(whole.states, f.name))


def test_batches_of_other_files_are_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "timestamp,id,latitude,longitude,altitude,groundspeed,track,vertical_rate\n"
        "0,a,0,0,30000,400,90,0\n1,a,0,0.01,30000,400,90,0\n"
    )
    parts = list(readers.read_state_batches(path, rows=1))
    assert len(parts) == 1 and len(parts[0].states) == 2
    with pytest.raises(InputError, match="no such file"):
        list(readers.read_state_batches(tmp_path / "missing.parquet"))
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        list(readers.read_state_batches(tmp_path / "bad.parquet"))
