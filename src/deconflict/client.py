"""A small Python client of the line's HTTP API, used by the tests, the CLI and the simulator.

Synchronous, on ``httpx2``::

    from deconflict.client import Client

    with Client("http://127.0.0.1:8000", key="dk_...") as line:
        line.whoami()                         # {"key_id": ..., "role": "officer", ...}
        line.push_tracks([{"id": "a1", "time_s": 1.8e9, "latitude_deg": 51.5, ...}])
        for event in line.follow(after=0):    # reconnects by itself, never a duplicate
            print(event["kind"], event["body"])

Every error answer of the line (its one format, ``{"error": {"code", "message"}}``) is
raised as :class:`ApiError` (``status``, ``code``, ``message``, and the whole answer in
``body``: a refused filing's notices, say); a line that cannot be reached, or that breaks
off an answer, as :class:`UnreachableError`.

``http`` lets a caller bring its own ``httpx2.Client`` (FastAPI's in-process
``TestClient`` is one), and ``ws_connect`` its own way of opening WebSockets.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any, Protocol
from urllib.parse import quote

import httpx2
import orjson

from deconflict.errors import DeconflictError

#: numbers of numpy (e.g. a state's columns) are sent as plain JSON numbers
_NUMPY = orjson.OPT_SERIALIZE_NUMPY

#: the most states one push may carry (``POST /v1/tracks`` and the socket)
MAX_STATES_PER_PUSH = 10_000
#: the longest ``follow`` waits between two tries to reconnect
MAX_BACKOFF_S = 30.0


class ApiError(DeconflictError):
    """An error answer of the line. ``status`` 0 means there was no answer at all."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        body: Any = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(f"{message} ({code}, {status})" if status else message)
        self.status, self.code, self.message = status, code, message
        #: the whole answer (JSON), e.g. the notices of a refused filing
        self.body = body
        #: how long the line asked the caller to wait (429's Retry-After)
        self.retry_after_s = retry_after_s


class UnreachableError(ApiError):
    """The line could not be reached, timed out, or broke off its answer."""

    def __init__(self, message: str) -> None:
        super().__init__(0, "unreachable", message)


class TextSocket(Protocol):
    """What the client needs of a WebSocket (``starlette``'s test session is one)."""

    def send_text(self, data: str) -> None: ...

    def receive_text(self) -> str: ...


WsConnect = Callable[[str, dict[str, str]], AbstractContextManager[TextSocket]]


class _WebsocketsSocket:
    """A ``websockets`` (sync) connection as a :class:`TextSocket`."""

    def __init__(self, connection: Any) -> None:
        self._c = connection

    def send_text(self, data: str) -> None:
        self._c.send(data)

    def receive_text(self) -> str:
        message = self._c.recv()
        return message if isinstance(message, str) else message.decode("utf-8", "replace")


def _websockets_connect(timeout_s: float) -> WsConnect:
    @contextmanager
    def connect(url: str, headers: dict[str, str]) -> Iterator[TextSocket]:
        from websockets.exceptions import InvalidStatus, WebSocketException
        from websockets.sync.client import connect as ws_connect

        try:
            connection = ws_connect(url, additional_headers=headers, open_timeout=timeout_s,
                                    close_timeout=timeout_s)  # fmt: skip
        except InvalidStatus as e:
            raise _error_of(e.response.status_code, e.response.body or b"") from None
        except (OSError, TimeoutError, WebSocketException) as e:
            raise UnreachableError(f"cannot open {url}: {_one_line(e)}") from None
        with connection:
            try:
                yield _WebsocketsSocket(connection)
            except WebSocketException as e:
                raise UnreachableError(f"{url}: the socket broke: {_one_line(e)}") from None

    return connect


def _one_line(e: object, limit: int = 200) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _error_of(status: int, content: bytes | bytearray, retry_after: str | None = None) -> ApiError:
    """The error of an answer, from the line's one error format when it is in it."""
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    retry_after_s = None
    if retry_after is not None:
        with suppress(ValueError):
            retry_after_s = float(retry_after)
    found = body.get("error") if isinstance(body, dict) else None
    if isinstance(found, dict) and isinstance(found.get("code"), str):
        return ApiError(status, found["code"], str(found.get("message", "")), body, retry_after_s)
    text = content.decode("utf-8", "replace").strip() or f"HTTP {status}"
    return ApiError(status, "http_error", _one_line(text), body, retry_after_s)


class Client:
    """The line at ``base_url`` (``http://host:port``), called with API key ``key``."""

    def __init__(
        self,
        base_url: str,
        key: str | None = None,
        *,
        http: httpx2.Client | None = None,
        timeout_s: float = 30.0,
        stream_read_timeout_s: float = 60.0,
        ws_connect: WsConnect | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self._own_http = http is None
        self._http = http if http is not None else httpx2.Client(timeout=timeout_s)
        # a client brought by the caller keeps its own timeouts; a stream of ours waits
        # longer for a byte than a request (the line sends keep-alives meanwhile)
        self._timeout: dict[str, Any] = {} if http else {"timeout": httpx2.Timeout(timeout_s)}
        self._stream_timeout: dict[str, Any] = (
            {} if http else {"timeout": httpx2.Timeout(timeout_s, read=stream_read_timeout_s)}
        )
        self._ws_connect = ws_connect or _websockets_connect(timeout_s)
        self._sleep = sleep

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------------

    def _headers(self, json_body: bool = False) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        if json_body:
            headers["Content-Type"] = "application/json"
        return headers

    def _url(self, path: str) -> str:
        return self.base_url + path

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """The JSON answer of ``METHOD path``; :class:`ApiError` for an error answer."""
        try:
            r = self._http.request(
                method, self._url(path), headers=self._headers(json_body is not None),
                content=None if json_body is None else orjson.dumps(json_body, option=_NUMPY),
                params={k: v for k, v in (params or {}).items() if v is not None},
                **self._timeout,
            )  # fmt: skip
        except httpx2.TransportError as e:
            raise UnreachableError(f"cannot reach {self.base_url}: {_one_line(e)}") from None
        if r.status_code >= 400:
            raise _error_of(r.status_code, r.content, r.headers.get("retry-after"))
        try:
            return r.json()
        except ValueError:
            raise ApiError(r.status_code, "bad_answer", f"{method} {path}: the answer is not "
                           "JSON", r.text) from None  # fmt: skip

    def _get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    # -- the line ---------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        found: dict[str, Any] = self._get("/v1/health")
        return found

    def whoami(self) -> dict[str, Any]:
        """The key's id, role and party."""
        found: dict[str, Any] = self._get("/v1/whoami")
        return found

    # -- parties, keys, agreements ----------------------------------------------------

    def add_party(self, party_id: str, name: str, members: Sequence[str] = ()) -> dict[str, Any]:
        body = {"party_id": party_id, "name": name, "members": list(members)}
        found: dict[str, Any] = self.request("POST", "/v1/parties", json_body=body)
        return found

    def parties(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._get("/v1/parties")
        return found

    def create_key(
        self,
        role: str,
        party_id: str | None = None,
        label: str = "",
        expires_s: float | None = None,
    ) -> dict[str, Any]:
        """A new key; its ``token`` is in this answer only."""
        body = {"role": role, "party_id": party_id, "label": label, "expires_s": expires_s}
        found: dict[str, Any] = self.request("POST", "/v1/keys", json_body=body)
        return found

    def keys(self, party_id: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._get("/v1/keys", party_id=party_id)
        return found

    def revoke_key(self, key_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.request("DELETE", f"/v1/keys/{_seg(key_id)}")
        return found

    def make_agreement(
        self, party_a: str, party_b: str, terms: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        body = {"parties": [party_a, party_b], "terms": dict(terms or {})}
        found: dict[str, Any] = self.request("POST", "/v1/agreements", json_body=body)
        return found

    def agreements(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._get("/v1/agreements")
        return found

    def agreement(self, agreement_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._get(f"/v1/agreements/{_seg(agreement_id)}")
        return found

    def change_agreement(
        self,
        agreement_id: str,
        version: int,
        status: str | None = None,
        terms: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Suspend, resume or terminate an agreement, or change its terms, at ``version``."""
        body: dict[str, Any] = {"version": version}
        if status is not None:
            body["status"] = status
        if terms is not None:
            body["terms"] = dict(terms)
        found: dict[str, Any] = self.request(
            "PATCH", f"/v1/agreements/{_seg(agreement_id)}", json_body=body
        )
        return found

    def agreement_history(self, agreement_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._get(f"/v1/agreements/{_seg(agreement_id)}/history")
        return found

    # -- plans and notices ------------------------------------------------------------

    def file_plan(
        self, plan: Mapping[str, Any], known: Mapping[str, int] | None = None
    ) -> dict[str, Any]:
        """File a new plan (a GeoJSON FeatureCollection). A plan that conflicts raises
        :class:`ApiError` 409 whose ``body["notices"]`` are the plans to acknowledge in
        ``known`` (reference → version) when filing again."""
        body = {"plan": dict(plan), "known": dict(known or {})}
        found: dict[str, Any] = self.request("POST", "/v1/plans", json_body=body)
        return found

    def update_plan(
        self,
        plan_id: str,
        plan: Mapping[str, Any],
        version: int,
        known: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """Replace a plan's volumes at ``version`` (its current one)."""
        body = {"plan": dict(plan), "version": version, "known": dict(known or {})}
        found: dict[str, Any] = self.request("PUT", f"/v1/plans/{_seg(plan_id)}", json_body=body)
        return found

    def plans(self, states: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The party's plans (the live ones unless ``states`` names others)."""
        found: list[dict[str, Any]] = self._get("/v1/plans", state=list(states or []) or None)
        return found

    def plan(self, plan_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._get(f"/v1/plans/{_seg(plan_id)}")
        return found

    def set_plan_state(self, plan_id: str, state: str) -> dict[str, Any]:
        """Activate, end or cancel a plan."""
        found: dict[str, Any] = self.request(
            "POST", f"/v1/plans/{_seg(plan_id)}/state", json_body={"state": state}
        )
        return found

    def cancel_plan(self, plan_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.request("DELETE", f"/v1/plans/{_seg(plan_id)}")
        return found

    def notices(self, since_s: float | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._get("/v1/notices", since_s=since_s)
        return found

    # -- audit ------------------------------------------------------------------------

    def verify_audit(self, seq: int | None = None, sha256: str | None = None) -> dict[str, Any]:
        """Walk the audit chain (admin); with a receipt (``seq``, ``sha256``) check it too."""
        found: dict[str, Any] = self._get("/v1/audit/verify", seq=seq, sha256=sha256)
        return found

    # -- tracks and alerts ------------------------------------------------------------

    def push_tracks(self, states: Sequence[Mapping[str, Any]]) -> int:
        """Push states of the key's party (a feed key); how many the line accepted. One
        bad state refuses the whole push (400 naming ``states[i].field``)."""
        body = {"states": [dict(s) for s in states]}
        found = self.request("POST", "/v1/tracks", json_body=body)
        return int(found["accepted"])

    def tracks(self) -> Any:
        """The picture the key's party may see."""
        return self._get("/v1/tracks")

    def alerts(self, active: bool | None = None) -> Any:
        """The alerts of the key's party; ``active`` only the open (or closed) ones."""
        return self._get("/v1/alerts", active=None if active is None else str(active).lower())

    def alert(self, alert_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._get(f"/v1/alerts/{_seg(alert_id)}")
        return found

    def ack_alert(self, alert_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.request("POST", f"/v1/alerts/{_seg(alert_id)}/ack")
        return found

    @contextmanager
    def track_socket(self) -> Iterator[TrackSocket]:
        """A WebSocket to ``/v1/tracks/ws``, to push batch after batch on one connection."""
        scheme, _, rest = self._url("/v1/tracks/ws").partition("://")
        url = {"http": "ws", "https": "wss"}.get(scheme, scheme) + "://" + rest
        with self._ws_connect(url, self._headers()) as socket:
            yield TrackSocket(socket)

    # -- the hotline ------------------------------------------------------------------

    def hotline_templates(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._get("/v1/hotline/templates")
        return found

    def hotline_threads(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._get("/v1/hotline/threads")
        return found

    def send_message(
        self,
        client_id: str,
        priority: str,
        template: str,
        fields: Mapping[str, Any] | None = None,
        *,
        thread_id: str | None = None,
        to_party: str | None = None,
        subject: str | None = None,
    ) -> dict[str, Any]:
        """Send a hotline message in a thread (``thread_id``) or opening one (``to_party``,
        ``subject``). Sending again with the same ``client_id`` answers the first one."""
        body: dict[str, Any] = {"client_id": client_id, "priority": priority,
                                "template": template, "fields": dict(fields or {})}  # fmt: skip
        for name, value in (("thread_id", thread_id), ("to_party", to_party),
                            ("subject", subject)):  # fmt: skip
            if value is not None:
                body[name] = value
        found: dict[str, Any] = self.request("POST", "/v1/hotline/messages", json_body=body)
        return found

    def messages(
        self, thread_id: str | None = None, since_s: float | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """The messages of the party's threads (or of one), oldest first."""
        found: list[dict[str, Any]] = self._get(
            "/v1/hotline/messages", thread_id=thread_id, since_s=since_s, limit=limit
        )
        return found

    def message(self, message_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._get(f"/v1/hotline/messages/{_seg(message_id)}")
        return found

    def read_message(self, message_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.request(
            "POST", f"/v1/hotline/messages/{_seg(message_id)}/read"
        )
        return found

    def ack_message(self, message_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.request("POST", f"/v1/hotline/messages/{_seg(message_id)}/ack")
        return found

    # -- events -----------------------------------------------------------------------

    def events(self, after: int = 0, limit: int = 1000) -> dict[str, Any]:
        """What the party was told after the cursor ``after``: ``{"events", "cursor"}``."""
        found: dict[str, Any] = self._get("/v1/events", after=after, limit=limit)
        return found

    def follow(
        self,
        after: int = 0,
        *,
        max_backoff_s: float = MAX_BACKOFF_S,
        max_retries: int | None = None,
    ) -> Generator[dict[str, Any], None, None]:
        """The party's events after ``after``, as they come, for ever (server-sent events
        from ``/v1/events/stream``).

        When the stream breaks, or the line is away or busy (5xx, 429), it connects again
        from the last event it gave (``Last-Event-ID``), waiting 0.5 s, then twice as long
        each failed try up to ``max_backoff_s``: the caller gets what it missed, and never
        an event twice. ``max_retries`` failed tries in a row raise the last error (None:
        no end). An answer that trying again cannot change (401, 403, 400) is raised."""
        last = after
        failures = 0
        while True:
            try:
                for event in self._stream(last):
                    failures = 0
                    if event["event_id"] > last:
                        last = event["event_id"]
                        yield event
                error: ApiError = UnreachableError("the event stream ended")
            except ApiError as e:
                if e.status and e.status != 429 and e.status < 500:
                    raise
                error = e
            failures += 1
            if max_retries is not None and failures > max_retries:
                raise error
            wait_s = min(max_backoff_s, 0.5 * 2.0 ** min(failures - 1, 30))
            if error.retry_after_s is not None:
                wait_s = max(wait_s, min(error.retry_after_s, max_backoff_s))
            self._sleep(wait_s)

    def _stream(self, after: int) -> Iterator[dict[str, Any]]:
        """One connection to the event stream; its events until it ends."""
        headers = {**self._headers(), "Last-Event-ID": str(after)}
        try:
            with self._http.sse(
                self._url("/v1/events/stream"), params={"after": after}, headers=headers,
                **self._stream_timeout,
            ) as source:  # fmt: skip
                response = source.response
                if response.status_code >= 400:
                    response.read()
                    raise _error_of(response.status_code, response.content,
                                    response.headers.get("retry-after"))  # fmt: skip
                for sse in source:
                    if sse.data:  # not a bare "retry:" or "id:"
                        yield _event_of(sse)
        except httpx2.TransportError as e:  # SSEError too: not an event stream
            raise UnreachableError(f"{self.base_url}: event stream: {_one_line(e)}") from None


def _event_of(sse: httpx2.ServerSentEvent) -> dict[str, Any]:
    try:
        event = orjson.loads(sse.data)
        if isinstance(event, dict):
            event["event_id"] = int(event.get("event_id", sse.id))
            return event
    except (ValueError, TypeError):
        pass
    raise UnreachableError(f"event stream: not an event: {_one_line(sse.data)}")


def _seg(name: str) -> str:
    """A name as one path segment."""
    return quote(name, safe="")


class TrackSocket:
    """An open ``/v1/tracks/ws``: each ``push`` is answered before the next."""

    def __init__(self, socket: TextSocket) -> None:
        self._socket = socket

    def push(self, states: Sequence[Mapping[str, Any]]) -> int:
        """Push states; how many the line accepted (:class:`ApiError` when it refused)."""
        self._socket.send_text(
            orjson.dumps({"states": [dict(s) for s in states]}, option=_NUMPY).decode()
        )
        answer = self._socket.receive_text()
        try:
            body = json.loads(answer)
        except ValueError:
            raise ApiError(0, "bad_answer", f"tracks socket: {_one_line(answer)}") from None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            e = body["error"]
            raise ApiError(400, str(e.get("code", "error")), str(e.get("message", "")), body)
        if not isinstance(body, dict) or not isinstance(body.get("accepted"), int):
            raise ApiError(0, "bad_answer", f"tracks socket: {_one_line(answer)}")
        return int(body["accepted"])
