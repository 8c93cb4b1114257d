"""Rate limits and body sizes: a token bucket per client (key id, else address) with an
injected clock, bounded in number; 429 with Retry-After in the one error format; the body
limit for chunked bodies too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request, WebSocket
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import WebSocketDenialResponse

from cli_run import run
from deconflict.line.keys import new_key
from deconflict.service import limits
from deconflict.service.app import MAX_BODY_BYTES, create_app
from deconflict.service.responses import error
from line_world import Clock, World, make_world


def test_a_bucket_gives_its_burst_then_one_token_per_period() -> None:
    clock = Clock(100.0)
    buckets = limits.TokenBuckets(2.0, 3, clock=clock)
    assert [buckets.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("k") == pytest.approx(0.5)  # one token every 0.5 s
    assert buckets.take("other") == 0.0  # each client its own bucket
    clock.now += 0.25
    assert buckets.take("k") == pytest.approx(0.25)
    assert buckets.wait_s("k") == pytest.approx(0.25)
    clock.now += 0.25
    assert buckets.wait_s("k") == 0.0
    assert buckets.take("k") == 0.0
    assert buckets.take("k") > 0.0
    clock.now += 1_000.0  # full again, never more than the burst
    assert [buckets.take("k") for _ in range(4)][-2:] == [0.0, pytest.approx(0.5)]


def test_a_clock_that_goes_back_refills_nothing() -> None:
    clock = Clock(100.0)
    buckets = limits.TokenBuckets(1.0, 1, clock=clock)
    assert buckets.take("k") == 0.0
    clock.now -= 50.0
    assert buckets.take("k") == pytest.approx(1.0)


def test_idle_buckets_are_dropped_and_their_clients_lose_nothing() -> None:
    clock = Clock(0.0)
    buckets = limits.TokenBuckets(10.0, 20, clock=clock)  # full from empty in 2 s
    for i in range(1000):
        buckets.take(f"client-{i}")
    assert len(buckets) == 1000
    clock.now += 2.0
    buckets.take("late")
    assert len(buckets) == 1  # every other bucket was full again: dropped
    assert [buckets.take("client-7") for _ in range(20)] == [0.0] * 20  # a full bucket


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5_000), st.floats(0.0, 0.01)), min_size=1, max_size=300))
def test_buckets_never_outnumber_their_cap(calls: list[tuple[int, float]]) -> None:
    clock = Clock(0.0)
    buckets = limits.TokenBuckets(1.0, 1_000, clock=clock, max_clients=50)
    for client, step_s in calls:
        clock.now += step_s
        buckets.take(str(client))
        assert len(buckets) <= 50


@pytest.mark.parametrize(
    ("rate_per_s", "burst", "max_clients"),
    [(0.0, 1, 1), (-1.0, 1, 1), (float("nan"), 1, 1), (float("inf"), 1, 1), (1.0, 0, 1),
     (1.0, 1, 0)],
)  # fmt: skip
def test_bad_limits_are_refused(rate_per_s: float, burst: int, max_clients: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        limits.TokenBuckets(rate_per_s, burst, max_clients=max_clients)


# -- the middleware on a small app ---------------------------------------------------------

GOOD = new_key()


def _small_app(clock: Clock, **options: Any) -> FastAPI:
    """A route that knows one key (GOOD), and a WebSocket that echoes."""
    app = FastAPI()

    @app.get("/who")
    def who(request: Request) -> Any:
        if request.headers.get("authorization") != f"Bearer {GOOD.token}":
            return error(401, "unauthorized", "no")
        return {"ok": True}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.websocket("/ws")
    async def ws(socket: WebSocket) -> None:
        await socket.accept()
        while (text := await socket.receive_text()) != "bye":
            await socket.send_text(text)
        await socket.close()

    limits.install(app, max_body_bytes=1000, clock=clock, **options)
    return app


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _too_many(r: Any) -> int:
    assert r.status_code == 429, r.text
    assert r.json() == {"error": {"code": "too_many_requests", "message": r.json()["error"][
        "message"]}} and "try again" in r.json()["error"]["message"]  # fmt: skip
    retry_after = int(r.headers["retry-after"])
    assert retry_after >= 1
    return retry_after


def test_a_key_has_its_own_bucket_wherever_it_calls_from() -> None:
    clock = Clock(0.0)
    app = _small_app(clock, rate_per_s=0.5, burst=2)
    here, there = TestClient(app, client=("10.0.0.1", 1)), TestClient(app, client=("10.0.0.2", 1))
    assert here.get("/who", headers=_bearer(GOOD.token)).status_code == 200
    assert there.get("/who", headers=_bearer(GOOD.token)).status_code == 200
    assert _too_many(here.get("/who", headers=_bearer(GOOD.token))) == 2  # 1 token / 2 s
    # the addresses' own buckets are untouched by the keyed calls
    assert here.get("/who").status_code == 401
    clock.now += 2.0
    assert there.get("/who", headers=_bearer(GOOD.token)).status_code == 200


def test_callers_without_a_key_are_counted_by_address() -> None:
    clock = Clock(0.0)
    app = _small_app(clock, rate_per_s=1.0, burst=3)
    here, there = TestClient(app, client=("10.0.0.1", 1)), TestClient(app, client=("10.0.0.2", 1))
    assert [here.get("/who").status_code for _ in range(3)] == [401] * 3
    _too_many(here.get("/who", headers={"Authorization": "Bearer not-a-key"}))
    assert there.get("/who").status_code == 401
    assert here.get("/who", headers=_bearer(GOOD.token)).status_code == 200  # a real key


def test_made_up_keys_do_not_buy_fresh_buckets() -> None:
    """Each 401 is charged to the address; once it is spent, any key from it waits."""
    clock = Clock(0.0)
    app = _small_app(clock, rate_per_s=1.0, burst=3)
    client = TestClient(app, client=("10.0.0.9", 1))
    answers = [client.get("/who", headers=_bearer(new_key().token)).status_code
               for _ in range(5)]  # fmt: skip
    assert answers == [401, 401, 401, 429, 429]
    _too_many(client.get("/who", headers=_bearer(GOOD.token)))
    clock.now += 1.0
    assert client.get("/who", headers=_bearer(GOOD.token)).status_code == 200


def test_websocket_handshakes_are_limited_too() -> None:
    clock = Clock(0.0)
    client = TestClient(_small_app(clock, rate_per_s=1.0, burst=1))
    with client.websocket_connect("/ws") as ws:
        clock.now += 1.0  # a token for the message
        ws.send_text("hello")
        assert ws.receive_text() == "hello"
        ws.send_text("bye")
    with pytest.raises(WebSocketDenialResponse) as refused:
        client.websocket_connect("/ws").__enter__()
    assert refused.value.status_code == 429
    assert refused.value.json()["error"]["code"] == "too_many_requests"
    assert refused.value.headers["retry-after"] == "1"


def test_a_socket_sending_too_fast_is_slowed_down_not_cut_off() -> None:
    """After the handshake each message spends a token of the caller's bucket; one
    finding it empty waits for the next token (a fake sleep moves the fake clock)."""
    clock = Clock(0.0)
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        clock.now += s

    client = TestClient(_small_app(clock, rate_per_s=2.0, burst=3, sleep=sleep))
    with client.websocket_connect("/ws", headers=_bearer(GOOD.token)) as ws:
        for k in range(6):
            ws.send_text(f"m{k}")
            assert ws.receive_text() == f"m{k}"
        ws.send_text("bye")
    # the handshake and 2 messages from the burst of 3; then one token each 0.5 s
    assert slept == pytest.approx([0.5] * 5)
    assert clock.now == pytest.approx(2.5)


def test_no_rate_limit_when_it_is_off() -> None:
    client = TestClient(_small_app(Clock(0.0), rate_per_s=None, burst=1))
    assert {client.get("/who").status_code for _ in range(50)} == {401}


def _chunks(total: int, size: int = 100) -> Iterator[bytes]:
    while total > 0:
        yield b"x" * min(size, total)
        total -= size


def test_a_chunked_body_is_held_to_the_size_limit() -> None:
    client = TestClient(_small_app(Clock(0.0)))
    r = client.post("/echo", content=_chunks(1000))
    assert "content-length" not in r.request.headers  # chunked: no length told
    assert r.status_code == 200 and r.json() == {"bytes": 1000}
    r = client.post("/echo", content=_chunks(1001))
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    r = client.post("/echo", content=_chunks(100_000))
    assert r.status_code == 413
    assert client.post("/echo", content=b"x" * 1001).status_code == 413  # with a length
    r = client.post("/echo", content=b"", headers={"Content-Length": "12x"})
    assert r.status_code == 413
    assert client.post("/echo", content=b"").json() == {"bytes": 0}


# -- the line's app ------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(f"sqlite:///{tmp_path / 'line.db'}")
    yield made
    made.line.close()


def test_the_line_limits_each_key(world: World) -> None:
    client = TestClient(create_app(world.line, rate_per_s=0.001, burst=3))
    officer, observer = _bearer(str(world.tokens["officer_a"])), _bearer(
        str(world.tokens["observer_a"]))  # fmt: skip
    assert [client.get("/v1/whoami", headers=officer).status_code for _ in range(3)] == [200] * 3
    assert _too_many(client.get("/v1/whoami", headers=officer)) == 1000
    assert client.get("/v1/whoami", headers=observer).status_code == 200


def test_the_line_takes_a_chunked_body_and_refuses_a_huge_one(world: World) -> None:
    headers = {**_bearer(str(world.tokens["admin"])), "Content-Type": "application/json"}
    r = world.client.post("/v1/parties", headers=headers,
                          content=iter([b'{"party_id": "g", ', b'"name": "G"}']))  # fmt: skip
    assert r.status_code == 201 and r.json()["party_id"] == "g"
    r = world.client.post("/v1/parties", headers=headers,
                          content=_chunks(MAX_BODY_BYTES + 1, 2**16))  # fmt: skip
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_serve_refuses_a_bad_rate_limit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, _, err = run(["serve", "--db", str(tmp_path / "l.db"), "--rate-limit", "-1"],
                       capsys, monkeypatch)  # fmt: skip
    assert code == 2 and "--rate-limit" in err
    code, _, err = run(["serve", "--db", str(tmp_path / "l.db"), "--burst", "0"],
                       capsys, monkeypatch)  # fmt: skip
    assert code == 2 and "--burst" in err
