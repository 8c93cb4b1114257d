"""The throwaway PostgreSQL server of the test session (tests/pg.py, fixtures in conftest.py)."""

from __future__ import annotations

import psycopg
import pytest

from pg import PostgresServer


def test_table_round_trip(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE plans (id integer PRIMARY KEY, party text NOT NULL)")
        conn.execute("INSERT INTO plans VALUES (%s, %s), (%s, %s)", (1, "blue", 2, "red"))
        conn.commit()
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute("SELECT id, party FROM plans ORDER BY id").fetchall()
    assert rows == [(1, "blue"), (2, "red")]


def test_databases_are_fresh_and_independent(postgres_server: PostgresServer) -> None:
    with postgres_server.fresh_database() as a, postgres_server.fresh_database() as b:
        assert a != b
        with psycopg.connect(a, autocommit=True) as conn:
            conn.execute("CREATE TABLE plans (id integer)")
        with psycopg.connect(b, autocommit=True) as conn:
            tables = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchall()
        assert tables == []
    # dropped on exit
    with psycopg.connect(postgres_server.url(), autocommit=True) as conn:
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}
    assert a.rsplit("/", 1)[1] not in names
    assert b.rsplit("/", 1)[1] not in names


def test_serializable_isolation(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:  # psycopg opens a transaction on first execute
        conn.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
        level = conn.execute("SHOW transaction_isolation").fetchone()
    assert level == ("serializable",)


def test_server_settings(postgres_server: PostgresServer, postgres_url: str) -> None:
    assert postgres_url.startswith(f"postgresql://postgres@127.0.0.1:{postgres_server.port}/test_")
    with psycopg.connect(postgres_url) as conn:
        shown = {
            name: conn.execute(f"SHOW {name}").fetchone()
            for name in ("max_connections", "fsync", "listen_addresses")
        }
    assert shown == {
        "max_connections": ("200",),
        "fsync": ("off",),
        "listen_addresses": ("127.0.0.1",),
    }


def test_store_url_both_backends(store_url: str, request: pytest.FixtureRequest) -> None:
    backend = request.node.callspec.params["store_url"]
    prefix = {"sqlite": "sqlite:////", "postgresql": "postgresql://postgres@127.0.0.1:"}[backend]
    assert store_url.startswith(prefix)
