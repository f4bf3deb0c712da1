"""Joining a session at the relay: send the token, wait for PAIRED, then a raw pipe.

``RelayJoin`` is the sans-IO core (h11 style): ``start()`` gives the bytes to send,
``receive_data`` takes what the relay answers, and ``result()`` says how it ended. Bytes
that arrive right behind the PAIRED frame (the peer's Hello) belong to the session and
are handed over as ``trailing``, never dropped. Two thin adapters drive it:
``join_streams``/``open_relay`` here (asyncio: the relay's tests and benches) and
``remoteapp.session.relay_link`` (a blocking socket: the desktop app).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import Final

from remotewire.address import parse_relay_address
from remotewire.errors import InvalidToken, OversizeFrame, RelayRefused
from remotewire.framing import NEED_DATA, FrameReader, FrameType, pack_frame

PAIR_TIMEOUT_S: Final = 40.0
"""The relay parks the first side up to 30 s; wait a little longer than that."""
CONNECT_TIMEOUT_S: Final = 10.0
MAX_CONTROL_FRAME: Final = 4096


@dataclass(frozen=True, slots=True)
class Paired:
    """The peer is there; ``trailing`` is session data that came with the PAIRED frame."""

    trailing: bytes


class RelayJoin:
    """The client side of the relay handshake, without I/O."""

    def __init__(self, token: str) -> None:
        self._token = token
        self._frames = FrameReader(max_payload=MAX_CONTROL_FRAME)
        self._outcome: Paired | RelayRefused | None = None

    def start(self) -> bytes:
        """The first and only bytes to send: the TOKEN frame.  A token that is not ASCII
        or too long for a control frame (the server's answer was garbled) is
        ``InvalidToken``: no frame of it could ever be accepted."""
        try:
            token = self._token.encode("ascii")
        except UnicodeEncodeError as exc:
            raise InvalidToken("the session token is not ASCII") from exc
        if not 0 < len(token) <= MAX_CONTROL_FRAME:
            raise InvalidToken(f"the session token's length {len(token)} is out of range")
        return pack_frame(FrameType.TOKEN, token)

    def receive_data(self, data: bytes) -> None:
        """Feed what the relay sent; ``b""`` means it closed the connection."""
        if self._outcome is not None:
            return
        if not data:
            self._outcome = RelayRefused("connection-closed")
            return
        self._frames.receive_data(data)
        try:
            frame = self._frames.next_frame()
        except OversizeFrame:  # a broken relay: refused like any other wrong answer
            self._outcome = RelayRefused("oversize-answer")
            return
        if frame is NEED_DATA:
            return
        if frame.type == FrameType.PAIRED:
            self._outcome = Paired(self._frames.trailing_data())
        elif frame.type == FrameType.REFUSED:
            self._outcome = RelayRefused(frame.payload.decode("utf-8", "replace") or "refused")
        else:
            self._outcome = RelayRefused(f"unexpected-frame-{int(frame.type)}")

    def result(self) -> Paired | RelayRefused | None:
        """None while the relay has not answered yet."""
        return self._outcome


async def join_streams(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    token: str,
    pair_timeout_s: float = PAIR_TIMEOUT_S,
) -> None:
    """Run the handshake on connected streams; returns once paired, with no session byte
    taken from ``reader``: the answer is read a byte at a time (a few bytes, once per
    connection: the cost is nil). Raises ``RelayRefused`` or ``TimeoutError``."""
    join = RelayJoin(token)
    writer.write(join.start())
    await writer.drain()

    async def answer() -> Paired | RelayRefused:
        while (outcome := join.result()) is None:
            join.receive_data(await reader.read(1))
        return outcome

    outcome = await asyncio.wait_for(answer(), pair_timeout_s)
    if isinstance(outcome, RelayRefused):
        raise outcome


async def open_relay(
    address: str,
    token: str,
    *,
    ssl_context: ssl.SSLContext | None = None,
    pair_timeout_s: float = PAIR_TIMEOUT_S,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to ``host:port`` (``tls://host:port``: over TLS, verified with
    ``ssl_context`` or the default one), present ``token`` and return once the peer is
    there. Raises ``RelayRefused`` (with the relay's reason), ``OSError`` or
    ``TimeoutError``."""
    host, port, tls = parse_relay_address(address)
    if tls and ssl_context is None:
        ssl_context = ssl.create_default_context()
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(
            host, port, ssl=ssl_context, server_hostname=host if ssl_context else None
        ),
        CONNECT_TIMEOUT_S,
    )
    try:
        await join_streams(reader, writer, token, pair_timeout_s)
    except BaseException:
        writer.close()
        raise
    return reader, writer
