"""How much one client may ask of the line: a token bucket per client, and the size of a
request's body (with or without a ``Content-Length``).

A client is its API key's id when the request carries a well-formed bearer key (parsed
only, never looked up: the limit costs no database read), else its address. Each bucket
holds up to ``burst`` requests and refills at ``rate_per_s``; a request finding it empty
gets 429 with ``Retry-After``. A keyed request answered 401 (a key made up, revoked or
expired) also spends a token of a second bucket of its address, and no keyed request from
an address whose second bucket is empty goes on: inventing keys buys no fresh buckets,
while the callers without a key at that address do not hold up those with one.

A bucket left alone long enough to be full again is the same as no bucket, so those are
dropped as they come up (an LRU walk from the oldest), and never more than ``max_clients``
are kept: memory stays bounded whatever the callers send.

On a WebSocket, the handshake is a request like any other, and each message the client
sends after it spends a token of the same bucket: a client sending faster than its rate is
not cut off but slowed down (its messages are read no faster than the bucket refills).

One ASGI middleware does both; ``install(app, ...)`` adds it to a FastAPI app.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconflict.line import keys
from deconflict.service.responses import error

#: a feed of 20,000 aircraft at 1 Hz in batches of up to 10,000 needs a few requests a
#: second; an officer's console polls a few times a second
DEFAULT_RATE_PER_S = 50.0
DEFAULT_BURST = 200
DEFAULT_MAX_CLIENTS = 100_000
_STARTS = ("http.response.start", "websocket.http.response.start")


@dataclass
class _Bucket:
    tokens: float
    at_s: float


class TokenBuckets:
    """A token bucket per client, bounded in number.

    ``take(client)`` spends one token and answers 0.0, or spends nothing and answers the
    seconds until a token is there. ``clock`` is monotonic seconds (injected by tests).
    """

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = DEFAULT_MAX_CLIENTS,
    ) -> None:
        if not (math.isfinite(rate_per_s) and rate_per_s > 0.0):
            raise ValueError(f"rate_per_s must be a positive number, not {rate_per_s!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst!r}")
        if max_clients < 1:
            raise ValueError(f"max_clients must be at least 1, not {max_clients!r}")
        self.rate_per_s, self.burst, self.max_clients = rate_per_s, float(burst), max_clients
        self.clock = clock
        #: how long an untouched bucket takes to fill from empty: after that it is dropped
        self.idle_s = self.burst / rate_per_s
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def _evict(self, now_s: float) -> None:
        buckets = self._buckets
        while buckets:
            oldest = next(iter(buckets.values()))
            if now_s - oldest.at_s < self.idle_s and len(buckets) <= self.max_clients:
                break
            buckets.popitem(last=False)

    def _refilled(self, client: str, now_s: float) -> _Bucket:
        b = self._buckets.get(client)
        if b is None:
            b = _Bucket(self.burst, now_s)
            self._buckets[client] = b
        else:
            elapsed_s = max(0.0, now_s - b.at_s)
            b.tokens = min(self.burst, b.tokens + elapsed_s * self.rate_per_s)
            b.at_s = now_s
            self._buckets.move_to_end(client)
        return b

    def take(self, client: str) -> float:
        """Spend a token of ``client``: 0.0, or the seconds to wait when there is none."""
        now_s = self.clock()
        b = self._refilled(client, now_s)
        self._evict(now_s)
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            return 0.0
        return (1.0 - b.tokens) / self.rate_per_s

    def wait_s(self, client: str) -> float:
        """The seconds until ``client`` has a token (0.0 when it has one); spends nothing."""
        b = self._buckets.get(client)
        if b is None:
            return 0.0
        tokens = min(self.burst, b.tokens + max(0.0, self.clock() - b.at_s) * self.rate_per_s)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate_per_s


def client_key_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The key id of a well-formed ``Authorization: Bearer dk_...`` header (not looked up)."""
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer":
                return None
            parsed = keys.parse(token.strip())
            return parsed[0] if parsed else None
    return None


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _content_length(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            return value.strip()
    return None


class LimitsMiddleware:
    """Rate limits (HTTP requests and WebSocket handshakes) and the body size limit."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        rate_per_s: float | None = DEFAULT_RATE_PER_S,
        burst: int = DEFAULT_BURST,
        max_body_bytes: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = DEFAULT_MAX_CLIENTS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.app = app
        self.sleep = sleep
        self.max_body_bytes = max_body_bytes
        #: by key id; by address (no key); by address, for the keys that were refused (401)
        self.keyed: TokenBuckets | None = None
        self.addressed: TokenBuckets | None = None
        self.failed: TokenBuckets | None = None
        if rate_per_s is not None:
            self.keyed, self.addressed, self.failed = (
                TokenBuckets(rate_per_s, burst, clock=clock, max_clients=max_clients)
                for _ in range(3)
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        address = _address(scope)
        key_id = client_key_id(headers)
        wait_s = self._admit(key_id, address)
        if wait_s > 0.0:
            await self._refuse(scope, receive, send, wait_s)
            return
        if scope["type"] == "http":
            sized = await self._sized(scope, receive, send, headers)
            if sized is None:
                return
            receive = sized
        elif self.keyed is not None and self.addressed is not None:
            buckets, client = (self.keyed, key_id) if key_id else (self.addressed, address)
            receive = self._throttled(receive, buckets, client)
        if key_id is not None and self.failed is not None:
            send = self._charging_failures(send, address)
        await self.app(scope, receive, send)

    def _throttled(self, receive: Receive, buckets: TokenBuckets, client: str) -> Receive:
        """A socket's ``receive`` that hands on each message of the client once it has a
        token (the handshake was charged already)."""

        async def throttled() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive":
                wait_s = buckets.take(client)
                while wait_s > 0.0:
                    await self.sleep(wait_s)
                    wait_s = buckets.take(client)
            return message

        return throttled

    def _admit(self, key_id: str | None, address: str) -> float:
        """0.0 when the request may go on, else the seconds the client should wait."""
        if self.keyed is None or self.addressed is None or self.failed is None:
            return 0.0
        if key_id is None:
            return self.addressed.take(address)
        return self.failed.wait_s(address) or self.keyed.take(key_id)

    def _charging_failures(self, send: Send, address: str) -> Send:
        failed = self.failed
        assert failed is not None

        async def charged(message: Message) -> None:
            if message["type"] in _STARTS and message["status"] == 401:
                failed.take(address)
            await send(message)

        return charged

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, wait_s: float) -> None:
        retry_s = max(1, math.ceil(wait_s))
        answer = error(429, "too_many_requests",
                       f"too many requests: try again in {retry_s} s")  # fmt: skip
        answer.headers["Retry-After"] = str(retry_s)
        if scope["type"] == "http":
            await answer(scope, receive, send)
            return
        if "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": 429,
                        "headers": answer.raw_headers})  # fmt: skip
            await send({"type": "websocket.http.response.body", "body": answer.body})
            return
        await send({"type": "websocket.close", "code": 1013, "reason": "too many requests"})

    async def _sized(
        self, scope: Scope, receive: Receive, send: Send, headers: list[tuple[bytes, bytes]]
    ) -> Receive | None:
        """``receive`` for the app, or None when the body was too large (413 answered).

        With a ``Content-Length`` the size is known before reading; without one (a chunked
        body) the body is read here, up to the limit, and handed to the app from memory."""
        limit = self.max_body_bytes
        too_large = error(413, "too_large", f"the body is larger than {limit} bytes")
        size = _content_length(headers)
        if size is not None:
            if not size.isdigit() or int(size) > limit:
                await too_large(scope, receive, send)
                return None
            return receive
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return _replay([], message, receive)
            body: bytes = message.get("body", b"")
            total += len(body)
            if total > limit:
                await too_large(scope, receive, send)
                return None
            chunks.append(body)
            if not message.get("more_body", False):
                return _replay(chunks, None, receive)


def _replay(chunks: list[bytes], last: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that gives the body read already, then goes on with ``receive``."""
    pending: list[Message] = (
        [last] if last is not None
        else [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]
    )  # fmt: skip

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def install(
    app: FastAPI,
    *,
    rate_per_s: float | None = DEFAULT_RATE_PER_S,
    burst: int = DEFAULT_BURST,
    max_body_bytes: int,
    clock: Callable[[], float] = time.monotonic,
    max_clients: int = DEFAULT_MAX_CLIENTS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Add the limits to ``app``; ``rate_per_s=None`` leaves out the rate limit."""
    options: dict[str, Any] = {"rate_per_s": rate_per_s, "burst": burst,
                               "max_body_bytes": max_body_bytes, "clock": clock,
                               "max_clients": max_clients, "sleep": sleep}  # fmt: skip
    if rate_per_s is not None:  # the errors of bad options now, not at the first request
        TokenBuckets(rate_per_s, burst, clock=clock, max_clients=max_clients)
    app.add_middleware(LimitsMiddleware, **options)
