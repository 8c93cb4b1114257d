"""The SQLite backend's own machinery: the writers' lock and the checkpoint thread."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from deconflict.store import open_store
from deconflict.store.sqlite import SqliteBackend
from plan_factory import plan, square

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the writers' lock is POSIX flock")


def test_a_writer_waits_for_the_writers_lock_of_another_connection(tmp_path: Path) -> None:
    path = str(tmp_path / "w.db")
    first, second = SqliteBackend(path), SqliteBackend(path)
    try:
        with first.transaction(write=True) as tx:
            tx.run("CREATE TABLE t (x INTEGER)")
        began: list[float] = []

        def write() -> None:
            with second.transaction(write=True) as tx:
                began.append(time.monotonic())
                tx.run("INSERT INTO t VALUES (2)")

        with first.transaction(write=True) as tx:
            tx.run("INSERT INTO t VALUES (1)")
            other = threading.Thread(target=write)
            other.start()
            time.sleep(0.2)
            assert began == []  # still queued on the lock, not failed
            released = time.monotonic()
        other.join(10)
        assert began and began[0] >= released
        assert (tmp_path / "w.db-writer").exists()
        with second.transaction(write=False) as tx:
            assert tx.rows("SELECT x FROM t ORDER BY x") == [(1,), (2,)]
    finally:
        first.close()
        second.close()


def test_the_writers_lock_is_let_go_when_a_write_fails(tmp_path: Path) -> None:
    path = str(tmp_path / "w.db")
    first, second = SqliteBackend(path), SqliteBackend(path)
    try:
        with pytest.raises(sqlite3.OperationalError), first.transaction(write=True) as tx:
            tx.run("INSERT INTO missing VALUES (1)")
        done = threading.Event()

        def write() -> None:
            with second.transaction(write=True) as tx:
                tx.run("CREATE TABLE t (x INTEGER)")
            done.set()

        threading.Thread(target=write, daemon=True).start()
        assert done.wait(10)
    finally:
        first.close()
        second.close()


def test_without_a_lock_file_writers_use_sqlite_s_lock_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open

    def refuse(path: str, *args: int) -> int:  # as in a read-only directory
        if path.endswith("-writer"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args)

    monkeypatch.setattr(os, "open", refuse)
    path = tmp_path / "ro.db"
    with open_store(f"sqlite:///{path}") as store:
        assert store.file(plan("A", "red", square(45, 5, 0.1))).accepted
        assert [p.plan.plan_id for p in store.plans()] == ["A"]
    assert not (tmp_path / "ro.db-writer").exists()


def test_the_checkpoint_thread_copies_the_log_into_the_database(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with open_store(f"sqlite:///{path}") as store:
        for i in range(40):  # far fewer pages than make a commit checkpoint
            store.file(plan(f"P{i:02d}", "red", square(-60 + 3 * i, 5, 0.1)))
        time.sleep(1.0)  # rounds of the checkpoint thread
        # the database file alone, without its log, holds every filing
        alone = tmp_path / "alone.db"
        alone.write_bytes(path.read_bytes())
        conn = sqlite3.connect(alone)
        try:
            assert conn.execute("SELECT COUNT(*) FROM plans").fetchone() == (40,)
        finally:
            conn.close()


def test_a_durable_write_syncs_the_log_after_letting_writers_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    path = str(tmp_path / "d.db")
    backend = SqliteBackend(path, checkpoints=False)
    synced: list[tuple[str, bool]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        name = os.readlink(f"/proc/self/fd/{fd}")
        probe = os.open(path + "-writer", os.O_RDWR)
        try:  # is the writers' lock free?
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(probe, fcntl.LOCK_UN)
            free = True
        except BlockingIOError:
            free = False
        finally:
            os.close(probe)
        synced.append((name, free))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    try:
        assert backend.conn.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
        with backend.transaction(write=True) as tx:
            tx.run("CREATE TABLE t (x INTEGER)")
            assert synced == []
        assert synced == [(path + "-wal", True)]
        with backend.transaction(write=False) as tx:  # a read syncs nothing
            tx.rows("SELECT * FROM t")
        assert len(synced) == 1
    finally:
        backend.close()
    # not durable: SQLite's NORMAL, nothing synced after the commit
    quick = SqliteBackend(str(tmp_path / "q.db"), durable=False, checkpoints=False)
    try:
        with quick.transaction(write=True) as tx:
            tx.run("CREATE TABLE t (x INTEGER)")
        assert len(synced) == 1
    finally:
        quick.close()


def test_an_in_memory_database_is_left_to_sqlite_s_own_syncing() -> None:
    backend = SqliteBackend(":memory:")
    try:
        assert backend.conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        with backend.transaction(write=True) as tx:
            tx.run("CREATE TABLE t (x INTEGER)")
    finally:
        backend.close()


def test_a_thread_writing_on_two_connections_at_once_is_refused_not_hung(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "n.db")
    first, second = SqliteBackend(path), SqliteBackend(path)
    try:
        with first.transaction(write=True) as tx:
            tx.run("CREATE TABLE t (x INTEGER)")
            with (
                pytest.raises(sqlite3.OperationalError, match="already writing"),
                second.transaction(write=True) as other,
            ):
                other.run("INSERT INTO t VALUES (1)")
        with second.transaction(write=True) as tx:  # free again afterwards
            tx.run("INSERT INTO t VALUES (2)")
            assert tx.rows("SELECT x FROM t") == [(2,)]
    finally:
        first.close()
        second.close()
