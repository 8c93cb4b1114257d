"""A fresh database for a benchmark's row: an SQLite file, or a throwaway PostgreSQL server
of the tests (``tests/pg.py``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

#: how the tables name each backend
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL 15 (test server, fsync off)"}


class UnavailableError(Exception):
    """The backend cannot be had here (the message says why)."""


@contextmanager
def fresh(backend: str, tmp: str | Path, filename: str) -> Iterator[str]:
    """The URL of a new, empty database of ``backend`` (a file ``filename`` in ``tmp`` for
    SQLite); ``UnavailableError`` when it cannot be had."""
    if backend == "sqlite":
        yield f"sqlite:///{Path(tmp) / filename}"
    elif backend == "postgresql":
        from pg import PostgresServer, PostgresUnavailableError

        try:
            server = PostgresServer.start()
        except PostgresUnavailableError as e:
            raise UnavailableError(str(e)) from None
        with server, server.fresh_database() as url:
            yield url
    else:
        raise UnavailableError(f"no backend {backend!r} (sqlite, postgresql)")
