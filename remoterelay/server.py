"""Asyncio TCP relay that pairs an agent with a customer and forwards bytes between them.

Neither side can accept inbound connections (NAT, firewalls), so both dial the relay.
Protocol (frames from ``remotewire.framing``):

1. the client sends one ``TOKEN`` frame holding a token from ``remotewire.tokens``;
2. the relay verifies it (signature, expiry, single use) and parks the client for up to
   ``park_timeout_s`` until the opposite role of the same session arrives;
3. both get a ``PAIRED`` frame, then the relay forwards raw bytes both ways until either
   side goes, the session is idle for ``idle_timeout_s`` or the relay stops;
4. a refused client gets a ``REFUSED`` frame whose payload is the reason (one of the
   ``REFUSE_*`` words of ``remotewire.constants``), then EOF.

Back-pressure: each direction is one loop of ``read(chunk)`` / ``write`` / ``drain``, with
the reader limit and the transport's write high-water mark bounding what sits in memory
(about ``3 * chunk + write_high_water`` per direction, well under 1 MiB by default).

Every connect/disconnect is reported to the helpdesk (``HttpReporter``) with a periodic
heartbeat, so session state stays right even when an app dies and the helpdesk notices
when the relay itself dies. The helpdesk's answers list the sessions it has ended
(``remotewire.relay_reports``): the relay refuses their tokens with ``session-ended``,
even when neither side has joined yet, and closes them if parked or running
(``ended-by-helpdesk``). Log lines are ``relay event=<what> key=value ...``; refusals are
logged in full only for the first few per source host and window, then summed up
(``remoterelay.refusals``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any, Final

from remoterelay.config import RelayConfig
from remoterelay.ended import EndedSessions
from remoterelay.forwarding import LEFT, Bandwidth, PairedSession, Side, pump, watch_idle
from remoterelay.refusals import RefusalLog, source_of
from remoterelay.reporting import ReportQueue, log_event
from remotewire import constants as c
from remotewire.errors import OversizeFrame, TokenError
from remotewire.framing import NEED_DATA, FrameReader, FrameType, pack_frame
from remotewire.roles import Role
from remotewire.tokens import NonceRegistry, verify_token

MAX_TOKEN_FRAME: Final = 2048

__all__ = ["MAX_TOKEN_FRAME", "Relay", "RelayConfig"]


class Relay:
    """One listening socket, many sessions; see the module docstring for the protocol."""

    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self.relay_id = uuid.uuid4().hex[:12]
        self.nonces = NonceRegistry(config.nonce_capacity)
        self._parked: dict[str, Side] = {}
        self._active: dict[str, PairedSession] = {}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._reports: ReportQueue | None = None
        if config.reporter is not None:
            self._reports = ReportQueue(
                config.reporter, config.heartbeat_s, self._heartbeat, self.apply_answer
            )
        self.ended = EndedSessions(config.ended_capacity)
        self.refusals = RefusalLog(config.refusals_logged_per_source, config.refusal_summary_s)
        self._summaries: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with ``port=0``)."""
        assert self._server is not None, "relay not started"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def active_sessions(self) -> list[str]:
        return list(self._active)

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self.handle_connection,
            self.config.host,
            self.config.port,
            ssl=self.config.ssl_context,
            # the first frame's bound covers the TLS handshake too (asyncio's own is 60 s:
            # a client that never finished its ClientHello held a connection that long)
            ssl_handshake_timeout=(
                self.config.first_frame_timeout_s if self.config.ssl_context else None
            ),
            limit=self.config.chunk,
        )
        if self._reports is not None:
            self._reports.start()
        self._summaries = asyncio.create_task(self._summarize_refusals())
        log_event(
            "listening",
            host=self.config.host,
            port=self.port,
            relay=self.relay_id,
            tls=self.config.ssl_context is not None,
        )

    async def close(self) -> None:
        """Stop listening and end every session with reason ``relay-shutdown``."""
        if self._server is not None:
            self._server.close()
        if self._reports is not None:  # no new sessions here from now on
            self._reports.put({"event": "stopping", "relay_id": self.relay_id})
        for session in list(self._active.values()):
            session.end_reason = session.end_reason or c.END_RELAY_SHUTDOWN
            for side in session.sides.values():
                side.writer.close()
        for side in list(self._parked.values()):
            side.writer.close()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        if self._summaries is not None:
            self._summaries.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._summaries
        self._log_refusal_summaries()
        if self._reports is not None:
            await self._reports.close()  # lets the "ended" reports go out (bounded)
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 5)
        log_event("stopped", relay=self.relay_id)

    def _report(self, event: str, session_id: str, **extra: object) -> None:
        """Queue a report without waiting: a slow helpdesk must never delay forwarding.

        Synchronous on purpose, so callers order it with ``_active`` changes: a heartbeat
        queued after "connected" and before "ended" always lists the session.
        """
        if self._reports is not None:
            self._reports.put(
                {"event": event, "session_id": session_id, "relay_id": self.relay_id, **extra}
            )

    def _heartbeat(self) -> dict[str, Any]:
        """What runs here (the helpdesk reconciles with it), where and how busy."""
        beat: dict[str, Any] = {
            "event": "heartbeat",
            "relay_id": self.relay_id,
            "sessions": self.active_sessions,
            "region": self.config.region,
            "load": len(self._active) + len(self._parked),
        }
        if self.config.public_address is not None:
            beat["address"] = self.config.public_address
        if self.ended.cursor is not None:
            beat["ended_since"] = self.ended.cursor
        return beat

    def apply_answer(self, answer: dict[str, Any]) -> None:
        """Act on a report's answer: remember the sessions the helpdesk ended, refuse the
        parked side of one, close one that runs."""
        for sid, reason in self.ended.take_answer(answer):
            self._end_from_helpdesk(sid, reason)

    def _end_from_helpdesk(self, sid: str, reason: str) -> None:
        side = self._parked.pop(sid, None)
        if side is not None:
            if side.early_read is not None:
                side.early_read.cancel()
                side.early_read = None
            self._log_refused(side.peer, c.REFUSE_SESSION_ENDED, sid, helpdesk_reason=reason)
            with contextlib.suppress(Exception):
                side.writer.write(pack_frame(FrameType.REFUSED, c.REFUSE_SESSION_ENDED.encode()))
            if not side.paired.done():
                side.paired.set_result(None)
            side.finished.set()  # its connection task returns and closes the connection
        session = self._active.get(sid)
        if session is not None:
            session.end_reason = session.end_reason or c.END_BY_HELPDESK
            log_event("closing", session=sid, reason=session.end_reason, helpdesk_reason=reason)
            for running in session.sides.values():
                running.writer.close()

    def _log_refused(self, peer: str, reason: str, session: str, **extra: object) -> None:
        if self.refusals.note(source_of(peer), reason):
            log_event(
                "refused", logging.WARNING, peer=peer, session=session, reason=reason, **extra
            )

    def _log_refusal_summaries(self) -> None:
        for summary in self.refusals.drain():
            reasons = ",".join(f"{reason}:{count}" for reason, count in summary.reasons)
            log_event(
                "refused-summary",
                logging.WARNING,
                source=summary.source,
                suppressed=summary.suppressed,
                reasons=reasons,
                window_s=self.config.refusal_summary_s,
            )

    async def _summarize_refusals(self) -> None:
        while True:
            await asyncio.sleep(self.config.refusal_summary_s)
            self._log_refusal_summaries()

    async def handle_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Serve one client connection; public so any stream pair (e.g. a socketpair in
        contract tests, or a listener someone else owns) can be handed to the relay."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if isinstance(peername, tuple) else str(peername)
        writer.transport.set_write_buffer_limits(high=self.config.write_high_water)
        try:
            await self._serve_connection(reader, writer, peer)
        except (ConnectionError, OSError) as exc:
            log_event("conn-error", peer=peer, error=type(exc).__name__)
        finally:
            writer.close()
            try:  # a peer that never reads would keep close() flushing forever
                await asyncio.wait_for(writer.wait_closed(), 5)
            except Exception:
                writer.transport.abort()
            self._tasks.discard(task)

    async def _refuse(
        self, writer: asyncio.StreamWriter, peer: str, reason: str, session: str = "-"
    ) -> None:
        self._log_refused(peer, reason, session)
        with contextlib.suppress(Exception):
            writer.write(pack_frame(FrameType.REFUSED, reason.encode()))
            await asyncio.wait_for(writer.drain(), 2)

    async def _read_token(self, reader: asyncio.StreamReader) -> tuple[bytes, bytes] | str:
        """Return (token, trailing bytes) or a refusal reason."""
        frames = FrameReader(max_payload=MAX_TOKEN_FRAME)
        while True:
            try:
                frame = frames.next_frame()
            except OversizeFrame:
                return c.REFUSE_OVERSIZE_FIRST_FRAME
            if frame is not NEED_DATA:
                if frame.type != FrameType.TOKEN:
                    return c.REFUSE_FIRST_FRAME_NOT_TOKEN
                return frame.payload, frames.trailing_data()
            data = await reader.read(MAX_TOKEN_FRAME)
            if not data:
                return c.REFUSE_EOF_BEFORE_TOKEN
            frames.receive_data(data)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        try:
            got = await asyncio.wait_for(
                self._read_token(reader), self.config.first_frame_timeout_s
            )
        except TimeoutError:
            await self._refuse(writer, peer, c.REFUSE_FIRST_FRAME_TIMEOUT)
            return
        except (ConnectionError, OSError) as exc:
            # A scanner that resets before its first frame is a refusal like any other:
            # counted in the rate-limited log, not one conn-error line per connection.
            self._log_refused(peer, "conn-error", "-", error=type(exc).__name__)
            return
        if isinstance(got, str):
            await self._refuse(writer, peer, got)
            return
        token, trailing = got
        try:
            claims = verify_token(self.config.secret, token)
            self.nonces.consume(claims)
        except TokenError as exc:
            await self._refuse(writer, peer, exc.reason)
            return
        sid = claims.session_id
        if sid in self.ended:
            await self._refuse(writer, peer, c.REFUSE_SESSION_ENDED, sid)
            return
        side = Side(claims, reader, writer, peer, pending=trailing)
        if sid in self._active:
            await self._refuse(writer, peer, c.REFUSE_SESSION_FULL, sid)
            return
        other = self._parked.get(sid)
        if other is None:
            await self._park(side)
            return
        if other.claims.role == claims.role:
            await self._refuse(writer, peer, c.REFUSE_SAME_ROLE, sid)
            return
        del self._parked[sid]
        await self._run_session(sid, {claims.role: side, other.claims.role: other})

    async def _park(self, side: Side) -> None:
        """Hold the first side until its peer arrives, it leaves, or the wait times out.

        While parked we keep reading so a client that hangs up is noticed; early bytes are
        kept for the peer, but only up to ``chunk`` before we stop reading (back-pressure).
        """
        sid = side.claims.session_id
        self._parked[sid] = side
        log_event("parked", session=sid, role=side.claims.role, peer=side.peer)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.park_timeout_s
        side.early_read = asyncio.ensure_future(side.reader.read(self.config.chunk))
        try:
            while not side.paired.done():
                early = side.early_read
                if early is not None and early.done():
                    data = early.result()
                    side.early_read = None
                    if not data:
                        log_event("left-while-parked", session=sid, role=side.claims.role)
                        return
                    side.pending += data
                    if len(side.pending) < self.config.chunk:
                        side.early_read = asyncio.ensure_future(side.reader.read(self.config.chunk))
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    await self._refuse(side.writer, side.peer, c.REFUSE_PARK_TIMEOUT, sid)
                    return
                waiting: set[asyncio.Future[Any]] = {side.paired}
                if side.early_read is not None:
                    waiting.add(side.early_read)
                await asyncio.wait(waiting, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            await side.finished.wait()  # the session task owns the connection now
        finally:
            if self._parked.get(sid) is side:
                del self._parked[sid]
            if side.early_read is not None and not side.paired.done():
                side.early_read.cancel()

    async def _run_session(self, sid: str, sides: dict[Role, Side]) -> None:
        session = PairedSession(sid, sides)
        self._active[sid] = session
        bandwidth = Bandwidth(self.config.bandwidth_bps) if self.config.bandwidth_bps else None
        for side in sides.values():
            if not side.paired.done():
                side.paired.set_result(None)
            early, side.early_read = side.early_read, None
            if early is not None:  # no await since pairing: the parked task cannot race us
                if early.done():
                    failed = early.cancelled() or early.exception() is not None
                    data = b"" if failed else early.result()
                    side.pending += data
                    if not data:
                        session.end_reason = LEFT[side.claims.role]
                else:
                    early.cancel()
            side.writer.write(pack_frame(FrameType.PAIRED, side.claims.peer_role().encode()))
        agent, customer = sides[Role.AGENT], sides[Role.CUSTOMER]
        log_event("paired", session=sid, agent=agent.peer, customer=customer.peer)
        self._report("connected", sid)
        started = time.monotonic()
        pumps: set[asyncio.Future[None]] = set()
        if session.end_reason is None:
            pumps = {
                asyncio.ensure_future(pump(session, agent, customer, self.config.chunk, bandwidth)),
                asyncio.ensure_future(pump(session, customer, agent, self.config.chunk, bandwidth)),
                asyncio.ensure_future(watch_idle(session, self.config.idle_timeout_s)),
            }
        try:
            if pumps:
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            for side in sides.values():
                side.writer.close()
                side.finished.set()
            reason = session.end_reason or c.END_RELAY_CLOSED
            del self._active[sid]
            log_event(
                "ended",
                session=sid,
                reason=reason,
                bytes=session.bytes_forwarded,
                seconds=round(time.monotonic() - started, 3),
            )
            self._report("ended", sid, reason=reason, bytes=session.bytes_forwarded)
