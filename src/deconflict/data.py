"""Real ADS-B recordings: the samples that ship inside the `traffic` wheel on PyPI.

``traffic_sample("quickstart")`` returns the path of ``quickstart.json.gz`` (three hours of
traffic over Paris, 284,505 records) in the cache, downloading the wheel once with pip
(the package registry is the only network these recordings need).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from deconflict.errors import InputError

TRAFFIC_WHEEL = "traffic==2.13"
SAMPLES = {
    "quickstart": "traffic/data/samples/collections/quickstart.json.gz",
    "switzerland": "traffic/data/samples/collections/switzerland.json.gz",
    "savan": "traffic/data/samples/collections/savan.json.gz",
}


def cache_dir() -> Path:
    """``$DECONFLICT_CACHE``, else ``$XDG_CACHE_HOME/deconflict``, else ``~/.cache/deconflict``."""
    if os.environ.get("DECONFLICT_CACHE"):
        return Path(os.environ["DECONFLICT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "deconflict"


def traffic_sample(name: str) -> Path:
    """The cached sample recording ``name`` (see ``SAMPLES``), fetched on first use."""
    if name not in SAMPLES:
        raise InputError(f"unknown sample '{name}'; known: {', '.join(SAMPLES)}")
    target = cache_dir() / "samples" / Path(SAMPLES[name]).name
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
            why = " ".join(fetched.stderr.split())[-200:]
            raise InputError(f"cannot fetch the {TRAFFIC_WHEEL} wheel from PyPI: {why}")
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheels[0]) as wheel:
            for sample in SAMPLES.values():  # one download serves every sample
                partial = target.parent / (Path(sample).name + ".part")
                partial.write_bytes(wheel.read(sample))
                partial.replace(target.parent / Path(sample).name)
    return target
