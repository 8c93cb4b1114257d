"""A real line for the tests that need one: ``deconflict serve`` in a process of its own,
on a free port of this machine."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    """A port no one listens on now (another process may take it before it is used)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def start_server(db: Path, port: int, *options: str) -> subprocess.Popen[bytes]:
    """``deconflict serve --db DB --port PORT [options]``, once it answers (30 s at most)."""
    command = [str(Path(sys.executable).parent / "deconflict"), "serve", "--db", str(db),
               "--port", str(port), *options]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30.0
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=5):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("the server did not start") from None
            time.sleep(0.1)
