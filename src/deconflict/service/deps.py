"""What a route needs from a request: the line, and who is calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from deconflict.errors import AuthError
from deconflict.line.line import Caller, Line


def line_of(request: Request) -> Line:
    found: Line = request.app.state.line
    return found


def caller(request: Request) -> Caller:
    """The caller of a request, from ``Authorization: Bearer <key>``."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        raise AuthError("a valid API key is required (Authorization: Bearer dk_...)")
    return line_of(request).authenticate(token.strip())


CallerDep = Annotated[Caller, Depends(caller)]
LineDep = Annotated[Line, Depends(line_of)]
