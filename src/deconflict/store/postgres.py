"""PostgreSQL (psycopg 3): for deployments with many users."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import psycopg
from psycopg import errors

from deconflict.store.backend import Backend, Row, Tx

#: the advisory lock writers queue on (any constant: "dcnf" in ASCII)
_WRITER_LOCK = 0x64636E66


@cache
def _pg(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class _PgTx(Tx):
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.cur = conn.cursor()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.cur.execute(_pg(sql), params)
        return self.cur.fetchall()

    def rows_each(self, sql: str, params: Sequence[Sequence[Any]]) -> list[Row]:
        out: list[Row] = []
        if not params:
            return out
        self.cur.executemany(_pg(sql), params, returning=True)
        while True:
            out += self.cur.fetchall()
            if not self.cur.nextset():
                return out

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.cur.execute(_pg(sql), params)
        return self.cur.rowcount

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with self.cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


class PostgresBackend(Backend):
    dialect = "postgresql"
    # Writers run SERIALIZABLE: that alone keeps filings race-free (and is what distributed
    # engines compatible with PostgreSQL offer). Under load, though, its predicate locks on
    # index pages abort filings that did not really conflict, again and again; so writers
    # also queue on one advisory lock, taken before the transaction's snapshot, and the
    # serialisation failures left are rare.
    before_write = f"SELECT pg_advisory_lock({_WRITER_LOCK})"
    begin_write = "BEGIN ISOLATION LEVEL SERIALIZABLE"
    after_write = f"SELECT pg_advisory_unlock({_WRITER_LOCK})"
    # one snapshot for every statement of a reader: a filing checks on it, then looks in the
    # write transaction at what changed after it
    begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    retryable = (errors.SerializationFailure, errors.DeadlockDetected)

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: psycopg.Connection[Any] = psycopg.connect(url, autocommit=True)

    def connect_again(self) -> PostgresBackend:
        return PostgresBackend(self.url)

    def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    def tx(self) -> Tx:
        return _PgTx(self.conn)

    def close(self) -> None:
        self.conn.close()
