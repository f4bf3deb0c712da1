"""``CodedFileResponse``: a file sent (the downloads, the update repository) whose
refusals of a ``Range`` header are coded JSON like every other error, not Starlette's
plain text."""

from __future__ import annotations

from typing import Final

from fastapi.responses import FileResponse
from starlette.types import Message, Receive, Scope, Send

from helpdesk.http_errors import SafeJSONResponse, error_body
from remotewire.error_codes import ErrorCode

_RANGE_REFUSALS: Final = {400: ErrorCode.INVALID_INPUT, 416: ErrorCode.RANGE_NOT_SATISFIABLE}


class CodedFileResponse(FileResponse):
    """``FileResponse`` whose refusals of a ``Range`` header (malformed: 400; outside the
    file: 416 with ``Content-Range: bytes */<size>``) are coded JSON. Starlette parses
    the header and refuses; its answer is caught on the way out and replaced, so what it
    accepts (one range, several, a suffix) is served by it unchanged."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused: list[Message] = []  # the refusal's start, then its body

        async def coded(message: Message) -> None:
            if refused or (
                message["type"] == "http.response.start" and message["status"] in _RANGE_REFUSALS
            ):
                refused.append(message)
            else:
                await send(message)

        await super().__call__(scope, receive, coded)
        if refused:
            await _range_refusal(refused)(scope, receive, send)


def _range_refusal(refused: list[Message]) -> SafeJSONResponse:
    start = refused[0]
    status: int = start["status"]
    said = b"".join(m.get("body", b"") for m in refused[1:]).decode("utf-8", "replace")
    if status == 400:
        reason = said.removeprefix("Range header: ").rstrip(".")
        plain = not reason or reason.lower().startswith("malformed")
        detail = "malformed Range header" + ("" if plain else f": {reason}")
    else:
        detail = "the Range header asks for bytes beyond the end of the file"
    kept = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in start.get("headers", [])
        if name.lower() == b"content-range"
    }
    return SafeJSONResponse(error_body(_RANGE_REFUSALS[status], detail), status, headers=kept)
