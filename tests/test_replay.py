"""Replaying recordings: each format read into states (small generated files, documented
Mode S messages, and the real `traffic` quickstart sample), batches and pacing on a fake
clock, `deconflict replay` into a real line in process, and hostile input."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyModeS.util import crc

from cli_run import run
from deconflict import cli_replay
from deconflict.client import Client
from deconflict.errors import InputError
from deconflict.feeds.sbs import SbsMessage, format_line
from deconflict.replay import (
    Pacer,
    batches,
    feed_states,
    latest_per_aircraft,
    paced,
    read_recording,
    sendable,
)
from deconflict.replay.modes import beast_frames, parse_hex_line
from deconflict.states import StateVectors
from deconflict.tactical.engine import extrapolate
from deconflict.units import FPM_MPS, FT_M, KT_MPS
from line_world import SECRET_AIRCRAFT, World, make_world

T0 = 1_700_000_000.0

# -- Mode S messages whose decoded values are documented (pyModeS's docs, "The 1090
# Megahertz Riddle"): an even/odd pair of 40621D at 38,000 ft resolving to 52.2572 N,
# 3.91937 E; a pair of 40058B at 39,000 ft resolving to 49.81755 N, 6.08442 E; a velocity
# of 485020 (159 kt, track 182.88, -832 ft/min); an identification of 406B90 (EZY85MH).
EVEN_40621D, ODD_40621D = "8D40621D58C382D690C8AC2863A7", "8D40621D58C386435CC412692AD6"
EVEN_40058B, ODD_40058B = "8D40058B58C901375147EFD09357", "8D40058B58C904A87F402D3B8C59"
VELOCITY_485020 = "8D485020994409940838175B284F"
IDENT_406B90 = "8D406B902015A678D4D220AA4BDA"


def readdressed(message: str, icao24: str) -> str:
    """A DF17 message's payload under another address, its parity computed anew (the
    Mode S parity is the CRC remainder of the message with a zero parity field)."""
    body = message[:2] + icao24 + message[8:22] + "000000"
    return body[:22] + f"{crc(body):06X}"


def states_rows(**columns: Any) -> str:
    names = list(columns)
    rows = zip(*columns.values(), strict=True)
    return "\n".join([",".join(names), *(",".join(str(v) for v in r) for r in rows)]) + "\n"


# -- the state-vector readers -------------------------------------------------------------


def test_canonical_csv_with_duplicates_gaps_and_a_row_without_velocity(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(states_rows(
        timestamp=[T0 + 2, T0, T0 + 1, T0 + 1, T0 + 40],
        id=["b", "a", "a", "a", "a"], party=["civil"] * 5,
        latitude=[48.0, 48.1, 48.2, 48.3, 48.4], longitude=[2.0, 2.1, 2.2, 2.3, 2.4],
        altitude=[30_000, 20_000, 20_100, 20_200, 20_300],
        groundspeed=[400, 300, "", 310, 320], track=[90, 180, 180, 181, 182],
        vertical_rate=[0, 500, 500, 500, 500],
    ))  # fmt: skip
    r = read_recording(path)
    assert r.fmt == "canonical" and r.dropped == {"missing groundspeed": 1}
    assert r.states.time_s.tolist() == [T0, T0 + 1, T0 + 2, T0 + 40]  # in time order
    spans = list(batches(r.states, 10.0))
    # the first 10 s: a's latest (the second row at T0+1) and b; nothing from 10 to 40 s
    assert [(b.start_s, b.rows, sorted(b.states.id.tolist())) for b in spans] == [
        (T0, 3, ["a", "b"]), (T0 + 40, 1, ["a"])]  # fmt: skip
    first = {s["id"]: s for s in feed_states(spans[0].states)}
    assert first["a"]["latitude_deg"] == 48.3 and first["a"]["groundspeed_kt"] == 310.0
    assert first["a"]["altitude_ft"] == 20_200 and first["a"]["vertical_rate_fpm"] == 500


def test_opensky_parquet_converts_its_si_units(tmp_path: Path) -> None:
    path = tmp_path / "os.parquet"
    pq.write_table(pa.table({
        "time": [T0, T0 + 5], "icao24": ["3c6444", "3c6444"], "lat": [50.0, 50.01],
        "lon": [8.0, 8.0], "velocity": [200.0, 200.0], "heading": [0.0, 0.0],
        "vertrate": [5.08, 5.08], "baroaltitude": [3048.0, 3073.4], "onground": [False, False],
        "callsign": ["DLH1   ", "DLH1   "],
    }), path)  # fmt: skip
    r = read_recording(path)
    assert r.fmt == "opensky" and len(r.states) == 2
    (s,) = feed_states(latest_per_aircraft(r.states))
    assert s["id"] == "3c6444" and s["callsign"] == "DLH1" and s["time_s"] == T0 + 5
    assert s["groundspeed_kt"] == pytest.approx(200.0 / KT_MPS, abs=1e-3)
    assert s["altitude_ft"] == pytest.approx(3073.4 / FT_M, abs=1e-3)
    assert s["vertical_rate_fpm"] == pytest.approx(5.08 / FPM_MPS, abs=1e-3)


def test_traffic_json_lines_gzipped(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl.gz"
    records = [{"timestamp": (T0 + k) * 1000, "icao24": "4ca7b5", "callsign": "RYR12",
                "latitude": 53.0 + k / 100, "longitude": -6.0, "altitude": 10_000 + 100 * k,
                "groundspeed": 250, "track": 0, "vertical_rate": 1200 if k else None}
               for k in range(3)]  # fmt: skip
    path.write_bytes(gzip.compress("\n".join(json.dumps(x) for x in records).encode()))
    r = read_recording(path)
    assert r.fmt == "traffic" and r.dropped == {"missing vertical rate": 1}
    assert r.states.time_s.tolist() == [T0 + 1, T0 + 2]
    assert r.states.latitude_deg.tolist() == [53.01, 53.02]


# -- SBS logs ---------------------------------------------------------------------------------


def sbs_log(path: Path, extra: list[str] = ()) -> None:  # type: ignore[assignment]
    lines = [
        format_line(SbsMessage(1, "4ca2d6", T0, callsign="BAW123")),
        format_line(
            SbsMessage(
                3,
                "4ca2d6",
                T0 + 0.5,
                altitude_ft=37_000.0,
                latitude_deg=51.45735,
                longitude_deg=-1.02826,
            )
        ),
        format_line(
            SbsMessage(
                4, "4ca2d6", T0 + 1.0, groundspeed_kt=408.3, track_deg=146.4, vertical_rate_fpm=64.0
            )
        ),
        format_line(
            SbsMessage(
                3,
                "4ca2d6",
                T0 + 2.0,
                altitude_ft=37_025.0,
                latitude_deg=51.455,
                longitude_deg=-1.025,
            )
        ),
        *extra,
        format_line(
            SbsMessage(
                3, "aaaaaa", T0 + 3.0, altitude_ft=1_000.0, latitude_deg=51.0, longitude_deg=-1.0
            )
        ),
    ]
    path.write_text("\r\n".join(lines) + "\r\n")


def test_an_sbs_log_makes_states_of_position_velocity_and_callsign(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"  # named as some recorders do: the content tells
    sbs_log(path, ["MSG,3,1,1,4CA2D6,1,2023/01/01,00:00:0", "not sbs at all", "\x00\x01\x02"])
    r = read_recording(path)
    assert r.fmt == "sbs" and r.unit == "line"
    # the first position comes before any velocity; aaaaaa never has one
    assert r.dropped == {"position without a recent velocity": 2}
    assert sum(r.malformed.values()) == 3 and r.first_malformed == (5, 6, 7)
    (s,) = feed_states(r.states)
    assert s == {"id": "4ca2d6", "time_s": T0 + 2.0, "latitude_deg": 51.455,
                 "longitude_deg": -1.025, "altitude_ft": 37_025.0, "groundspeed_kt": 408.3,
                 "track_deg": 146.4, "vertical_rate_fpm": 64.0, "onground": False,
                 "callsign": "BAW123"}  # fmt: skip


# -- raw Mode S ---------------------------------------------------------------------------------


def test_documented_messages_decode_to_their_documented_values(tmp_path: Path) -> None:
    path = tmp_path / "raw.txt"
    velocity = readdressed(VELOCITY_485020, "40621D")
    ident = readdressed(IDENT_406B90, "40621D")
    path.write_text(
        "timestamp,hexmsg\n"  # a header line is skipped
        f"{T0 + 0.0},{ident}\n"
        f"{T0 + 0.5},{velocity}\n"
        f"{T0 + 1.0},{ODD_40621D}\n"
        f"{T0 + 2.0},*{EVEN_40621D};\n"  # dump1090's *...; form
        f"{EVEN_40058B} {T0 + 3.0}\n"  # time last
        f"{T0 + 3.5};{ODD_40058B}\n"
        f"{T0 + 4.0},5D484FDEA248F5\n"  # an all-call reply (DF11): not ADS-B
        f"{T0 + 4.5},8D40621D58C382D690C8AC2863A8\n"  # one bit flipped: bad parity
        f"{T0 + 5.0},ZZZZ\n"
        f"{T0 + 6.0},{readdressed(EVEN_40621D, '40621D')}\n"
    )
    r = read_recording(path)
    assert r.fmt == "modes"
    assert r.malformed == {"not a time and a message": 1} and r.first_malformed == (10,)
    assert r.dropped["not ADS-B"] == 1 and r.dropped["bad parity"] == 1
    # 40058B has positions but no velocity
    assert r.dropped["position without a recent velocity"] == 2
    got = feed_states(latest_per_aircraft(r.states))
    assert len(got) == 1
    s = got[0]
    assert s["id"] == "40621d" and s["callsign"] == "EZY85MH" and s["altitude_ft"] == 38_000
    assert s["latitude_deg"] == pytest.approx(52.2572, abs=1e-4)
    assert s["longitude_deg"] == pytest.approx(3.91937, abs=1e-5)
    assert s["groundspeed_kt"] == 159 and s["track_deg"] == pytest.approx(182.88, abs=0.01)
    assert s["vertical_rate_fpm"] == -832


def test_a_reference_position_decodes_a_lone_message(tmp_path: Path) -> None:
    path = tmp_path / "lone.txt"
    path.write_text(f"{T0},{readdressed(VELOCITY_485020, '40621D')}\n{T0 + 1},{EVEN_40621D}\n")
    with_ref = read_recording(path, reference=(52.258, 3.918))
    assert with_ref.states.latitude_deg[0] == pytest.approx(52.2572, abs=1e-4)


def beast_frame(counter: int, message: str) -> bytes:
    raw = bytes([0x33 if len(message) == 28 else 0x32]) + counter.to_bytes(6, "big") + b"\x40"
    raw += bytes.fromhex(message)
    return b"\x1a" + raw[:1] + raw[1:].replace(b"\x1a", b"\x1a\x1a")


def test_beast_frames_escape_unescape_and_decode(tmp_path: Path) -> None:
    hz, c0 = 12_000_000, 0x1A1A1A1A  # 0x1a bytes in the counter are sent twice
    frames = [
        beast_frame(c0, readdressed(VELOCITY_485020, "40621D")),
        b"\x1a1" + bytes(9),  # a Mode A/C frame: skipped
        b"junk",
        beast_frame(c0 + hz, ODD_40621D),
        beast_frame(c0 + 2 * hz, EVEN_40621D),
        b"\x1a3\x00\x00",  # cut short by the end of the file
    ]
    data = b"".join(frames)
    assert data.count(b"\x1a\x1a") >= 3
    found: Any = Counter()
    parsed = list(beast_frames(data, found))
    assert [t for t, _ in parsed] == pytest.approx([c0 / hz, c0 / hz + 1, c0 / hz + 2])
    assert [m for _, m in parsed][1:] == [ODD_40621D, EVEN_40621D]
    assert found == {"bytes outside a frame": 1, "truncated frame": 1}
    path = tmp_path / "capture.bin"
    path.write_bytes(data)
    r = read_recording(path)
    assert r.fmt == "beast" and r.read == 3 and len(r.states) == 2
    assert r.states.latitude_deg.tolist() == pytest.approx([52.2572] * 2, abs=1e-4)


@pytest.mark.parametrize(
    "line", ["", "1.0", "1.0,8D40", "nan,8D40621D58C382D690C8AC2863A7",
             "1e400,8D40621D58C382D690C8AC2863A7", "-5,8D40621D58C382D690C8AC2863A7",
             "1,2,8D40621D58C382D690C8AC2863A7"],
)  # fmt: skip
def test_hex_lines_that_are_not_messages_raise(line: str) -> None:
    with pytest.raises(ValueError):
        parse_hex_line(line)


# -- a real recording ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paris(quickstart_json: Path) -> Any:
    return read_recording(quickstart_json)


def test_the_quickstart_sample_reads_whole(paris: Any) -> None:
    assert paris.fmt == "traffic" and paris.read == 284_505  # the sample's record count
    assert len(paris.states) + sum(paris.dropped.values()) == paris.read
    assert np.all(np.diff(paris.states.time_s) >= 0)


def test_quickstart_batches_hold_each_aircrafts_latest_state(paris: Any) -> None:
    hour = paris.states.take(paris.states.time_s < paris.states.time_s[0] + 600)
    spans = list(batches(hour, 30.0))
    assert sum(b.rows for b in spans) == len(hour)
    for b in spans:
        ids = b.states.id.tolist()
        assert len(ids) == len(set(ids))
        inside = (hour.time_s >= b.start_s) & (hour.time_s < b.end_s)
        assert int(inside.sum()) == b.rows
        for k, ident in enumerate(ids):  # nothing later of that aircraft in the span
            later = inside & (hour.id == ident) & (hour.time_s > b.states.time_s[k])
            assert not later.any()


# -- batches and pacing ---------------------------------------------------------------------------


def test_sendable_drops_ids_the_line_refuses_and_long_callsigns() -> None:
    states = StateVectors.from_arrays(
        time_s=[T0] * 3, id=["ok", "a/b", "x" * 65], latitude_deg=[1.0] * 3,
        longitude_deg=[1.0] * 3, altitude_m=[1000.0] * 3, groundspeed_mps=[100.0] * 3,
        track_deg=[0.0] * 3, vertical_rate_mps=[0.0] * 3, callsign=["C" * 17, "", ""],
    )  # fmt: skip
    kept, dropped = sendable(states)
    assert kept.id.tolist() == ["ok"] and kept.callsign.tolist() == [""]
    assert sum(dropped.values()) == 2


class FakeClock:
    def __init__(self, now_s: float) -> None:
        self.now_s = now_s
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now_s += seconds


def test_pacing_waits_recorded_time_over_speed_and_stamps_the_played_time() -> None:
    states = StateVectors.from_arrays(
        time_s=[T0, T0 + 30, T0 + 45, T0 + 150], id=["a", "a", "b", "a"],
        latitude_deg=[1.0] * 4, longitude_deg=[1.0] * 4, altitude_m=[1000.0] * 4,
        groundspeed_mps=[100.0] * 4, track_deg=[0.0] * 4, vertical_rate_mps=[0.0] * 4,
    )  # fmt: skip
    clock = FakeClock(2_000_000_000.0)
    pacer = Pacer(30.0, T0, clock=clock, sleep=clock.sleep)
    sent = []
    for p in paced(batches(states, 30.0), pacer):
        sent.append((p.sent_s, clock.now_s, [(s["id"], s["time_s"]) for s in p.states]))
        clock.now_s += 0.25  # the push takes a while: the next wait is shorter
    start = 2_000_000_000.0
    assert sent == [
        (start + 1, start + 1, [("a", start)]),
        (start + 2, start + 2, [("a", start + 1), ("b", start + 1.5)]),
        (start + 6, start + 6, [("a", start + 5)]),  # the gap from 60 to 150 s is waited
    ]
    assert clock.slept == [1.0, 0.75, 3.75]


# -- into a real line ---------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Any:
    made = make_world(f"sqlite:///{tmp_path / 'line.db'}")
    yield made
    made.line.close()


def in_process(world: World, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """`deconflict replay --server` reaches the world's app, on the line's clock."""
    clock = FakeClock(world.clock.now)

    def advance(seconds: float) -> None:
        clock.sleep(seconds)
        world.clock.now = clock.now_s

    monkeypatch.setattr(cli_replay, "_client",
                        lambda server, key: Client(server, key, http=world.client))  # fmt: skip
    monkeypatch.setattr(cli_replay, "_clock", clock)
    monkeypatch.setattr(cli_replay, "_sleep", advance)
    return clock


def board_states(world: World, party: str) -> dict[str, tuple[float, float, float]]:
    snap = world.line.live.board.snapshot(world.clock.now)
    return {str(i).partition("/")[2]: (float(lat), float(lon), float(alt))
            for i, p, lat, lon, alt in zip(snap.id, snap.party, snap.latitude_deg,
                                           snap.longitude_deg, snap.altitude_m, strict=True)
            if p == party}  # fmt: skip


def test_replay_of_real_traffic_puts_it_on_the_lines_board(
    world: World, paris: Any, quickstart_json: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    clock = in_process(world, monkeypatch)
    started_s = clock.now_s
    args = [
        "replay",
        str(quickstart_json),
        "--server",
        "http://testserver",
        "--key",
        str(world.tokens["feed_a"]),
        "--party",
        "a",
        "--skip-s",
        "3600",
        "--for-s",
        "120",
    ]
    code, _, err = run(args, capsys, monkeypatch)
    assert code == 0, err
    assert "traffic recording at 30x" in err and "to http://testserver" in err
    # what should be there: each aircraft's latest state of those two minutes, stamped
    # with its played time, still fresh (heard within 10 s), moved to the line's now
    s = paris.states
    start = s.time_s[0] + 3600
    window = s.take((s.time_s >= start) & (s.time_s < start + 120))
    origin = window.time_s[0]
    latest = latest_per_aircraft(window)
    played = StateVectors.from_arrays(
        time_s=started_s + (latest.time_s - origin) / 30.0, id=latest.id,
        latitude_deg=latest.latitude_deg, longitude_deg=latest.longitude_deg,
        altitude_m=latest.altitude_m, groundspeed_mps=latest.groundspeed_mps,
        track_deg=latest.track_deg, vertical_rate_mps=latest.vertical_rate_mps,
    )  # fmt: skip
    fresh = played.take(world.clock.now - played.time_s <= 10.0)
    expected = extrapolate(fresh, world.clock.now)
    board = board_states(world, "a")
    board.pop(SECRET_AIRCRAFT)  # the world's own aircraft of party a
    assert len(fresh) > 10 and set(board) == set(expected.id.tolist())
    for k, ident in enumerate(expected.id.tolist()):
        lat, lon, alt = board[ident]
        assert lat == pytest.approx(expected.latitude_deg[k], abs=1e-7)
        assert lon == pytest.approx(expected.longitude_deg[k], abs=1e-7)
        assert alt == pytest.approx(expected.altitude_m[k], abs=1e-3)
    assert world.clock.now == pytest.approx(started_s + 120 / 30, abs=1.0)


def test_replay_of_an_sbs_log_into_the_line_exactly(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    clock = in_process(world, monkeypatch)
    started_s = clock.now_s
    path = tmp_path / "log.sbs"
    sbs_log(path)
    code, _, err = run(
        [
            "replay",
            str(path),
            "--server",
            "http://testserver",
            "--key",
            str(world.tokens["feed_a"]),
            "--speed",
            "1",
        ],
        capsys,
        monkeypatch,
    )
    assert code == 0, err
    assert "1 states of 1 aircraft" in err and "position without a recent velocity: 2" in err
    # the first state replayed (T0 + 2: the position at T0 + 0.5 has no velocity yet) is
    # played at the start; seen at that time, the board holds it as sent
    world.clock.now = started_s
    lat, lon, alt = board_states(world, "a")["4ca2d6"]
    assert (lat, lon) == pytest.approx((51.455, -1.025), abs=1e-9)  # moved by 0 s
    assert alt == pytest.approx(37_025 * FT_M)


def test_replay_refuses_a_key_of_another_party_or_role(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    in_process(world, monkeypatch)
    path = tmp_path / "log.sbs"
    sbs_log(path)
    base = ["replay", str(path), "--server", "http://testserver", "--key"]
    for key, party, words in [(world.tokens["feed_a"], "b", "--party b: the key feeds party a"),
                              (world.tokens["officer_a"], "a", "replay needs a feed key"),
                              (world.tokens["revoked_a"], "a", "a valid API key")]:  # fmt: skip
        code, _, err = run([*base, str(key), "--party", party], capsys, monkeypatch)
        assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err


def test_replay_to_a_file_writes_the_batches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, out = tmp_path / "s.csv", tmp_path / "out.jsonl"
    path.write_text(states_rows(
        timestamp=[T0, T0 + 10, T0 + 50, T0 + 50], id=["a", "a", "a", "b"],
        party=["civil", "civil", "civil", "mil"], latitude=[1.0, 1.1, 1.2, 1.3],
        longitude=[2.0] * 4, altitude=[1000] * 4, groundspeed=[100] * 4, track=[0] * 4,
        vertical_rate=[0] * 4,
    ))  # fmt: skip
    code, _, err = run(["replay", str(path), "--out", str(out), "--party", "civil",
                        "--speed", "10", "--batch-s", "2"], capsys, monkeypatch)  # fmt: skip
    assert code == 0, err
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(x["send_at_s"], [(s["id"], s["latitude_deg"]) for s in x["states"]])
            for x in lines] == [(2.0, [("a", 1.1)]), (6.0, [("a", 1.2)])]  # fmt: skip


# -- hostile input ------------------------------------------------------------------------------


def hostile(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    if name == "junk.bin":
        path.write_bytes(bytes(range(256)) * 20)
    elif name == "junk.csv":
        path.write_bytes(b"\x00\xff" * 3000)
    elif name == "junk.sbs":
        path.write_bytes(b"MSG,3," + bytes(range(256)) * 10)
    elif name == "truncated.sbs":
        path.write_text(
            "\n".join(
                format_line(
                    SbsMessage(
                        3, "4ca2d6", T0, altitude_ft=1.0, latitude_deg=1.0, longitude_deg=1.0
                    )
                )[:n]
                for n in range(5, 60, 5)
            )
        )
    elif name == "huge.csv":
        path.write_text(states_rows(timestamp=[T0], id=["a"], latitude=["1e400"],
                                    longitude=[2], altitude=[1e300], groundspeed=[9e99],
                                    track=[0], vertical_rate=[0]))  # fmt: skip
    elif name == "huge.txt":  # one message, then times no clock has
        path.write_text(f"{T0},{EVEN_40621D}\n1e300,{ODD_40621D}\n" + "9" * 100_000
                        + f",{ODD_40621D}\n")  # fmt: skip
    elif name == "empty.csv":
        path.write_text("")
    elif name == "blank.sbs":
        path.write_text("\n \n")
    elif name == "dir.csv":
        path.mkdir()
    elif name == "badgzip.json.gz":
        path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    return path


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("junk.bin", "not a recording"), ("junk.csv", "junk.csv"),
        ("junk.sbs", "no aircraft state to replay"),
        ("truncated.sbs", "no aircraft state to replay"), ("huge.csv", "huge.csv"),
        ("huge.txt", "no aircraft state"), ("empty.csv", "empty file"),
        ("blank.sbs", "empty file"), ("missing.csv", "no such file"),
        ("dir.csv", "is a directory"), ("badgzip.json.gz", "gzip"),
    ],
)  # fmt: skip
def test_hostile_input_is_one_line_and_exit_2(
    name: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    path = hostile(tmp_path, name)
    code, out, err = run(["replay", str(path), "--out", str(tmp_path / "o.jsonl")], capsys,
                         monkeypatch)  # fmt: skip
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("deconflict: error:") and not out


def test_a_few_bad_lines_are_counted_in_one_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "log.sbs"
    sbs_log(path, ["MSG,4,1,1,4CA2D6,1,2023/11/14,22:13:2", "MSG," + "9" * 1000, "\xff\xfe"])
    code, _, err = run(["replay", str(path), "--out", str(tmp_path / "o.jsonl")], capsys,
                       monkeypatch)  # fmt: skip
    lines = err.strip().splitlines()
    assert code == 0 and len(lines) == 2, err
    assert (
        lines[0].startswith("deconflict: warning: 3 lines of")
        and "first at line 5, 6, 7" in lines[0]
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], "give --server URL --key KEY"),
        (["--out", "o.jsonl", "--server", "http://x"], "give --server URL --key KEY"),
        (["--server", "http://127.0.0.1:1"], "--server needs --key"),
        (["--server", "ftp://x", "--key", "k"], "--server must be"),
        (["--out", "o.jsonl", "--speed", "0"], "--speed"),
        (["--out", "o.jsonl", "--reference", "95,2"], "--reference"),
        (["--out", "o.jsonl", "--format", "xml"], "--format"),
        (["--out", "o.jsonl", "--skip-s", "99999"], "--skip-s"),
        (["--server", "http://127.0.0.1:1", "--key", "k"], "cannot reach"),
    ],
)
def test_option_mistakes_are_one_line_and_exit_2(
    args: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.delenv("DECONFLICT_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "log.sbs"
    sbs_log(path)
    code, _, err = run(["replay", str(path), *args], capsys, monkeypatch)
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err


def test_an_unreadable_recording_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown format"):
        read_recording(tmp_path / "x.csv", "xml")


def test_help_explains_the_formats_and_the_pacing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(["replay", "--help"], capsys, monkeypatch)
    text = " ".join(out.split())
    assert code == 0
    for words in ("SBS/BaseStation", "Beast", "pyModeS", "--speed", "POST /v1/tracks",
                  "feed key", "exit status 2", "--out"):  # fmt: skip
        assert words in text, words
