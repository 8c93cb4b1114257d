"""Fetching the real recordings from the `traffic` wheel on PyPI into the cache."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from deconflict import data
from deconflict.errors import InputError


def test_unknown_sample_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="unknown sample 'paris'; known: quickstart"):
        data.traffic_sample("paris")


def test_cache_location_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DECONFLICT_CACHE", str(tmp_path / "c"))
    assert data.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("DECONFLICT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert data.cache_dir() == tmp_path / "x" / "deconflict"


def test_cached_sample_is_real_traffic_json(quickstart_json: Path) -> None:
    with gzip.open(quickstart_json, "rt") as f:
        head = f.read(2_000)
    assert head.startswith("[{")
    first = json.loads(head[1 : head.index("}") + 1])
    assert {"icao24", "latitude", "longitude", "altitude", "timestamp"} <= set(first)
