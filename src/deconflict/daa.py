"""Read DAIDALUS encounter files (``.daa``) into arrays in SI units, angles in degrees.

A ``.daa`` file is text. Blank lines and lines starting with ``#`` are skipped. The first
other line names the columns (any case, separated by commas and/or spaces); the next may give
one unit per column, each in brackets (``[ft]``, ``[knot]``, ``[]``). Then come the data rows,
one aircraft per row, grouped by time: the first aircraft of each time is the ownship.

Columns read: ``name``; ``lat lon alt`` or ``sx sy sz`` (east, north, up); ``trk gs vs`` or
``vx vy vz`` (east, north, up); ``time``; optional ``alerter`` (1-based). Others (``heading``,
``airspeed``, the ``*_std`` columns, ...) are ignored. Every problem with the input is raised
as a one-line :class:`InputError` naming the file and, where there is one, the line.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deconflict.errors import InputError
from deconflict.units import FPM_MPS, FT_M, KT_MPS, NM_M

_KM_M = 1000.0  #: one kilometre in metres (units.py has no km)
_MIN_S = 60.0  #: one minute in seconds (units.py has no time units)
_H_S = 3600.0  #: one hour in seconds
_RAD_DEG = 180.0 / math.pi  #: one radian in degrees (angles stay in degrees inside)

#: unit name (lower case) → (dimension, factor to metres, seconds, m/s or degrees)
_UNITS: dict[str, tuple[str, float]] = {
    "deg": ("angle", 1.0),
    "rad": ("angle", _RAD_DEG),
    "m": ("length", 1.0),
    "ft": ("length", FT_M),
    "km": ("length", _KM_M),
    "nmi": ("length", NM_M),
    "nm": ("length", NM_M),  # in aviation NM is the nautical mile, never the nanometre
    "m/s": ("speed", 1.0),
    "knot": ("speed", KT_MPS),
    "knots": ("speed", KT_MPS),
    "kn": ("speed", KT_MPS),
    "kt": ("speed", KT_MPS),
    "kts": ("speed", KT_MPS),
    "fpm": ("speed", FPM_MPS),
    "ft/min": ("speed", FPM_MPS),
    "s": ("time", 1.0),
    "min": ("time", _MIN_S),
    "h": ("time", _H_S),
    "": ("none", 1.0),  # written []
    "none": ("none", 1.0),
    "unitless": ("none", 1.0),
    "unspecified": ("none", 1.0),
    "-": ("none", 1.0),
}

#: column → (dimension, unit when the file has no units line). The defaults are DAIDALUS's,
#: from nasa/daidalus Java/src/gov/nasa/larcfm/IO/SequenceReader.java (the reader behind
#: DaidalusFileWalker) and StateReader.java: without a units line, lat/lon are read in deg,
#: alt in ft, sx/sy in nmi, sz in ft, trk in deg, gs in knot, vs in fpm, vx/vy in knot, vz in
#: fpm; their class comments give time in s.
_COLUMNS: dict[str, tuple[str, str]] = {
    "name": ("none", "none"),
    "lat": ("angle", "deg"),
    "lon": ("angle", "deg"),
    "alt": ("length", "ft"),
    "sx": ("length", "nmi"),
    "sy": ("length", "nmi"),
    "sz": ("length", "ft"),
    "trk": ("angle", "deg"),
    "gs": ("speed", "knot"),
    "vs": ("speed", "fpm"),
    "vx": ("speed", "knot"),
    "vy": ("speed", "knot"),
    "vz": ("speed", "fpm"),
    "time": ("time", "s"),
    "alerter": ("none", "none"),
}
_GEODETIC, _EUCLIDEAN = ("lat", "lon", "alt"), ("sx", "sy", "sz")
_POLAR, _CARTESIAN = ("trk", "gs", "vs"), ("vx", "vy", "vz")
_SEPARATORS = re.compile(r"[\s,]+")
_UNIT_FIELD = re.compile(r"\[([^\[\]]*)\]")
_INT64_MAX = int(np.iinfo(np.int64).max)


@dataclass(frozen=True)
class DaaStates:
    """One row per aircraft per time step, in file order. SI units, angles in degrees."""

    time_s: NDArray[np.float64]
    name: NDArray[np.str_]
    ownship: NDArray[np.bool_]  #: True for the first aircraft of each time step
    geodetic: bool  #: True: lat/lon positions; False: Euclidean sx/sy
    latitude_deg: NDArray[np.float64]  #: NaN when not geodetic
    longitude_deg: NDArray[np.float64]  #: NaN when not geodetic
    x_m: NDArray[np.float64]  #: east, NaN when geodetic
    y_m: NDArray[np.float64]  #: north, NaN when geodetic
    altitude_m: NDArray[np.float64]  #: alt or sz
    v_east_mps: NDArray[np.float64]  #: gs·sin(trk) or vx
    v_north_mps: NDArray[np.float64]  #: gs·cos(trk) or vy
    v_up_mps: NDArray[np.float64]  #: vs or vz
    alerter: NDArray[np.int64]  #: 1-based; 1 when the column is absent
    line: NDArray[np.int64]  #: 1-based line number in the file


@dataclass(frozen=True)
class _Layout:
    """Where the columns that are read sit in each row, and the factor to SI of each."""

    index: dict[str, int]  #: column → field position
    factor: dict[str, float]  #: numeric column → factor to SI (degrees for angles)
    width: int  #: fields in every row
    geodetic: bool
    polar: bool  #: True: trk/gs/vs; False: vx/vy/vz


def read_daa(path: str | os.PathLike[str]) -> DaaStates:
    """Read a ``.daa`` file; see the module documentation for the format."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise InputError(_flat(f"{source}: no such file")) from None
    except IsADirectoryError:
        raise InputError(_flat(f"{source}: a directory, not a file")) from None
    except OSError as e:
        raise InputError(_flat(f"{source}: cannot read ({e.strerror or e})")) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _error(source, data.count(b"\n", 0, e.start) + 1, "not UTF-8 text") from None
    return parse_daa(text, source)


def parse_daa(text: str, source: str = "<string>") -> DaaStates:
    """Parse the text of a ``.daa`` file; ``source`` names it in error messages."""
    if (nul := text.find("\x00")) >= 0:
        raise _error(source, text.count("\n", 0, nul) + 1, "binary data, not text")
    lines = _content_lines(text)
    header = next(lines, None)
    if header is None:
        raise InputError(_flat(f"{source}: empty file (no column names)"))
    row = next(lines, None)
    units: tuple[int, str] | None = None
    if row is not None and row[1].startswith("["):
        units, row = row, next(lines, None)
    layout = _layout(header, units, source)
    if row is None:
        raise _error(source, header[0], "column names but no data rows")
    return _rows([row, *lines], layout, source)


# --- lines and fields ------------------------------------------------------------------------


def _content_lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, stripped text) of each line that is not blank or a comment."""
    for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield number, line


def _fields(line: str) -> list[str]:
    return _SEPARATORS.split(line.strip(" \t\r,"))


def _flat(message: str) -> str:
    """The message on one line (a file name may hold a line break)."""
    return " ".join(message.splitlines())


def _error(source: str, line: int, what: str) -> InputError:
    return InputError(_flat(f"{source}: line {line}: {what}"))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _shown(value: str, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


# --- header and units ------------------------------------------------------------------------


def _layout(header: tuple[int, str], units: tuple[int, str] | None, source: str) -> _Layout:
    number, line = header
    if line.startswith("["):
        raise _error(source, number, "a units line where the column names should be")
    names = [name.lower() for name in _fields(line)]
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in _COLUMNS:
            if name in index:
                raise _error(source, number, f"column '{name}' appears twice")
            index[name] = i
    geodetic = _choose(index, _GEODETIC, _EUCLIDEAN, source, number)
    polar = _choose(index, _POLAR, _CARTESIAN, source, number)
    for name in ("name", "time"):
        if name not in index:
            raise _error(source, number, f"missing column '{name}'")
    unused = (*(_EUCLIDEAN if geodetic else _GEODETIC), *(_CARTESIAN if polar else _POLAR))
    index = {name: i for name, i in index.items() if name not in unused}
    unit_names = _unit_names(units, len(names), source)
    factor: dict[str, float] = {}
    for name, i in index.items():
        unit = unit_names[i] if unit_names is not None else _COLUMNS[name][1]
        factor[name] = _factor(name, unit, source, units[0] if units else number)
    return _Layout(index, factor, len(names), geodetic, polar)


def _choose(
    index: dict[str, int],
    first: tuple[str, ...],
    second: tuple[str, ...],
    source: str,
    line: int,
) -> bool:
    """True when the file uses the ``first`` set of columns (it has any of them), False when
    it uses the ``second``; raises naming what is missing from the set it uses."""
    if not any(name in index for name in first + second):
        listed = ", ".join(f"'{name}'" for name in first)
        others = ", ".join(f"'{name}'" for name in second)
        raise _error(source, line, f"missing columns {listed} (or {others})")
    uses_first = any(name in index for name in first)
    missing = [name for name in (first if uses_first else second) if name not in index]
    if missing:
        raise _error(source, line, f"missing column '{missing[0]}'")
    return uses_first


def _unit_names(units: tuple[int, str] | None, count: int, source: str) -> list[str] | None:
    """The units written for each column (lower case), or None without a units line."""
    if units is None:
        return None
    number, line = units
    names = _UNIT_FIELD.findall(line)
    if _UNIT_FIELD.sub(" ", line).strip(" \t,"):
        raise _error(source, number, "a units line must hold only bracketed units, e.g. [ft]")
    if len(names) != count:
        raise _error(source, number, f"{_plural(len(names), 'unit')} for {count} columns")
    return [name.strip().lower() for name in names]


def _factor(column: str, unit: str, source: str, line: int) -> float:
    if unit not in _UNITS:
        raise _error(source, line, f"unknown unit {_shown('[' + unit + ']')} for '{column}'")
    dimension, factor = _UNITS[unit]
    wanted = _COLUMNS[column][0]
    if dimension != wanted:
        what = "no unit" if wanted == "none" else f"a unit of {wanted}"
        raise _error(source, line, f"unit [{unit}] for '{column}', which takes {what}")
    return factor


# --- rows ------------------------------------------------------------------------------------


def _rows(lines: list[tuple[int, str]], layout: _Layout, source: str) -> DaaStates:
    numeric = [column for column in layout.index if column not in ("name", "alerter")]
    values: dict[str, list[float]] = {name: [] for name in numeric}
    names: list[str] = []
    alerters: list[int] = []
    ownship: list[bool] = []
    seen: dict[str, int] = {}  # name → line, at the current time
    for number, line in lines:
        fields = _fields(line)
        if len(fields) != layout.width:
            count = _plural(len(fields), "field")
            raise _error(source, number, f"{count}, expected {layout.width}")
        for column in numeric:
            text, factor = fields[layout.index[column]], layout.factor[column]
            values[column].append(_number(text, factor, column, source, number))
        time, name = values["time"][-1], fields[layout.index["name"]]
        new_time = not names or time != values["time"][-2]
        if names and time < values["time"][-2]:
            what = f"time goes back, from {values['time'][-2]} s to {time} s"
            raise _error(source, number, what)
        if new_time:
            seen.clear()
        if name in seen:
            raise _error(source, number, f"aircraft {_shown(name)} already at line {seen[name]}")
        seen[name] = number
        names.append(name)
        ownship.append(new_time)
        if "alerter" in layout.index:
            alerters.append(_alerter(fields[layout.index["alerter"]], source, number))
    return _states(values, names, ownship, alerters, [n for n, _ in lines], layout)


def _number(text: str, factor: float, column: str, source: str, line: int) -> float:
    """The value in SI units (degrees for angles)."""
    try:
        value = float(text)
    except ValueError:
        raise _error(source, line, f"'{column}' is {_shown(text)}, not a number") from None
    if not math.isfinite(value):
        raise _error(source, line, f"'{column}' is {_shown(text)}, not a finite number")
    if not math.isfinite(value * factor):
        raise _error(source, line, f"'{column}' is {_shown(text)}, too large")
    return value * factor


def _alerter(text: str, source: str, line: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= _INT64_MAX:
        raise _error(source, line, f"'alerter' is {_shown(text)}, not a positive integer")
    return value


def _states(
    values: dict[str, list[float]],
    names: list[str],
    ownship: list[bool],
    alerters: list[int],
    lines: list[int],
    layout: _Layout,
) -> DaaStates:
    def column(name: str) -> NDArray[np.float64]:
        return np.asarray(values[name], dtype=np.float64)

    count = len(names)
    if layout.geodetic:
        lat, lon, x, y = column("lat"), column("lon"), _nan(count), _nan(count)
    else:
        lat, lon, x, y = _nan(count), _nan(count), column("sx"), column("sy")
    if layout.polar:
        track, speed = np.radians(column("trk")), column("gs")
        east, north, up = speed * np.sin(track), speed * np.cos(track), column("vs")
    else:
        east, north, up = column("vx"), column("vy"), column("vz")
    return DaaStates(
        time_s=column("time"),
        name=np.asarray(names, dtype=np.str_),
        ownship=np.asarray(ownship, dtype=np.bool_),
        geodetic=layout.geodetic,
        latitude_deg=lat,
        longitude_deg=lon,
        x_m=x,
        y_m=y,
        altitude_m=column("alt" if layout.geodetic else "sz"),
        v_east_mps=east,
        v_north_mps=north,
        v_up_mps=up,
        alerter=np.asarray(alerters or [1] * count, dtype=np.int64),
        line=np.asarray(lines, dtype=np.int64),
    )


def _nan(count: int) -> NDArray[np.float64]:
    return np.full(count, np.nan, dtype=np.float64)
