"""bench/gen_traffic.py at a small scale: exactly the rows asked for, one file per chunk of
time, every row readable by deconflict's readers, and its designed encounters found by the
incident review's yardstick as the manifest says."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from analysis_reference import reference_review
from deconflict.readers import read_states
from deconflict.states import StateVectors
from deconflict.units import ft_to_m

ROOT = Path(__file__).resolve().parent.parent
CHUNK_S = 600.0


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("traffic")
    command = [
        sys.executable,
        str(ROOT / "bench" / "gen_traffic.py"),
        "--states",
        "20_000",
        "--out",
        str(out),
        "--aircraft",
        "100",
        "--seed",
        "3",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "20,000 states in" in done.stderr
    return out


def _concat(parts: list[StateVectors]) -> StateVectors:
    columns = {
        f.name: np.concatenate([getattr(p, f.name) for p in parts])
        for f in fields(StateVectors)
        if f.name != "has_party"
    }
    return StateVectors(**columns, has_party=True)


def test_every_row_is_read(generated: Path) -> None:
    manifest = json.loads((generated / "designed.json").read_text())
    files = sorted(p.name for p in generated.glob("*.parquet"))
    assert files == manifest["files"] and len(files) > 1
    total = 0
    for k, name in enumerate(files):
        result = read_states(generated / name, strict=True)  # any bad row would raise
        assert result.fmt == "canonical"
        t = result.states.time_s
        c0 = manifest["start_s"] + k * CHUNK_S
        assert (np.diff(t) >= 0.0).all()  # in time order
        assert t.min() >= c0 and t.max() < c0 + CHUNK_S  # one file per chunk of time
        assert (result.states.party != "").any() and (result.states.callsign != "").all()
        total += len(result.states)
    assert total == manifest["states"] == 20_000


def test_designed_encounters_are_found(generated: Path) -> None:
    manifest = json.loads((generated / "designed.json").read_text())
    designed = manifest["designed"]
    assert len(designed) >= 3
    states = _concat([read_states(p).states for p in sorted(generated.glob("*.parquet"))])
    ids = {d["id1"] for d in designed} | {d["id2"] for d in designed}
    losses, closest = reference_review(states.take(np.isin(states.id, list(ids))))
    for d in designed:
        pair_losses = losses[(losses.id1 == d["id1"]) & (losses.id2 == d["id2"])]
        pair_close = closest[(closest.id1 == d["id1"]) & (closest.id2 == d["id2"])]
        assert len(pair_losses) == int(d["loss"]), d["name"]
        assert len(pair_close) == int(d["close"]), d["name"]
        row = pair_close.iloc[0]
        # designed on a sphere with flat-earth steps: the miss within 1 %
        assert row.hsep_nm == pytest.approx(d["miss_nm"], rel=0.01, abs=0.01), d["name"]
        assert row.vsep_ft == pytest.approx(d["vsep_ft"], abs=0.01), d["name"]
        assert row.time_s == pytest.approx(d["tcpa_s"], abs=2.0), d["name"]
    # above FL420 (the rest of the traffic is at FL410 or below, 2,000 ft or more away) no
    # designed aircraft comes near another pair's (those the end cut short included)
    high = states.altitude_m > ft_to_m(42_000.0)
    assert set(states.id[high]) >= ids
    _, everyone = reference_review(states.take(np.flatnonzero(high)))
    pairs = {(r.id1, r.id2) for r in everyone.itertuples()}
    assert pairs <= {(d["id1"], d["id2"]) for d in designed} | {
        (f"enc{m:05d}a", f"enc{m:05d}b") for m in range(len(designed) + 2)
    }
