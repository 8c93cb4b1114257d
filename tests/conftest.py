"""Shared fixtures: the real ADS-B recordings that ship inside the `traffic` wheel on PyPI, and a
throwaway PostgreSQL server (tests/pg.py) for the plan store's tests."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from deconflict.data import traffic_sample
from deconflict.errors import InputError
from pg import PostgresServer, PostgresUnavailableError

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


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """A Dask cluster in this process, one worker of two threads, for the incident review's
    tests (a cluster of processes takes seconds to start)."""
    distributed: Any = importlib.import_module("distributed")
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0"
    ) as client:
        yield client


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server (tests/pg.py), one per xdist worker, started on first use.
    Skips, with the reason, when PostgreSQL is not installed or cannot start."""
    try:
        server = PostgresServer.start()
    except PostgresUnavailableError as e:
        pytest.skip(str(e))
    with server:  # stopped and removed at the end of the session, whatever the outcome
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """`postgresql://postgres@127.0.0.1:PORT/test_<hex>`: a fresh empty database, dropped after."""
    with postgres_server.fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The plan store's URL on each backend: `sqlite:///` + an absolute path to a new file, or a
    fresh PostgreSQL database (the server starts only for this parameter)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'plans.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
