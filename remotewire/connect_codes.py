"""What a connect code and a ``remoteapp://connect`` link look like, defined once.

The console's monitoring page issues a *connect code* to one agent for one waiting
customer: ``<9-digit partner ID>-<expiry, base 36>-<16 hex MAC>`` (the server makes and
checks it: ``helpdesk.services.connect_codes``). The desktop app's partner-ID field
accepts one, and the console's Connect button opens the app with a link::

    remoteapp://connect?server=https://help.example&app=demo&code=<code>[&ticket=N]

The OS hands that URL to the app as an argument, so it is hostile input: anything that
is not exactly this shape is refused with ``BadLink`` (a ``ValueError``), never a crash.
Standard library only: the server and the desktop app both import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import SplitResult, parse_qs, urlencode, urlsplit

SCHEME: Final = "remoteapp"
CODE: Final = re.compile(r"^(\d{9})-([0-9a-z]{1,10})-([0-9a-f]{16})$")
MAX_CODE: Final = 64  #: longest text treated as a code at all (the API's field bound)
MAX_LINK: Final = 2048  #: longest link accepted (browsers and OSes cut around here)
_APP: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_TICKET: Final = re.compile(r"^[0-9]{1,10}$")
_FIELDS: Final = frozenset({"server", "app", "code", "ticket"})


class BadLink(ValueError):
    """A ``remoteapp://`` link that is not one this app opens; ``str()`` says why."""


def normalize(text: str) -> str:
    """The code as the server compares it: no surrounding blanks, lower case."""
    return text.strip().lower()


def looks_like_code(text: str) -> bool:
    """True for text in the connect-code shape (the server still checks its MAC)."""
    return len(text) <= MAX_CODE and CODE.match(normalize(text)) is not None


def parse_code(text: str) -> tuple[str, int, str] | None:
    """(partner ID, expiry in Unix seconds, MAC) of a code-shaped text, else None."""
    if len(text) > MAX_CODE:
        return None
    match = CODE.match(normalize(text))
    if match is None:
        return None
    partner_id, expiry, mac = match.groups()
    return partner_id, int(expiry, 36), mac


def to_base36(value: int) -> str:
    """The expiry as codes carry it (``int(text, 36)`` reads it back)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
        if not value:
            return out


@dataclass(frozen=True, slots=True)
class ConnectLink:
    server: str  #: the helpdesk server's base URL (http or https), no trailing slash
    app: str
    code: str  #: normalized
    ticket: int | None = None


def parse_link(url: str) -> ConnectLink:
    """The parts of a ``remoteapp://connect?...`` link; ``BadLink`` says what is wrong."""
    if not isinstance(url, str):
        raise BadLink("not text")
    if len(url) > MAX_LINK:
        raise BadLink(f"longer than {MAX_LINK} characters")
    if not url.isprintable() or not url.isascii():
        raise BadLink("characters a link cannot hold")  # lone surrogates, controls, ...
    parts = _split(url)
    if parts.scheme.lower() != SCHEME:
        raise BadLink(f"not a {SCHEME}:// link")
    if parts.netloc.lower() != "connect" or parts.path not in ("", "/"):
        raise BadLink("not a connect link")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadLink("unreadable query") from exc
    values: dict[str, str] = {}
    for name, found in query.items():
        if name not in _FIELDS:
            continue  # a newer console's extra parameter: ignored, not refused
        if len(found) != 1:
            raise BadLink(f"{name} given {len(found)} times")
        value = found[0]
        if not value.isprintable():
            raise BadLink(f"characters {name} cannot hold")
        values[name] = value
    for name in ("server", "app", "code"):
        if not values.get(name):
            raise BadLink(f"no {name}")
    server = _server(values["server"])
    if not _APP.match(values["app"]):
        raise BadLink("not an app id")
    if not looks_like_code(values["code"]):
        raise BadLink("not a connect code")
    ticket_text = values.get("ticket", "")
    if ticket_text and not _TICKET.match(ticket_text):
        raise BadLink("not a ticket number")
    ticket = int(ticket_text) if ticket_text else None
    return ConnectLink(server, values["app"], normalize(values["code"]), ticket or None)


def _split(text: str) -> SplitResult:
    """``urlsplit``, whose ValueError (an unclosed ``[`` of an IPv6 host) is a BadLink."""
    try:
        return urlsplit(text)
    except ValueError as exc:
        raise BadLink("not a well-formed address") from exc


def _server(text: str) -> str:
    parts = _split(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadLink("the server is not an http(s) address")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise BadLink("the server address carries more than a host and a path")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise BadLink("the server's port is not a number") from exc
    return text.rstrip("/")


def build_link(server: str, app: str, code: str, ticket: int | None = None) -> str:
    """The link the console's Connect button opens (``parse_link`` reads it back)."""
    query = {"server": server.rstrip("/"), "app": app, "code": code}
    if ticket:
        query["ticket"] = str(ticket)
    return f"{SCHEME}://connect?" + urlencode(query)


__all__ = [
    "CODE",
    "SCHEME",
    "BadLink",
    "ConnectLink",
    "build_link",
    "looks_like_code",
    "normalize",
    "parse_code",
    "parse_link",
    "to_base36",
]
