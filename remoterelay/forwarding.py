"""One paired session's forwarding: both directions copied with back-pressure, an optional
shared bandwidth cap, and the idle watch. Each ends with the session's end reason set."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Final

from remotewire import constants as c
from remotewire.roles import Role
from remotewire.tokens import SessionClaims

LEFT: Final = {Role.AGENT: c.END_AGENT_LEFT, Role.CUSTOMER: c.END_CUSTOMER_LEFT}
CONNECTION_LOST: Final = {
    Role.AGENT: c.END_AGENT_CONNECTION_LOST,
    Role.CUSTOMER: c.END_CUSTOMER_CONNECTION_LOST,
}


class Bandwidth:
    """Token bucket shared by both directions of one session."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.allowance = float(rate)
        self.stamp = time.monotonic()

    async def consume(self, n: int) -> None:
        now = time.monotonic()
        self.allowance = min(float(self.rate), self.allowance + (now - self.stamp) * self.rate)
        self.stamp = now
        self.allowance -= n
        if self.allowance < 0:
            await asyncio.sleep(-self.allowance / self.rate)


@dataclass
class Side:
    claims: SessionClaims
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    peer: str
    pending: bytes = b""
    paired: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    early_read: asyncio.Future[bytes] | None = None


@dataclass
class PairedSession:
    session_id: str
    sides: dict[Role, Side]
    last_activity: float = field(default_factory=time.monotonic)
    bytes_forwarded: int = 0
    end_reason: str | None = None


async def pump(
    session: PairedSession, src: Side, dst: Side, chunk: int, bandwidth: Bandwidth | None
) -> None:
    """Copy src → dst; drain() blocks when dst is slow, which stops us reading src."""
    try:
        if src.pending:
            dst.writer.write(src.pending)
            session.bytes_forwarded += len(src.pending)
            src.pending = b""
        await dst.writer.drain()
        while True:
            data = await src.reader.read(chunk)
            if not data:
                session.end_reason = session.end_reason or LEFT[src.claims.role]
                return
            session.last_activity = time.monotonic()
            if bandwidth is not None:
                await bandwidth.consume(len(data))
            dst.writer.write(data)
            session.bytes_forwarded += len(data)
            await dst.writer.drain()
    except (ConnectionError, OSError):
        session.end_reason = session.end_reason or CONNECTION_LOST[src.claims.role]


async def watch_idle(session: PairedSession, idle_timeout_s: float) -> None:
    step = min(1.0, idle_timeout_s / 4)
    while True:
        await asyncio.sleep(step)
        if time.monotonic() - session.last_activity >= idle_timeout_s:
            session.end_reason = session.end_reason or c.END_IDLE
            return
