"""A throwaway PostgreSQL server for the test session, built from the distribution's binaries.

`PostgresServer.start()` runs `initdb` into a fresh temporary directory and starts the server
with `pg_ctl`: it listens on 127.0.0.1 on a free port (and on a unix socket inside that
directory), trusts every local connection, and is tuned for tests (no fsync, 200 connections).
`stop()` kills it and removes the directory; it is also registered with `atexit`, so a server
is never left behind by a normal exit, even when tests fail. PostgreSQL refuses to run as root:
as root, `initdb` and `pg_ctl` run as the `postgres` system user that Debian's package creates.

Each pytest-xdist worker starts its own server (about one second); `fresh_database()` gives each
test an empty database of its own, dropped afterwards.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

HOST = "127.0.0.1"
SUPERUSER = "postgres"  # the database role; trust auth, so no password
INSTALL_HINT = "run `make postgres`"
START_TIMEOUT_S = 30
SETTINGS = {
    "listen_addresses": f"'{HOST}'",
    "max_connections": "200",  # tests run many concurrent filers
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux, with `/.s.PGSQL.NNNNN` appended


class PostgresUnavailableError(RuntimeError):
    """No server can run here; the message says why and what to do."""


def find_bindir() -> Path | None:
    """The directory holding `initdb`, `pg_ctl` and `postgres`, or None when not installed.

    Looked for, in order: `pg_config --bindir`, Debian's /usr/lib/postgresql/<newest>/bin,
    and `initdb` on PATH (followed through symlinks).
    """
    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            ).stdout.strip()
            if out:
                candidates.append(Path(out))
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted((Path(d) for d in debian), key=_version_key, reverse=True)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def _version_key(bindir: Path) -> tuple[int, ...]:
    """/usr/lib/postgresql/15/bin -> (15,), so that 15 sorts after 9.6."""
    parts = bindir.parent.name.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else (-1,)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _traversable_by_others(path: Path) -> bool:
    """Whether a user other than the owner can reach entries below `path` (x on every ancestor)."""
    return all(os.stat(p).st_mode & 0o001 for p in (path, *path.parents))


def _temp_parent(run_as_other_user: bool) -> str:
    """Where the server's directory goes: the usual temp dir, unless the unix socket's path would
    be too long there or (as root) the `postgres` user could not reach it; then /tmp."""
    parent = Path(tempfile.gettempdir()).resolve()
    too_long = len(str(parent)) + len("/deconflict-pg-xxxxxxxx") > _SOCKET_PATH_MAX
    unreachable = run_as_other_user and not _traversable_by_others(parent)
    return "/tmp" if (too_long or unreachable) and os.path.isdir("/tmp") else str(parent)


def _clean_env() -> dict[str, str]:
    """The environment for the server's tools: no PG* variables, English messages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


@dataclass
class PostgresServer:
    """A running throwaway server; `url()` names one of its databases."""

    bindir: Path
    root: Path  # the temporary directory: data/, the unix socket, the logs
    port: int = 0
    os_user: str | None = None  # the system user the server runs as, None: this process's

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / f"server-{self.port}.log"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{dbname}"

    @classmethod
    def start(cls, bindir: Path | None = None, attempts: int = 4) -> PostgresServer:
        """initdb + pg_ctl start; raises PostgresUnavailableError with the reason when it cannot."""
        bindir = bindir or find_bindir()
        if bindir is None:
            raise PostgresUnavailableError(
                "PostgreSQL not installed (no initdb in `pg_config --bindir`, "
                f"/usr/lib/postgresql/*/bin or PATH): {INSTALL_HINT}"
            )
        os_user = None
        owner: tuple[int, int] | None = None
        if os.geteuid() == 0:
            os_user = "postgres"
            try:
                entry = pwd.getpwnam(os_user)
            except KeyError:
                raise PostgresUnavailableError(
                    "PostgreSQL refuses to run as root and there is no `postgres` system user "
                    f"to run it as: {INSTALL_HINT}"
                ) from None
            owner = (entry.pw_uid, entry.pw_gid)
        root = Path(tempfile.mkdtemp(prefix="deconflict-pg-", dir=_temp_parent(owner is not None)))
        server = cls(bindir=bindir, root=root, os_user=os_user)
        atexit.register(server.stop)
        try:
            if owner is not None:
                os.chown(root, *owner)
            server._initdb()
            for attempt in range(1, attempts + 1):
                server.port = _free_port()
                if server._pg_ctl_start():
                    return server
                log = server._log_tail()
                # Retry only when another process took the port between _free_port() and the bind.
                if "Address already in use" not in log or attempt == attempts:
                    raise PostgresUnavailableError(f"PostgreSQL could not start:\n{log}")
            raise AssertionError("unreachable: the last attempt returns or raises")
        except BaseException:
            server.stop()
            raise

    def _command(self, argv: Sequence[str]) -> list[str]:
        """`argv` as the server's system user: runuser (or su) when we are root."""
        if self.os_user is None:
            return list(argv)
        if runuser := shutil.which("runuser"):
            return [runuser, "-u", self.os_user, "--", *argv]
        return ["su", self.os_user, "-s", "/bin/sh", "-c", shlex.join(argv)]

    def _run(self, argv: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._command(argv),
            cwd=self.root,  # a directory the server's user can enter, unlike root's cwd
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _initdb(self) -> None:
        argv = [
            str(self.bindir / "initdb"),
            *("-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8"),
            *("--locale=C", "--no-sync"),
        ]
        try:
            done = self._run(argv, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise PostgresUnavailableError(f"PostgreSQL initdb failed: {e}") from e
        if done.returncode != 0:
            raise PostgresUnavailableError(f"PostgreSQL initdb failed:\n{done.stdout}{done.stderr}")
        socket_dir = str(self.root).replace("'", "''")
        lines = [f"{k} = {v}" for k, v in SETTINGS.items()]
        lines.append(f"unix_socket_directories = '{socket_dir}'")
        with open(self.data / "postgresql.conf", "a") as conf:  # keeps the server user's ownership
            conf.write("\n# tests/pg.py\n" + "\n".join(lines) + "\n")

    def _pg_ctl_start(self) -> bool:
        argv = [
            str(self.bindir / "pg_ctl"),
            *("-D", str(self.data), "-l", str(self.log), "-o", f"-p {self.port}"),
            *("-w", "-t", str(START_TIMEOUT_S), "start"),
        ]
        try:
            return self._run(argv, timeout=START_TIMEOUT_S + 10).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError as e:
            return f"(no log: {e})"

    def stop(self) -> None:
        """Stop the server (immediately: nothing in it is worth keeping) and remove its directory.
        Safe to call more than once, and from atexit."""
        atexit.unregister(self.stop)
        if self.data.exists():
            argv = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate"]
            try:
                stopped = self._run([*argv, "-w", "-t", "10", "stop"], timeout=20).returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                stopped = False
            if not stopped:
                self._kill_postmaster()
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        """The last resort when pg_ctl cannot stop it: SIGKILL the postmaster (its backends notice
        and exit), after checking that the pid is still a server of this data directory."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if os.fsencode(self.data) in cmdline:
                os.kill(pid, signal.SIGKILL)

    def create_database(self) -> str:
        """A new empty database; returns its name."""
        name = f"test_{uuid.uuid4().hex}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Drop it, disconnecting whatever is still connected (PostgreSQL ≥ 13)."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    @contextlib.contextmanager
    def fresh_database(self) -> Iterator[str]:
        """The URL of a new empty database, dropped on exit."""
        name = self.create_database()
        try:
            yield self.url(name)
        finally:
            self.drop_database(name)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
