"""The plan store on SQLite (embedded, the default) or PostgreSQL, behind one interface."""

from __future__ import annotations

from pathlib import Path

from deconflict.errors import OptionError
from deconflict.store.plans import Filing, PlanStore, Policy, Status, StoredPlan, Terms

__all__ = ["Filing", "PlanStore", "Policy", "Status", "StoredPlan", "Terms", "open_store"]


def open_store(url: str, policy: Policy | None = None, durable: bool = True) -> PlanStore:
    """A store from ``sqlite:///PATH`` (or a plain path) or ``postgresql://...``; the schema
    is brought up to date."""
    if url.startswith(("postgresql://", "postgres://")):
        from deconflict.store.postgres import PostgresBackend

        backend: object = PostgresBackend(url)
    else:
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
        if url.startswith(("sqlite:", "http:", "https:", "mysql:")) and not url.startswith(
            "sqlite:///"
        ):
            raise OptionError(f"--db {url!r}: use sqlite:///PATH or postgresql://...")
        if path != ":memory:" and not Path(path).parent.exists():
            raise OptionError(f"--db {url!r}: directory {Path(path).parent} does not exist")
        from deconflict.store.sqlite import SqliteBackend

        backend = SqliteBackend(path, durable=durable)
    from deconflict.store.backend import Backend

    assert isinstance(backend, Backend)
    return PlanStore(backend, policy or Policy())
