"""The hotline's routes (``/v1/hotline``): HTTP only, the rules are ``deconflict.line.hotline``.

Officers send, read, acknowledge; observers read their party's threads; feeds and admins
get 403; a thread or message of other parties is answered as one that does not exist (404).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from deconflict.line.hotline import Hotline, Priority
from deconflict.line.line import Line
from deconflict.service.deps import CallerDep, LineDep
from deconflict.service.responses import ORJSONResponse


class MessageIn(BaseModel):
    """A message: in a thread (``thread_id``), or opening one (``to_party`` and
    ``subject``). ``client_id`` is the sender's own id of it: a retry carries the same."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(max_length=128)
    priority: Priority
    template: str = Field(max_length=64)
    fields: dict[str, Any] = Field(default_factory=dict, max_length=64)
    thread_id: str | None = Field(None, max_length=64)
    to_party: str | None = Field(None, max_length=64)
    subject: str | None = None


def _hotline(line: Line) -> Hotline:
    return Hotline(line)


def install(app: FastAPI) -> None:
    @app.get("/v1/hotline/templates", tags=["hotline"])
    def templates(caller: CallerDep, line: LineDep) -> list[dict[str, Any]]:
        """The templates of a message, with their fields and least priority."""
        return [t.as_json() for t in _hotline(line).templates(caller)]

    @app.get("/v1/hotline/threads", tags=["hotline"])
    def threads(caller: CallerDep, line: LineDep) -> list[dict[str, Any]]:
        """The caller's party's threads, the latest active first, with how many messages to
        the party wait for its acknowledgement."""
        return [t.as_json() for t in _hotline(line).threads(caller)]

    @app.post("/v1/hotline/messages", tags=["hotline"], response_model=None)
    def send(body: MessageIn, caller: CallerDep, line: LineDep) -> ORJSONResponse:
        """Send a message: 201 with it; 200 with the first one when it is a retry (the same
        ``client_id`` and request), 409 when that ``client_id`` was used for another."""
        msg, new = _hotline(line).send(
            caller, body.client_id, body.priority, body.template, body.fields,
            thread_id=body.thread_id, to_party=body.to_party, subject=body.subject,
        )  # fmt: skip
        return ORJSONResponse(msg.as_json(), 201 if new else 200)

    @app.get("/v1/hotline/messages", tags=["hotline"])
    def messages(
        caller: CallerDep,
        line: LineDep,
        thread_id: str | None = Query(None, max_length=64),
        since_s: float | None = Query(None, allow_inf_nan=False),
        limit: int = Query(1000, ge=1, le=10_000),
    ) -> list[dict[str, Any]]:
        """The messages of the caller's party's threads (or of one), oldest first; fetching
        those sent to the party delivers them (the sender gets the receipt)."""
        found = _hotline(line).messages(caller, thread_id, since_s, limit)
        return [m.as_json() for m in found]

    @app.get("/v1/hotline/messages/{message_id}", tags=["hotline"])
    def message(message_id: str, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        return _hotline(line).message(caller, message_id).as_json()

    @app.post("/v1/hotline/messages/{message_id}/read", tags=["hotline"])
    def read(message_id: str, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        """The read receipt of a message to the caller's party (again: the same one)."""
        return _hotline(line).read(caller, message_id).as_json()

    @app.post("/v1/hotline/messages/{message_id}/ack", tags=["hotline"])
    def acknowledge(message_id: str, caller: CallerDep, line: LineDep) -> dict[str, Any]:
        """Acknowledge a message to the caller's party: its escalation stops (again: the
        same acknowledgement)."""
        return _hotline(line).acknowledge(caller, message_id).as_json()
