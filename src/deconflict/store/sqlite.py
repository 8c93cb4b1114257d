"""SQLite: the embedded default. One file, WAL, nothing to install."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from deconflict.store.backend import Backend, Row, Tx

try:
    import fcntl
except ImportError:  # not POSIX: writers wait for SQLite's lock, polling
    fcntl = None  # type: ignore[assignment]


class _SqliteTx(Tx):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()

    def rows_each(self, sql: str, params: Sequence[Sequence[Any]]) -> list[Row]:
        out: list[Row] = []
        for p in params:
            out += self.conn.execute(sql, p).fetchall()
        return out

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


class SqliteBackend(Backend):
    dialect = "sqlite"
    begin_write = "BEGIN IMMEDIATE"  # the write lock at once: filings one after another
    begin_read = "BEGIN"
    retryable = ()  # writers wait for the lock (busy timeout) instead

    def __init__(
        self, path: str, durable: bool = True, timeout_s: float = 60.0, checkpoints: bool = True
    ) -> None:
        self.path, self.durable, self.timeout_s = path, durable, timeout_s
        self._writers: int | None = None  # the file of the writers' lock, opened on first use
        self._real_path = os.path.realpath(path) if self._on_disk() else path
        self.conn = sqlite3.connect(
            path, isolation_level=None, timeout=timeout_s, check_same_thread=False
        )
        wal = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        # durable: a filing acknowledged is on disk; else it survives a crash of the
        # process but maybe not of the machine. SQLite's FULL waits for the disk in the
        # commit, holding the write lock; on a file in WAL mode, the log is synced after it
        self._sync_log = durable and wal and self._on_disk()
        full = durable and not self._sync_log
        self.conn.execute(f"PRAGMA synchronous={'FULL' if full else 'NORMAL'}")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages: the index is large
        self.checkpointer: _Checkpointer | None = None
        if checkpoints and self._on_disk():
            # the log is copied into the database by a thread of its own, not by whichever
            # commit crosses the threshold; past a large one, a commit still does it
            self.conn.execute(f"PRAGMA wal_autocheckpoint={_AUTOCHECKPOINT_PAGES}")
            self.checkpointer = _Checkpointer(path)
            self.checkpointer.start()

    def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    def lock_writers(self) -> None:
        """Writers of every process queue on a lock of the kernel (``<database>-writer``)
        before they ask SQLite for its own: SQLite makes a writer that finds the database
        locked sleep 1 ms or more before it asks again; the kernel wakes the next writer
        as soon as the lock is let go."""
        if self._writers is None and self._on_disk() and fcntl is not None:
            with contextlib.suppress(OSError):  # a read-only directory: SQLite's lock only
                self._writers = os.open(self.path + "-writer", os.O_RDWR | os.O_CREAT, 0o644)
        if self._writers is None:
            return
        with _WRITING_LOCK:
            # the kernel's lock would make it wait for itself for ever
            if _WRITING.get(self._real_path) == threading.get_ident():
                raise sqlite3.OperationalError(
                    f"database is locked: this thread is already writing to {self.path} "
                    "on another connection"
                )
        fcntl.flock(self._writers, fcntl.LOCK_EX)
        with _WRITING_LOCK:
            _WRITING[self._real_path] = threading.get_ident()

    def unlock_writers(self) -> None:
        if self._writers is not None:
            with _WRITING_LOCK:
                _WRITING.pop(self._real_path, None)
            fcntl.flock(self._writers, fcntl.LOCK_UN)

    def make_durable(self) -> None:
        """Sync the write-ahead log, as SQLite's ``synchronous=FULL`` does in the commit,
        but after the writers' lock is let go: writers of other processes go on writing
        meanwhile, and one sync of the log takes every commit written before it to disk
        (the log only grows, and goes back to its start only after a checkpoint has
        synced the database file)."""
        if self._sync_log:
            log = os.open(self.path + "-wal", os.O_RDONLY)
            try:
                os.fsync(log)
            finally:
                os.close(log)

    def _on_disk(self) -> bool:
        return self.path != ":memory:" and not self.path.startswith("file:")

    def tx(self) -> Tx:
        return _SqliteTx(self.conn)

    def connect_again(self) -> SqliteBackend | None:
        if not self._on_disk():
            return None
        return SqliteBackend(self.path, self.durable, self.timeout_s, checkpoints=False)

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.finish()
        if self._writers is not None:
            os.close(self._writers)
            self._writers = None
        self.conn.close()


#: the thread that holds the writers' lock of each database file, in this process
_WRITING: dict[str, int] = {}
_WRITING_LOCK = threading.Lock()

#: the pages of log past which a commit copies it into the database itself (about 80 MB)
_AUTOCHECKPOINT_PAGES = 20_000


class _Checkpointer(threading.Thread):
    """Copies the write-ahead log into the database file every ``every_s`` seconds,
    without waiting for readers or writers (a passive checkpoint), and has the disk write
    what it copied, so that commits stay short: a commit that has to checkpoint (the log
    goes back to its start only after one that a commit makes, when readers never stop)
    would otherwise write pages all over a large file, and wait for the disk to take
    every page copied since the last such commit."""

    def __init__(self, path: str, every_s: float = 0.25) -> None:
        super().__init__(name=f"deconflict checkpoints {path}", daemon=True)
        self.path, self.every_s = path, every_s
        self.stop = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=0.0, isolation_level=None)
        database = os.open(self.path, os.O_RDONLY)
        try:
            while not self.stop.wait(self.every_s):
                # busy: another connection is checkpointing
                with contextlib.suppress(sqlite3.OperationalError):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                os.fsync(database)
        finally:
            os.close(database)
            conn.close()

    def finish(self) -> None:
        self.stop.set()
        self.join()
