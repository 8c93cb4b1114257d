"""A recording read into replayable states, whatever its format.

- state vectors the detection core reads (``deconflict.readers``: canonical CSV or
  Parquet, OpenSky state vectors, ``traffic`` JSON);
- SBS/BaseStation logs (``deconflict.feeds.sbs.parse_line``), timed by each message's
  generated date and time, read as UTC;
- raw Mode S: timestamped hex messages, or Beast binary frames (``deconflict.replay.modes``).

``format="auto"`` tells them apart by content first (a Beast frame marker, SBS ``MSG``
lines, hex messages), then by the extension the readers know. Lines or frames that
cannot be read are counted by reason, never fatal; a recording from which no state can
be made at all is an :class:`InputError`, as is a missing, unreadable or empty file.
"""

from __future__ import annotations

import gzip
import os
import re
import stat
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from deconflict.errors import InputError
from deconflict.replay.assemble import Assembler
from deconflict.replay.batches import sorted_by_time
from deconflict.replay.modes import MalformedError, beast_frames, decode_all, parse_hex_line
from deconflict.states import StateVectors

FORMATS = ("auto", "states", "sbs", "modes", "beast")
#: the longest line of SBS or hex text read (longer ones are malformed)
MAX_LINE_BYTES = 512
#: how many line numbers of malformed lines are kept for the message
FIRST = 5
_SBS_KINDS = re.compile(rb"\s*(MSG|SEL|ID|AIR|STA|CLK),")
_STATE_EXTENSIONS = (".csv", ".parquet", ".pq", ".json", ".jsonl", ".ndjson")


@dataclass(frozen=True)
class Recording:
    """The states of a recording, in time order, and what could not be used."""

    states: StateVectors
    source: str
    fmt: str  #: "canonical", "opensky", "traffic", "sbs", "modes" or "beast"
    read: int  #: lines, records, rows or frames read
    unit: str  #: what ``read`` counts
    #: lines or frames that could not be read at all, by reason, and where the first were
    malformed: Counter[str] = field(default_factory=Counter)
    first_malformed: tuple[int, ...] = ()
    #: rows, messages or states read but not replayable, by reason
    dropped: Counter[str] = field(default_factory=Counter)


def read_recording(
    path: str | os.PathLike[str],
    fmt: str = "auto",
    *,
    reference: tuple[float, float] | None = None,
) -> Recording:
    """Read ``path`` in format ``fmt`` (see ``FORMATS``); ``reference`` (lat, lon) helps
    Mode S positions without an even/odd pair."""
    source = os.fspath(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown format '{fmt}'; known: {', '.join(FORMATS)}")
    head = _head(source)
    kind = _sniff(head, source) if fmt == "auto" else fmt
    if kind == "states":
        recording = _states(source)
    elif kind == "sbs":
        recording = _sbs(source)
    elif kind == "modes":
        recording = _modes(source, reference)
    else:
        recording = _beast(source, reference)
    if not len(recording.states):
        why = dict(recording.malformed + recording.dropped)
        listed = ", ".join(f"{r}: {n}" for r, n in sorted(why.items(), key=lambda x: -x[1])[:4])
        raise InputError(
            f"{source}: no aircraft state to replay in {recording.read} {recording.unit}s "
            f"read as {kind}" + (f" ({listed})" if listed else "")
        )
    return recording


# --- files -----------------------------------------------------------------------------------


def _open(source: str) -> BinaryIO:
    """The file's bytes, gunzipped when they are gzip data."""
    try:
        if not stat.S_ISREG(os.stat(source).st_mode):
            raise InputError(f"{source}: not a regular file")
        with open(source, "rb") as f:
            gzipped = f.read(2) == b"\x1f\x8b"
        opened = cast(BinaryIO, gzip.open(source) if gzipped else open(source, "rb"))  # noqa: SIM115
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except OSError as e:
        raise InputError(f"{source}: cannot read ({e.strerror or e})") from None
    return opened


def _head(source: str) -> bytes:
    try:
        with _open(source) as f:
            head = f.read(4096)
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(f"{source}: corrupt gzip data ({e})") from None
    if not head.strip():
        raise InputError(f"{source}: empty file")
    return head


def _sniff(head: bytes, source: str) -> str:
    if head[0] == 0x1A and len(head) > 1 and head[1] in (0x31, 0x32, 0x33):
        return "beast"
    lines = [line for line in head.splitlines()[:3] if line.strip()]
    if _SBS_KINDS.match(lines[0]):
        return "sbs"
    for line in lines[:2]:
        try:
            parse_hex_line(line.decode("ascii"))
            return "modes"
        except (MalformedError, UnicodeDecodeError):
            pass
    name = source.lower().removesuffix(".gz")
    if name.endswith(_STATE_EXTENSIONS):
        return "states"
    raise InputError(
        f"{source}: not a recording deconflict can tell (state vectors as .csv, .parquet or "
        ".json, SBS lines, timestamped Mode S hex or Beast frames); name it with --format"
    )


def _lines(source: str) -> Iterator[tuple[int, bytes | None]]:
    """Each non-blank line with its number; None for one longer than ``MAX_LINE_BYTES``
    (read past, never held)."""
    try:
        with _open(source) as f:
            number = 0
            while chunk := f.readline(MAX_LINE_BYTES + 1):
                number += 1
                if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
                    while (more := f.readline(65536)) and not more.endswith(b"\n"):
                        pass
                    yield number, None
                elif chunk.strip():
                    yield number, chunk
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(f"{source}: cannot read ({e})") from None


class _Malformed:
    def __init__(self) -> None:
        self.reasons: Counter[str] = Counter()
        self.first: list[int] = []

    def add(self, reason: str, number: int) -> None:
        self.reasons[reason] += 1
        if len(self.first) < FIRST:
            self.first.append(number)


# --- the formats -----------------------------------------------------------------------------


def _states(source: str) -> Recording:
    from deconflict.readers import read_states

    read = read_states(source)
    return Recording(
        sorted_by_time(read.states), source, read.fmt, len(read.states) + read.bad.count,
        read.row_unit, dropped=Counter(read.bad.reasons),
    )  # fmt: skip


def _sbs(source: str) -> Recording:
    from deconflict.feeds.sbs import IDENTIFICATION, POSITION, MalformedLineError, parse_line

    asm, bad, read = Assembler(), _Malformed(), 0
    for number, raw in _lines(source):
        read += 1
        if raw is None:
            bad.add("line too long", number)
            continue
        try:
            m = parse_line(raw)
        except MalformedLineError as e:
            bad.add(str(e), number)
            continue
        if m is None:
            continue
        if m.time_s is None:
            bad.add("no date and time", number)
            continue
        if m.transmission == IDENTIFICATION:
            asm.identification(m.icao24, m.callsign or "")
        elif m.transmission == POSITION:
            assert m.latitude_deg is not None and m.longitude_deg is not None
            assert m.altitude_ft is not None
            asm.position(m.icao24, m.time_s, m.latitude_deg, m.longitude_deg, m.altitude_ft,
                         bool(m.onground), number)  # fmt: skip
        else:
            assert m.groundspeed_kt is not None and m.track_deg is not None
            asm.velocity(m.icao24, m.time_s, m.groundspeed_kt, m.track_deg,
                         m.vertical_rate_fpm)  # fmt: skip
    states = asm.states()
    return Recording(sorted_by_time(states), source, "sbs", read, "line", bad.reasons,
                     tuple(bad.first), asm.dropped)  # fmt: skip


def _modes(source: str, reference: tuple[float, float] | None) -> Recording:
    bad = _Malformed()
    read = 0

    def messages() -> Iterator[tuple[float, str, int]]:
        nonlocal read
        for number, raw in _lines(source):
            read += 1
            try:
                if raw is None:
                    raise MalformedError("line too long")
                yield (*parse_hex_line(raw.decode("ascii")), number)
            except UnicodeDecodeError:
                bad.add("not ASCII", number)
            except MalformedError as e:
                if not (number == 1 and raw and re.search(rb"[g-zG-Z]", raw)):  # a header
                    bad.add(str(e), number)

    decoder = decode_all(messages(), reference)
    states = decoder.assembler.states()
    dropped = decoder.unused + decoder.assembler.dropped
    return Recording(sorted_by_time(states), source, "modes", read, "line", bad.reasons,
                     tuple(bad.first), dropped)  # fmt: skip


def _beast(source: str, reference: tuple[float, float] | None) -> Recording:
    try:
        with _open(source) as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(f"{source}: cannot read ({e})") from None
    except MemoryError:
        raise InputError(f"{source}: too large to read into memory") from None
    malformed: Counter[str] = Counter()
    frames = [(t, m, k + 1) for k, (t, m) in enumerate(beast_frames(data, malformed))]
    decoder = decode_all(frames, reference)
    states = decoder.assembler.states()
    return Recording(sorted_by_time(states), source, "beast", len(frames), "frame", malformed,
                     (), decoder.unused + decoder.assembler.dropped)  # fmt: skip
