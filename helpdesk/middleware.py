"""The ASGI layers every HTTP request crosses before a route sees it, outermost first:

* ``SecurityHeaders``: nosniff, a referrer policy, no framing, a Content-Security-Policy
  the console's pages satisfy (only its own scripts and styles, no inline code), HSTS on
  HTTPS; a response that sets its own CSP (the download page) keeps it.
* ``CatchAll``: an exception nothing else handled becomes a coded JSON 500 and one log
  line with the traceback; the client never sees a stack trace.
* ``HostCheck``: a ``Host`` that is neither an IP literal nor an allowed name gets 400
  (DNS rebinding: a page on ``evil.example`` that re-points its name at this server
  still sends ``Host: evil.example``; and links the server builds from its base URL,
  the download link, the signed profile, must not name a host an attacker chose). The
  relay's reports (``/relay/``) are exempt: signed, machine to machine, and a lone relay
  reaches the server by whatever internal name it was given.
* ``RequestLimits``: ``%00`` in the URL, ``%00`` or a raw NUL byte in a urlencoded form
  body (the console's posts) gets 400; a body over its bound gets 413, counted as it
  arrives (a missing or lying ``Content-Length``, chunked encoding), so no handler ever
  buffers more than the bound; a body not complete ``body_timeout_s`` after the request
  came in gets 408 and the connection is closed (a client that announces 100 bytes and
  sends 5 held its handler, and what the handler had taken, for as long as it liked).

Each answers with the coded body of ``helpdesk.http_errors`` and never starts the app when
it refuses up front. Pure ASGI (no ``BaseHTTPMiddleware``): streaming answers (server-sent
events, long polls) pass through untouched.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from remotewire.error_codes import ErrorCode

log = logging.getLogger("helpdesk.http")

MAX_BODY: Final = 64 * 1024
"""Every request body, but the routes in ``RequestLimits.exceptions``: the largest real
one (a ticket with its actions) is a few KiB."""
BODY_TIMEOUT_S: Final = 15.0
"""The longest a request body may take to arrive, all of it (the server passes its
``Settings.body_timeout_s``, ``REMOTEAPP_BODY_TIMEOUT_S``): a relay's 6 MiB heartbeat
needs well under that on any link a relay runs on, a console form a fraction of a second."""
LOOPBACK_NAMES: Final = ("localhost",)

CONSOLE_CSP: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # app logos are data: URLs; Pico's icons too
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS: Final = "max-age=31536000"


def _error(
    status: int, code: ErrorCode, detail: str, *, close: bool = False
) -> tuple[Message, Message]:
    body = json.dumps({"detail": detail, "code": code.value}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:  # the rest of the body may still come: the connection cannot be reused
        headers.append((b"connection", b"close"))
    start: Message = {"type": "http.response.start", "status": status, "headers": headers}
    return start, {"type": "http.response.body", "body": body}


async def refuse(send: Send, status: int, code: ErrorCode, detail: str) -> None:
    for message in _error(status, code, detail):
        await send(message)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                wanted = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", CONSOLE_CSP.encode()),
                ]
                if https:
                    wanted.append((b"strict-transport-security", HSTS.encode()))
                headers.extend((k, v) for k, v in wanted if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class CatchAll:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception(
                "http event=internal-error method=%s path=%s",
                scope.get("method"),
                scope.get("path"),
            )
            if started:  # the answer is half sent: all that is left is to drop the connection
                raise
            await refuse(send, 500, ErrorCode.INTERNAL_ERROR, "internal server error")


def host_name(host_header: str) -> str:
    """``example.org:8080`` → ``example.org``; ``[::1]:80`` → ``::1``; lower case."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostCheck:
    """``allowed()`` is read per request: the server learns its public name after the app
    is built (``helpdesk.cli`` sets the relay address once the relay listens)."""

    def __init__(
        self, app: ASGIApp, allowed: Callable[[], Iterable[str]], exempt: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.allowed = allowed
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        raw = next((v for k, v in scope.get("headers", []) if k == b"host"), b"")
        name = host_name(raw.decode("latin-1"))
        names = {n.lower() for n in self.allowed()}
        if name and (is_ip(name) or name in names or "*" in names):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http":
            await refuse(send, 400, ErrorCode.BAD_HOST, f"unknown host {name or '(none)'!r}")
        else:
            await send({"type": "websocket.close", "code": 1008})


@dataclass(frozen=True)
class BodyBound:
    method: str
    path: re.Pattern[str]
    max_bytes: int


class RequestLimits:
    def __init__(
        self,
        app: ASGIApp,
        max_body: int = MAX_BODY,
        exceptions: Sequence[BodyBound] = (),
        timeout_s: float = BODY_TIMEOUT_S,
    ) -> None:
        """``timeout_s``: for the whole body, from the request's arrival."""
        self.app = app
        self.max_body = max_body
        self.exceptions = exceptions
        self.timeout_s = timeout_s

    def bound(self, method: str, path: str) -> int:
        return next(
            (b.max_bytes for b in self.exceptions if b.method == method and b.path.fullmatch(path)),
            self.max_body,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            await refuse(send, 400, ErrorCode.INVALID_INPUT, "NUL (%00) is not allowed in a URL")
            return
        limit = self.bound(scope["method"], scope["path"])
        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await refuse(send, 413, ErrorCode.BODY_TOO_LARGE, f"request body over {limit} bytes")
            return
        content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
        form = content_type.split(b";")[0].strip().lower() == b"application/x-www-form-urlencoded"
        received = 0
        tail = b""
        refused = started = complete = False
        deadline = asyncio.get_running_loop().time() + self.timeout_s

        async def refuse_midway(
            status: int, code: ErrorCode, detail: str, *, close: bool = False
        ) -> Message:
            nonlocal refused
            refused = True
            if not started:
                for part in _error(status, code, detail, close=close):
                    await send(part)
            # The app sees a client that went away; what it answers is dropped.
            return {"type": "http.disconnect"}

        async def counted() -> Message:
            nonlocal received, tail, complete
            if refused:
                return {"type": "http.disconnect"}
            if complete:  # only the disconnect is left to wait for (streams, long polls)
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                detail = f"request body not received within {self.timeout_s:g} s"
                return await refuse_midway(408, ErrorCode.BODY_TOO_SLOW, detail, close=True)
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                complete = not message.get("more_body", False)
                received += len(chunk)
                if received > limit:
                    detail = f"request body over {limit} bytes"
                    return await refuse_midway(413, ErrorCode.BODY_TOO_LARGE, detail)
                if form and (b"%00" in tail + chunk or b"\x00" in chunk):
                    detail = "NUL (%00) is not allowed in a form"
                    return await refuse_midway(400, ErrorCode.INVALID_INPUT, detail)
                tail = (tail + chunk)[-2:]
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted, guarded)
