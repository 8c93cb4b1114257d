"""The line's HTTP API (FastAPI): ``create_app(line)``; ``deconflict serve`` runs it.

HTTP only: every rule lives in ``deconflict.line``. One JSON error format everywhere::

    {"error": {"code": "not_found", "message": "no plan 'p1'"}}

with 400 (bad input), 401 (no valid key), 403 (the key may not do this), 404 (nothing the
caller may see by that name), 409 (refused: a stale version, a state that cannot change
that way, a filing with conflicts), 500 (a fault of the line: the message says no more).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from deconflict.errors import DeconflictError
from deconflict.line.line import Line
from deconflict.line.ticker import Ticker
from deconflict.service import console_routes, hotline_routes, limits, live_routes, routes
from deconflict.service.responses import ORJSONResponse, error, status_of

_log = logging.getLogger("deconflict.service")

#: the largest request body read (bytes): a plan of many volumes fits
MAX_BODY_BYTES = 8 * 1024 * 1024


def create_app(
    line: Line,
    *,
    rate_per_s: float | None = limits.DEFAULT_RATE_PER_S,
    burst: int = limits.DEFAULT_BURST,
    tick_s: float | None = None,
) -> FastAPI:
    """The app of ``line``. Each client (an API key, else an address) may make ``burst``
    requests at once and ``rate_per_s`` a second after that (None: no rate limit). With
    ``tick_s``, the line's heartbeat (the watch, the hotline's escalations) runs every
    ``tick_s`` seconds while the app is up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ticker = None if tick_s is None else Ticker(line, tick_s)
        app.state.ticker = ticker
        if ticker is not None:
            ticker.start()
        try:
            yield
        finally:
            if ticker is not None:
                ticker.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="deconflict",
        version=version("deconflict"),
        description="A deconfliction line between parties that share an airspace but not "
        "their missions. Authenticate with `Authorization: Bearer <key>`.",
        default_response_class=ORJSONResponse,
    )
    app.state.line = line

    @app.exception_handler(DeconflictError)
    async def _known(_: Request, exc: DeconflictError) -> Response:
        return error(*status_of(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = str(first.get("msg", "invalid request"))
        return error(400, "bad_request", f"{where}: {message}" if where else message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        return error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _fault(request: Request, exc: Exception) -> Response:
        _log.exception("fault on %s %s", request.method, request.url.path)
        return error(500, "internal", "the line failed to answer; the fault is logged")

    limits.install(app, rate_per_s=rate_per_s, burst=burst, max_body_bytes=MAX_BODY_BYTES)

    routes.install(app)
    hotline_routes.install(app)
    live_routes.install(app)
    console_routes.install(app)
    return app
