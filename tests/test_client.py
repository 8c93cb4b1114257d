"""``deconflict.client`` against the real app in process (FastAPI's TestClient as its
``http``), for every route on main; against a real ``deconflict serve``; and its event
stream and track socket against small stand-in apps of the same contract (the line's
``/v1/events/stream`` and ``/v1/tracks/ws`` are not on main yet)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from deconflict.client import ApiError, Client, TextSocket, UnreachableError
from deconflict.line.line import OPERATOR, Line
from deconflict.service.app import create_app
from line_world import SECRET_LAT, SECRET_LON, SECRET_PLAN, World, make_world, plan_fc
from servers import free_port


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(f"sqlite:///{tmp_path / 'line.db'}")
    yield made
    made.line.close()


def _as(world: World, who: str) -> Client:
    return Client("http://testserver", world.tokens[who], http=world.client)


@contextmanager
def _fails(status: int, code: str) -> Iterator[pytest.ExceptionInfo[ApiError]]:
    """``pytest.raises`` for an :class:`ApiError` of that status and code."""
    with pytest.raises(ApiError) as info:
        yield info
    assert (info.value.status, info.value.code) == (status, code), info.value


def test_who_is_calling(world: World) -> None:
    assert _as(world, "anonymous").health() == {"ok": True}
    me = _as(world, "feed_a").whoami()
    assert me == {"key_id": world.key_ids["feed_a"], "role": "feed", "party_id": "a"}
    for who in ("anonymous", "malformed", "revoked_a", "expired_a"):
        with _fails(401, "unauthorized") as e:
            _as(world, who).whoami()
        assert "valid API key" in e.value.message and "401" in str(e.value)


def test_an_admin_runs_parties_keys_and_agreements(world: World) -> None:
    admin = _as(world, "admin")
    assert admin.add_party("g", "Party G", ["Wing 9"])["members"] == ["Wing 9"]
    assert [p["party_id"] for p in admin.parties()] == ["a", "b", "c", "d", "e", "f", "g"]
    with _fails(409, "refused"):
        admin.add_party("g", "again")
    with _fails(400, "bad_request") as e:
        admin.add_party("E E", "bad name")
    assert "party_id" in e.value.message
    made = admin.create_key("officer", "g", "g's officer")
    assert made["token"].startswith("dk_") and made["party_id"] == "g"
    officer_g = Client("http://testserver", made["token"], http=world.client)
    assert officer_g.whoami()["party_id"] == "g"
    assert [k["key_id"] for k in admin.keys("g")] == [made["key_id"]]
    assert admin.revoke_key(made["key_id"])["revoked_s"] is not None
    with _fails(401, "unauthorized"):
        officer_g.whoami()
    with _fails(404, "not_found"):
        admin.revoke_key("no/such key")  # quoted as one path segment
    agreement = admin.make_agreement("c", "g", {"sharing": "coordination"})
    assert agreement["status"] == "in_force" and agreement["version"] == 1
    aid = agreement["agreement_id"]
    assert aid in {a["agreement_id"] for a in admin.agreements()}
    assert admin.agreement(aid)["terms"]["sharing"] == "coordination"
    assert admin.change_agreement(aid, 1, status="suspended")["status"] == "suspended"
    with _fails(409, "refused") as e:
        admin.change_agreement(aid, 1, terms={"sharing": "safety"})
    assert "not 1" in e.value.message
    changed = admin.change_agreement(aid, 2, terms={"sharing": "safety"})
    assert (changed["version"], changed["terms"]["sharing"]) == (3, "safety")
    assert [h["status"] for h in admin.agreement_history(aid)] == ["in_force", "suspended",
                                                                   "suspended"]  # fmt: skip
    with _fails(403, "forbidden"):
        _as(world, "officer_a").create_key("observer", "a")


def test_an_officer_files_acknowledges_updates_and_cancels(world: World) -> None:
    officer_a = _as(world, "officer_a")
    near = plan_fc("a-2", SECRET_LON + 0.1, SECRET_LAT + 0.05)
    with _fails(409, "missed") as refused:
        officer_a.file_plan(near)
    (notice,) = refused.value.body["notices"]
    assert notice["other_party"] == "b"
    filed = officer_a.file_plan(near, {notice["other_plan_ref"]: notice["other_version"]})
    assert filed["status"] == "accepted_with_conflicts" and filed["version"] == 1
    moved = officer_a.update_plan("a-2", plan_fc("a-2", -40.0, 10.0), version=1)
    assert (moved["status"], moved["version"]) == ("accepted", 2)
    with _fails(409, "refused"):
        officer_a.update_plan("a-2", plan_fc("a-2", -40.0, 10.0), version=1)
    assert {p["plan_id"] for p in officer_a.plans()} == {SECRET_PLAN, "a-2"}
    assert officer_a.plan("a-2")["version"] == 2
    assert officer_a.set_plan_state("a-2", "activated")["state"] == "activated"
    assert officer_a.cancel_plan(SECRET_PLAN)["state"] == "cancelled"
    assert [p["plan_id"] for p in officer_a.plans(["cancelled"])] == [SECRET_PLAN]
    with _fails(404, "not_found"):
        _as(world, "officer_b").plan(SECRET_PLAN)  # another party's: as if none
    assert officer_a.notices()
    assert officer_a.notices(since_s=time.time() + 3600.0) == []


def test_events_come_after_a_cursor(world: World) -> None:
    officer_b = _as(world, "officer_b")
    first = officer_b.events(limit=1)
    assert len(first["events"]) == 1 and first["cursor"] == first["events"][0]["event_id"]
    rest = officer_b.events(after=first["cursor"])
    assert all(e["event_id"] > first["cursor"] for e in rest["events"])
    assert officer_b.events(after=rest["cursor"]) == {"events": [], "cursor": rest["cursor"]}
    with _fails(400, "bad_request"):
        officer_b.events(limit=0)
    with _fails(403, "forbidden"):
        _as(world, "feed_a").events()


def test_the_audit_chain_and_a_receipt(world: World) -> None:
    admin = _as(world, "admin")
    walked = admin.verify_audit()
    assert walked["intact"] and walked["records"] > 10
    seq, sha = world.line.store.read(
        lambda tx: tx.rows("SELECT seq, sha256 FROM audit ORDER BY seq DESC LIMIT 1")
    )[0]
    assert admin.verify_audit(seq, sha)["intact"]
    assert admin.verify_audit(seq + 3, sha)["break"]["what"] == "truncated"


def test_a_busy_line_says_when_to_come_back(world: World) -> None:
    http = TestClient(create_app(world.line, rate_per_s=0.01, burst=1))
    client = Client("http://testserver", world.tokens["observer_a"], http=http)
    client.whoami()
    with _fails(429, "too_many_requests") as e:
        client.whoami()
    assert e.value.retry_after_s == 100.0


def test_answers_outside_the_error_format_are_errors_too() -> None:
    def answer(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/v1/whoami":
            return httpx2.Response(502, text="<html>Bad Gateway</html>")
        return httpx2.Response(200, text="not json")

    client = Client("http://proxy", "k", http=httpx2.Client(transport=httpx2.MockTransport(answer)))
    with _fails(502, "http_error") as e:
        client.whoami()
    assert "Bad Gateway" in e.value.message
    with _fails(200, "bad_answer"):
        client.health()


def test_a_line_that_is_not_there_is_unreachable() -> None:
    with Client(f"http://127.0.0.1:{free_port()}", timeout_s=5.0) as client:
        with pytest.raises(UnreachableError) as e:
            client.health()
        assert e.value.status == 0 and "cannot reach http://127.0.0.1" in str(e.value)
        with pytest.raises(UnreachableError):
            next(client.follow(max_retries=0))


def test_push_sends_the_states_of_the_contract() -> None:
    seen: list[Any] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append((request.method, request.url.path, request.headers["authorization"],
                     json.loads(request.content)))  # fmt: skip
        return httpx2.Response(202, json={"accepted": 1})

    client = Client(
        "http://line", "dk_x", http=httpx2.Client(transport=httpx2.MockTransport(answer))
    )
    state = {"id": "a1", "time_s": 1.8e9, "latitude_deg": 51.5, "longitude_deg": -0.1,
             "altitude_ft": 35_000.0, "groundspeed_kt": 450.0, "track_deg": 90.0,
             "vertical_rate_fpm": 0.0, "callsign": "BAW1"}  # fmt: skip
    assert client.push_tracks([state]) == 1
    assert seen == [("POST", "/v1/tracks", "Bearer dk_x", {"states": [state]})]


# -- the event stream and the track socket, on stand-ins of their contract -------------------


def _stream_app(events: list[dict[str, Any]], per_connection: int, overlap: int) -> FastAPI:
    """``/v1/events/stream`` as the contract has it, breaking off after ``per_connection``
    events, and sending ``overlap`` events again that the client saw already."""
    app = FastAPI()
    app.state.connections = []

    @app.get("/v1/events/stream")
    def stream(request: Request, after: int = 0) -> Any:
        if request.headers.get("authorization") != "Bearer good":
            refused = b'{"error": {"code": "unauthorized", "message": "no"}}'
            return StreamingResponse(iter([refused]), 401, media_type="application/json")
        last = int(request.headers.get("last-event-id", after))
        app.state.connections.append(last)
        todo = [e for e in events if e["event_id"] > last - overlap][:per_connection]

        def body() -> Iterator[bytes]:
            yield b"retry: 1000\n\n: keepalive\n\n"
            for e in todo:
                yield (f"id: {e['event_id']}\nevent: {e['kind']}\n"
                       f"data: {json.dumps(e)}\n\n").encode()  # fmt: skip

        return StreamingResponse(body(), media_type="text/event-stream")

    return app


def test_follow_reconnects_from_the_last_event_and_never_repeats_one() -> None:
    events = [{"event_id": i, "at_s": 100.0 + i, "kind": "notice", "body": {"n": i}}
              for i in range(1, 11)]  # fmt: skip
    app = _stream_app(events, per_connection=3, overlap=1)
    slept: list[float] = []
    client = Client("http://testserver", "good", http=TestClient(app), sleep=slept.append)
    seen = []
    for event in client.follow(after=2, max_backoff_s=2.0):
        seen.append(event)
        if event["event_id"] == 10:
            break
    assert seen == events[2:]
    # each from the last event it had (the event sent again each time was skipped)
    assert app.state.connections == [2, 4, 6, 8]
    assert slept == [0.5, 0.5, 0.5]  # a connection that brought events resets the backoff


def test_follow_backs_off_to_its_bound_and_gives_up_when_told() -> None:
    app = _stream_app([], per_connection=3, overlap=0)
    slept: list[float] = []
    client = Client("http://testserver", "good", http=TestClient(app), sleep=slept.append)
    with pytest.raises(UnreachableError, match="ended"):
        next(client.follow(max_retries=5, max_backoff_s=3.0))
    assert slept == [0.5, 1.0, 2.0, 3.0, 3.0]
    with _fails(401, "unauthorized"):  # no use trying again
        next(Client("http://testserver", "bad", http=TestClient(app)).follow())


def test_the_track_socket_pushes_batch_after_batch() -> None:
    app = FastAPI()

    @app.websocket("/v1/tracks/ws")
    async def tracks(ws: WebSocket) -> None:
        assert ws.headers["authorization"] == "Bearer feed"
        await ws.accept()
        with suppress(WebSocketDisconnect):
            while True:
                states = json.loads(await ws.receive_text())["states"]
                if not states:
                    await ws.send_text('{"error": {"code": "bad_request", "message": "none"}}')
                else:
                    await ws.send_text(json.dumps({"accepted": len(states)}))

    http = TestClient(app)
    opened: list[str] = []

    def connect(url: str, headers: dict[str, str]) -> AbstractContextManager[TextSocket]:
        opened.append(url)
        return http.websocket_connect(url, headers=headers)

    client = Client("http://testserver", "feed", http=http, ws_connect=connect)
    with client.track_socket() as feed:
        assert feed.push([{"id": "a"}, {"id": "b"}]) == 2
        with _fails(400, "bad_request"):
            feed.push([])
        assert feed.push([{"id": "c"}]) == 1
    assert opened == ["ws://testserver/v1/tracks/ws"]


# -- a real server ---------------------------------------------------------------------------


def test_the_client_against_deconflict_serve(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    with Line.open(f"sqlite:///{db}") as line:
        _, admin_token = line.create_key(OPERATOR, "admin", None)
    port = free_port()
    command = [str(Path(sys.executable).parent / "deconflict"), "serve", "--db", str(db),
               "--port", str(port)]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as proc:
        try:
            with Client(base, admin_token, timeout_s=10.0) as admin:
                deadline = time.monotonic() + 30.0
                while True:
                    try:
                        admin.health()
                        break
                    except UnreachableError:
                        assert proc.poll() is None, "the server stopped"
                        assert time.monotonic() < deadline, "no answer in 30 s"
                        time.sleep(0.2)
                admin.add_party("blue", "Blue")
                admin.add_party("red", "Red")
                admin.make_agreement("blue", "red")
                token = admin.create_key("officer", "blue")["token"]
                feed_token = admin.create_key("feed", "blue")["token"]
            with Client(base, feed_token) as feed:
                now_s = time.time()
                assert feed.push_tracks([_state("b1", now_s, 10.0)]) == 1
                with feed.track_socket() as socket_feed:  # the websockets client
                    assert socket_feed.push([_state("b2", now_s, 10.1)]) == 1
                    with _fails(400, "bad_request"):
                        socket_feed.push([{"id": "b3"}])
            with Client(base, token) as officer:
                assert {"b1", "b2"} <= set(json.dumps(officer.tracks()).split('"'))
                filed = officer.file_plan(plan_fc("p1", 10.0, 50.0))
                assert filed["status"] == "accepted"
                assert [p["plan_id"] for p in officer.plans()] == ["p1"]
                assert officer.events()["events"][0]["kind"] == "agreement"
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
    with Client(base, token, timeout_s=5.0) as gone, pytest.raises(UnreachableError):
        gone.whoami()


# -- the hotline and the live routes of the real app ----------------------------------------


def test_a_hotline_message_goes_and_is_acknowledged(world: World) -> None:
    officer_a, officer_b = _as(world, "officer_a"), _as(world, "officer_b")
    assert "free" in {t["name"] for t in officer_a.hotline_templates()}
    sent = officer_a.send_message("a-1", "routine", "free", {"text": "Tanker moved north"},
                                  to_party="b", subject="Tanker track")  # fmt: skip
    again = officer_a.send_message("a-1", "routine", "free", {"text": "Tanker moved north"},
                                   to_party="b", subject="Tanker track")  # fmt: skip
    assert again["message_id"] == sent["message_id"]  # a retry: the first one
    assert [t["thread_id"] for t in officer_b.hotline_threads()] == [sent["thread_id"]]
    (got,) = officer_b.messages(thread_id=sent["thread_id"])
    assert got["message_id"] == sent["message_id"]
    assert officer_b.message(sent["message_id"])["message_id"] == sent["message_id"]
    officer_b.read_message(sent["message_id"])
    officer_b.ack_message(sent["message_id"])
    with _fails(404, "not_found"):
        _as(world, "officer_c").message(sent["message_id"])
    with _fails(403, "forbidden"):
        _as(world, "feed_a").hotline_threads()


def _state(aircraft_id: str, now_s: float, lon: float) -> dict[str, Any]:
    return {"id": aircraft_id, "time_s": now_s, "latitude_deg": 34.0, "longitude_deg": lon,
            "altitude_ft": 30_000.0, "groundspeed_kt": 400.0, "track_deg": 90.0,
            "vertical_rate_fpm": 0.0, "callsign": aircraft_id.upper()}  # fmt: skip


def test_tracks_pushed_and_seen_and_a_bad_one_named(world: World) -> None:
    feed = _as(world, "feed_a")
    assert feed.push_tracks([_state("a1", world.clock.now, 33.0)]) == 1
    with _fails(400, "bad_request") as e:
        feed.push_tracks([_state("a2", world.clock.now, 33.0), {"id": "a3"}])
    assert "states[1]" in e.value.message
    picture = _as(world, "officer_a").tracks()
    assert "a1" in json.dumps(picture) and "a2" not in json.dumps(picture)
    assert isinstance(_as(world, "officer_a").alerts(active=True), list)
    with _fails(404, "not_found"):
        _as(world, "officer_a").alert("no-such-alert")
    with _fails(404, "not_found"):
        _as(world, "officer_a").ack_alert("no-such-alert")
    with _fails(403, "forbidden"):
        _as(world, "officer_a").push_tracks([_state("a4", world.clock.now, 33.0)])


class _TestSocket:
    """starlette's test WebSocket as a TextSocket (the line answers in binary frames)."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def send_text(self, data: str) -> None:
        self.session.send_text(data)

    def receive_text(self) -> str:
        message = self.session.receive()
        text = message.get("text")
        return text if isinstance(text, str) else bytes(message["bytes"]).decode()


def test_the_real_track_socket(world: World) -> None:
    @contextmanager
    def connect(url: str, headers: dict[str, str]) -> Iterator[TextSocket]:
        with world.client.websocket_connect(url, headers=headers) as session:
            yield _TestSocket(session)

    client = Client("http://testserver", world.tokens["feed_a"], http=world.client,
                    ws_connect=connect)  # fmt: skip
    with client.track_socket() as feed:
        assert feed.push([_state("w1", world.clock.now, 33.0)]) == 1
        with _fails(400, "bad_request"):
            feed.push([{"id": "w2"}])
        assert feed.push([_state("w3", world.clock.now, 33.2)]) == 1


def test_follow_on_the_real_event_stream(world: World) -> None:
    officer_b = _as(world, "officer_b")
    everything = officer_b.events()["events"]
    assert len(everything) >= 2
    stream = officer_b.follow(after=everything[0]["event_id"])
    got = [next(stream) for _ in everything[1:]]
    stream.close()
    assert got == everything[1:]
