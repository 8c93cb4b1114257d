"""SQLite: the embedded default. One file, WAL, nothing to install."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from deconflict.store.backend import Backend, Row, Tx


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

    def __init__(self, path: str, durable: bool = True, timeout_s: float = 60.0) -> None:
        self.conn = sqlite3.connect(
            path, isolation_level=None, timeout=timeout_s, check_same_thread=False
        )
        self.conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a filing acknowledged is on disk; NORMAL: it survives a crash of the
        # process but maybe not of the machine
        self.conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages: the index is large

    def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    def tx(self) -> Tx:
        return _SqliteTx(self.conn)

    def close(self) -> None:
        self.conn.close()
