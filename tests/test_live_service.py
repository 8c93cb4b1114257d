"""The live routes over HTTP: tracks in (JSON and WebSocket), alerts, and the event stream
(server-sent events and WebSocket) resumed from its cursor."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import uvicorn
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect
from websockets.sync.client import connect

from deconflict.service.app import create_app
from line_world import SECRET_AIRCRAFT, SECRET_CALLSIGN, World, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = make_world(f"sqlite:///{tmp_path_factory.mktemp('live') / 'line.db'}")
    yield made
    made.line.close()


def one(ident: str, world: World, **kw: Any) -> dict[str, Any]:
    return {"id": ident, "time_s": world.clock.now, "latitude_deg": 10.0, "longitude_deg": 10.0,
            "altitude_ft": 20_000, "groundspeed_kt": 300, "track_deg": 0,
            "vertical_rate_fpm": 0, **kw}  # fmt: skip


def auth(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def test_a_feed_pushes_a_batch(world: World) -> None:
    r = world.call("feed_a", "POST", "/v1/tracks", {"states": [one("t1", world),
                                                               one("t2", world)]})  # fmt: skip
    assert r.status_code == 202 and r.json() == {"accepted": 2}
    seen = {t["id"] for t in world.call("officer_a", "GET", "/v1/tracks").json()["tracks"]}
    assert {"t1", "t2", SECRET_AIRCRAFT} <= seen


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "the body is not JSON"),
        (b"[1, 2]", 'the body is {"states": [...]}'),
        (b'{"states": [], "more": 1}', 'the body is {"states": [...]}'),
        (b'{"states": 5}', "states must be a list"),
        (b'{"states": [{"id": "x"}]}', "states[0].time_s: missing"),
    ],
)
def test_a_bad_batch_is_refused_whole_with_one_line(world: World, body: bytes, message: str
                                                    ) -> None:  # fmt: skip
    before = len(world.line.live.board)
    r = world.client.post("/v1/tracks", content=body, headers=auth(world, "feed_a"))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_request"
    assert message in r.json()["error"]["message"]
    assert len(world.line.live.board) == before


def test_a_batch_with_one_bad_state_takes_nothing(world: World) -> None:
    before = world.line.live.board.received
    states = [one("ok1", world), one("bad", world, latitude_deg=95.0)]
    r = world.call("feed_a", "POST", "/v1/tracks", {"states": states})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "states[1].latitude_deg: 95.0 is out of range"
    assert world.line.live.board.received == before


def test_the_tracks_socket_takes_batches_and_answers_each(world: World) -> None:
    with world.client.websocket_connect("/v1/tracks/ws", headers=auth(world, "feed_a")) as ws:
        ws.send_text(orjson.dumps({"states": [one("w1", world)]}).decode())
        assert orjson.loads(ws.receive_text()) == {"accepted": 1}
        ws.send_text("{broken")
        assert orjson.loads(ws.receive_text())["error"]["code"] == "bad_request"
        ws.send_text(orjson.dumps({"states": [one("w2", world, track_deg="north")]}).decode())
        error = orjson.loads(ws.receive_text())["error"]
        assert error["message"] == "states[0].track_deg: must be a number"
        ws.send_text(orjson.dumps({"states": [one("w3", world)]}).decode())  # still open
        assert orjson.loads(ws.receive_text()) == {"accepted": 1}
        # the size limit counts bytes: 2.5 Mi characters of 4 bytes each are 10 MiB
        ws.send_text('{"states": [], "pad": "' + "\U0001f6e9" * (5 << 19) + '"}')
        error = orjson.loads(ws.receive_text())["error"]
        assert error["message"] == f"a message is at most {8 << 20} bytes"
    # a browser's way: the key in a first message
    with world.client.websocket_connect("/v1/tracks/ws") as ws:
        ws.send_text(orjson.dumps({"key": world.tokens["feed_a"]}).decode())
        ws.send_text(orjson.dumps({"states": [one("w4", world)]}).decode())
        assert orjson.loads(ws.receive_text()) == {"accepted": 1}


@pytest.mark.parametrize("who", ["anonymous", "malformed", "revoked_a", "expired_a"])
def test_the_sockets_refuse_a_caller_without_a_valid_key(world: World, who: str) -> None:
    for path in ("/v1/tracks/ws", "/v1/events/ws"):
        with world.client.websocket_connect(path) as ws:
            ws.send_text(orjson.dumps({"key": world.tokens[who] or ""}).decode())
            assert orjson.loads(ws.receive_text())["error"]["code"] == "unauthorized"
            with pytest.raises(WebSocketDisconnect) as e:
                ws.receive_text()
            assert e.value.code == 4401


def test_a_socket_refuses_a_role_that_may_not(world: World) -> None:
    with world.client.websocket_connect("/v1/tracks/ws", headers=auth(world, "officer_a")) as ws:
        ws.send_text(orjson.dumps({"states": [one("x", world)]}).decode())
        assert orjson.loads(ws.receive_text())["error"]["code"] == "forbidden"
    with world.client.websocket_connect("/v1/events/ws", headers=auth(world, "feed_a")) as ws:
        assert orjson.loads(ws.receive_text())["error"]["code"] == "forbidden"
        with pytest.raises(WebSocketDisconnect):
            ws.receive_text()


def _sse(text: str) -> list[dict[str, Any]]:
    """The events of a server-sent-events text."""
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in fields:
            event = orjson.loads(fields["data"])
            assert fields["id"] == str(event["event_id"]) and fields["event"] == event["kind"]
            out.append(event)
    return out


def test_the_event_stream_resumes_from_its_cursor(world: World) -> None:
    """b's stream: everything from the start, then only what came after the last event
    seen (``after`` or ``Last-Event-ID``), never twice; b's alert shows a's aircraft
    without its id or callsign."""
    r = world.client.get("/v1/events/stream?for_s=0", headers=auth(world, "officer_b"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    first = _sse(r.text)
    kinds = [e["kind"] for e in first]
    assert "alert" in kinds and "notice" in kinds
    assert SECRET_AIRCRAFT not in r.text and SECRET_CALLSIGN not in r.text
    last = first[-1]["event_id"]
    r = world.call("officer_a", "POST", f"/v1/alerts/{world.alert_ab}/ack")
    assert r.status_code == 200, r.text
    resume = {**auth(world, "officer_b"), "Last-Event-ID": str(last)}
    again = world.client.get("/v1/events/stream?for_s=0", headers=resume)
    (acked,) = _sse(again.text)
    assert acked["event_id"] > last and acked["body"]["change"] == "acknowledged"
    assert acked["body"]["acks"] == [{"party": "a", "at_s": world.clock.now}]
    # the same over a WebSocket, from a cursor
    with world.client.websocket_connect(f"/v1/events/ws?after={last}",
                                        headers=auth(world, "officer_b")) as ws:  # fmt: skip
        assert orjson.loads(ws.receive_text()) == acked
    bad = world.client.get("/v1/events/stream?for_s=0",
                           headers={**auth(world, "officer_b"), "Last-Event-ID": "x"})  # fmt: skip
    assert bad.status_code == 400 and "Last-Event-ID" in bad.json()["error"]["message"]


def test_alerts_over_http(world: World) -> None:
    (b_sees,) = world.call("officer_b", "GET", "/v1/alerts?active=true").json()
    assert b_sees["alert_id"] == world.alert_ab and b_sees["other_party"] == "a"
    assert "id" not in b_sees["other"] and "callsign" not in b_sees["other"]
    (a_sees,) = world.call("officer_a", "GET", "/v1/alerts").json()
    assert a_sees["own"]["id"] == SECRET_AIRCRAFT and a_sees["own"]["callsign"] == SECRET_CALLSIGN
    assert world.call("officer_b", "GET", "/v1/alerts?active=false").json() == []
    assert world.call("officer_c", "GET", "/v1/alerts").json() == []
    r = world.call("officer_c", "GET", f"/v1/alerts/{world.alert_ab}")
    assert r.status_code == 404 and world.alert_ab in r.json()["error"]["message"]
    r = world.call("officer_b", "GET", "/v1/alerts?limit=0")
    assert r.status_code == 400


def test_the_openapi_document_lists_the_live_routes(world: World, tmp_path: Path) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    for p in ("/v1/tracks", "/v1/alerts", "/v1/alerts/{alert_id}/ack", "/v1/events/stream"):
        assert p in paths


def test_a_denied_socket_is_not_a_crash(world: World) -> None:
    """A socket to a path that does not exist is refused, not a fault."""
    with (
        pytest.raises((WebSocketDenialResponse, WebSocketDisconnect)),
        world.client.websocket_connect("/v1/nothing/ws"),
    ):
        pass


def test_an_idle_event_socket_ends_when_its_client_leaves(world: World) -> None:
    """Found in review: the event socket only sent, so a client that left while nothing
    happened was never noticed: its handler followed the line until the next event, and
    the server's shutdown waited for it. A real server (uvicorn), a real client."""
    server = uvicorn.Server(uvicorn.Config(create_app(world.line), host="127.0.0.1", port=0,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10.0
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        before = len(world.line.listeners)
        url = f"ws://127.0.0.1:{port}/v1/events/ws?after=1000000000"
        with connect(url, additional_headers=auth(world, "officer_a")) as ws:
            ws.send("anything: what a client sends is not read")
            _wait_for(lambda: len(world.line.listeners) == before + 1)  # following the line
        _wait_for(lambda: len(world.line.listeners) == before)  # and no longer
    finally:
        server.should_exit = True
        thread.join(10.0)
    assert not thread.is_alive()


def _wait_for(condition: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "not within 5 s"
        time.sleep(0.01)


def test_whoami_tells_an_officer_where_its_stream_stands(world: World) -> None:
    """The console reads the state of things, then follows the stream from there: whoami
    gives the party's latest event id, so that the history is not replayed."""
    for who in ("officer_a", "officer_b"):
        me = world.client.get("/v1/whoami", headers=auth(world, who)).json()
        events = world.client.get("/v1/events?limit=1000", headers=auth(world, who)).json()
        assert events["events"] and me["last_event_id"] == events["events"][-1]["event_id"]
        after = world.client.get(f"/v1/events?after={me['last_event_id']}",
                                 headers=auth(world, who)).json()  # fmt: skip
        assert after["events"] == []
    feed = world.client.get("/v1/whoami", headers=auth(world, "feed_a")).json()
    assert "last_event_id" not in feed
