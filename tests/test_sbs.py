"""The SBS/BaseStation feed adapter: the parser (known lines, round trips, hostile lines),
the assembler, the line reader, and `deconflict feed sbs` end to end over real TCP into a
stand-in of the line's ``POST /v1/tracks`` (the line's own route is not on main yet)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_run import run
from deconflict.feeds.sbs import (
    MAX_LINE_BYTES,
    Assembler,
    LineReader,
    MalformedLineError,
    SbsMessage,
    format_line,
    parse_line,
)

# lines as receivers write them (the first three from woodair.net's description of the
# BaseStation socket output)
POSITION = "MSG,3,5,211,4CA2D6,10057,2008/11/28,14:53:50.594,2008/11/28,14:58:51.153,,37000,,,51.45735,-1.02826,,,0,0,0,0"  # noqa: E501
VELOCITY = "MSG,4,5,211,4CA2D6,10057,2008/11/28,14:53:49.986,2008/11/28,14:58:51.153,,,408.3,146.4,,,64,,,,,"  # noqa: E501
OTHER = "MSG,8,5,211,4CA2D6,10057,2008/11/28,14:53:50.391,2008/11/28,14:58:51.153,,,,,,,,,,,,0"
IDENT = "MSG,1,1,1,4CA2D6,1,2008/11/28,14:53:50.000,2008/11/28,14:53:50.000,BAW123  ,,,,,,,,,,,"


def _with(line: str, index: int, value: str) -> str:
    fields = line.split(",")
    fields[index] = value
    return ",".join(fields)


def test_lines_of_a_receiver() -> None:
    p = parse_line(POSITION.encode() + b"\r\n")
    assert p is not None and p.time_s == pytest.approx(1_227_884_030.594)  # 2008-11-28, UTC
    assert p == SbsMessage(
        3, "4ca2d6", p.time_s, altitude_ft=37000.0, latitude_deg=51.45735,
        longitude_deg=-1.02826, onground=False,
    )  # fmt: skip
    v = parse_line(VELOCITY)
    assert v is not None and (v.groundspeed_kt, v.track_deg, v.vertical_rate_fpm) == (
        408.3, 146.4, 64.0)  # fmt: skip
    i = parse_line(IDENT)
    assert i is not None and i.callsign == "BAW123" and i.icao24 == "4ca2d6"
    assert parse_line(OTHER) is None  # type 8 (all call reply): not read
    status = "STA,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM"
    assert parse_line(status) is None  # BaseStation's own kind: not read
    on_ground = parse_line(_with(POSITION, 21, "-1"))
    assert on_ground is not None and on_ground.onground is True
    untimed = parse_line(_with(_with(POSITION, 6, ""), 7, ""))
    assert untimed is not None and untimed.time_s is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (POSITION + ",0", "not 22 fields"),
        (POSITION.rsplit(",", 1)[0], "not 22 fields"),
        ("MSG", "not 22 fields"),
        ("", "unknown message kind"),
        ("HELLO,3", "unknown message kind"),
        (_with(POSITION, 1, "9"), "unknown transmission type"),
        (_with(POSITION, 1, "x"), "unknown transmission type"),
        (_with(POSITION, 4, "ZZZZZZ"), "bad hex ident"),
        (_with(POSITION, 4, "4CA2D"), "bad hex ident"),
        (_with(POSITION, 4, ""), "bad hex ident"),
        (_with(POSITION, 14, "91.0"), "latitude out of range"),
        (_with(POSITION, 15, "-180.5"), "longitude out of range"),
        (_with(POSITION, 11, "200000"), "altitude out of range"),
        (_with(POSITION, 14, "abc"), "unreadable latitude"),
        (_with(POSITION, 14, "nan"), "unreadable latitude"),
        (_with(POSITION, 14, "inf"), "unreadable latitude"),
        (_with(POSITION, 14, "1_0"), "unreadable latitude"),
        (_with(POSITION, 14, "0x10"), "unreadable latitude"),
        (_with(POSITION, 14, "1e999"), "latitude out of range"),
        (_with(POSITION, 14, ""), "missing latitude"),
        (_with(POSITION, 11, ""), "missing altitude"),
        (_with(POSITION, 21, "yes"), "unreadable flag"),
        (_with(POSITION, 6, "2008/13/45"), "unreadable time"),
        (_with(POSITION, 7, "25:61:00"), "unreadable time"),
        (_with(VELOCITY, 12, "-1"), "ground speed out of range"),
        (_with(VELOCITY, 13, "361"), "track out of range"),
        (_with(VELOCITY, 16, "1e6"), "vertical rate out of range"),
        (_with(VELOCITY, 12, ""), "missing ground speed"),
        (_with(IDENT, 10, ""), "missing callsign"),
        (_with(IDENT, 10, "BAW;DROP"), "bad callsign"),
        (_with(IDENT, 10, "ABCDEFGHIJ"), "bad callsign"),
        ("MSG," * 10_000_000, "line too long"),
        (_with(IDENT, 10, "BAWé"), "not ASCII"),
    ],
)
def test_hostile_lines_are_malformed(line: str, reason: str) -> None:
    with pytest.raises(MalformedLineError) as e:
        parse_line(line)
    assert str(e.value) == reason


def test_bytes_that_are_not_text_are_malformed() -> None:
    for raw in (b"\xff\xfe" + POSITION.encode(), POSITION.encode().replace(b"5", b"\x85", 1)):
        with pytest.raises(MalformedLineError, match="not ASCII"):
            parse_line(raw)


_hex = st.text("0123456789abcdef", min_size=6, max_size=6)
_time_s = st.one_of(st.none(), st.integers(0, 253_402_300_799_000).map(lambda ms: ms / 1000))


def _in(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


_messages = st.one_of(
    st.builds(SbsMessage, st.just(1), _hex, _time_s,
              callsign=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8)),
    st.builds(SbsMessage, st.just(3), _hex, _time_s, altitude_ft=_in(-2_000.0, 100_000.0),
              latitude_deg=_in(-90.0, 90.0), longitude_deg=_in(-180.0, 180.0),
              onground=st.one_of(st.none(), st.booleans())),
    st.builds(SbsMessage, st.just(4), _hex, _time_s, groundspeed_kt=_in(0.0, 2_000.0),
              track_deg=_in(0.0, 360.0),
              vertical_rate_fpm=st.one_of(st.none(), _in(-100_000.0, 100_000.0))),
)  # fmt: skip


@given(_messages)
def test_a_line_written_reads_back_the_same(m: SbsMessage) -> None:
    back = parse_line(format_line(m) + "\r\n")
    assert back is not None
    assert back.time_s == (None if m.time_s is None else pytest.approx(m.time_s, abs=1e-6))
    if m.transmission == 3 and m.onground is None:
        m = SbsMessage(**{**m.__dict__, "onground": None})
    assert {**back.__dict__, "time_s": None} == {**m.__dict__, "time_s": None}


@settings(max_examples=300)
@given(st.one_of(st.binary(max_size=300),
                 _messages.map(lambda m: format_line(m).encode()).flatmap(
                     lambda line: st.tuples(st.just(line), st.integers(0, len(line)),
                                            st.binary(max_size=3)).map(
                         lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :]))))  # fmt: skip
def test_any_bytes_are_a_message_nothing_or_malformed(raw: bytes) -> None:
    asm = Assembler()
    asm.feed(raw, 0.0)  # never raises
    assert asm.lines == 1
    try:
        parse_line(raw)
    except MalformedLineError as e:
        assert asm.malformed == {str(e): 1}


def _line(m: SbsMessage) -> bytes:
    return format_line(m).encode()


def _pos(icao: str, lat: float = 50.0) -> bytes:
    return _line(SbsMessage(3, icao, None, altitude_ft=30_000.0, latitude_deg=lat,
                            longitude_deg=8.0, onground=False))  # fmt: skip


def _vel(icao: str, vr: float | None = -500.0, track: float = 90.0) -> bytes:
    return _line(SbsMessage(4, icao, None, groundspeed_kt=420.0, track_deg=track,
                            vertical_rate_fpm=vr))  # fmt: skip


def test_the_assembler_gives_complete_recent_states_once() -> None:
    asm = Assembler(stale_s=10.0)
    asm.feed(_pos("abc123"), 100.0)
    assert asm.take(100.5) == []  # no velocity yet
    asm.feed(_vel("abc123"), 101.0)
    asm.feed(_line(SbsMessage(1, "abc123", None, callsign="DLH4X")), 101.2)
    assert asm.take(101.5) == [{
        "id": "abc123", "time_s": 100.0, "latitude_deg": 50.0, "longitude_deg": 8.0,
        "altitude_ft": 30_000.0, "groundspeed_kt": 420.0, "track_deg": 90.0,
        "vertical_rate_fpm": -500.0, "onground": False, "callsign": "DLH4X"}]  # fmt: skip
    assert asm.take(102.0) == []  # nothing new
    asm.feed(_pos("abc123", lat=50.1), 103.0)
    (state,) = asm.take(103.0)
    assert (state["latitude_deg"], state["time_s"]) == (50.1, 103.0)
    asm.feed(_pos("abc123", lat=50.2), 112.0)
    assert asm.take(112.0) == []  # the velocity is 11 s old: stale
    asm.feed(_vel("abc123", vr=None, track=360.0), 112.5)
    (state,) = asm.take(113.0)
    assert (state["vertical_rate_fpm"], state["track_deg"]) == (0.0, 0.0)
    assert len(asm) == 1
    asm.take(200.0)
    assert len(asm) == 0  # not heard for longer than stale_s: forgotten


def test_the_assembler_keeps_a_bounded_number_of_aircraft() -> None:
    asm = Assembler(stale_s=10.0, max_aircraft=100)
    for i in range(150):
        asm.feed(_pos(f"{i:06x}"), 0.0)
    assert len(asm) == 100 and asm.malformed == {"too many aircraft": 50}
    asm.feed(_pos("ffffff"), 20.0)  # the old ones are stale by now: room again
    assert len(asm) == 1


def test_the_line_reader_cuts_lines_across_chunks_and_bounds_a_runaway() -> None:
    asm = Assembler()
    reader = LineReader(asm)
    data = _pos("a00001") + b"\r\n" + _vel("a00001") + b"\r\n\r\n"
    for k in range(0, len(data), 7):
        reader.add(data[k : k + 7], 1.0)
    assert asm.lines == 2 and len(asm.take(1.0)) == 1
    for _ in range(1000):  # 1 MB without a line end
        reader.add(b"x" * 1000, 2.0)
    assert len(reader._buffer) <= MAX_LINE_BYTES
    reader.add(b"tail of it\n" + _pos("a00002") + b"\n", 2.0)
    assert asm.malformed == {"line too long": 1} and asm.lines == 4


# -- end to end ------------------------------------------------------------------------------


class _Line:
    """A stand-in of the line's ``POST /v1/tracks``: 202 ``{"accepted": n}`` for the key
    ``good``, the line's 401 for any other."""

    def __init__(self) -> None:
        self.pushes: list[list[dict[str, Any]]] = []
        pushes = self.pushes

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.headers["Authorization"] != "Bearer good":
                    answer: dict[str, Any] = {"error": {"code": "unauthorized", "message": "no"}}
                    status = 401
                else:
                    assert self.path == "/v1/tracks" and set(body) == {"states"}
                    pushes.append(body["states"])
                    status, answer = 202, {"accepted": len(body["states"])}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Receiver:
    """A receiver on a real TCP port: each connection is sent the next script of lines,
    then closed (the last script is sent and the connection held open)."""

    def __init__(self, scripts: list[bytes]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()

        def serve() -> None:
            self.listener.settimeout(0.1)
            while not self._stop.is_set():
                try:
                    conn, _ = self.listener.accept()
                except TimeoutError:
                    continue
                with conn:
                    script = scripts[min(self.connections, len(scripts) - 1)]
                    self.connections += 1
                    conn.sendall(script)
                    if self.connections >= len(scripts):
                        self._stop.wait()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.listener.close()


@pytest.fixture
def line() -> Iterator[_Line]:
    made = _Line()
    yield made
    made.close()


def test_feed_sbs_pushes_a_receivers_aircraft_and_reconnects(
    line: _Line, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = b"\r\n".join([_line(SbsMessage(1, "4ca2d6", None, callsign="BAW123")),
                          _pos("4ca2d6"), b"MSG,3,garbage", b"\xff\xfe\xfd",
                          _vel("4ca2d6"), b""])  # fmt: skip
    second = b"\r\n".join([_pos("3c6444", lat=48.0), _vel("3c6444"), b""])
    receiver = _Receiver([first, second])
    try:
        code, _, err = run(["feed", "sbs", f"127.0.0.1:{receiver.port}", "--server",
                              line.url, "--key", "good", "--batch-s", "0.1", "--for-s", "2"],
                             capsys, monkeypatch)  # fmt: skip
    finally:
        receiver.close()
    assert code == 0, err
    assert receiver.connections == 2 and "closed the connection" in err
    states = {s["id"]: s for push in line.pushes for s in push}
    assert set(states) == {"4ca2d6", "3c6444"}
    assert states["4ca2d6"]["callsign"] == "BAW123"
    assert (states["3c6444"]["latitude_deg"], states["3c6444"]["groundspeed_kt"]) == (48.0, 420.0)
    assert "2 malformed" in err.splitlines()[-1] and "Traceback" not in err


def test_feed_sbs_waits_for_a_receiver_that_is_not_there(
    line: _Line, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, err = run(["feed", "sbs", f"127.0.0.1:{port}", "--server", line.url, "--key",
                        "good", "--for-s", "1"], capsys, monkeypatch)  # fmt: skip
    assert code == 0 and "cannot reach the receiver" in err and "trying again" in err


def test_feed_sbs_ends_when_the_line_refuses_its_key(
    line: _Line, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver = _Receiver([_pos("4ca2d6") + b"\n" + _vel("4ca2d6") + b"\n"])
    try:
        code, _, err = run(["feed", "sbs", f"127.0.0.1:{receiver.port}", "--server", line.url,
                            "--key", "bad", "--batch-s", "0.1", "--for-s", "5"],
                           capsys, monkeypatch)  # fmt: skip
    finally:
        receiver.close()
    assert code == 2 and err.splitlines()[-1].startswith("deconflict: error: no (unauthorized")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["localhost"], "HOST:PORT"),
        (["localhost:0"], "HOST:PORT"),
        (["localhost:99999"], "HOST:PORT"),
        ([":30003"], "HOST:PORT"),
        (["localhost:30003", "--server", "ftp://x"], "--server"),
        (["localhost:30003", "--batch-s", "0"], "--batch-s"),
        (["localhost:30003", "--key", ""], "--key"),
    ],
)
def test_feed_sbs_mistakes_are_one_line_and_exit_2(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.delenv("DECONFLICT_KEY", raising=False)
    defaults = {"--server": "http://127.0.0.1:1", "--key": "k"}
    extra = [x for k, v in defaults.items() if k not in args for x in (k, v)]
    code, _, err = run(["feed", "sbs", *args, *extra], capsys, monkeypatch)
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err


def test_feed_sbs_help_explains_itself(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(["feed", "sbs", "--help"], capsys, monkeypatch)
    assert code == 0
    text = " ".join(out.split())
    for words in ("SBS/BaseStation", "--batch-s", "--stale-s", "exit status 2", "HOST:PORT"):
        assert words in text
