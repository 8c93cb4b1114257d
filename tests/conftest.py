"""Shared fixtures: the real ADS-B recordings that ship inside the `traffic` wheel on PyPI."""

from __future__ import annotations

from pathlib import Path

import pytest

from deconflict.data import traffic_sample
from deconflict.errors import InputError


@pytest.fixture(scope="session")
def quickstart_json() -> Path:
    """Three hours of real traffic over Paris (284,505 records), fetched once from PyPI."""
    try:
        return traffic_sample("quickstart")
    except InputError as e:  # no registry reachable: say so, visibly
        pytest.skip(str(e))
