"""Shared fixtures: the real ADS-B recordings that ship inside the `traffic` wheel on PyPI."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

TRAFFIC_WHEEL = "traffic==2.13"
QUICKSTART = "traffic/data/samples/collections/quickstart.json.gz"


def _samples_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "deconflict" / "samples"


@pytest.fixture(scope="session")
def quickstart_json() -> Path:
    """Three hours of real traffic over Paris (284,505 records), fetched once from PyPI."""
    target = _samples_dir() / "quickstart.json.gz"
    if target.exists():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        fetched = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", TRAFFIC_WHEEL, "-d", tmp],
            capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip
        wheels = list(Path(tmp).glob("traffic-*.whl"))
        if fetched.returncode != 0 or not wheels:
            pytest.skip(
                f"cannot fetch the {TRAFFIC_WHEEL} wheel from PyPI: {fetched.stderr[-200:]}"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheels[0]) as wheel:
            partial = target.with_suffix(".part")
            partial.write_bytes(wheel.read(QUICKSTART))
            partial.replace(target)
    return target
