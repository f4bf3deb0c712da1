"""The one place where errors become HTTP answers.

Every error body is ``{"detail": "<message>", "code": "<ErrorCode>"}`` (validation errors
add ``errors``, FastAPI's list, without the offending ``input``: echoed back, a lone
surrogate made the refusal itself fail to encode, a 500); 429 and 503 answers carry
``Retry-After``. Domain errors get their status from their branch of the tree in
``helpdesk.errors``. What nothing here handles is a bug: ``helpdesk.middleware.CatchAll``
logs it and answers a coded 500.

``SafeJSONResponse`` is every JSON answer's class: text stored before input was checked
(a lone surrogate from an older server) comes out as U+FFFD instead of failing to encode,
which made one bad row a 500 on every read of it.
"""

from __future__ import annotations

import json
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from helpdesk.errors import (
    BadQuery,
    Conflict,
    DomainError,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    RateLimited,
    Unavailable,
)
from remotewire.error_codes import ErrorCode


class SafeJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode()


STATUS: Final[tuple[tuple[type[DomainError], int], ...]] = (  # most specific first
    (BadQuery, 400),
    (InvalidInput, 422),
    (NotAuthenticated, 401),
    (NotAllowed, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RateLimited, 429),
    (Unavailable, 503),
)
FRAMEWORK_CODES: Final = {404: ErrorCode.UNKNOWN_ROUTE, 405: ErrorCode.METHOD_NOT_ALLOWED}


def status_of(error: DomainError) -> int:
    return next((status for cls, status in STATUS if isinstance(error, cls)), 500)


def error_body(code: ErrorCode, detail: str, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "code": code.value, **extra}


def validation_message(exc: RequestValidationError) -> str:
    """What the apps show: ``where: what`` for each problem."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "; ".join(parts) or "invalid request"


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    retry_after = exc.retry_after if isinstance(exc, RateLimited | Unavailable) else None
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return SafeJSONResponse(error_body(exc.code, exc.message), status_of(exc), headers=headers)


def _printable(value: Any) -> Any:
    """A validation error's context, safe to encode whatever the request held."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, int | float | bool) or value is None:
        return value
    return _printable(str(value))


def reported_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "type": error.get("type"),
            "loc": [_printable(part) for part in error.get("loc", ())],
            "msg": _printable(error.get("msg", "")),
        }
        for error in exc.errors()
    ]


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message = _printable(validation_message(exc))
    body = error_body(ErrorCode.INVALID_INPUT, message, errors=reported_errors(exc))
    return SafeJSONResponse(jsonable_encoder(body), 422)


async def _framework(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own refusals: no such route, wrong method."""
    assert isinstance(exc, StarletteHTTPException)
    code = FRAMEWORK_CODES.get(exc.status_code, ErrorCode.HTTP_ERROR)
    headers = getattr(exc, "headers", None)
    return SafeJSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _framework)
