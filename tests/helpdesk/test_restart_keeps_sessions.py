"""A restart of the helpdesk server (an upgrade, a crash) longer than the relay lapse no
longer ends every live session (helper-105's find): the restarted server's first sweep
took the relays' silence during its own downtime for relays gone, and ended their
sessions as "relay-lost" before their next heartbeat came; the relays then closed them.
A relay is silent only for time the server ran and heard nothing.

Real processes: the server, restarted on its port, and the relay (``python -m
remoterelay``), with both sides of a session joined on real sockets. The outage is real
time (the relay's own clock must see it), a little over the relay lapse."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC
from pathlib import Path

from sqlalchemy import select

from helpdesk.db import db_factory, make_engine
from helpdesk.models import RelayNode
from remotewire.relay_join import open_relay
from tests.helpdesk.conftest import wait_until
from tests.helpdesk.server_process import Server, free_port, start_server
from tests.helpdesk.test_relay_end_retry import FALLBACK, joined_offer, relay_registered, row
from tests.scale.helpers import start_relay

LAPSE_S = 3.0
ENV = {
    "REMOTEAPP_RELAY_SECRET": secrets.token_hex(32),
    "REMOTEAPP_RELAY_LAPSE_S": str(LAPSE_S),
    "REMOTEAPP_SWEEP_S": "0.2",  # the restarted server sweeps before the relay's heartbeat
}
HEARTBEAT_S = 2.0  # within the lapse, as in production (5 s against 20 s)


def heard_after(server: Server | None, address: str, moment: float) -> bool:
    """Whether the server heard from the relay at ``address`` after ``moment``."""
    assert server is not None
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            seen = db.scalar(select(RelayNode.last_seen).where(RelayNode.address == address))
    finally:
        engine.dispose()
    return seen is not None and seen.replace(tzinfo=UTC).timestamp() > moment


def test_a_restart_longer_than_the_relay_lapse_keeps_live_sessions(tmp_path: Path) -> None:
    http_port, relay_port = free_port(), free_port()
    args = ["--no-relay", "--public-relay", FALLBACK]
    server = start_server(tmp_path, ENV, args, http_port=http_port)
    address = f"127.0.0.1:{relay_port}"
    relay = start_relay(server.http_url, relay_port, env=ENV, heartbeat_s=HEARTBEAT_S)
    restarted = None
    try:
        wait_until(lambda: relay_registered(server, address))
        grant, offer = joined_offer(server)
        sid = grant.session_id

        async def through_a_restart() -> str:
            (_, a_write), (c_read, c_write) = await asyncio.gather(
                open_relay(address, grant.token), open_relay(address, offer.token)
            )
            try:
                await asyncio.to_thread(wait_until, lambda: row(server, sid).state == "connected")
                assert server.process.stop() == 0  # the outage begins
                await asyncio.sleep(LAPSE_S + 1)  # real time: the relay hears nothing back
                nonlocal restarted
                restarted = await asyncio.to_thread(
                    start_server, tmp_path, ENV, args, http_port=http_port
                )
                back = time.time()
                # the relay's next heartbeat reaches the restarted server (whose first
                # sweeps came before it)...
                await asyncio.to_thread(wait_until, lambda: heard_after(restarted, address, back))
                # ...and the session goes on: both sides still talk through the relay
                a_write.write(b"still here")
                await a_write.drain()
                assert await asyncio.wait_for(c_read.readexactly(10), 5) == b"still here"
                return row(restarted, sid).state
            finally:
                a_write.close()
                c_write.close()

        assert asyncio.run(through_a_restart()) == "connected"
    finally:
        relay.stop()
        if restarted is not None:
            restarted.process.stop(timeout_s=30)
        server.process.stop()
