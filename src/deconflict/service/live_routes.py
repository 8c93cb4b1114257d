"""The live routes: tracks in (HTTP and WebSocket), the picture (HTTP, and pushed on a
WebSocket as feeds push), alerts, and the event stream (server-sent events and WebSocket)
with its resumable cursor.

A WebSocket authenticates with the ``Authorization`` header, or, where a browser cannot set
it, with a first message ``{"key": "dk_..."}``. The event stream sends every event told to
the caller's party after the cursor (``after``, or the ``Last-Event-ID`` header of a
reconnecting ``EventSource``), then each new one as it is written; it checks the key again
every few seconds and ends when it is no longer valid.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import orjson
from fastapi import FastAPI, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from deconflict.errors import AuthError, DeconflictError, InputError
from deconflict.line.keys import Role
from deconflict.line.line import Caller, Line
from deconflict.line.ticker import Ticker
from deconflict.service.deps import CallerDep, LineDep
from deconflict.service.responses import status_of

#: events read from the store at once
PAGE = 500
#: a comment line sent when nothing happened for this long (proxies close idle streams)
KEEPALIVE_S = 15.0
#: how often a stream checks that its key is still valid
RECHECK_S = 5.0
#: the longest a stream waits without looking at the store (events written by another
#: process, e.g. ``deconflict admin``, wake no one)
POLL_S = 1.0
#: the largest WebSocket message read
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
#: the picture socket sends the picture when a feed pushed, at most this often...
PICTURE_MIN_S = 0.2
#: ...and at least this often (aircraft move on, and leave when no longer heard)
PICTURE_MAX_S = 1.0


def _error(exc: DeconflictError) -> dict[str, Any]:
    return {"error": {"code": status_of(exc)[1], "message": str(exc)}}


class _Waker:
    """Wakes an asyncio task when the line writes events (from any thread)."""

    def __init__(self, line: Line) -> None:
        self.line = line
        self.event = asyncio.Event()
        loop = asyncio.get_running_loop()

        def listener() -> None:
            loop.call_soon_threadsafe(self.event.set)

        self._listener: Callable[[], None] = listener

    def __enter__(self) -> _Waker:
        self.line.listeners.append(self._listener)
        return self

    def __exit__(self, *exc: object) -> None:
        self.line.listeners.remove(self._listener)

    async def wait(self, timeout_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), timeout_s)


class _Pushes:
    """Wakes the picture sockets of an app when a feed pushed tracks (the socket and the
    HTTP route of the feeds set them; they run in the event loop, as the sockets do)."""

    def __init__(self) -> None:
        self.waiting: set[asyncio.Event] = set()

    def pushed(self) -> None:
        for event in self.waiting:
            event.set()


async def _events(
    line: Line, caller: Caller, token: str, after: int, for_s: float | None = None
) -> AsyncIterator[list[dict[str, Any]] | None]:
    """Pages of the party's events after ``after`` as they come; None when idle for
    ``KEEPALIVE_S``. Ends when the key is no longer valid, or after ``for_s``."""
    checked = idle = started = time.monotonic()
    with _Waker(line) as waker:
        while True:
            waker.event.clear()
            found = await run_in_threadpool(line.events, caller, after, PAGE)
            if found:
                after = found[-1]["event_id"]
                idle = time.monotonic()
                yield found
                if len(found) == PAGE:
                    continue
            now = time.monotonic()
            if now - checked > RECHECK_S:
                await run_in_threadpool(line.authenticate, token)  # AuthError ends it
                checked = now
            if now - idle > KEEPALIVE_S:
                idle = now
                yield None
            if for_s is not None and now - started >= for_s:
                return
            await waker.wait(POLL_S if for_s is None else min(POLL_S, for_s))


def _states_of(text: str | bytes, what: str) -> object:
    """The states of a feed's ``{"states": [...]}`` (a body or a socket's message)."""
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise InputError(f"{what} is not JSON ({e})") from None
    if not isinstance(body, dict) or set(body) != {"states"}:
        raise InputError(f'{what} is {{"states": [...]}}')
    return body["states"]


def _cursor(after: int | None, last_event_id: str | None) -> int:
    if after is not None:
        return after
    if last_event_id:
        if not last_event_id.isdigit():
            raise InputError("Last-Event-ID must be an event id (a whole number)")
        return int(last_event_id)
    return 0


async def _socket_caller(ws: WebSocket, line: Line) -> tuple[Caller, str] | None:
    """The caller of a socket (header, else a first message ``{"key": ...}``); None after
    closing it with the error when there is none."""
    header = ws.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    await ws.accept()
    try:
        if scheme.lower() != "bearer":
            first = orjson.loads(await ws.receive_text())
            if not isinstance(first, dict) or not isinstance(first.get("key"), str):
                raise AuthError('a valid API key is required (a first message {"key": ...})')
            token = first["key"]
        return await run_in_threadpool(line.authenticate, token.strip()), token.strip()
    except (DeconflictError, orjson.JSONDecodeError) as e:
        await ws.send_text(orjson.dumps(_error(AuthError(str(e)))).decode())
        await ws.close(code=4401)
        return None


def install(app: FastAPI) -> None:
    pushes = app.state.pushes = _Pushes()

    # -- tracks -----------------------------------------------------------------------

    @app.post("/v1/tracks", status_code=202, tags=["live"])
    async def push_tracks(request: Request, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        """A feed's batch of its party's aircraft states (at most 10,000):
        ``{"states": [{"id", "time_s", "latitude_deg", "longitude_deg", "altitude_ft",
        "groundspeed_kt", "track_deg", "vertical_rate_fpm", "callsign"?, "onground"?}]}``.
        One bad state refuses the batch (400, naming it)."""
        line.require(caller, Role.FEED)  # before the body is read
        states = _states_of(await request.body(), "the body")
        accepted = await run_in_threadpool(line.live.push, caller, states)
        pushes.pushed()
        return {"accepted": accepted}

    @app.websocket("/v1/tracks/ws")
    async def tracks_socket(ws: WebSocket) -> None:
        """A feed's socket: each message ``{"states": [...]}`` is answered
        ``{"accepted": n}`` or ``{"error": ...}``."""
        line: Line = ws.app.state.line
        found = await _socket_caller(ws, line)
        if found is None:
            return
        caller, _ = found
        try:
            while True:
                text = await ws.receive_text()
                try:
                    # UTF-8 takes at most 4 bytes a character: encode only when it may tell
                    if len(text) > MAX_MESSAGE_BYTES // 4 and (
                        len(text.encode()) > MAX_MESSAGE_BYTES
                    ):
                        raise InputError(f"a message is at most {MAX_MESSAGE_BYTES} bytes")
                    states = _states_of(text, "the message")
                    n = await run_in_threadpool(line.live.push, caller, states)
                    pushes.pushed()
                    await ws.send_text(orjson.dumps({"accepted": n}).decode())
                except DeconflictError as e:
                    await ws.send_text(orjson.dumps(_error(e)).decode())
        except WebSocketDisconnect:
            return

    @app.get("/v1/tracks", tags=["live"])
    def picture(caller: CallerDep, line: LineDep) -> dict[str, Any]:
        """The tracks the caller's party may see now: its own, and those of the parties it
        has an agreement in force with at ``coordination`` level (under ``safety``, another
        party's aircraft appear only, anonymous, in alerts)."""
        return line.live.picture(caller)

    @app.websocket("/v1/picture/ws")
    async def picture_socket(ws: WebSocket) -> None:
        """The picture of ``GET /v1/tracks`` pushed: one JSON message each time a feed
        pushed tracks (at most every ``PICTURE_MIN_S``), and at least every
        ``PICTURE_MAX_S``. The same rules as ``GET /v1/tracks`` decide each message; the
        key is checked again every few seconds (4401 when it is no longer valid)."""
        line: Line = ws.app.state.line
        found = await _socket_caller(ws, line)
        if found is None:
            return
        caller, token = found

        def picture() -> str:
            return orjson.dumps(line.live.picture(caller)).decode()

        async def send() -> None:
            woken = asyncio.Event()
            pushes.waiting.add(woken)
            try:
                checked = time.monotonic()
                while True:
                    woken.clear()
                    sent = time.monotonic()
                    await ws.send_text(await run_in_threadpool(picture))
                    if sent - checked > RECHECK_S:
                        await run_in_threadpool(line.authenticate, token)  # AuthError ends it
                        checked = sent
                    await asyncio.sleep(max(0.0, sent + PICTURE_MIN_S - time.monotonic()))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            woken.wait(), max(0.0, sent + PICTURE_MAX_S - time.monotonic())
                        )
            finally:
                pushes.waiting.discard(woken)

        await _follow(ws, caller, send)

    # -- alerts -----------------------------------------------------------------------

    @app.get("/v1/alerts", tags=["live"])
    def alerts(
        caller: CallerDep,
        line: LineDep,
        active: bool | None = None,
        limit: int = Query(1000, ge=1, le=1000),
    ) -> list[dict[str, Any]]:
        """The caller's party's alerts, the latest raised first (``active``: open only, or
        ended only)."""
        return line.live.alerts(caller, active, limit)

    @app.get("/v1/alerts/{alert_id}", tags=["live"])
    def alert(alert_id: str, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        return line.live.alert(caller, alert_id)

    @app.post("/v1/alerts/{alert_id}/ack", tags=["live"])
    def acknowledge(alert_id: str, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        """The caller's party acknowledges the alert (again: nothing changes)."""
        return line.live.acknowledge(caller, alert_id)

    @app.get("/v1/metrics", tags=["admin"])
    def metrics(request: Request, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        """How the line is doing: its beats and how long they take, the aircraft on the
        board, the states received, the alerts open and the event streams following."""
        line.require(caller, Role.ADMIN)
        ticker: Ticker | None = getattr(request.app.state, "ticker", None)
        durations = sorted(ticker.durations_s) if ticker is not None else []

        def at(q: float) -> float | None:
            return (
                durations[min(len(durations) - 1, int(q * len(durations)))] if durations else None
            )

        return {
            "beats": ticker.beats if ticker is not None else 0,
            "beat_s": {"p50": at(0.5), "p99": at(0.99), "max": at(1.0),
                       "last": ticker.durations_s[-1] if ticker and durations else None},
            "aircraft": len(line.live.board),
            "states_received": line.live.board.received,
            "open_alerts": len(line.live.watch.open),
            "event_listeners": len(line.listeners),
        }  # fmt: skip

    # -- the event stream -------------------------------------------------------------

    @app.get("/v1/events/stream", tags=["line"], response_class=StreamingResponse)
    async def event_stream(
        request: Request,
        caller: CallerDep,
        line: LineDep,
        after: int | None = Query(None, ge=0),
        for_s: float | None = Query(None, ge=0, le=3600),
    ) -> StreamingResponse:
        """Server-sent events: every event of the caller's party after the cursor
        (``after``, else ``Last-Event-ID``), then each one as it is written. Each is
        ``id: <event_id>``, ``event: <kind>``, ``data: <the event as JSON>``. With
        ``for_s`` the stream ends after that long (a long poll); else it goes on."""
        line.require(caller, Role.OFFICER, Role.OBSERVER)
        cursor = _cursor(after, request.headers.get("last-event-id"))
        token = request.headers["authorization"].partition(" ")[2].strip()

        async def body() -> AsyncIterator[bytes]:
            yield b"retry: 1000\n\n"
            try:
                async for page in _events(line, caller, token, cursor, for_s):
                    if page is None:
                        yield b": keepalive\n\n"
                        continue
                    yield b"".join(
                        b"id: %d\nevent: %s\ndata: %s\n\n"
                        % (e["event_id"], e["kind"].encode(), orjson.dumps(e))
                        for e in page
                    )
            except AuthError:
                return

        return StreamingResponse(
            body(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @app.websocket("/v1/events/ws")
    async def event_socket(ws: WebSocket, after: int = 0) -> None:
        """The event stream over a WebSocket: each event as one JSON message."""
        line: Line = ws.app.state.line
        found = await _socket_caller(ws, line)
        if found is None:
            return
        caller, token = found

        async def send() -> None:
            async for page in _events(line, caller, token, max(after, 0)):
                for e in page or ():
                    await ws.send_text(orjson.dumps(e).decode())

        await _follow(ws, caller, send)


async def _follow(
    ws: WebSocket, caller: Caller, send: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    """Run ``send`` for an officer's or observer's socket until it fails or the client
    leaves; an error of the line closes the socket with it (4401: the key, else 4403)."""
    line: Line = ws.app.state.line

    async def until_closed() -> None:
        # what the client sends is not read otherwise: only this notices it has gone
        while (await ws.receive())["type"] != "websocket.disconnect":
            pass

    try:
        line.require(caller, Role.OFFICER, Role.OBSERVER)
        sending, closing = asyncio.create_task(send()), asyncio.create_task(until_closed())
        done, _ = await asyncio.wait((sending, closing), return_when=asyncio.FIRST_COMPLETED)
        for task in (sending, closing):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
        if sending in done:
            sending.result()  # its error, if it ended with one
    except DeconflictError as e:
        await ws.send_text(orjson.dumps(_error(e)).decode())
        await ws.close(code=4403 if not isinstance(e, AuthError) else 4401)
    except WebSocketDisconnect:
        return
