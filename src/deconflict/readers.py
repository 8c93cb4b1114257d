"""Read aircraft state vectors from files into a validated :class:`StateVectors`.

Three schemas are understood:

- ``canonical`` (CSV or Parquet): ``timestamp`` (UNIX s or ISO-8601), ``id``, ``party``,
  ``latitude``, ``longitude``, ``altitude`` (ft), ``groundspeed`` (kt), ``track``,
  ``vertical_rate`` (ft/min), optional ``onground`` and ``callsign``;
- ``opensky`` state vectors (CSV or Parquet): ``time`` (UNIX s), ``icao24``, ``lat``, ``lon``,
  ``velocity`` (m/s), ``heading``, ``vertrate`` (m/s), ``baroaltitude`` (m, falling back to
  ``geoaltitude``), optional ``onground`` and ``callsign``;
- ``traffic`` JSON array or JSON-lines records: ``timestamp`` (epoch ms or ISO-8601),
  ``icao24``, ``latitude``, ``longitude``, ``altitude`` (ft), ``groundspeed`` (kt), ``track``,
  ``vertical_rate`` (ft/min), optional ``onground`` and ``callsign``.

Every problem with the input is raised as a one-line :class:`InputError`.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import stat
import zlib
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq
from numpy.typing import NDArray

from deconflict.errors import InputError
from deconflict.states import F64, BadRows, StateVectors, validate
from deconflict.units import fpm_to_mps, ft_to_m, kt_to_mps

_KINEMATICS = ("latitude", "longitude", "altitude", "groundspeed", "track", "vertical_rate")
_REQUIRED: dict[str, tuple[str, ...]] = {
    "canonical": ("timestamp", "id", *_KINEMATICS),
    "opensky": ("time", "icao24", "lat", "lon", "velocity", "heading", "vertrate", "baroaltitude"),
    "traffic": ("timestamp", "icao24", *_KINEMATICS),
}
_OPTIONAL: dict[str, tuple[str, ...]] = {
    "canonical": ("party", "onground", "callsign"),
    "opensky": ("geoaltitude", "onground", "callsign"),
    "traffic": ("onground", "callsign"),
}
#: CSV columns read as text, so that ids such as "0101de" or "007" stay as written
_CSV_TEXT = ("timestamp", "id", "icao24", "party", "callsign")
_EXTENSIONS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}
_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")  # (starting with a literal keeps the search fast)
_BETWEEN_RECORDS = re.compile(rb"\}\s*,\s*\{")  # in a JSON array of records
_BLANK_FIRST_LINE = re.compile(rb"[ \t\r]*\n")
_TRUE = ("true", "1")
_FALSE = ("false", "0", "")


@dataclass(frozen=True)
class ReadResult:
    """The good rows of a file, what was dropped, and where they came from."""

    states: StateVectors  #: only the good rows, validated with ``states.validate()``
    bad: BadRows  #: what was dropped
    source: str  #: the path as given, for messages
    fmt: str  #: "canonical", "opensky" or "traffic"
    row_unit: str  #: "line" (CSV, JSON-lines), "record" (JSON array) or "row" (Parquet)


def read_states(path: str | os.PathLike[str], *, strict: bool = False) -> ReadResult:
    """Read a CSV, Parquet, JSON or JSON-lines file (each optionally gzipped).

    Rows that fail :func:`deconflict.states.validate` are dropped and described in
    ``ReadResult.bad``; with ``strict`` any such row raises :class:`InputError` instead.
    """
    source = os.fspath(path)
    kind = _kind(source)
    data = _load(source)
    with _reading(source):
        if kind == "csv":
            table = _read_csv(data, source)
        elif kind == "parquet":
            table = _read_parquet(data, source)
        else:
            table = _read_json(data, source)
    return _result(table, strict)


def read_state_batches(
    path: str | os.PathLike[str], *, rows: int = 2_000_000, strict: bool = False
) -> Iterator[ReadResult]:
    """``read_states`` a part at a time: a Parquet file (not gzipped) in batches of about
    ``rows`` rows, so that a file larger than memory can be read; any other file whole.
    Row numbers count from the file's start; each batch's bad rows are its own."""
    source = os.fspath(path)
    if _kind(source) != "parquet" or source.lower().endswith(".gz"):
        yield read_states(source, strict=strict)
        return
    try:
        if not stat.S_ISREG(os.stat(source).st_mode):
            raise InputError(f"{source}: not a regular file")
        parquet = pq.ParquetFile(source)
        names = parquet.schema_arrow.names
        total = parquet.metadata.num_rows
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except pa.ArrowException as e:
        raise InputError(f"{source}: not a readable Parquet file ({_one_line(e)})") from None
    except OSError as e:
        raise InputError(f"{source}: cannot read ({e.strerror or e})") from None
    if total <= rows:
        yield read_states(source, strict=strict)
        return
    schema = _schema_of(names)
    wanted = _require(names, schema, source)
    done = 0
    try:
        for batch in parquet.iter_batches(batch_size=rows, columns=wanted):
            numbers = np.arange(done + 1, done + batch.num_rows + 1, dtype=np.int64)
            done += batch.num_rows
            table = _Table({c: batch.column(c) for c in wanted}, numbers, source, schema, "row")
            yield _result(table, strict)
    except pa.ArrowException as e:
        raise InputError(f"{source}: not a readable Parquet file ({_one_line(e)})") from None


@contextmanager
def _reading(source: str) -> Iterator[None]:
    """What reading a file can raise, as one line naming it."""
    try:
        yield
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to be state vectors") from None
    except MemoryError:
        raise InputError(f"{source}: too large to read into memory") from None
    except (pa.ArrowException, ValueError, TypeError, KeyError, IndexError) as e:
        raise InputError(f"{source}: cannot read: {_one_line(e)}") from e


def _result(table: _Table, strict: bool) -> ReadResult:
    """The table's state vectors, validated: bad rows dropped (``strict``: refused)."""
    source = table.source
    with _reading(source):
        states, bad = validate(_BUILDERS[table.schema](table), unreadable=table.unreadable)
    if strict and bad.count:
        raise InputError(bad.describe(source, table.unit))
    return ReadResult(states=states, bad=bad, source=source, fmt=table.schema, row_unit=table.unit)


# --- files -----------------------------------------------------------------------------------


def _kind(source: str) -> str:
    name = source.lower().removesuffix(".gz")
    ext = os.path.splitext(name)[1]
    if ext not in _EXTENSIONS:
        known = ", ".join(_EXTENSIONS)
        what = f"file type '{ext}'" if ext else "file type (no extension)"
        raise InputError(f"{source}: unrecognised {what}; expected {known}, optionally .gz")
    return _EXTENSIONS[ext]


def _load(source: str) -> bytes:
    """The file's bytes, gunzipped when they are gzip data, without a UTF-8 byte-order mark."""
    try:
        if not stat.S_ISREG(os.stat(source).st_mode):
            raise InputError(f"{source}: not a regular file")
        with open(source, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except OSError as e:
        raise InputError(f"{source}: cannot read ({e.strerror or e})") from None
    except MemoryError:
        raise InputError(f"{source}: too large to read into memory") from None
    if data.startswith(b"\x1f\x8b"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise InputError(f"{source}: corrupt gzip data ({_one_line(e)})") from None
        except MemoryError:
            raise InputError(f"{source}: decompresses to more than fits in memory") from None
    elif data and source.lower().endswith(".gz"):
        raise InputError(f"{source}: not gzip data despite the .gz extension")
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not data or data.isspace():
        raise InputError(f"{source}: empty file")
    return data


def _one_line(e: BaseException | str, limit: int = 200) -> str:
    text = " ".join(str(e).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reject_binary(data: bytes, source: str, what: str) -> None:
    if b"\x00" in data[:4096]:
        raise InputError(f"{source}: binary data, not {what} text")


def _schema_of(names: Collection[str]) -> str:
    """OpenSky state vectors have ``icao24`` with ``lat``/``lon``/``velocity``."""
    if "icao24" in names and any(c in names for c in ("lat", "lon", "velocity")):
        return "opensky"
    return "canonical"


def _require(names: Collection[str], schema: str, source: str) -> list[str]:
    """The columns to read; raises when a required one is missing."""
    missing = [c for c in _REQUIRED[schema] if c not in names]
    if missing:
        listed = ", ".join(f"'{c}'" for c in missing)
        plural = "s" if len(missing) > 1 else ""
        raise InputError(f"{source}: missing column{plural} {listed} ({schema} schema)")
    return [c for c in _REQUIRED[schema] + _OPTIONAL[schema] if c in names]


# --- columns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """The columns of one file under an assumed schema, and the source row of each row.

    Its methods are the shared column → array conversions; they raise a one-line
    :class:`InputError` naming the column (and the first bad row) on a value they cannot read.
    """

    columns: dict[str, Any]  #: column name → pyarrow array
    rows: NDArray[np.int64]  #: 1-based line, record or row number of each row
    source: str
    schema: str
    unit: str
    #: rows whose value in a column could not be read (made NaN): bad rows, not a bad file
    unreadable: dict[str, NDArray[np.bool_]] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.columns

    def column(self, name: str) -> Any:
        if name not in self.columns:
            raise InputError(f"{self.source}: missing column '{name}' ({self.schema} schema)")
        col = self.columns[name]
        if pa.types.is_dictionary(col.type):  # e.g. a categorical column in Parquet
            col = col.cast(col.type.value_type)
        return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col

    def number(self, name: str) -> F64:
        """A numeric column as float64; null and blank are NaN."""
        col = self.column(name)
        if _is_text(col):
            col = _blank_to_null(col)
        if not pa.types.is_boolean(col.type):  # arrow would cast true to 1.0
            try:
                return _floats(pc.cast(col, pa.float64()))
            except pa.ArrowException:
                pass
        if not _is_text(col):
            raise self._bad_value(name, col, _is_number, "a number")
        return self._parse_each(name, col, _number_or_none)

    def text(self, name: str) -> NDArray[np.str_]:
        """A text column with surrounding whitespace stripped; null is ""."""
        col = self.column(name)
        if not _is_text(col):
            try:
                col = pc.cast(col, pa.string())
            except pa.ArrowException:
                raise self._bad_value(name, col, lambda _: True, "text") from None
        col = pc.utf8_trim_whitespace(pc.fill_null(col, ""))
        # each distinct value converted once (ids, callsigns and parties repeat row after row)
        encoded = col.dictionary_encode()
        words = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=np.str_)
        out: NDArray[np.str_] = words[encoded.indices.to_numpy(zero_copy_only=False)]
        return out

    def flag(self, name: str) -> NDArray[np.bool_]:
        """A boolean column, or true/false/1/0 text (any case); null and blank are false."""
        col = self.column(name)
        if not _is_text(col):
            try:
                flags = pc.fill_null(pc.cast(col, pa.bool_()), False)
            except pa.ArrowException:
                raise self._bad_value(name, col, _is_flag, "true, false, 1 or 0") from None
            return np.asarray(flags.to_numpy(zero_copy_only=False), dtype=np.bool_)
        lowered = pc.utf8_lower(pc.utf8_trim_whitespace(col))
        true = pc.is_in(lowered, value_set=pa.array(_TRUE))
        known = pc.or_(pc.or_(true, pc.is_in(lowered, value_set=pa.array(_FALSE))), col.is_null())
        if not pc.all(known).as_py():
            raise self._bad_value(name, col, _is_flag, "true, false, 1 or 0")
        return np.asarray(true.to_numpy(zero_copy_only=False), dtype=np.bool_)

    def time(self, name: str, per_second: float = 1.0) -> F64:
        """UNIX seconds from numbers (``per_second`` units a second), ISO-8601 text (UTC
        unless it has an offset) or a timestamp column."""
        col = self.column(name)
        if pa.types.is_timestamp(col.type):
            ticks = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[col.type.unit]
            return _floats(pc.cast(col.cast(pa.int64()), pa.float64())) / ticks
        if not _is_text(col):
            return self.number(name) / per_second
        col = _blank_to_null(col)
        try:
            return _floats(pc.cast(col, pa.float64())) / per_second
        except pa.ArrowInvalid:
            pass  # some values are ISO-8601 text: parse each distinct value once
        return self._parse_each(name, col, lambda v: _seconds(v, per_second))

    def _parse_each(self, name: str, col: Any, parse: Callable[[str], float | None]) -> F64:
        """Parse each distinct text value once; values ``parse`` rejects become NaN and
        their rows are recorded in ``unreadable``."""
        encoded = col.dictionary_encode()
        distinct = [parse(v) for v in encoded.dictionary.to_pylist()]
        values = np.array([np.nan if v is None else v for v in distinct] + [np.nan])
        rejected = np.array([v is None for v in distinct] + [False])
        index = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False))
        if rejected.any():
            self.unreadable[name] = rejected[index]
        return np.asarray(values[index], dtype=np.float64)

    def _bad_value(self, name: str, col: Any, ok: Callable[[str], bool], what: str) -> InputError:
        """The error for a column with a value that is not ``what``, naming the first one."""
        for i, value in enumerate(col.to_pylist()):
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if (
                isinstance(value, str | int | float)
                and not isinstance(value, bool)
                and ok(str(value))
            ):
                continue
            shown = _one_line(repr(value), 40)
            where = f"{self.unit} {self.rows[i]}"
            return InputError(
                f"{self.source}: column '{name}' has {shown} at {where}, which is not {what}"
            )
        return InputError(f"{self.source}: column '{name}' cannot be read as {what}")


def _is_text(col: Any) -> bool:
    return bool(pa.types.is_string(col.type) or pa.types.is_large_string(col.type))


def _blank_to_null(col: Any) -> Any:
    trimmed = pc.utf8_trim_whitespace(col)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, trimmed.type), trimmed)


def _floats(col: Any) -> F64:
    return np.asarray(pc.fill_null(col, np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)


def _is_number(text: str) -> bool:
    return _number_or_none(text) is not None


def _number_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _is_flag(text: str) -> bool:
    return text.strip().lower() in _TRUE + _FALSE


def _seconds(text: str, per_second: float) -> float | None:
    """UNIX seconds from a number or an ISO-8601 time; None when it is neither."""
    try:
        return float(text) / per_second
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# --- formats ---------------------------------------------------------------------------------


def _read_csv(data: bytes, source: str) -> _Table:
    _reject_binary(data, source, "CSV")
    start = _first_line_start(data)
    end = data.find(b"\n", start)
    header = data[start : None if end < 0 else end].rstrip(b"\r").decode("utf-8", "replace")
    try:
        names = next(csv.reader([header]), [])
    except csv.Error as e:
        raise InputError(f"{source}: malformed CSV header: {_one_line(e)}") from None
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"{source}: duplicate column '{duplicated[0]}'")
    if not data.endswith(b"\n"):
        data += b"\n"
    schema = _schema_of(names)
    wanted = _require(names, schema, source)
    convert = pa_csv.ConvertOptions(
        include_columns=wanted,
        column_types={c: pa.string() for c in _CSV_TEXT if c in wanted},
    )
    try:
        table = pa_csv.read_csv(pa.BufferReader(data), convert_options=convert)
    except pa.ArrowInvalid as e:
        line = _bad_csv_line(data)
        where = f" at line {line}" if line else ""
        raise InputError(f"{source}: malformed CSV{where}: {_one_line(e)}") from None
    rows = _nonblank_lines(data)[1:]  # the first is the header
    if len(rows) != table.num_rows:  # a blank-looking line was a row after all
        rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    columns = {c: table.column(c) for c in wanted}
    return _Table(columns, rows, source, schema, "line")


def _first_line_start(data: bytes) -> int:
    """Where the header starts: CSV readers skip blank lines before it."""
    match = re.search(rb"[^\r\n]", data)
    return match.start() if match else len(data)


def _nonblank_lines(data: bytes) -> NDArray[np.int64]:
    """The 1-based numbers of the lines that are not blank: the CSV and JSON readers skip
    blank lines, so the n-th row they return comes from the n-th of these lines."""
    if not (_BLANK_FIRST_LINE.match(data) or _BLANK_LINE.search(data)):
        count = data.count(b"\n") + (not data.endswith(b"\n"))
        return np.arange(1, count + 1, dtype=np.int64)
    numbers = [i for i, line in enumerate(data.split(b"\n"), 1) if line.strip()]
    return np.array(numbers, dtype=np.int64)


def _bad_csv_line(data: bytes) -> int | None:
    """The first line that is not UTF-8 or whose field count differs from the header's."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return data.count(b"\n", 0, e.start) + 1
    reader = csv.reader(io.StringIO(data.decode("utf-8", "replace"), newline=""))
    width: int | None = None
    try:
        for row in reader:
            if not row:
                continue
            if width is None:
                width = len(row)
            elif len(row) != width:
                return reader.line_num
    except csv.Error:
        return reader.line_num
    return None


def _read_parquet(data: bytes, source: str) -> _Table:
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        names = parquet.schema_arrow.names
    except pa.ArrowException as e:
        raise InputError(f"{source}: not a readable Parquet file ({_one_line(e)})") from None
    schema = _schema_of(names)
    wanted = _require(names, schema, source)
    try:
        table = parquet.read(columns=wanted)
    except pa.ArrowException as e:
        raise InputError(f"{source}: not a readable Parquet file ({_one_line(e)})") from None
    rows = np.arange(1, table.num_rows + 1, dtype=np.int64)
    return _Table({c: table.column(c) for c in wanted}, rows, source, schema, "row")


def _read_json(data: bytes, source: str) -> _Table:
    """A JSON array of records (``[`` first) or JSON-lines (``{`` first)."""
    _reject_binary(data, source, "JSON")
    first = re.search(rb"\S", data)
    opening = data[first.start() : first.start() + 1] if first else b""
    if opening not in (b"[", b"{"):
        line = data.count(b"\n", 0, first.start() if first else 0) + 1
        raise InputError(
            f"{source}: malformed JSON at line {line}: expected '[' (an array of records) "
            "or '{' (one record per line)"
        )
    unit = "record" if opening == b"[" else "line"
    fast = _arrow_json_array(data) if unit == "record" else _arrow_json_lines(data)
    if fast is not None:
        table, rows = fast
        names = _REQUIRED["traffic"] + _OPTIONAL["traffic"]
        columns = {c: table.column(c) for c in names if c in table.column_names}
        _require(columns, "traffic", source)
        return _Table(columns, rows, source, "traffic", unit)
    try:  # the slower reader that also finds where the input goes wrong
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError(f"{source}: not UTF-8 text at line {line}") from None
    records, rows = _json_array(text, source) if unit == "record" else _json_lines(text, source)
    for record, row in zip(records, rows, strict=True):
        if not isinstance(record, dict):
            raise InputError(f"{source}: {unit} {row} is not a JSON object")
    return _json_table(records, rows, source, unit)


def _arrow_json_array(data: bytes) -> tuple[Any, NDArray[np.int64]] | None:
    """A JSON array of records read by pyarrow as JSON-lines, one line per record, or None.

    Putting a newline for each ``}, {`` is only right between records: anywhere else (in a
    string, in a nested array) it makes the JSON invalid, and the count check catches a
    missing comma between records, which pyarrow would let pass.
    """
    body = data.strip()
    if not (body.startswith(b"[") and body.endswith(b"]")):
        return None
    body, separators = _BETWEEN_RECORDS.subn(b"}\n{", body[1:-1])
    if body.count(b"{") != separators + 1 or b"[" in body:
        return None  # nested values (not in the format; pyarrow crashes on deep ones)
    table = _arrow_json(body)
    if table is None or table.num_rows != separators + 1:
        return None
    return table, np.arange(1, table.num_rows + 1, dtype=np.int64)


def _arrow_json_lines(data: bytes) -> tuple[Any, NDArray[np.int64]] | None:
    """JSON-lines read by pyarrow, or None when its rows and the lines do not match."""
    rows = _nonblank_lines(data)
    if data.count(b"{") != len(rows) or b"[" in data:
        return None  # nested values (not in the format; pyarrow crashes on deep ones)
    table = _arrow_json(data)
    if table is None or table.num_rows != len(rows):
        return None
    return table, rows


def _arrow_json(data: bytes) -> Any:
    """pyarrow's table of JSON-lines, or None when it cannot read them (mixed types in a
    key, a value it does not accept, a syntax error): then the stdlib reader takes over."""
    try:
        return pa_json.read_json(pa.BufferReader(data))
    except pa.ArrowException:
        return None


def _json_array(text: str, source: str) -> tuple[list[Any], NDArray[np.int64]]:
    try:
        records = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{source}: malformed JSON at line {e.lineno}: {e.msg}") from None
    if not isinstance(records, list):
        raise InputError(f"{source}: malformed JSON at line 1: not an array of records")
    return records, np.arange(1, len(records) + 1, dtype=np.int64)


def _json_lines(text: str, source: str) -> tuple[list[Any], NDArray[np.int64]]:
    """One record per non-blank line, numbered by physical line."""
    numbered = [(i, line) for i, line in enumerate(text.split("\n"), 1) if line.strip()]
    rows = np.array([i for i, _ in numbered], dtype=np.int64)
    try:  # one parse of all lines as an array is much faster than one parse per line
        records = json.loads("[" + ",".join(line for _, line in numbered) + "]")
        if isinstance(records, list) and len(records) == len(numbered):
            return records, rows
    except json.JSONDecodeError:
        pass
    records = []
    for i, line in numbered:  # find the line that breaks it
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise InputError(f"{source}: malformed JSON at line {i}: {e.msg}") from None
    return records, rows


def _json_table(
    records: list[dict[str, Any]], rows: NDArray[np.int64], source: str, unit: str
) -> _Table:
    columns: dict[str, Any] = {}
    for name in _REQUIRED["traffic"] + _OPTIONAL["traffic"]:
        values = [record.get(name) for record in records]
        if all(v is None for v in values) and not any(name in r for r in records):
            continue  # absent from every record
        columns[name] = _json_column(values)
    if not records:  # nothing to check: every column is present and empty
        columns = {c: pa.array([]) for c in _REQUIRED["traffic"] + _OPTIONAL["traffic"]}
    _require(columns, "traffic", source)
    return _Table(columns, rows, source, "traffic", unit)


def _json_column(values: list[Any]) -> Any:
    """An arrow array of one key's values; mixed types become text for the converters."""
    try:
        return pa.array(values)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


# --- schemas ---------------------------------------------------------------------------------


def _feet_and_knots(
    t: _Table, time_s: NDArray[np.float64], ids: NDArray[np.str_], party: NDArray[np.str_] | None
) -> StateVectors:
    """The columns the canonical schema and `traffic` share: degrees, ft, kt, ft/min."""
    return StateVectors.from_arrays(
        time_s=time_s,
        id=ids,
        party=party,
        latitude_deg=t.number("latitude"),
        longitude_deg=t.number("longitude"),
        altitude_m=ft_to_m(t.number("altitude")),
        groundspeed_mps=kt_to_mps(t.number("groundspeed")),
        track_deg=t.number("track"),
        vertical_rate_mps=fpm_to_mps(t.number("vertical_rate")),
        onground=t.flag("onground") if t.has("onground") else None,
        callsign=t.text("callsign") if t.has("callsign") else None,
        source_row=t.rows,
    )


def _canonical(t: _Table) -> StateVectors:
    party = t.text("party") if t.has("party") else None
    return _feet_and_knots(t, t.time("timestamp"), t.text("id"), party)


def _opensky(t: _Table) -> StateVectors:
    altitude = t.number("baroaltitude")
    if t.has("geoaltitude"):
        altitude = np.where(np.isnan(altitude), t.number("geoaltitude"), altitude)
    return StateVectors.from_arrays(
        time_s=t.time("time"),
        id=t.text("icao24"),
        latitude_deg=t.number("lat"),
        longitude_deg=t.number("lon"),
        altitude_m=altitude,
        groundspeed_mps=t.number("velocity"),
        track_deg=t.number("heading"),
        vertical_rate_mps=t.number("vertrate"),
        onground=t.flag("onground") if t.has("onground") else None,
        callsign=t.text("callsign") if t.has("callsign") else None,
        source_row=t.rows,
    )


def _traffic(t: _Table) -> StateVectors:
    time_s = t.time("timestamp", per_second=1000.0)  # epoch milliseconds
    return _feet_and_knots(t, time_s, t.text("icao24"), None)


_BUILDERS: dict[str, Callable[[_Table], StateVectors]] = {
    "canonical": _canonical,
    "opensky": _opensky,
    "traffic": _traffic,
}
