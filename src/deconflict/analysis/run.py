"""An incident review on Dask: the recordings split by time, each partition scanned on a
worker, the findings joined (``docs/analysis.md``, Partitions).

1. **Split.** Each input file is read on a worker (any format ``detect`` reads) and its
   rows are written to Parquet, one file per partition of ``partition_s`` (UTC-aligned),
   into a work directory that every worker can reach.
2. **Scan.** Each partition is scanned on a worker with the rows of its own files and of
   its neighbours' as far as ``max_gap_s + step_s`` reaches.
3. **Join.** The driver joins what touches across boundaries and builds the tables.

Memory is bounded by one file (split) or one partition and its margins (scan) per worker.
"""

from __future__ import annotations

import glob
import importlib
import itertools
import math
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from deconflict.analysis import tables
from deconflict.analysis.review import Review
from deconflict.analysis.scan import ReviewOptions, Scanned, scan
from deconflict.analysis.tables import build
from deconflict.errors import InputError, OptionError
from deconflict.readers import read_state_batches
from deconflict.states import BadRows, StateVectors

Progress = Callable[[str, int, int], None]
"""Told ``(stage, done, total)`` as the work goes."""

#: the columns of a StateVectors, as they are written between the stages
_COLUMNS = [f.name for f in fields(StateVectors) if f.name != "has_party"]


def input_files(patterns: Sequence[str]) -> list[str]:
    """The files that the paths and glob patterns name, in order, each once."""
    found: list[str] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            matched = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
            if not matched:
                raise InputError(f"{pattern}: no file matches")
            found.extend(matched)
        elif os.path.isdir(pattern):
            raise InputError(f"{pattern}: a directory; give files or a glob pattern")
        elif not os.path.exists(pattern):
            raise InputError(f"{pattern}: no such file")
        else:
            found.append(pattern)
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Split:
    """What splitting one file found."""

    path: str
    rows: int
    bad_rows: int
    bad: str | None  #: what was dropped, in one line for a user
    partitions: dict[int, int]  #: partition -> rows written
    has_party: bool


def split_file(
    path: str, index: int, work: str, partition_s: float, batch_rows: int = 2_000_000
) -> Split:
    """Read one file (Parquet a batch at a time) and write its rows to
    ``work/<partition>/<index>-<batch>.parquet``."""
    counts: dict[int, int] = {}
    rows, has_party = 0, False
    bad = BadRows(0, {}, ())
    unit = "row"
    for b, result in enumerate(read_state_batches(path, rows=batch_rows)):
        states = result.states
        rows, has_party, unit = rows + len(states), has_party or states.has_party, result.row_unit
        bad = BadRows(
            bad.count + result.bad.count,
            dict(Counter(bad.reasons) + Counter(result.bad.reasons)),
            (bad.first_rows + result.bad.first_rows)[:5],
        )
        part = np.floor(states.time_s / partition_s).astype(np.int64)
        order = np.lexsort((states.time_s, part))  # by partition, in time in each
        part = part[order]
        table = pa.table({c: getattr(states, c)[order] for c in _COLUMNS})
        bounds = np.concatenate([[0], np.flatnonzero(np.diff(part)) + 1, [len(part)]])
        for s, e in itertools.pairwise(bounds):
            if e <= s:
                continue
            p = int(part[s])
            folder = Path(work) / str(p)
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                table.slice(int(s), int(e - s)), folder / f"{index}-{b}.parquet",
                row_group_size=_ROW_GROUP,
            )  # fmt: skip
            counts[p] = counts.get(p, 0) + int(e - s)
    told = bad.describe(path, unit) if bad.count else None
    return Split(path, rows, bad.count, told, counts, has_party)


#: rows per row group of the split files: a partition's neighbours read only the groups
#: whose times are in reach
_ROW_GROUP = 65_536


def scan_partition(
    p: int,
    work: str,
    options: ReviewOptions,
    partition_s: float,
    has_party: bool,
    only: Sequence[str] | None = None,
) -> Scanned:
    """Scan partition ``p`` from its rows and its neighbours' (as far as the margin); with
    ``only``, the aircraft of these ids alone, and their profiles."""
    reach = math.ceil(options.margin_s / partition_s)
    t0, t1 = p * partition_s, (p + 1) * partition_s
    # only the rows in reach, converted (arrow filters before numpy sees a row)
    lo, hi = t0 - options.margin_s, t1 + options.margin_s
    keep: list[Any] = [("time_s", ">=", lo), ("time_s", "<=", hi)]
    if only is not None:
        keep.append(("id", "in", list(only)))
    tables = []
    for q in range(p - reach, p + reach + 1):
        folder = Path(work) / str(q)
        if folder.is_dir():
            for f in sorted(folder.iterdir()):
                tables.append(pq.read_table(f, filters=keep))
    if tables:
        table = pa.concat_tables(tables)
        cols = {c: table.column(c).to_numpy() for c in _COLUMNS}
    else:
        cols = {c: np.empty(0) for c in _COLUMNS}
    states = StateVectors(**cols, has_party=has_party)
    steps = round(partition_s / options.step_s)
    return scan(states, options, p * steps, (p + 1) * steps, profiles=only is not None)


def check_partition(partition_s: float, step_s: float) -> None:
    steps = partition_s / step_s
    if not (math.isfinite(partition_s) and partition_s > 0 and abs(steps - round(steps)) < 1e-9):
        raise OptionError(
            f"partition_s must be a positive multiple of step_s ({step_s:g}), not {partition_s:g}"
        )


def _distributed() -> Any:
    """dask's ``distributed`` (imported when needed: it takes a while; typed in part)."""
    return importlib.import_module("distributed")


#: inputs up to this size run on a local cluster of threads in this process: a cluster of
#: processes takes seconds to start (each worker imports numba, pyarrow, pandas) and the
#: kernels release the GIL; larger ones get a process per core
THREADS_UP_TO_BYTES = 512 * 1024 * 1024


def local_processes(files: Sequence[str]) -> bool:
    """Whether a local cluster for these inputs should run processes (else threads)."""
    return sum(os.path.getsize(f) for f in files) > THREADS_UP_TO_BYTES


@contextmanager
def dask_client(
    scheduler: str | None, workers: int | None = None, processes: bool = True
) -> Iterator[Any]:
    """A client of the cluster at ``scheduler``, or of a local cluster started here and
    stopped after: ``workers`` processes of one thread each (default: one per core), or
    one worker of as many threads with ``processes=False``."""
    dist = _distributed()
    Client, LocalCluster = dist.Client, dist.LocalCluster
    if scheduler:
        try:
            client = Client(scheduler, timeout="5s")
        except OSError as e:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or max(1, len(os.sched_getaffinity(0)))
    shape = {"n_workers": n, "threads_per_worker": 1} if processes else {
        "n_workers": 1, "threads_per_worker": n}  # fmt: skip
    with LocalCluster(
        **shape, processes=processes, dashboard_address=":0", memory_limit=0, silence_logs=50
    ) as cluster, Client(cluster) as client:  # fmt: skip
        yield client


def analyze(
    paths: Sequence[str],
    options: ReviewOptions | None = None,
    *,
    partition_s: float = 600.0,
    client: Any = None,
    work_dir: str | os.PathLike[str] | None = None,
    closest_pairs: int = 10,
    progress: Progress | None = None,
    batch_rows: int = 2_000_000,
) -> Review:
    """Review recorded traffic: ``paths`` are files or glob patterns. On the Dask
    ``client`` given, else on a local cluster started for the call. The work directory
    (default: a temporary one) must be reachable by every worker; it is removed after.
    Parquet inputs are read ``batch_rows`` rows at a time (memory: a batch per worker)."""
    options = options or ReviewOptions()
    options.config()  # a bad alerting configuration fails before any work
    check_partition(partition_s, options.step_s)
    files = input_files(paths)
    started = time.perf_counter()
    tell = progress or (lambda stage, done, total: None)
    own_work = work_dir is None
    if work_dir is None:
        work = tempfile.mkdtemp(prefix="deconflict-review-")
    else:
        work = os.fspath(work_dir)
        Path(work).mkdir(parents=True, exist_ok=True)
    job = _Job(files, work, options, partition_s, closest_pairs, tell, batch_rows)
    try:
        if client is None:
            with dask_client(None, processes=local_processes(files)) as local:
                review, splits = job.run(local)
        else:
            review, splits = job.run(client)
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
    times = review.aircraft
    review.meta = {
        "inputs": files,
        "states": sum(s.rows for s in splits),
        "bad_rows": sum(s.bad_rows for s in splits),
        "dropped": [s.bad for s in splits if s.bad],
        "aircraft": len(times),
        "time_start_s": float(times["first_s"].min()) if len(times) else None,
        "time_end_s": float(times["last_s"].max()) if len(times) else None,
        "partitions": review.meta["partitions"],
        "partition_s": partition_s,
        "criteria": _criteria(options),
        "elapsed_s": time.perf_counter() - started,
    }
    return review


def _criteria(options: ReviewOptions) -> dict[str, Any]:
    c = options.criteria
    return {
        "hsep_nm": c.hsep_nm, "vsep_ft": c.vsep_ft, "vsep_tolerance_ft": c.vsep_tolerance_ft,
        "exclude_ground": c.exclude_onground, "min_altitude_ft": c.min_altitude_ft,
        "cross_party_only": c.cross_party_only, "areas": [a.name for a in c.areas],
        "cpa_nm": options.cpa_nm, "cpa_ft": options.cpa_ft, "step_s": options.step_s,
        "max_gap_s": options.max_gap_s, "alerting": options.alerting, "alerter": options.alerter,
    }  # fmt: skip


@dataclass(frozen=True)
class _Job:
    files: list[str]
    work: str
    options: ReviewOptions
    partition_s: float
    closest_pairs: int
    tell: Progress
    batch_rows: int

    def run(self, client: Any) -> tuple[Review, list[Split]]:
        """Split, scan, join; then profile the closest pairs in a second pass over their
        aircraft alone."""
        splits = self._gather(
            client, "reading",
            [client.submit(split_file, f, i, self.work, self.partition_s, self.batch_rows,
                           pure=False)
             for i, f in enumerate(self.files)],
        )  # fmt: skip
        has_party = any(s.has_party for s in splits)
        # partitions without rows of their own still have grid times where a track bridges
        # them: every partition within reach of a row is scanned
        reach = math.ceil(self.options.margin_s / self.partition_s)
        parts = sorted(
            {q for s in splits for p in s.partitions for q in range(p - reach, p + reach + 1)}
        )
        scanned = self._gather(client, "scanning", [
            client.submit(scan_partition, p, self.work, self.options, self.partition_s,
                          has_party, pure=False)
            for p in parts
        ])  # fmt: skip
        review = build(scanned, self.options)
        ranked = tables.closest_pairs(review.closest, self.closest_pairs)
        wanted: dict[int, set[str]] = {}
        for id1, id2, start, end in ranked[["id1", "id2", "start_s", "end_s"]].itertuples(
            index=False
        ):
            first = math.floor(start / self.partition_s)
            for p in range(first, math.floor(end / self.partition_s) + 1):
                wanted.setdefault(p, set()).update((id1, id2))
        found = self._gather(client, "profiling", [
            client.submit(scan_partition, p, self.work, self.options, self.partition_s,
                          has_party, sorted(ids), pure=False)
            for p, ids in sorted(wanted.items())
        ])  # fmt: skip
        review.profiles = tables.profiles([s.profiles for s in found], ranked)
        review.meta["partitions"] = len(parts)
        return review, splits

    def _gather(self, client: Any, stage: str, futures: list[Any]) -> list[Any]:
        """The futures' results, in the order they finish, telling the progress."""
        as_completed = _distributed().as_completed
        out = []
        self.tell(stage, 0, len(futures))
        for done, future in enumerate(as_completed(futures), start=1):
            out.append(future.result())
            self.tell(stage, done, len(futures))
        return out
