"""Dialling the relay from an app: send the token, wait for PAIRED, then it is a raw pipe.

Asyncio because the relay is; the Qt app runs it in its network thread's event loop.
"""

from __future__ import annotations

import asyncio
import ssl

from remoteapp.net.errors import RelayRefused
from remoteapp.net.framing import NEED_DATA, Frame, FrameReader, FrameType, pack_frame


async def read_one_frame(reader: asyncio.StreamReader, timeout_s: float) -> Frame | None:
    """Read exactly one frame, byte by byte so no forwarded byte after it is consumed.

    Only used for the one or two control frames at the start, so the cost is nil.
    """
    frames = FrameReader(max_payload=4096)

    async def _read() -> Frame | None:
        while True:
            frame = frames.next_frame()
            if frame is not NEED_DATA:
                return frame
            data = await reader.read(1)
            if not data:
                return None
            frames.receive_data(data)

    return await asyncio.wait_for(_read(), timeout_s)


async def open_relay(
    address: str,
    token: str,
    *,
    ssl_context: ssl.SSLContext | None = None,
    pair_timeout_s: float = 35.0,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to ``host:port``, present ``token`` and return once the peer is there.

    Raises ``RelayRefused`` (with the relay's reason) or ``ConnectionError``/``TimeoutError``.
    """
    host, _, port = address.rpartition(":")
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, int(port), ssl=ssl_context), 10
    )
    try:
        writer.write(pack_frame(FrameType.TOKEN, token.encode("ascii")))
        await writer.drain()
        frame = await read_one_frame(reader, pair_timeout_s)
    except BaseException:
        writer.close()
        raise
    if frame is not None and frame.type == FrameType.PAIRED:
        return reader, writer
    writer.close()
    if frame is None:
        raise RelayRefused("connection-closed")
    if frame.type == FrameType.REFUSED:
        raise RelayRefused(frame.payload.decode("utf-8", "replace"))
    raise RelayRefused(f"unexpected-frame-{frame.type}")
