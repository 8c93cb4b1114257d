"""``deconflict demo``: a real line served on SQLite, set up for the levant scenario and
fed by the simulator (here at 10x for 130 simulated seconds): it prints the console's URL
and one officer key per party, and the encounters raise alerts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def test_the_demo_serves_makes_parties_and_keys_and_alerts(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from deconflict.cli import main; main()",
            "demo",
            "--port",
            "0",
            "--speed",
            "10",
            "--duration-s",
            "130",
            "--db",
            f"sqlite:///{db}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert re.search(r"^console: http://127\.0\.0\.1:\d+/console/", out, re.M), out
    keys = dict(re.findall(r"^  (\w+) +officer key (dk_\S+)$", out, re.M))
    assert set(keys) == {"north", "south", "coalition", "civil"}
    assert len(set(keys.values())) == 4
    counts = dict(
        (name, int(n)) for n, name in re.findall(r"(\d+) (preventive|corrective|warning)", out)
    )
    assert sum(counts.values()) >= 1, out
    # the line it served is on disk: its parties, agreements and alerts
    from deconflict.line.line import OPERATOR, Line

    line = Line.open(f"sqlite:///{db}")
    try:
        assert {p.party_id for p in line.parties(OPERATOR)} == set(keys)
        assert len(line.agreements(OPERATOR)) == 3
    finally:
        line.close()
