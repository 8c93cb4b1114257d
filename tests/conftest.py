"""Shared fixtures: the real ADS-B recordings that ship inside the `traffic` wheel on PyPI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from deconflict.data import traffic_sample
from deconflict.errors import InputError

# CI runs the same examples on every run (a red CI names a change, not a lucky draw);
# a developer's `make test` explores new ones each time and keeps failures in .hypothesis/.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "explore"))


@pytest.fixture(scope="session")
def quickstart_json() -> Path:
    """Three hours of real traffic over Paris (284,505 records), fetched once from PyPI."""
    try:
        return traffic_sample("quickstart")
    except InputError as e:  # no registry reachable: say so, visibly
        pytest.skip(str(e))
