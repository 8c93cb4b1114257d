"""``deconflict analyze``: the incident review of recorded traffic, on Dask."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from deconflict.cli_options import criteria_arguments, separation_options
from deconflict.progress import progress_bar


def _say(line: str) -> None:
    click.echo(line, err=True)


@click.command("analyze")
@click.argument("data", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    "outdir",
    default="review",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the tables (losses, conflicts, closest, aircraft, profiles .parquet) "
    "and report.html.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="A running Dask scheduler (e.g. tcp://10.0.0.5:8786). Default: a local cluster "
    "started for this run (see --processes).",
)
@separation_options
@click.option(
    "--cpa-nm",
    default=10.0,
    show_default=True,
    help="Close encounters: report pairs closer than this horizontally (NM)...",
)
@click.option("--cpa-ft", default=2000.0, show_default=True, help="...and this vertically (ft).")
@click.option(
    "--alerting",
    default="do365b",
    show_default=True,
    help="Alert levels of predicted conflicts: do365b, do365a, cd3d, or a TOML file.",
)
@click.option("--alerter", default=1, show_default=True, help="The alerter of every pair.")
@click.option(
    "--step-s", default=1.0, show_default=True, help="Tracks are resampled every S seconds."
)
@click.option(
    "--max-gap-s",
    default=20.0,
    show_default=True,
    help="Longest gap between two samples of an aircraft that is bridged by interpolation.",
)
@click.option(
    "--partition-s",
    default=600.0,
    show_default=True,
    help="Length of the time partitions run in parallel (a multiple of --step-s).",
)
@click.option(
    "--workers", type=click.IntRange(1, 256), help="Local cluster: workers (default: cores)."
)
@click.option(
    "--processes/--threads",
    default=None,
    help="Local cluster: a process per worker, or threads in this process. Default: "
    "threads for inputs up to 512 MB (they start at once), processes beyond.",
)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the data is split by time (every worker must reach it; default: a "
    "temporary folder, removed after).",
)
@click.option(
    "--closest-pairs", default=10, show_default=True, help="Pairs profiled in the report."
)
@click.option("--no-report", is_flag=True, help="Write the tables only.")
def analyze_command(
    data: tuple[str, ...],
    outdir: Path,
    scheduler: str | None,
    cpa_nm: float,
    cpa_ft: float,
    alerting: str,
    alerter: int,
    step_s: float,
    max_gap_s: float,
    partition_s: float,
    workers: int | None,
    processes: bool | None,
    work_dir: Path | None,
    closest_pairs: int,
    no_report: bool,
    **separation: Any,
) -> None:
    """Review recorded traffic: every loss of separation that happened, every conflict
    the line would have alerted on (with the lead time of each alert level before the
    loss), and every close encounter with its closest approach.

    DATA are files or glob patterns (quote them) in any format `detect` reads:
    canonical CSV/Parquet, OpenSky state vectors, `traffic` JSON. They may hold more
    than memory: the work is split by time into partitions that a Dask cluster runs in
    parallel, and encounters across partition boundaries are joined. Tracks are
    resampled every --step-s and interpolated between samples (docs/analysis.md).

    \b
    Example:
      deconflict analyze 'recordings/*.parquet' --exclude-ground \\
          --vsep-tolerance-ft 50 -o review
    """
    from deconflict.analysis.run import analyze, dask_client, input_files, local_processes
    from deconflict.analysis.scan import ReviewOptions
    from deconflict.analysis.tables import write_tables
    from deconflict.tactical.engine import Criteria

    options = ReviewOptions(
        criteria=Criteria(**criteria_arguments(separation)),
        cpa_nm=cpa_nm, cpa_ft=cpa_ft, step_s=step_s, max_gap_s=max_gap_s,
        alerting=alerting, alerter=alerter,
    )  # fmt: skip
    started = time.perf_counter()
    files = input_files(data)
    if processes is None:
        processes = local_processes(files)
    with progress_bar("reviewing", "tasks") as advance:
        stages: dict[str, tuple[int, int]] = {}

        def tell(stage: str, done: int, total: int) -> None:
            stages[stage] = (done, total)
            advance(sum(d for d, _ in stages.values()), sum(t for _, t in stages.values()) + 1)

        with dask_client(scheduler, workers, processes) as client:
            review = analyze(
                files, options, partition_s=partition_s, client=client,
                work_dir=work_dir, closest_pairs=closest_pairs, progress=tell,
            )  # fmt: skip
    for dropped in review.meta.get("dropped", []):
        _say(f"warning: {dropped}")
    try:
        write_tables(review, outdir)
        if not no_report:
            from deconflict.analysis.report import write_report

            write_report(review, outdir / "report.html", closest_pairs=closest_pairs)
    except OSError as e:
        from deconflict.errors import InputError

        raise InputError(f"{outdir}: cannot write ({e.strerror or e})") from None
    m = review.meta
    _say(
        f"{len(review.losses)} losses of separation, {len(review.conflicts)} predicted "
        f"conflicts, {len(review.closest)} close encounters; {m['aircraft']} aircraft, "
        f"{m['states']:,} states in {m['partitions']} partitions, "
        f"{time.perf_counter() - started:.1f} s -> {outdir}"
    )
