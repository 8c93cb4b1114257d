"""SBS/BaseStation text from an ADS-B receiver (the "port 30003" format of Kinetic's
BaseStation, written by dump1090 and its kin): parse it, assemble states, push them.

A line is 22 comma-separated fields, ended by CR LF (the fields after the tenth are
empty where a message does not carry them)::

    MSG,3,1,1,4CA2D6,1,2008/11/28,14:53:50.594,2008/11/28,14:53:50.594,,37000,,,51.45735,-1.02826,,,0,0,0,0

1. message kind (``MSG``: a transmission; ``SEL``, ``ID``, ``AIR``, ``STA``, ``CLK``:
   BaseStation's own, ignored); 2. transmission type (1 identification, 3 airborne
   position, 4 airborne velocity are read; 2 surface position and 5-8 are ignored);
   3. session id, 4. aircraft id; 5. hex ident (ICAO 24-bit address); 6. flight id;
   7-8. date and time generated; 9-10. date and time logged; 11. callsign;
   12. altitude (ft, Mode C, 1013.25 hPa); 13. ground speed (kt); 14. track (deg);
   15. latitude, 16. longitude (deg); 17. vertical rate (ft/min); 18. squawk;
   19. alert, 20. emergency, 21. SPI, 22. on the ground (flags: -1 or 1 true, 0 false).

(Field list as documented for BaseStation's socket output, e.g. woodair.net's
"Barebones42 Socket Data" page.)

``parse_line`` reads one line into an :class:`SbsMessage` (or None for the kinds and types
not read), raising :class:`MalformedLineError` for anything else; ``format_line`` writes one.
``Assembler`` keeps each aircraft's latest identification, position and velocity and gives
complete states in the line's feed format (``POST /v1/tracks``); ``run_feed`` reads a
receiver over TCP, reconnecting when it drops, and pushes every batch period.

States are stamped with the time their position arrived (the feed's clock), not the
message's own date and time: receivers differ on the zone and the accuracy of those.
"""

from __future__ import annotations

import math
import re
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: the fields of a line
FIELDS = 22
#: the longest line read (a real one is about 120 bytes)
MAX_LINE_BYTES = 512
#: an aircraft's position or velocity older than this (seconds) is not used
STALE_S = 10.0
#: the most aircraft kept (a receiver hears a few hundred)
MAX_AIRCRAFT = 20_000
#: the types read: identification, airborne position, airborne velocity
IDENTIFICATION, POSITION, VELOCITY = 1, 3, 4

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_HEX = re.compile(r"[0-9A-Fa-f]{6}")
_CALLSIGN = re.compile(r"[A-Z0-9 ]{1,8}")
_DATE = re.compile(r"(\d{4})/(\d{2})/(\d{2})")
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?")
_TRUE, _FALSE = ("-1", "1"), ("0", "")
_KINDS = ("MSG", "SEL", "ID", "AIR", "STA", "CLK")


class MalformedLineError(ValueError):
    """A line that is not SBS text; its message is the reason, as it is counted."""


@dataclass(frozen=True)
class SbsMessage:
    """What a transmission of type 1, 3 or 4 says (None: not in this message)."""

    transmission: int
    icao24: str  #: lower-case hex
    time_s: float | None = None  #: generated date and time, read as UTC
    callsign: str | None = None
    altitude_ft: float | None = None
    groundspeed_kt: float | None = None
    track_deg: float | None = None
    latitude_deg: float | None = None
    longitude_deg: float | None = None
    vertical_rate_fpm: float | None = None
    onground: bool | None = None


def _number(text: str, name: str, low: float, high: float) -> float | None:
    if not text:
        return None
    if not _NUMBER.fullmatch(text):
        raise MalformedLineError(f"unreadable {name}")
    value = float(text)
    if not (math.isfinite(value) and low <= value <= high):
        raise MalformedLineError(f"{name} out of range")
    return value


def _needed(value: float | None, name: str) -> float:
    if value is None:
        raise MalformedLineError(f"missing {name}")
    return value


def _time(date: str, clock: str) -> float | None:
    if not date and not clock:
        return None
    d, t = _DATE.fullmatch(date), _TIME.fullmatch(clock)
    if d is None or t is None:
        raise MalformedLineError("unreadable time")
    fraction = t.group(4) or "0"
    try:
        at = datetime(int(d.group(1)), int(d.group(2)), int(d.group(3)), int(t.group(1)),
                      int(t.group(2)), int(t.group(3)), tzinfo=UTC)  # fmt: skip
    except ValueError:
        raise MalformedLineError("unreadable time") from None
    return at.timestamp() + int(fraction) / 10.0 ** len(fraction)


def _flag(text: str) -> bool | None:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False if text else None
    raise MalformedLineError("unreadable flag")


def parse_line(raw: bytes | str) -> SbsMessage | None:
    """The message of one line (its CR LF may be left on); None for a line of a kind or a
    transmission type that is not read. :class:`MalformedLineError` for anything else: too long,
    not ASCII, not 22 fields, an unknown kind, a bad address, an unreadable or impossible
    value, or a type 1, 3 or 4 message without what it exists to carry."""
    if len(raw) > MAX_LINE_BYTES:
        raise MalformedLineError("line too long")
    if isinstance(raw, bytes):
        try:
            line = raw.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedLineError("not ASCII") from None
    elif raw.isascii():
        line = raw
    else:
        raise MalformedLineError("not ASCII")
    fields = line.rstrip("\r\n").split(",")
    kind = fields[0].strip()
    if kind not in _KINDS:
        raise MalformedLineError("unknown message kind")
    if kind != "MSG":
        return None
    if len(fields) != FIELDS:
        raise MalformedLineError(f"not {FIELDS} fields")
    if not fields[1].isdigit() or not 1 <= int(fields[1]) <= 8:
        raise MalformedLineError("unknown transmission type")
    transmission = int(fields[1])
    if transmission not in (IDENTIFICATION, POSITION, VELOCITY):
        return None
    if not _HEX.fullmatch(fields[4]):
        raise MalformedLineError("bad hex ident")
    icao24 = fields[4].lower()
    time_s = _time(fields[6], fields[7])
    if transmission == IDENTIFICATION:
        callsign = fields[10].strip()
        if not callsign:
            raise MalformedLineError("missing callsign")
        if not _CALLSIGN.fullmatch(callsign):
            raise MalformedLineError("bad callsign")
        return SbsMessage(transmission, icao24, time_s, callsign=callsign)
    if transmission == POSITION:
        return SbsMessage(
            transmission, icao24, time_s,
            altitude_ft=_needed(_number(fields[11], "altitude", -2_000.0, 100_000.0),
                                "altitude"),
            latitude_deg=_needed(_number(fields[14], "latitude", -90.0, 90.0), "latitude"),
            longitude_deg=_needed(_number(fields[15], "longitude", -180.0, 180.0),
                                  "longitude"),
            onground=_flag(fields[21]),
        )  # fmt: skip
    return SbsMessage(
        transmission, icao24, time_s,
        groundspeed_kt=_needed(_number(fields[12], "ground speed", 0.0, 2_000.0),
                               "ground speed"),
        track_deg=_needed(_number(fields[13], "track", 0.0, 360.0), "track"),
        vertical_rate_fpm=_number(fields[16], "vertical rate", -100_000.0, 100_000.0),
    )  # fmt: skip


def _text(value: float | None) -> str:
    return "" if value is None else repr(value)


def format_line(m: SbsMessage) -> str:
    """The SBS line of a message (without CR LF): what a receiver would write."""
    if m.time_s is None:
        date = clock = ""
    else:
        ms = round(m.time_s * 1000.0)  # the format's milliseconds
        at = datetime.fromtimestamp(ms // 1000, UTC)
        date, clock = at.strftime("%Y/%m/%d"), at.strftime("%H:%M:%S") + f".{ms % 1000:03d}"
    onground = "" if m.onground is None else ("-1" if m.onground else "0")
    fields = [
        "MSG", str(m.transmission), "1", "1", m.icao24.upper(), "1", date, clock, date, clock,
        m.callsign or "", _text(m.altitude_ft), _text(m.groundspeed_kt), _text(m.track_deg),
        _text(m.latitude_deg), _text(m.longitude_deg), _text(m.vertical_rate_fpm), "", "",
        "", "", onground,
    ]  # fmt: skip
    return ",".join(fields)


# -- assembling states ----------------------------------------------------------------------


@dataclass
class _Aircraft:
    callsign: str | None = None
    position: SbsMessage | None = None
    position_s: float = -math.inf
    velocity: SbsMessage | None = None
    velocity_s: float = -math.inf
    heard_s: float = -math.inf
    changed: bool = False


class Assembler:
    """Each aircraft's latest callsign, position and velocity, from SBS lines as they come.

    ``take(now_s)`` gives, once, the state of every aircraft heard since the last take
    that has both a position and a velocity younger than ``stale_s``: in the line's feed
    format (``id`` the ICAO address, ``time_s`` when its position arrived). A velocity
    without a vertical rate counts as level flight. Aircraft not heard for ``stale_s``
    are forgotten, and never more than ``max_aircraft`` are kept. Malformed lines are
    counted in ``malformed`` by reason, and skipped.
    """

    def __init__(self, stale_s: float = STALE_S, max_aircraft: int = MAX_AIRCRAFT) -> None:
        self.stale_s, self.max_aircraft = stale_s, max_aircraft
        self._aircraft: dict[str, _Aircraft] = {}
        self.lines = 0
        self.malformed: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._aircraft)

    def feed(self, raw: bytes | str, now_s: float) -> None:
        """Read one line that arrived at ``now_s``."""
        self.lines += 1
        try:
            m = parse_line(raw)
        except MalformedLineError as e:
            self.malformed[str(e)] += 1
            return
        if m is None:
            return
        a = self._aircraft.get(m.icao24)
        if a is None:
            if len(self._aircraft) >= self.max_aircraft:
                self._forget(now_s)
                if len(self._aircraft) >= self.max_aircraft:
                    self.malformed["too many aircraft"] += 1
                    return
            a = self._aircraft[m.icao24] = _Aircraft()
        a.heard_s = now_s
        if m.transmission == IDENTIFICATION:
            a.callsign = m.callsign
        elif m.transmission == POSITION:
            a.position, a.position_s, a.changed = m, now_s, True
        else:
            a.velocity, a.velocity_s, a.changed = m, now_s, True

    def _forget(self, now_s: float) -> None:
        for icao24 in [k for k, a in self._aircraft.items() if now_s - a.heard_s > self.stale_s]:
            del self._aircraft[icao24]

    def take(self, now_s: float) -> list[dict[str, Any]]:
        """The complete states changed since the last take (see the class)."""
        self._forget(now_s)
        out = []
        for icao24, a in self._aircraft.items():
            p, v = a.position, a.velocity
            if not a.changed or p is None or v is None:
                continue
            if now_s - a.position_s > self.stale_s or now_s - a.velocity_s > self.stale_s:
                continue
            a.changed = False
            state: dict[str, Any] = {
                "id": icao24, "time_s": a.position_s, "latitude_deg": p.latitude_deg,
                "longitude_deg": p.longitude_deg, "altitude_ft": p.altitude_ft,
                "groundspeed_kt": v.groundspeed_kt, "track_deg": (v.track_deg or 0.0) % 360.0,
                "vertical_rate_fpm": v.vertical_rate_fpm or 0.0,
                "onground": bool(p.onground),
            }  # fmt: skip
            if a.callsign:
                state["callsign"] = a.callsign
            out.append(state)
        return out


# -- reading a receiver ---------------------------------------------------------------------


class LineReader:
    """Bytes as they arrive, cut into lines for an :class:`Assembler`. A run of more than
    ``MAX_LINE_BYTES`` without a line end counts as one line too long, and is dropped up
    to the next line end: memory stays bounded whatever the receiver sends."""

    def __init__(self, assembler: Assembler) -> None:
        self.assembler = assembler
        self._buffer = bytearray()
        self._skipping = False

    def add(self, chunk: bytes, now_s: float) -> None:
        buffer = self._buffer
        buffer += chunk
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            if self._skipping:
                self._skipping = False
            elif buffer[start:end].strip():
                self.assembler.feed(bytes(buffer[start:end]), now_s)
            start = end + 1
        del buffer[:start]
        if len(buffer) > MAX_LINE_BYTES:
            if not self._skipping:
                self.assembler.lines += 1
                self.assembler.malformed["line too long"] += 1
                self._skipping = True
            buffer.clear()


@dataclass
class FeedStats:
    connections: int = 0
    pushes: int = 0
    states: int = 0


def run_feed(
    host: str,
    port: int,
    push: Callable[[list[dict[str, Any]]], None],
    *,
    batch_s: float = 1.0,
    assembler: Assembler | None = None,
    say: Callable[[str], None] = lambda _: None,
    until_s: float = math.inf,
    clock: Callable[[], float] = time.time,
    max_backoff_s: float = 10.0,
    connect_timeout_s: float = 5.0,
) -> FeedStats:
    """Read the receiver at ``host:port`` and ``push`` the assembled states every
    ``batch_s``, until the clock reaches ``until_s``. When the receiver cannot be reached
    or drops the connection, ``say`` one line and connect again after a wait that doubles
    up to ``max_backoff_s``. ``push`` raising ends the feed with its error."""
    asm = assembler if assembler is not None else Assembler()
    stats = FeedStats()
    next_push_s = clock() + batch_s
    wait_s = 0.5

    def pushed_due() -> None:
        nonlocal next_push_s
        now_s = clock()
        if now_s < next_push_s:
            return
        next_push_s = now_s + batch_s
        states = asm.take(now_s)
        if states:
            push(states)
            stats.pushes += 1
            stats.states += len(states)

    while clock() < until_s:
        try:
            conn = socket.create_connection((host, port), timeout=connect_timeout_s)
        except OSError as e:
            say(f"cannot reach the receiver {host}:{port} ({e.strerror or e}); "
                f"trying again in {wait_s:g} s")  # fmt: skip
            _pause(min(wait_s, max(0.0, until_s - clock())), pushed_due, clock)
            wait_s = min(max_backoff_s, wait_s * 2.0)
            continue
        stats.connections += 1
        wait_s = 0.5
        reader = LineReader(asm)
        with conn:
            conn.settimeout(min(0.2, batch_s))
            for chunk in _chunks(conn, until_s, clock):
                if chunk is None:
                    pushed_due()
                    continue
                if not chunk:
                    say(f"the receiver {host}:{port} closed the connection; connecting again")
                    break
                reader.add(chunk, clock())
                pushed_due()
    return stats


def _chunks(conn: socket.socket, until_s: float, clock: Callable[[], float]
            ) -> Iterator[bytes | None]:  # fmt: skip
    """What arrives on ``conn``; None when nothing did for a while, b"" when it closed."""
    while clock() < until_s:
        try:
            yield conn.recv(65536)
        except TimeoutError:
            yield None
        except OSError:
            yield b""
            return


def _pause(wait_s: float, tick: Callable[[], None], clock: Callable[[], float]) -> None:
    """Wait ``wait_s``, still pushing what is due meanwhile."""
    end_s = clock() + wait_s
    while (left_s := end_s - clock()) > 0:
        time.sleep(min(0.2, left_s))
        tick()
