"""``deconflict replay`` and ``deconflict data``: recorded traffic into the line, and the
real recordings to replay."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from deconflict.errors import InputError, OptionError

if TYPE_CHECKING:
    from deconflict.client import Client
    from deconflict.replay import Paced, Recording

_err = Console(stderr=True, highlight=False)
#: the wall clock and the wait of the pacing (tests replace them: no real waiting)
_clock = time.time
_sleep = time.sleep


def _say(line: str) -> None:
    click.echo(line, err=True)


def _reasons(counts: Counter[str], limit: int = 4) -> str:
    top = counts.most_common(limit)
    more = len(counts) - len(top)
    return ", ".join(f"{why}: {n}" for why, n in top) + (f", {more} more" if more > 0 else "")


def _client(server: str, key: str) -> Client:
    """The line's client (tests replace this to reach an app in process)."""
    from deconflict.client import Client

    return Client(server, key)


def _reference(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    lat, sep, lon = text.partition(",")
    try:
        lat_deg, lon_deg = float(lat), float(lon)
    except ValueError:
        lat_deg = lon_deg = math.nan
    if not sep or not (abs(lat_deg) <= 90.0 and abs(lon_deg) <= 180.0):
        raise OptionError(f"--reference must be LAT,LON in degrees (e.g. 48.7,2.4), not {text!r}")
    return lat_deg, lon_deg


@contextmanager
def _progress(total_s: float, what: str) -> Iterator[tuple[Progress, TaskID]]:
    """A bar over recorded seconds, on a terminal only (nothing in a pipe or a log)."""
    bar = Progress(
        TextColumn(what),
        BarColumn(),
        TextColumn("{task.fields[clock]} recorded, {task.fields[states]} states"),
        TimeRemainingColumn(),
        console=_err,
        transient=True,
        disable=not _err.is_terminal,
    )
    with bar:
        yield bar, bar.add_task(what, total=max(total_s, 1e-9), clock="0:00:00", states=0)


def _hms(seconds: float) -> str:
    s = int(max(0.0, seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


@click.command("replay")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "states", "sbs", "modes", "beast"]),
    default="auto",
    show_default=True,
    help="states: CSV/Parquet/JSON the detector reads; sbs: BaseStation log; modes: "
    "timestamped Mode S hex; beast: Beast binary. auto tells them apart by content.",
)
@click.option(
    "--speed",
    type=click.FloatRange(0.01, 100_000.0),
    default=30.0,
    show_default=True,
    help="Recorded seconds played per real second.",
)
@click.option(
    "--batch-s",
    type=click.FloatRange(0.05, 60.0),
    default=1.0,
    show_default=True,
    help="Real seconds between two pushes; each carries every aircraft's latest state "
    "of the recorded time between them.",
)
@click.option("--server", help="The line's URL, e.g. http://127.0.0.1:8000.")
@click.option(
    "--key", envvar="DECONFLICT_KEY", help="A feed key of the party (or $DECONFLICT_KEY)."
)
@click.option(
    "--party",
    help="The party the traffic belongs to: the key's party must be this one. Rows of "
    "other parties in a recording with a 'party' column are left out.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the batches to this file (JSON lines) instead of a line, without waiting.",
)
@click.option(
    "--skip-s",
    type=click.FloatRange(0.0, None),
    default=0.0,
    help="Start this many recorded seconds after the recording's first state.",
)
@click.option(
    "--for-s",
    "for_s",
    type=click.FloatRange(0.0, None, min_open=True),
    help="Replay only this many recorded seconds.",
)
@click.option(
    "--reference",
    metavar="LAT,LON",
    help="Mode S: a position within 180 NM of the traffic (the receiver's), so that "
    "positions decode without an even/odd pair.",
)
def replay_command(
    file: Path,
    fmt: str,
    speed: float,
    batch_s: float,
    server: str | None,
    key: str | None,
    party: str | None,
    out: Path | None,
    skip_s: float,
    for_s: float | None,
    reference: str | None,
) -> None:
    """Replay recorded ADS-B traffic into a running line as a feed, or into a file.

    \b
      deconflict replay quickstart.json.gz --server http://127.0.0.1:8000 --key dk_... --party civil
      deconflict replay log.sbs --speed 1 --out batches.jsonl

    FILE is state vectors the detector reads (canonical CSV or Parquet, OpenSky state
    vectors, `traffic` JSON, each possibly gzipped), an SBS/BaseStation log (MSG lines
    1, 3 and 4, timed by their generated date and time, UTC), raw Mode S (lines of a
    UNIX time and a hex message, e.g. `1457996402.0,8D40621D58C382D690C8AC2863A7`) or
    Beast binary frames (decoded with pyModeS; positions need even/odd pairs or
    --reference). Aircraft ids are their ICAO addresses.

    The recording is played at --speed times real time: every --batch-s the states
    recorded since the last push (each aircraft's latest) are pushed with
    `POST /v1/tracks`, stamped with the time they are played at, so that the line takes
    them as live traffic. The key must be a feed key; it pushes its own party's tracks.

    With --out, each batch is written as one JSON line `{"send_at_s", "states"}` (the
    seconds after the start it would be sent at, and the body of `POST /v1/tracks` with
    the recorded times), at once.

    Rows the line would refuse (no velocity, out of range, unreadable) and lines that
    are not messages are counted, said at the end, and skipped. A missing or unreadable
    file, a recording without a single usable state, a key the line refuses: one line
    on stderr and exit status 2.
    """
    from deconflict.replay import batches, read_recording, sendable

    if (server is None) == (out is None):
        raise OptionError("give --server URL --key KEY to feed a line, or --out FILE")
    ref = _reference(reference)
    line: Client | None = None
    if server is not None:
        if not key or not key.strip():
            raise OptionError("--server needs --key: a feed key of the party (dk_...)")
        if not server.startswith(("http://", "https://")):
            raise OptionError(f"--server must be an http:// or https:// URL, not {server!r}")
        line = _client(server, key.strip())
    try:
        if line is not None:
            party = _checked_party(line, party)
        recording = read_recording(file, fmt, reference=ref)
        states, dropped = _selected(recording, party, skip_s, for_s)
        states, refused = sendable(states)
        dropped += refused
        if not len(states):
            raise InputError(f"{file}: no state left to replay ({_reasons(dropped)})")
        if recording.malformed:
            where = ", ".join(str(n) for n in recording.first_malformed)
            _say(f"deconflict: warning: {recording.malformed.total()} {recording.unit}s of "
                 f"{file} could not be read ({_reasons(recording.malformed)})"
                 + (f"; first at {recording.unit} {where}" if where else ""))  # fmt: skip
        origin_s = float(states.time_s[0])
        total_s = float(states.time_s[-1]) - origin_s
        span_s = batch_s * speed
        aircraft = len(set(states.id.tolist()))
        if line is not None:
            sent, accepted = _to_line(line, batches(states, span_s), speed, origin_s, total_s)
            where_to = server
        else:
            assert out is not None
            sent = accepted = _to_file(out, batches(states, span_s), speed, origin_s)
            where_to = str(out)
    finally:
        if line is not None:
            line.close()
    summary = (f"deconflict: replayed {_hms(total_s)} of {recording.fmt} recording at {speed:g}x: "
               f"{accepted} states of {aircraft} aircraft to {where_to}")  # fmt: skip
    if sent != accepted:
        summary += f" ({sent - accepted} refused or lost)"
    if dropped:
        summary += (
            f"; the recording has {dropped.total()} rows not replayable ({_reasons(dropped)})"
        )
    _say(summary)
    if sent and not accepted:
        raise InputError(f"the line took none of the {sent} states sent")


def _checked_party(line: Client, party: str | None) -> str | None:
    me = line.whoami()
    if me.get("role") != "feed":
        raise OptionError(f"the key's role is {me.get('role')}; replay needs a feed key")
    own = me.get("party_id") or me.get("party")
    if party is not None and own is not None and party != own:
        raise OptionError(f"--party {party}: the key feeds party {own}")
    return party if own is None else str(own)


def _selected(recording: Recording, party: str | None, skip_s: float, for_s: float | None
              ) -> tuple[Any, Counter[str]]:  # fmt: skip
    import numpy as np

    states, dropped = recording.states, Counter(recording.dropped)
    if party is not None and states.has_party:
        mine = states.party == party
        if not mine.any():
            raise InputError(
                f"{recording.source}: no state of party {party!r} (its 'party' "
                f"column has {', '.join(sorted(set(states.party.tolist()))[:5])})"
            )
        states = states.take(mine)  # other parties' rows are theirs to feed, not dropped
    start_s = float(states.time_s[0]) + skip_s
    end_s = math.inf if for_s is None else start_s + for_s
    within = (states.time_s >= start_s) & (states.time_s < end_s)
    if not within.any():
        raise OptionError(f"--skip-s {skip_s:g}: the recording lasts "
                          f"{float(states.time_s[-1] - states.time_s[0]):.0f} s")  # fmt: skip
    return states.take(np.flatnonzero(within)), dropped


def _to_line(line: Client, batches: Iterator[Any], speed: float, origin_s: float,
             total_s: float) -> tuple[int, int]:  # fmt: skip
    from deconflict.client import MAX_STATES_PER_PUSH, ApiError
    from deconflict.replay import Pacer, paced

    sent = accepted = failures = 0
    with _progress(total_s, "replaying") as (bar, task):
        for p in paced(batches, Pacer(speed, origin_s, clock=_clock, sleep=_sleep)):
            for start in range(0, len(p.states), MAX_STATES_PER_PUSH):
                chunk = p.states[start : start + MAX_STATES_PER_PUSH]
                sent += len(chunk)
                try:
                    accepted += line.push_tracks(chunk)
                except ApiError as e:
                    if e.status in (401, 403):
                        raise
                    failures += 1
                    if failures <= 5:
                        _say(f"deconflict: warning: a push of {len(chunk)} states failed: {e}")
            _advance(bar, task, p, origin_s, accepted)
    return sent, accepted


def _to_file(out: Path, batches: Iterator[Any], speed: float, origin_s: float) -> int:
    import orjson

    from deconflict.replay import scheduled

    written = 0
    try:
        f: IO[bytes]
        with open(out, "wb") as f:
            for p in scheduled(batches, speed, origin_s):
                f.write(orjson.dumps({"send_at_s": round(p.sent_s, 6), "states": p.states}))
                f.write(b"\n")
                written += len(p.states)
    except OSError as e:
        raise InputError(f"{out}: cannot write ({e.strerror or e})") from None
    return written


def _advance(bar: Progress, task: TaskID, p: Paced, origin_s: float, states: int) -> None:
    done_s = p.batch.end_s - origin_s
    bar.update(task, completed=done_s, clock=_hms(done_s), states=states)


# -- data ---------------------------------------------------------------------------------------


@click.group("data")
def data_group() -> None:
    """Real recordings to replay and test with."""


@data_group.command("samples")
@click.argument("names", nargs=-1)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to keep them (default $DECONFLICT_CACHE, else ~/.cache/deconflict).",
)
def samples_command(names: tuple[str, ...], cache_dir: Path | None) -> None:
    """Fetch the real ADS-B recordings that ship inside the `traffic` wheel on PyPI and
    print their paths, one a line.

    \b
      quickstart   three hours over Paris (284,505 records)
      switzerland  a day over Switzerland
      savan        a calibration flight

    With no NAME, every sample. The wheel is downloaded once with pip (the package
    registry is all the network needed); later calls read the cache. Replay one with
    `deconflict replay $(deconflict data samples quickstart) --out batches.jsonl`.
    """
    from deconflict import data

    wanted = list(names) or list(data.SAMPLES)
    paths = [data.sample_path(name, cache_dir) for name in wanted]  # unknown names first
    if not all(p.exists() for p in paths):
        where = paths[0].parent
        _say(f"deconflict: fetching the {data.TRAFFIC_WHEEL} wheel from the package registry "
             f"into {where} (once)")  # fmt: skip
        with _err.status("downloading with pip...") if _err.is_terminal else _nothing():
            data.traffic_sample(wanted[0], cache_dir)
    for name in wanted:
        click.echo(str(data.traffic_sample(name, cache_dir)))


@contextmanager
def _nothing() -> Iterator[None]:
    yield
