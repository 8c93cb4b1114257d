"""The incident review on generated traffic with known encounters: the fast path (Dask
partitions cutting through encounters) against the designed truth and against the plain
all-pairs reference (``tests/encounter_factory.py``, ``tests/analysis_reference.py``)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis_reference import reference_review
from deconflict.analysis.review import Review
from deconflict.analysis.run import analyze
from deconflict.analysis.scan import ReviewOptions
from deconflict.states import StateVectors
from deconflict.tactical.areas import read_areas
from deconflict.tactical.engine import Criteria
from deconflict.units import m_to_ft, mps_to_fpm, mps_to_kt
from encounter_factory import COUNTS, T0, Designed, designed_traffic


def write_canonical_parquet(states: StateVectors, path: Path) -> None:
    """The states in the canonical schema (ft, kt, ft/min), rows in their order."""
    pq.write_table(
        pa.table(
            {
                "timestamp": states.time_s,
                "id": states.id,
                "party": states.party,
                "callsign": states.callsign,
                "latitude": states.latitude_deg,
                "longitude": states.longitude_deg,
                "altitude": m_to_ft(states.altitude_m),
                "groundspeed": mps_to_kt(states.groundspeed_mps),
                "track": states.track_deg,
                "vertical_rate": mps_to_fpm(states.vertical_rate_mps),
                "onground": states.onground,
            }
        ),
        path,
    )


@pytest.fixture(scope="module")
def client(dask_client: Any) -> Any:
    return dask_client


@pytest.fixture(scope="module", params=[0, 7])
def designed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[StateVectors, list[Designed], Path]:
    states, pairs = designed_traffic(request.param)
    # the file split in two, in the middle of the traffic: two inputs of one review
    folder = tmp_path_factory.mktemp(f"designed-{request.param}")
    half = len(states) // 2
    write_canonical_parquet(states.take(np.arange(half)), folder / "a.parquet")
    write_canonical_parquet(states.take(np.arange(half, len(states))), folder / "b.parquet")
    return states, pairs, folder


@pytest.fixture(scope="module")
def fast(designed: tuple[StateVectors, list[Designed], Path], client: Any) -> Review:
    # 457 s partitions: boundaries fall anywhere, through the long encounters
    return analyze([str(designed[2] / "*.parquet")], partition_s=457.0, client=client)


def test_the_designed_counts(fast: Review) -> None:
    assert len(fast.losses) == COUNTS["losses"]
    assert len(fast.closest) == COUNTS["closest"]
    assert len(fast.losses.drop_duplicates(["id1", "id2"])) == COUNTS["pairs_with_loss"]
    assert len(fast.closest.drop_duplicates(["id1", "id2"])) == COUNTS["pairs_close"]


def test_each_designed_interval_is_found_where_it_is(
    fast: Review, designed: tuple[StateVectors, list[Designed], Path]
) -> None:
    # tolerances: the tracks are straight legs resampled every second, interpolated
    # linearly; the factory measured its own truth to within 1 m and 0.11 s
    for pair in designed[1]:
        for table, expected, separation in (
            (fast.losses, pair.losses, "min_hsep_nm"),
            (fast.closest, pair.close, "hsep_nm"),
        ):
            rows = table[(table["id1"] == pair.id1) & (table["id2"] == pair.id2)]
            assert len(rows) == len(expected), pair.name
            for (_, row), e in zip(rows.sort_values("start_s").iterrows(), expected, strict=True):
                assert row["start_s"] == pytest.approx(e.start_s, abs=0.5), pair.name
                assert row["end_s"] == pytest.approx(e.end_s, abs=0.5), pair.name
                assert row[separation] * 1852.0 == pytest.approx(e.min_hsep_nm * 1852.0, abs=5.0)
                assert row["latitude_deg"] == pytest.approx(e.latitude_deg, abs=2e-4), pair.name
                lon = (row["longitude_deg"] - e.longitude_deg + 180.0) % 360.0 - 180.0
                at_pole = abs(e.latitude_deg) > 89.0
                assert abs(lon) < (1e-1 if at_pole else 3e-4), pair.name


def test_partitioned_review_equals_the_all_pairs_reference(
    fast: Review, designed: tuple[StateVectors, list[Designed], Path]
) -> None:
    losses, closest = reference_review(designed[0])
    for got, want in ((fast.losses, losses), (fast.closest, closest)):
        got = got.sort_values(["id1", "id2", "start_s"]).reset_index(drop=True)
        want = want.sort_values(["id1", "id2", "start_s"]).reset_index(drop=True)
        assert list(got.columns) == list(want.columns)
        pd.testing.assert_frame_equal(
            got, want, check_dtype=False, check_exact=False, rtol=0, atol=1e-6
        )


def test_nothing_is_found_for_the_background(
    fast: Review, designed: tuple[StateVectors, list[Designed], Path]
) -> None:
    designed_ids = {x for p in designed[1] for x in (p.id1, p.id2)}
    for table in (fast.losses, fast.closest, fast.conflicts):
        assert set(table["id1"]) | set(table["id2"]) <= designed_ids
    assert fast.meta["states"] == len(designed[0])
    assert fast.meta["time_start_s"] < T0 < fast.meta["time_end_s"]


def test_parquet_read_in_small_batches_finds_the_same(
    fast: Review, designed: tuple[StateVectors, list[Designed], Path], client: Any
) -> None:
    # a file larger than memory is read a batch at a time: 5,000 rows here
    batched = analyze(
        [str(designed[2] / "*.parquet")], partition_s=457.0, client=client, batch_rows=5_000
    )
    assert batched.meta["states"] == fast.meta["states"]
    for name in ("losses", "closest", "conflicts", "aircraft"):
        pd.testing.assert_frame_equal(getattr(batched, name), getattr(fast, name), obj=name)


def test_cross_party_only_keeps_pairs_of_different_parties(
    designed: tuple[StateVectors, list[Designed], Path], client: Any, tmp_path: Path
) -> None:
    states, pairs, _ = designed
    lone = pairs[0]  # one aircraft of one designed pair in a party of its own
    party = np.where(states.id == lone.id1, "blue", "red")
    write_canonical_parquet(replace(states, party=party.astype(np.str_)), tmp_path / "s.parquet")
    options = ReviewOptions(criteria=Criteria(cross_party_only=True))
    review = analyze([str(tmp_path / "s.parquet")], options, partition_s=457.0, client=client)
    for table in (review.losses, review.closest):
        assert set(zip(table["id1"], table["id2"], strict=True)) <= {(lone.id1, lone.id2)}
    assert len(review.closest) == len(lone.close) > 0
    assert (review.closest["party1"] != review.closest["party2"]).all()


def test_an_area_with_its_own_minima(
    designed: tuple[StateVectors, list[Designed], Path], client: Any, tmp_path: Path
) -> None:
    # a terminal-area-like box of 1.5 NM minima around the 2 NM crossing: no loss there
    _, pairs, folder = designed
    crossing = next(p for p in pairs if p.name == "crossing_loss")
    lat, lon = crossing.latitude_deg, crossing.longitude_deg
    box = [[lon - 1, lat - 1], [lon + 1, lat - 1], [lon + 1, lat + 1], [lon - 1, lat + 1],
           [lon - 1, lat - 1]]  # fmt: skip
    area = tmp_path / "areas.geojson"
    area.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "box", "hsep_nm": 1.5},
        "geometry": {"type": "Polygon", "coordinates": [box]},
    }]}))  # fmt: skip
    options = ReviewOptions(criteria=Criteria(areas=read_areas(area)))
    review = analyze([str(folder / "*.parquet")], options, partition_s=457.0, client=client)
    lost = set(zip(review.losses["id1"], review.losses["id2"], strict=True))
    assert (crossing.id1, crossing.id2) not in lost
    assert len(review.losses) == COUNTS["losses"] - len(crossing.losses)
    assert (review.losses["hsep_applied_nm"] == 5.0).all()
