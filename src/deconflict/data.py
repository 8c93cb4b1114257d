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


def sample_path(name: str, cache: Path | None = None) -> Path:
    """Where sample ``name`` is, or will be, in ``cache`` (default ``cache_dir()``)."""
    if name not in SAMPLES:
        raise InputError(f"unknown sample '{name}'; known: {', '.join(SAMPLES)}")
    return (cache or cache_dir()) / "samples" / Path(SAMPLES[name]).name


#: what pip says when the registry cannot be reached (rather than a wheel missing from it)
_UNREACHABLE = ("NewConnectionError", "Connection refused", "Name or service not known",
                "Temporary failure in name resolution", "ConnectTimeout", "Max retries exceeded",
                "Network is unreachable", "ProxyError", "SSLError", "timed out")  # fmt: skip


def traffic_sample(name: str, cache: Path | None = None) -> Path:
    """The cached sample recording ``name`` (see ``SAMPLES``), fetched on first use into
    ``cache`` (default ``cache_dir()``)."""
    target = sample_path(name, cache)
    if target.exists():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        try:
            fetched = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "--only-binary=:all:", TRAFFIC_WHEEL, "-d", tmp],
                capture_output=True, text=True, check=False, timeout=600,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise InputError(f"cannot fetch the {TRAFFIC_WHEEL} wheel: PyPI did not answer "
                             "within 600 s") from None  # fmt: skip
        wheels = list(Path(tmp).glob("traffic-*.whl"))
        if fetched.returncode != 0 or not wheels:
            errors = [ln for ln in fetched.stderr.splitlines() if ln.startswith("ERROR:")]
            why = " ".join((errors[-1] if errors else fetched.stderr).split())[-200:]
            if "from versions: none" in fetched.stderr or any(
                sign in fetched.stderr for sign in _UNREACHABLE
            ):
                raise InputError(f"cannot fetch the {TRAFFIC_WHEEL} wheel: the package registry "
                                 "(PyPI, or pip's configured index) cannot be reached or does "
                                 f"not have it ({why})")  # fmt: skip
            raise InputError(f"cannot fetch the {TRAFFIC_WHEEL} wheel from PyPI: {why}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(wheels[0]) as wheel:
                for sample in SAMPLES.values():  # one download serves every sample
                    partial = target.parent / (Path(sample).name + ".part")
                    partial.write_bytes(wheel.read(sample))
                    partial.replace(target.parent / Path(sample).name)
        except OSError as e:
            raise InputError(f"{target.parent}: cannot write the samples ({e.strerror or e})"
                             ) from None  # fmt: skip
    return target
