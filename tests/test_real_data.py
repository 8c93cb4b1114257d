"""Detection on a real recording: three hours of ADS-B traffic over Paris (`traffic`'s
quickstart sample, 284,505 records), snapshot by snapshot against the all-pairs reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deconflict.readers import read_states
from deconflict.states import StateVectors
from deconflict.tactical import engine
from deconflict.tactical.engine import Criteria, detect
from reference import all_pairs


@pytest.fixture(scope="module")
def paris(quickstart_json: Path) -> StateVectors:
    read = read_states(quickstart_json)
    assert len(read.states) + read.bad.count == 284_505
    assert read.bad.reasons.get("missing altitude", 0) > 0  # real data has gaps
    return read.states


def reference_pairs(states: StateVectors, criteria: Criteria) -> set[tuple[float, str, str]]:
    found = set()
    for time_s, snapshot in engine.snapshots(states, criteria.window_s):
        snapshot = engine.considered(snapshot, criteria)
        kin, h, v = engine.prepare(snapshot, criteria)
        i, j, _ = all_pairs(kin, h, v, criteria.lookahead_s)
        for a, b in zip(snapshot.id[i], snapshot.id[j], strict=True):
            found.add((time_s, min(a, b), max(a, b)))
    return found


@pytest.mark.parametrize(
    "criteria",
    [
        Criteria(),
        Criteria(exclude_onground=True, min_altitude_ft=1_000.0, vsep_tolerance_ft=50.0),
        Criteria(window_s=10.0, hsep_nm=3.0, exclude_onground=True),
    ],
    ids=["plain", "airborne-with-tolerance", "windowed-3nm"],
)
def test_every_snapshot_matches_all_pairs(paris: StateVectors, criteria: Criteria) -> None:
    conflicts = detect(paris, criteria)
    got = set(
        zip(
            conflicts.timestamp_s.tolist(),
            conflicts.id1.tolist(),
            conflicts.id2.tolist(),
            strict=True,
        )
    )
    assert len(got) == len(conflicts)  # no pair twice in a snapshot
    assert got == reference_pairs(paris, criteria)


def test_real_airspace_options_thin_out_the_noise(paris: StateVectors) -> None:
    """On real data, the options remove what an operator would call noise: traffic on the
    ground and adjacent flight levels seen 950-975 ft apart through 25 ft quantisation."""
    plain = detect(paris, Criteria(window_s=10.0))
    airborne = detect(paris, Criteria(window_s=10.0, exclude_onground=True))
    tolerant = detect(paris, Criteria(window_s=10.0, exclude_onground=True, vsep_tolerance_ft=50.0))
    keys = [
        set(zip(c.timestamp_s.tolist(), c.id1.tolist(), c.id2.tolist(), strict=True))
        for c in (plain, airborne, tolerant)
    ]
    # each option only removes pairs, and each removes some on real data
    assert keys[2] < keys[1] < keys[0]
    assert plain.snapshots == airborne.snapshots == len(np.unique(np.floor(paris.time_s / 10.0)))
