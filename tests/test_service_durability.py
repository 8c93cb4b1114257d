"""Killing the server with SIGKILL at any moment loses nothing it acknowledged: a real
server (uvicorn, SQLite in WAL with the store's sync) under writes from several clients,
killed at random moments and started again on the same database, three times."""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deconflict.line.line import OPERATOR, Line
from line_world import plan_fc
from servers import free_port, start_server

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


def _post(port: int, token: str, path: str, body: object) -> int | None:
    """The status of a POST, or None when the connection broke (no answer: no promise)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        e.close()
        return int(e.code)
    except (OSError, ValueError):
        return None


def test_nothing_acknowledged_is_lost_when_the_server_is_killed(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    with Line.open(f"sqlite:///{db}") as line:
        line.add_party(OPERATOR, "blue", "Blue")
        line.add_party(OPERATOR, "red", "Red")
        line.make_agreement(OPERATOR, "blue", "red", {})
        _, admin = line.create_key(OPERATOR, "admin", None)
        _, officer = line.create_key(OPERATOR, "officer", "blue")
        _, feed = line.create_key(OPERATOR, "feed", "blue")
        _, red_feed = line.create_key(OPERATOR, "feed", "red")
    acknowledged: dict[str, set[str]] = {"parties": set(), "plans": set(), "messages": set()}
    lock = threading.Lock()
    rng = random.Random(7)
    counter = iter(range(1_000_000))

    def client(port: int, stop: threading.Event, kind: str) -> None:
        while not stop.is_set():
            n = next(counter)
            if kind == "parties":
                status = _post(port, admin, "/v1/parties", {"party_id": f"p{n}", "name": "P"})
            elif kind == "messages":
                message = {
                    "client_id": f"m{n}",
                    "to_party": "red",
                    "subject": f"s{n}",
                    "priority": "urgent",
                    "template": "free",
                    "fields": {"text": "Go"},
                }
                status = _post(port, officer, "/v1/hotline/messages", message)  # fmt: skip
            elif kind == "tracks":  # the watch writes alerts meanwhile (blue/red pairs)
                for k, token in enumerate((feed, red_feed)):
                    state = {"id": f"t{n}", "time_s": time.time(), "latitude_deg": 0.0,
                             "longitude_deg": 0.05 * k, "altitude_ft": 30_000,
                             "groundspeed_kt": 400, "track_deg": 90.0 + 180.0 * k,
                             "vertical_rate_fpm": 0}  # fmt: skip
                    status = _post(port, token, "/v1/tracks", {"states": [state]})
                    if status is None:
                        return
                    assert status == 202, status
                time.sleep(0.2)
                continue
            else:
                lon = -170.0 + (n % 3400) * 0.1
                status = _post(port, officer, "/v1/plans", {"plan": plan_fc(f"x{n}", lon, 0.0)})
            if status is None:
                return
            assert status == 201, status
            with lock:
                acknowledged[kind].add({"parties": "p", "plans": "x", "messages": "m"}[kind]
                                       + str(n))  # fmt: skip

    for _ in range(3):
        port = free_port()
        proc = start_server(db, port, "--rate-limit", "0")  # writers as fast as they go
        stop = threading.Event()
        clients = [
            threading.Thread(target=client, args=(port, stop, kind))
            for kind in ("parties", "parties", "plans", "messages", "tracks")
        ]
        for c in clients:
            c.start()
        time.sleep(rng.uniform(0.5, 2.0))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        stop.set()
        for c in clients:
            c.join(timeout=30)
    assert len(acknowledged["parties"]) > 20 and len(acknowledged["plans"]) > 5
    assert len(acknowledged["messages"]) > 5

    with Line.open(f"sqlite:///{db}") as line:
        parties = {p.party_id for p in line.parties(OPERATOR)}
        plans = {
            str(row[0]).removeprefix("blue/")
            for row in line.store.read(lambda tx: tx.rows("SELECT plan_id FROM plans"))
        }
        messages = {
            str(row[0])
            for row in line.store.read(lambda tx: tx.rows("SELECT client_id FROM hotline_messages"))
        }
        alerts = line.store.read(lambda tx: tx.rows("SELECT COUNT(*) FROM alerts"))[0][0]
        count, broken = line.verify_audit(OPERATOR)
        audited = line.store.read(
            lambda tx: tx.rows("SELECT kind, COUNT(*) FROM audit GROUP BY kind")
        )
    assert acknowledged["parties"] <= parties
    assert acknowledged["plans"] <= plans
    assert acknowledged["messages"] <= messages
    assert broken is None
    # every change made is audited once: the chain and the tables agree
    by_kind = dict(audited)
    assert by_kind["party.added"] == len(parties)
    assert by_kind["plan.filed"] == len(plans)
    assert by_kind["hotline.sent"] == len(messages)
    assert alerts > 0 and by_kind["alert.raised"] == alerts
    assert count == sum(by_kind.values())
