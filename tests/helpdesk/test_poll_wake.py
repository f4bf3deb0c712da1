"""An offer wakes the customer's held poll (SQLite's in-process wake and PostgreSQL's
NOTIFY), on a server whose polls are held as in production: up to 20 s.

The package's shared server lets a poll go after 1.33 s (two thirds of its 2 s presence
lapse), too close to a loaded machine's connect for "woken" to be told from "let go".
Here a poll answered in under half its hold was woken; how soon is a bench's figure
(bench/scale_longpoll.py), not a timed assert.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from remoteapp.net.helpdesk import HelpdeskClient, PollResult
from tests.helpdesk.conftest import db_args, device, presence_seen, wait_until
from tests.helpdesk.server_process import Server, start_server

HOLD_S = 20.0
ENV = {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32), "REMOTEAPP_PRESENCE_LAPSE_S": "30"}
FIELDS = {"name": "Woken Wanda", "email": "wanda@example.com"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("poll-wake")
    server = start_server(data_dir, ENV, db_args(request))
    yield server
    assert server.process.stop() == 0, "".join(server.process.log[-30:])


def test_an_offer_wakes_the_held_poll(server: Server) -> None:
    customer = HelpdeskClient(server.http_url, timeout_s=HOLD_S + 10)
    agent = HelpdeskClient(server.http_url, timeout_s=10)
    creds = server.credentials["agent"]
    agent.login(creds["email"], creds["password"])
    try:
        reg = customer.register("demo", device(), FIELDS)
        registered = presence_seen(server, reg.partner_id)
        answered: list[tuple[PollResult, float]] = []
        poller = threading.Thread(
            target=lambda: answered.append(
                (customer.poll(reg.partner_id, reg.presence_key, wait_s=HOLD_S), time.monotonic())
            )
        )
        poller.start()
        wait_until(lambda: presence_seen(server, reg.partner_id) > registered)  # held
        held_since = time.monotonic()
        grant = agent.connect(reg.partner_id, reg.password)
        poller.join(HOLD_S + 15)
        [(result, at)] = answered
        assert [o.session_id for o in result.offers] == [grant.session_id]
        assert at - held_since < HOLD_S / 2, "the poll ran out its hold: the offer did not wake it"
        agent.end_session(grant.session_id, "test-done")
        customer.leave(reg.partner_id, reg.presence_key)
    finally:
        agent.close()
        customer.close()
