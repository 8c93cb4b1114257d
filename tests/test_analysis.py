"""The incident review end to end: Dask partitions against one partition, on the real
Paris recording, the Python API and the command line (``docs/analysis.md``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis_reference import reference_review
from cli_run import run
from deconflict.analysis.review import AIRCRAFT, CLOSEST, CONFLICTS, LOSSES, PROFILES, Review
from deconflict.analysis.run import analyze
from deconflict.analysis.scan import ReviewOptions
from deconflict.readers import read_states
from deconflict.tactical.engine import Criteria, considered

PARIS = ReviewOptions(criteria=Criteria(exclude_onground=True, vsep_tolerance_ft=50.0))


@pytest.fixture(scope="module")
def client(dask_client: Any) -> Any:
    return dask_client


@pytest.fixture(scope="module")
def paris_whole(quickstart_json: Path, client: Any) -> Review:
    """The recording in one partition (it spans 3 h of one UTC day)."""
    return analyze([str(quickstart_json)], PARIS, partition_s=86_400.0, client=client)


def _same(a: Review, b: Review) -> None:
    for name in a.TABLES:
        pd.testing.assert_frame_equal(
            getattr(a, name), getattr(b, name), check_exact=False, rtol=1e-12, atol=1e-9,
            obj=name,
        )  # fmt: skip


@pytest.mark.parametrize("partition_s", [600.0, 457.0, 60.0])
def test_partitions_find_what_one_partition_finds(
    quickstart_json: Path, client: Any, paris_whole: Review, partition_s: float
) -> None:
    # 60 s partitions are shorter than the longest gap bridged (20 s + a step on each
    # side is within one neighbour), and every long encounter crosses many boundaries
    parts = analyze([str(quickstart_json)], PARIS, partition_s=partition_s, client=client)
    assert parts.meta["partitions"] > paris_whole.meta["partitions"]
    _same(paris_whole, parts)


def test_boundaries_cut_through_encounters(paris_whole: Review) -> None:
    # the comparison above means something: encounters span the 457 s boundaries
    losses = paris_whole.losses
    crossing = np.floor(losses["start_s"] / 457.0) != np.floor(losses["end_s"] / 457.0)
    assert crossing.sum() >= 10
    close = paris_whole.closest
    assert (np.floor(close["start_s"] / 60.0) != np.floor(close["end_s"] / 60.0)).sum() >= 100


def test_tables_have_their_columns_and_pairs_in_order(paris_whole: Review) -> None:
    r = paris_whole
    for frame, columns in ((r.losses, LOSSES), (r.conflicts, CONFLICTS), (r.closest, CLOSEST),
                           (r.aircraft, AIRCRAFT), (r.profiles, PROFILES)):  # fmt: skip
        assert list(frame.columns) == columns
    for frame in (r.losses, r.conflicts, r.closest):
        assert len(frame) > 0
        assert (frame["id1"] < frame["id2"]).all()
    assert (r.losses["end_s"] >= r.losses["start_s"]).all()
    assert (r.losses["min_hsep_nm"] < 5.0).all()
    assert (r.losses["min_vsep_ft"] < 950.0).all()
    assert r.meta["states"] == 229_530
    assert r.aircraft["states"].sum() == 229_530
    # every loss lies inside a close encounter, which says so
    assert r.closest["loss"].sum() >= len(r.losses.drop_duplicates(["id1", "id2"]))


def test_every_level_of_a_conflict_is_raised_in_order(paris_whole: Review) -> None:
    c = paris_whole.conflicts
    assert len(c) > 0
    assert (c["preventive_s"] == c["start_s"]).all()
    assert (c["corrective_s"].fillna(np.inf) >= c["preventive_s"]).all()
    assert (c["warning_s"].fillna(np.inf) >= c["corrective_s"].fillna(-np.inf)).all()
    led = c.dropna(subset=["los_start_s"])
    assert len(led) > 0
    np.testing.assert_allclose(
        led["lead_preventive_s"], led["los_start_s"] - led["preventive_s"], rtol=0, atol=0
    )


def test_cli_writes_the_tables_and_the_report(
    quickstart_json: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "review"
    code, _, err = run(
        ["analyze", str(quickstart_json), "-o", str(out), "--exclude-ground",
         "--vsep-tolerance-ft", "50", "--workers", "2"],
        capsys, monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    for name in Review.TABLES:
        table = pd.read_parquet(out / f"{name}.parquet")
        assert len(table.columns) > 0
    assert (out / "report.html").stat().st_size > 10_000
    assert "losses of separation" in err.splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "missing.csv: no such file"),
        (["'*.nothing'"], "no file matches"),
        (["{bad}", "--partition-s", "7.5", "--step-s", "2"], "multiple of step_s"),
        (["{bad}", "--alerting", "nope"], "no such configuration file"),
        (["{bad}", "--cpa-nm", "-1"], "cpa_nm"),
        (["{bad}"], "missing columns"),
        (["{binary}"], "binary data"),
    ],
)
def test_cli_refuses_bad_input_in_one_line(
    tmp_path: Path,
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,id,latitude\n1,a,xx\n")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x00\x01\x02garbage")
    args = [a.format(bad=bad, binary=binary).strip("'") for a in args]
    monkeypatch.chdir(tmp_path)
    code, _, err = run(
        ["analyze", *args, "-o", str(tmp_path / "out"), "--workers", "1"], capsys, monkeypatch
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert not (tmp_path / "out").exists()


def test_cli_runs_on_an_existing_cluster(
    quickstart_json: Path,
    tmp_path: Path,
    client: Any,
    paris_whole: Review,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the module's cluster, reached by its scheduler's address as a remote one would be
    address = client.scheduler.address
    out = tmp_path / "review"
    code, _, err = run(
        ["analyze", str(quickstart_json), "-o", str(out), "--exclude-ground",
         "--vsep-tolerance-ft", "50", "--scheduler", address, "--work-dir",
         str(tmp_path / "work"), "--no-report"],
        capsys, monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    losses = pd.read_parquet(out / "losses.parquet")
    assert len(losses) == len(paris_whole.losses)
    assert not (out / "report.html").exists()
    assert (tmp_path / "work").is_dir()  # a work folder given is the caller's: kept


def test_cli_says_when_the_scheduler_cannot_be_reached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "s.csv"
    data.write_text(
        "timestamp,id,latitude,longitude,altitude,groundspeed,track,vertical_rate\n"
        "0,a,0,0,30000,400,90,0\n"
    )
    code, _, err = run(
        ["analyze", str(data), "--scheduler", "tcp://127.0.0.1:9", "-o", str(tmp_path / "o")],
        capsys, monkeypatch,
    )  # fmt: skip
    assert code == 2
    assert err.strip().splitlines() == [
        line for line in err.strip().splitlines() if "cannot reach the Dask scheduler" in line
    ]
    assert len(err.strip().splitlines()) == 1


def test_paris_equals_the_all_pairs_reference(quickstart_json: Path, paris_whole: Review) -> None:
    # every loss and close encounter that a plain all-pairs scan finds, and no other
    states = considered(read_states(quickstart_json).states, PARIS.criteria)
    losses, closest = reference_review(states, vsep_tolerance_ft=50.0)
    for got, want in ((paris_whole.losses, losses), (paris_whole.closest, closest)):
        got = got.sort_values(["id1", "id2", "start_s"]).reset_index(drop=True)
        want = want.sort_values(["id1", "id2", "start_s"]).reset_index(drop=True)
        assert len(got) > 100
        pd.testing.assert_frame_equal(
            got, want, check_dtype=False, check_exact=False, rtol=0, atol=1e-6
        )
