"""Raw Mode S recordings: timestamped hex messages and Beast binary frames, decoded with
``pyModeS`` (3.x: ``pyModeS.PipeDecoder`` and ``pyModeS.decode``).

Hex text: one message a line, 14 or 28 hex digits (optionally ``*...;`` as dump1090 writes
them) and its time in UNIX seconds, separated by a comma, a semicolon, a tab or spaces,
time first (``1457996402.0,8D40621D58C382D690C8AC2863A7``) or last. A first line that is
not a message (a header) is skipped.

Beast binary (the format of port 30005 of dump1090, readsb and the Mode-S Beast): frames
``0x1a TYPE TIMESTAMP(6) SIGNAL(1) MESSAGE`` where TYPE ``'2'`` carries 7 bytes of Mode S,
``'3'`` 14, ``'1'`` a Mode A/C reply (skipped), and a 0x1a byte inside a frame is sent
twice. The timestamp is the receiver's 12 MHz counter, read as seconds since an unknown
start: replayed into the line that is all that matters, and written to a file the times
are seconds from 1970-01-01.

Only ADS-B (downlink formats 17 and 18) with a valid parity makes states: identification
(BDS 0,8) gives the callsign, airborne position (BDS 0,5, barometric or GNSS altitude)
the position, airborne velocity over ground (BDS 0,9 subtypes 1 and 2) the velocity.
A position needs an even and an odd message close in time (the decoder pairs them and
then follows the aircraft), or a ``reference`` position within 180 NM. Surface positions
and airspeed-only velocities are counted and not replayed.
"""

from __future__ import annotations

import math
import re
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from typing import Any

from deconflict.replay.assemble import Assembler
from deconflict.states import MAX_TIME_S

#: a message held this long (recorded seconds) before it is used, so that the decoder can
#: fill in positions it held back until it trusted the aircraft's track
HOLD_S = 60.0
#: the Beast counter's rate
BEAST_HZ = 12_000_000.0
#: the bytes after TYPE in a Beast frame: timestamp, signal, message
_BEAST_BODY = {0x31: 6 + 1 + 2, 0x32: 6 + 1 + 7, 0x33: 6 + 1 + 14}
_ESC = 0x1A

_HEX = re.compile(r"\*?([0-9A-Fa-f]{28}|[0-9A-Fa-f]{14});?")
_SPLIT = re.compile(r"[,;\t ]+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class MalformedError(ValueError):
    """A line or frame that is not a timestamped message; the message is the reason."""


def parse_hex_line(text: str) -> tuple[float, str]:
    """The time and the hex message (upper case) of a line of hex text."""
    fields = [f for f in _SPLIT.split(text.strip()) if f]
    if len(fields) != 2:
        raise MalformedError("not a time and a message")
    first, second = fields
    if _HEX.fullmatch(second) and _NUMBER.fullmatch(first):
        time_text, message = first, second
    elif _HEX.fullmatch(first) and _NUMBER.fullmatch(second):
        time_text, message = second, first
    else:
        raise MalformedError("not a time and a message")
    time_s = float(time_text)
    if not (math.isfinite(time_s) and 0.0 <= time_s <= MAX_TIME_S):
        raise MalformedError("time out of range")
    return time_s, message.strip("*;").upper()


def beast_frames(data: bytes, malformed: Counter[str]) -> Iterator[tuple[float, str]]:
    """The (time, hex message) of each Mode S frame of Beast binary ``data``; frames of
    other types are skipped, bytes that are not frames counted in ``malformed``."""
    i, n = 0, len(data)
    while i < n:
        if data[i] != _ESC:
            j = data.find(bytes([_ESC]), i)
            malformed["bytes outside a frame"] += 1
            if j < 0:
                return
            i = j
            continue
        if i + 1 >= n:
            malformed["truncated frame"] += 1
            return
        kind = data[i + 1]
        size = _BEAST_BODY.get(kind)
        if size is None:
            malformed["unknown frame type"] += 1
            i += 2 if kind == _ESC else 1
            continue
        body = bytearray()
        j = i + 2
        while len(body) < size and j < n:
            b = data[j]
            if b == _ESC:
                if j + 1 < n and data[j + 1] == _ESC:
                    j += 1
                else:  # a frame starts inside this one: it was cut short
                    break
            body.append(b)
            j += 1
        if len(body) < size:
            malformed["truncated frame"] += 1
            i = j
            continue
        i = j
        if kind == 0x31:  # Mode A/C
            continue
        counter = int.from_bytes(body[:6], "big")
        yield counter / BEAST_HZ, body[7:].hex().upper()


class ModeSDecoder:
    """Messages in recorded order in, states out (through an :class:`Assembler`)."""

    def __init__(self, reference: tuple[float, float] | None = None) -> None:
        import pyModeS

        self._pms = pyModeS
        self._pipe = pyModeS.PipeDecoder()
        self.reference = reference
        self.assembler = Assembler()
        self.messages = 0
        #: messages not used, by reason (not ADS-B, bad parity, surface...)
        self.unused: Counter[str] = Counter()
        self._held: deque[tuple[float, int, str, dict[str, Any]]] = deque()

    def add(self, time_s: float, message: str, source_row: int) -> None:
        self.messages += 1
        decoded = self._pipe.decode(message, timestamp=time_s)
        self._held.append((time_s, source_row, message, decoded))
        while self._held and self._held[0][0] < time_s - HOLD_S:
            self._use(*self._held.popleft())

    def finish(self) -> None:
        self._pipe.flush()
        while self._held:
            self._use(*self._held.popleft())

    def _use(self, time_s: float, source_row: int, message: str, d: dict[str, Any]) -> None:
        if "error" in d:
            self.unused["undecodable message"] += 1
            return
        if d.get("df") not in (17, 18):
            self.unused["not ADS-B"] += 1
            return
        if d.get("crc_valid") is not True:
            self.unused["bad parity"] += 1
            return
        icao24 = str(d.get("icao", "")).lower()
        bds = d.get("bds")
        if bds == "0,8":
            callsign = str(d.get("callsign") or "").strip("_# ")
            if callsign:
                self.assembler.identification(icao24, callsign)
        elif bds == "0,9":
            gs, track = d.get("groundspeed"), d.get("track")
            if gs is None or track is None:
                self.unused["airspeed-only velocity"] += 1
                return
            self.assembler.velocity(icao24, time_s, float(gs), float(track),
                                    d.get("vertical_rate"))  # fmt: skip
        elif bds == "0,5":
            self._position(time_s, source_row, message, d, icao24)
        elif bds == "0,6":
            self.unused["surface position"] += 1
        else:
            self.unused["other ADS-B message"] += 1

    def _position(self, time_s: float, source_row: int, message: str, d: dict[str, Any],
                  icao24: str) -> None:  # fmt: skip
        lat, lon, alt = d.get("latitude"), d.get("longitude"), d.get("altitude")
        if (lat is None or lon is None) and self.reference is not None:
            local = self._pms.decode(message, reference=self.reference)
            lat, lon = local.get("latitude"), local.get("longitude")
        if lat is None or lon is None:
            self.unused["position not resolved (no even/odd pair)"] += 1
            return
        if alt is None:
            self.unused["position without altitude"] += 1
            return
        self.assembler.position(icao24, time_s, float(lat), float(lon), float(alt), False,
                                source_row)  # fmt: skip


def decode_all(messages: Iterable[tuple[float, str, int]],
               reference: tuple[float, float] | None = None) -> ModeSDecoder:  # fmt: skip
    """Decode (time, hex, source row) messages; the decoder holds the states and counts."""
    decoder = ModeSDecoder(reference)
    for time_s, message, row in messages:
        decoder.add(time_s, message, row)
    decoder.finish()
    return decoder
