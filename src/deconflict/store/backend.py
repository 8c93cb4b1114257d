"""The one small interface the store needs from a database, and its two implementations.

SQL is written once, with ``?`` placeholders; a backend runs it in a transaction that is
either a reader or the (serialised) writer:

- SQLite (``sqlite.py``): one file in WAL mode; writers take the write lock when they begin
  (``BEGIN IMMEDIATE``), so filings happen one after another while readers go on.
- PostgreSQL (``postgres.py``): writers run ``SERIALIZABLE``; a transaction that would break
  serialisability fails with a serialisation error and is run again from the start.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

Row = tuple[Any, ...]


class Tx(ABC):
    """A transaction in progress."""

    @abstractmethod
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    @abstractmethod
    def rows_each(self, sql: str, params: Sequence[Sequence[Any]]) -> list[Row]:
        """The rows of one statement run with each set of parameters, all together
        (PostgreSQL: pipelined, one round trip)."""

    @abstractmethod
    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""

    @abstractmethod
    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows (PostgreSQL: with COPY)."""


class Backend(ABC):
    """A connection to one database."""

    dialect: str
    #: errors after which the transaction is run again
    retryable: tuple[type[BaseException], ...] = ()

    #: the statements that begin a writer's and a reader's transaction
    begin_write: str
    begin_read: str

    @abstractmethod
    def execute(self, sql: str) -> None:
        """Run one statement outside any ``Tx`` (BEGIN, COMMIT, ROLLBACK)."""

    @abstractmethod
    def tx(self) -> Tx: ...

    #: run before a writer's transaction begins, and after it ends however it ends
    before_write: str = ""
    after_write: str = ""

    def lock_writers(self) -> None:
        """Wait for the writers of other connections (before a writer's transaction; let
        go by ``unlock_writers`` when it ends, however it ends)."""
        if self.before_write:
            self.execute(self.before_write)

    def unlock_writers(self) -> None:
        if self.after_write:
            self.execute(self.after_write)

    def make_durable(self) -> None:
        """Return once a write transaction committed is on disk (after the writers' lock
        is let go, so that the next writer need not wait for the disk): a no-op where
        the commit itself waits for the disk."""
        return None

    @contextmanager
    def transaction(self, write: bool) -> Iterator[Tx]:
        """A transaction: committed when the block ends, rolled back when it raises; a
        write's block ends once what it wrote is durable."""
        if write:
            self.lock_writers()
        try:
            self.execute(self.begin_write if write else self.begin_read)
            try:
                yield self.tx()
            except BaseException:
                self.execute("ROLLBACK")
                raise
            self.execute("COMMIT")
        finally:
            if write:
                self.unlock_writers()
        if write:
            self.make_durable()

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def connect_again(self) -> Backend | None:
        """Another connection to the same database, for another thread; None where there
        can be only one (an in-memory SQLite database)."""

    def ensure_schema_table(self, sql: str) -> None:
        with self.transaction(write=True) as tx:
            tx.run(sql)


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
