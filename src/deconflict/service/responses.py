"""The line's JSON answers: orjson, and the one error format."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse

from deconflict.errors import (
    AuthError,
    DeconflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
    RefusedError,
)


class ORJSONResponse(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


def error(status: int, code: str, message: str, **extra: Any) -> ORJSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return ORJSONResponse(
        {"error": {"code": code, "message": message}, **extra}, status, headers=headers
    )


STATUS: tuple[tuple[type[DeconflictError], int, str], ...] = (
    (AuthError, 401, "unauthorized"),
    (ForbiddenError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (RefusedError, 409, "refused"),
    (InputError, 400, "bad_request"),
    (DeconflictError, 400, "bad_request"),
)


def status_of(exc: DeconflictError) -> tuple[int, str]:
    """The HTTP status and error code of a user's error."""
    for kind, status, code in STATUS:
        if isinstance(exc, kind):
            return status, code
    return 400, "bad_request"
