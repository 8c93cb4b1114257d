"""The line's JSON answers: orjson, and the one error format."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class ORJSONResponse(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


def error(status: int, code: str, message: str, **extra: Any) -> ORJSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return ORJSONResponse(
        {"error": {"code": code, "message": message}, **extra}, status, headers=headers
    )
