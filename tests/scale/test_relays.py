"""A fleet of relays (issue 13): each registers through its signed heartbeats with its
public address, region and load; new sessions go to the live relay of the app's region
with the fewest open sessions; a relay killed mid-session stops getting sessions and its
sessions end as ``relay-lost``."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from helpdesk.admin import set_region
from helpdesk.db import db_factory, make_engine
from helpdesk.models import RelayNode
from remoteapp.net.helpdesk import HelpdeskClient, SessionGrant
from remotewire.relay_join import open_relay
from tests.helpdesk.server_process import Process, Server, free_port, start_server
from tests.postgres import new_database
from tests.scale.helpers import ENV, login, register, start_relay, wait_until

FALLBACK = "127.0.0.1:9"
"""``--public-relay`` of the server: a session placed here found no live relay."""


def registered(server: Server) -> dict[str, str]:
    """Relays the server would place sessions on: address -> region."""
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            rows = db.execute(
                select(RelayNode.address, RelayNode.region).where(RelayNode.address.is_not(None))
            ).all()
    finally:
        engine.dispose()
    return {str(address): str(region) for address, region in rows}


@pytest.fixture
def server(tmp_path: Path, postgres_cluster: str) -> Iterator[Server]:
    db_url = new_database(postgres_cluster)
    server = start_server(tmp_path, ENV, ["--db", db_url, "--no-relay", "--public-relay", FALLBACK])
    yield server
    assert server.process.stop() == 0, "".join(server.process.log[-30:])


def offer(server: Server, agent: HelpdeskClient) -> tuple[SessionGrant, str, HelpdeskClient]:
    """A new customer, offered a session: (grant, the customer's token, its client)."""
    customer, reg = register(server)
    grant = agent.connect(reg.partner_id, reg.password)
    token = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers[0].token
    return grant, token, customer


def test_sessions_spread_over_live_relays_and_a_lost_relay_ends_its_own(server: Server) -> None:
    ports = [free_port(), free_port()]
    relays: list[Process] = [start_relay(server.http_url, port) for port in ports]
    addresses = [f"127.0.0.1:{port}" for port in ports]
    agent = login(server)
    customers: list[HelpdeskClient] = []
    try:
        wait_until(lambda: set(registered(server)) == set(addresses))
        offers = [offer(server, agent) for _ in range(6)]
        customers += [customer for _, _, customer in offers]
        assert Counter(grant.relay for grant, _, _ in offers) == dict.fromkeys(addresses, 3)

        async def scenario() -> None:
            # Every session joined (both ends), so each runs on its relay; then relay 0
            # dies without a word (SIGKILL).
            joined = await asyncio.gather(
                *(
                    open_relay(grant.relay, t)
                    for grant, token, _ in offers
                    for t in (grant.token, token)
                )
            )
            await asyncio.to_thread(
                wait_until,
                lambda: all(
                    agent.session_state(g.session_id).state == "connected" for g, _, _ in offers
                ),
            )
            relays[0].proc.kill()
            await asyncio.to_thread(
                wait_until,
                lambda: all(
                    agent.session_state(g.session_id).state == "ended"
                    for g, _, _ in offers
                    if g.relay == addresses[0]
                ),
            )
            for _, writer in joined:
                writer.close()

        asyncio.run(scenario())
        for grant, _, _ in offers:
            final = agent.session_state(grant.session_id)
            if grant.relay == addresses[0]:
                assert final.end_reason == "relay-lost"
            else:
                assert final.state in ("connected", "ended")
                assert final.end_reason != "relay-lost"
        more = [offer(server, agent) for _ in range(3)]
        customers += [customer for _, _, customer in more]
        assert {grant.relay for grant, _, _ in more} == {addresses[1]}
    finally:
        agent.close()
        for customer in customers:
            customer.close()
        for relay in relays:
            relay.stop()


def test_sessions_go_to_the_relay_of_the_apps_region(server: Server) -> None:
    ports = [free_port(), free_port()]
    relays = [
        start_relay(server.http_url, ports[0], region="default"),
        start_relay(server.http_url, ports[1], region="eu-west"),
    ]
    agent = login(server)
    customers: list[HelpdeskClient] = []
    engine = make_engine(server.db_url)
    try:
        wait_until(lambda: len(registered(server)) == 2)
        assert registered(server)[f"127.0.0.1:{ports[1]}"] == "eu-west"
        placed = [offer(server, agent) for _ in range(2)]
        assert {grant.relay for grant, _, _ in placed} == {f"127.0.0.1:{ports[0]}"}
        set_region(db_factory(engine), "demo", "eu-west")  # python -m helpdesk.admin set-region
        placed += [offer(server, agent) for _ in range(2)]
        assert {grant.relay for grant, _, _ in placed[2:]} == {f"127.0.0.1:{ports[1]}"}
        customers += [customer for _, _, customer in placed]
        # A relay that stops cleanly leaves the placement at once: no live relay in the
        # region, then none at all, and the server's own address is the last resort.
        relays[1].stop()
        wait_until(lambda: len(registered(server)) == 1)
        one_more = offer(server, agent)
        customers.append(one_more[2])
        assert one_more[0].relay == f"127.0.0.1:{ports[0]}"  # any live relay
        relays[0].stop()
        wait_until(lambda: not registered(server))
        last = offer(server, agent)
        customers.append(last[2])
        assert last[0].relay == FALLBACK
    finally:
        engine.dispose()
        agent.close()
        for customer in customers:
            customer.close()
        for relay in relays:
            relay.stop()
