"""The duty officer's console: the static files of ``deconflict/web`` under ``/console/``.

The files are public and hold no data of the line: the page asks for a key and calls the
API with it (``docs/console.md``). Everything is served from the package, so the console
works with no internet: MapLibre GL JS and the Natural Earth basemap are vendored.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

#: the console's files, inside the package
WEB_DIR = Path(__file__).resolve().parents[1] / "web"


async def _to_console(_: Request) -> Response:
    return RedirectResponse("/console/", status_code=307)


def install(app: FastAPI) -> None:
    """Serve the console at ``/console/`` (``/console`` redirects there)."""
    app.router.routes.append(Route("/console", _to_console, include_in_schema=False))
    app.mount("/console/", StaticFiles(directory=WEB_DIR, html=True), name="console")
