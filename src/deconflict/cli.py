"""The ``deconflict`` command line: thin commands over the library.

Every error a user can cause ends in one line on stderr and exit status 2.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click
from rich.console import Console
from rich.table import Table

from deconflict.cli_options import criteria_arguments, separation_options
from deconflict.cli_simulate import DURATION, SPEED
from deconflict.errors import DeconflictError, InputError
from deconflict.progress import progress_bar
from deconflict.units import m_to_ft, m_to_nm

if TYPE_CHECKING:
    from deconflict.tactical.engine import Conflicts

# numba, pyarrow and pyproj are imported inside the commands that need them, so that
# `deconflict --help` answers at once.

_err = Console(stderr=True, highlight=False)


def _say(line: str) -> None:
    """One plain line on stderr (no markup, no wrapping)."""
    click.echo(line, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="deconflict")
def cli() -> None:
    """deconflict: a deconfliction line for aircraft of parties that share an airspace.

    Start with `deconflict demo`, or `deconflict detect STATES.csv` on your own data.
    """


@cli.command("detect")
@click.argument("states", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the conflicts CSV here (default: standard output).",
)
@separation_options
@click.option("--lookahead-s", default=300.0, show_default=True, help="Lookahead, seconds.")
@click.option(
    "--window",
    "window_s",
    type=float,
    help="Group rows into windows of S seconds; each aircraft's latest state in a window "
    "is extrapolated to the window's end. Default: rows sharing a timestamp.",
)
@click.option("--strict", is_flag=True, help="Fail on any bad row instead of dropping it.")
def detect_command(
    states: Path,
    output: Path | None,
    lookahead_s: float,
    window_s: float | None,
    strict: bool,
    **separation: Any,
) -> None:
    """Find the pairs of aircraft predicted to lose separation.

    STATES is a CSV, Parquet, JSON or JSON-lines file of state vectors: the canonical
    schema (timestamp, id, party, latitude, longitude, altitude ft, groundspeed kt,
    track deg, vertical_rate ft/min), OpenSky state vectors, or `traffic` JSON.
    Rows sharing a timestamp form one snapshot. A loss of separation is a horizontal
    distance < --hsep-nm and an altitude difference < --vsep-ft at the same time,
    with straight-line constant-velocity motion over --lookahead-s.

    Output columns: timestamp,id1,id2,party1,party2,t_in_s,t_out_s,tcpa_s,dcpa_nm,
    dz_cpa_ft,los_now (one row per conflicting pair per snapshot, id1 < id2).
    """
    from deconflict.readers import read_states
    from deconflict.tactical.engine import Criteria, detect
    from deconflict.writers import write_conflicts

    criteria = Criteria(
        lookahead_s=lookahead_s, window_s=window_s, **criteria_arguments(separation)
    )
    started = time.perf_counter()
    read = read_states(states, strict=strict)
    if read.bad.count:
        _say(f"warning: {read.bad.describe(read.source, read.row_unit)}")
    with progress_bar("detecting", "snapshots", console=_err) as advance:
        conflicts = detect(read.states, criteria, progress=advance)
    with _output(output) as out:
        write_conflicts(conflicts, out)
    elapsed = time.perf_counter() - started
    if output is not None:
        _print_table(conflicts)
    now = int(conflicts.los_now.sum())
    _say(
        f"{_count(len(conflicts), 'conflict')} ({now} in loss of separation now) in "
        f"{_count(conflicts.snapshots, 'snapshot')} of "
        f"{_count(conflicts.aircraft_states, 'aircraft state')}, {elapsed:.2f} s"
        + (f" -> {output}" if output else "")
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


@cli.command("alerting")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--config",
    "config_name",
    default="do365b",
    show_default=True,
    help="Alerting configuration: do365b, do365a, cd3d, or the path of your own TOML file.",
)
@click.option(
    "--alerter",
    default=1,
    show_default=True,
    help="For state vectors: the alerter of every intruder (1 = DWC en route in do365b).",
)
@click.option(
    "--window",
    "window_s",
    type=float,
    help="For state vectors: group rows into windows of S seconds (as `detect --window`).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the alerts CSV here (default: standard output).",
)
def alerting_command(
    source: Path, config_name: str, alerter: int, window_s: float | None, output: Path | None
) -> None:
    """Graded DO-365 alerts (preventive, corrective, warning), as DAIDALUS computes them.

    SOURCE is a DAIDALUS .daa encounter file (at each time the first aircraft is the
    ownship, the others its intruders), or state vectors in any format `detect` reads:
    then every aircraft is an ownship against every other, snapshot after snapshot,
    with the hysteresis of each pair kept across snapshots. Alert levels follow DAIDALUS
    2.0.x: each level's volume and alerting time, early alerting time, M of N (2 of 4),
    persistence (4 s), reset after a 5 s gap. Output columns: time,ownship,intruder,
    alerter,alert_level,ttv_preventive_s,ttv_corrective_s,ttv_warning_s,hsep_nm,vsep_ft,
    tcpa_s,dcpa_nm,tcoa_s,taumod_s (inf where there is no violation within the lookahead).
    For state vectors, only pairs that are alerting or approaching a volume get rows.
    """
    from deconflict.alerting.config import load_config
    from deconflict.alerting.engine import alert_encounter, concat
    from deconflict.alerting.stream import StreamAlerting
    from deconflict.daa import read_daa
    from deconflict.readers import read_states
    from deconflict.tactical.engine import Criteria, snapshots
    from deconflict.writers import write_alerts

    config = load_config(config_name)
    if not 1 <= alerter <= len(config.alerters):
        raise click.BadParameter(f"must be in 1..{len(config.alerters)}", param_hint="--alerter")
    if source.suffix.lower() == ".daa":
        alerts = alert_encounter(read_daa(source), config)
    else:
        Criteria(window_s=window_s)  # the same checks of the window as detect's
        read = read_states(source)
        if read.bad.count:
            _say(f"warning: {read.bad.describe(read.source, read.row_unit)}")
        stream = StreamAlerting(config, alerter)
        groups = list(snapshots(read.states, window_s))
        parts = []
        with progress_bar("alerting", "snapshots", console=_err) as advance:
            for done, (time_s, snapshot) in enumerate(groups, start=1):
                parts.append(stream.step(time_s, snapshot))
                advance(done, len(groups))
        alerts = concat(parts)
    with _output(output) as out:
        write_alerts(alerts, out)
    levels = ", ".join(
        f"{int((alerts.alert_level == k).sum())} {name}"
        for k, name in ((1, "preventive"), (2, "corrective"), (3, "warning"))
    )
    _say(
        f"{_count(len(alerts), 'row')} ({levels}) with {config.name}"
        + (f" -> {output}" if output else "")
    )


@cli.command("sample")
@click.argument("kind", type=click.Choice(["dense", "world"]))
@click.option("-n", "--aircraft", default=2000, show_default=True, help="Number of aircraft.")
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
    help="CSV file to write (canonical schema).",
)  # fmt: skip
def sample_command(kind: str, aircraft: int, seed: int, output: Path) -> None:
    """Write a generated snapshot: `dense` (1,000 km box, FL200-400) or `world` (routes)."""
    from deconflict import sample
    from deconflict.writers import write_states

    if aircraft < 0:
        raise click.BadParameter("must be >= 0", param_hint="--aircraft")
    make = sample.dense_box if kind == "dense" else sample.world_routes
    with _output(output) as out:
        write_states(make(aircraft, seed=seed), out)
    _say(f"{aircraft} aircraft ({kind}) -> {output}")


@cli.command("demo")
@click.option(
    "--scenario",
    default="levant",
    show_default=True,
    help="The scenario to simulate: a built-in name or a TOML file.",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the line (0: any free one).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--db", help="The line's database (default: SQLite in a temporary folder).")
@click.option("--speed", **SPEED, help="Simulated seconds per real second.")
@click.option(
    "--duration-s", **DURATION, help="Simulated seconds to run (default: the scenario's)."
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(),
    help="Instead, the offline demo of earlier releases: a generated sample of "
    "three parties and its cross-party conflicts, written into this folder.",
)
def demo_command(
    scenario: str,
    port: int,
    host: str,
    db: str | None,
    speed: float,
    duration_s: float | None,
    directory: str | None,
) -> None:
    """A live line with simulated traffic: serves the line on SQLite, adds the scenario's
    parties and agreements (levant: north and south under `safety`, a coalition member,
    a civil feed), prints the console's URL and each party's officer key (its login), and
    feeds the simulator's traffic until the run ends or Ctrl-C."""
    if directory is None:
        from deconflict.cli_simulate import run_demo

        run_demo(scenario, db, host, port, speed, duration_s)
        return
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{folder}: cannot make the demo folder ({e.strerror or e})") from None
    states_csv, conflicts_csv = folder / "sample.csv", folder / "conflicts.csv"
    context = click.get_current_context()
    context.invoke(sample_command, kind="dense", aircraft=1000, seed=1, output=states_csv)
    context.invoke(
        detect_command,
        states=states_csv,
        output=conflicts_csv,
        hsep_nm=5.0,
        vsep_ft=1000.0,
        lookahead_s=300.0,
        cross_party_only=True,
        window_s=None,
        exclude_ground=False,
        min_altitude_ft=None,
        vsep_tolerance_ft=0.0,
        areas=None,
        strict=False,
    )


def _print_table(conflicts: Conflicts, rows: int = 10) -> None:
    """The most urgent conflicts: in LoS now first, then by time to loss of separation."""

    import numpy as np

    if not len(conflicts):
        return
    order = np.lexsort((conflicts.t_in_s, ~conflicts.los_now))[:rows]
    table = Table(title=f"first {min(rows, len(conflicts))} of {len(conflicts)} conflicts")
    for name in ("id1", "party1", "id2", "party2"):
        table.add_column(name)
    for name in ("t_in s", "tcpa s", "dcpa NM", "dz ft"):
        table.add_column(name, justify="right")
    for k in order:
        table.add_row(
            conflicts.id1[k],
            conflicts.party1[k],
            conflicts.id2[k],
            conflicts.party2[k],
            "now" if conflicts.los_now[k] else f"{conflicts.t_in_s[k]:.0f}",
            f"{conflicts.tcpa_s[k]:.0f}",
            f"{m_to_nm(conflicts.dcpa_m[k]):.2f}",
            f"{m_to_ft(conflicts.dz_cpa_m[k]):.0f}",
        )
    Console().print(table)


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        with open(path, "w", encoding="utf-8", newline="") as out:
            yield out
    except OSError as e:
        raise InputError(f"{path}: cannot write ({e.strerror})") from None


def main() -> None:
    """Entry point: click's parsing, and one line for every error a user can cause."""
    try:
        code = cli.main(standalone_mode=False, prog_name="deconflict")
        if isinstance(code, int) and code:  # a command's ctx.exit(code)
            sys.exit(code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        _say("deconflict: aborted")
        sys.exit(130)
    except click.ClickException as e:
        command = f" {sys.argv[1]}" if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else ""
        _say(f"deconflict: error: {e.format_message()} (see deconflict{command} --help)")
        sys.exit(2)
    except DeconflictError as e:
        _say(f"deconflict: error: {e}")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as e:  # a bug: one line, unless asked for the traceback
        if os.environ.get("DECONFLICT_DEBUG"):
            raise
        _say(f"deconflict: internal error: {type(e).__name__}: {e} (DECONFLICT_DEBUG=1 shows more)")
        sys.exit(1)


from deconflict.cli_plans import plans_group  # noqa: E402  (the group needs `cli` defined)

cli.add_command(plans_group)

from deconflict.cli_line import admin_group, audit_group, serve_command  # noqa: E402

cli.add_command(serve_command)
cli.add_command(admin_group)
cli.add_command(audit_group)

from deconflict.cli_feed import feed_group  # noqa: E402

cli.add_command(feed_group)

from deconflict.cli_replay import data_group, replay_command  # noqa: E402

cli.add_command(replay_command)
cli.add_command(data_group)

from deconflict.cli_simulate import simulate_command  # noqa: E402

cli.add_command(simulate_command)

from deconflict.cli_analyze import analyze_command  # noqa: E402

cli.add_command(analyze_command)
