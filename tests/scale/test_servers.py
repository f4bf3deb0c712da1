"""Two server processes on one PostgreSQL (issue 13): a poll held by one is woken by an
offer made through the other, also after its listening connection was killed; the
password limit holds across both; two servers started together on an empty database
both come up and migrate once; ``--workers 2`` wakes polls across its workers.

"Woken" means the poll answered with the offer well before it would have been let go
(``WOKEN_S``: half of ``POLL_S``, 20 s); how soon is a bench's figure (bench/scale_longpoll.py),
not a timed assert here."""

from __future__ import annotations

import json
import os
import secrets
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from remoteapp.net.helpdesk import HelpdeskClient, NotAllowed, RateLimited, Registration
from remotewire.error_codes import ErrorCode
from remotewire.relay_reports import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_report
from tests.helpdesk.server_process import Server, spawn, start_server
from tests.postgres import new_database
from tests.scale.helpers import (
    ENV,
    FIELDS,
    POLL_S,
    RELAY_SECRET,
    HeldPoll,
    connections_on,
    last_seen,
    listener_pid,
    listeners,
    login,
    pg,
    poll_is_held,
    register,
    start_pair,
    wait_until,
    worker_pids,
)

WOKEN_S = POLL_S / 2
SHOWN_S = 10.0  #: the bound on waiting for a customer in another process's live view


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, postgres_cluster: str
) -> Iterator[tuple[Server, Server]]:
    a, b = start_pair(tmp_path_factory.mktemp("pair"), new_database(postgres_cluster))
    wait_until(lambda: len(listeners(a.db_url)) == 2)
    yield a, b
    assert b.process.stop() == 0, "".join(b.process.log[-30:])
    assert a.process.stop() == 0, "".join(a.process.log[-30:])


def offer_through(poll_on: Server, connect_on: Server) -> HeldPoll:
    """A customer's poll held by ``poll_on``; an agent connects through ``connect_on``;
    returns the answered poll (its offer checked)."""
    customer, reg = register(poll_on)
    agent = login(connect_on)
    try:
        before = last_seen(poll_on.db_url, reg.partner_id)
        held = HeldPoll(customer, reg).start()
        wait_until(poll_is_held(poll_on.db_url, reg.partner_id, before))
        grant = agent.connect(reg.partner_id, reg.password)
        result = held.join()
        assert [offer.session_id for offer in result.offers] == [grant.session_id]
        agent.end_session(grant.session_id, "test-done")
        return held
    finally:
        agent.close()
        customer.close()


def test_an_offer_made_on_b_wakes_the_poll_held_by_a(pair: tuple[Server, Server]) -> None:
    a, b = pair
    held = offer_through(a, b)
    assert held.answered_after is not None and held.answered_after < WOKEN_S < POLL_S
    held = offer_through(b, a)  # and the other way round
    assert held.answered_after is not None and held.answered_after < WOKEN_S


def test_the_listener_reconnects_after_its_backend_is_killed(pair: tuple[Server, Server]) -> None:
    a, b = pair
    killed = listener_pid(a.db_url, a.process.proc.pid)
    assert killed is not None
    # A poll held across the kill: its offer's notification may be lost while A has no
    # listener; the reconnect wakes every waiter of A to re-check, so it still arrives.
    customer, reg = register(a)
    agent = login(b)
    try:
        before = last_seen(a.db_url, reg.partner_id)
        held = HeldPoll(customer, reg).start()
        wait_until(poll_is_held(a.db_url, reg.partner_id, before))
        with pg(a.db_url) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (killed,))
        grant = agent.connect(reg.partner_id, reg.password)
        assert [o.session_id for o in held.join().offers] == [grant.session_id]
        assert held.answered_after is not None and held.answered_after < 2 * WOKEN_S
        agent.end_session(grant.session_id, "test-done")
    finally:
        agent.close()
        customer.close()
    wait_until(lambda: listener_pid(a.db_url, a.process.proc.pid) not in (None, killed))
    held = offer_through(a, b)  # the new listener delivers the next offer
    assert held.answered_after is not None and held.answered_after < WOKEN_S


def test_the_password_limit_holds_across_both_processes(pair: tuple[Server, Server]) -> None:
    a, b = pair
    customer, reg = register(a)
    agents = [login(a), login(b)]
    try:
        for attempt in range(6):  # the limit: 6 failures per agent and partner, in all
            with pytest.raises(NotAllowed):
                agents[attempt % 2].connect(reg.partner_id, "wrong-guess")
        for agent in agents:  # in memory, each process would allow 6 of its own
            with pytest.raises(RateLimited) as blocked:
                agent.connect(reg.partner_id, reg.password)
            assert blocked.value.code == ErrorCode.TOO_MANY_FAILED_ATTEMPTS
    finally:
        for agent in agents:
            agent.close()
        customer.close()


def test_the_console_stream_on_b_shows_a_customer_registered_on_a(
    pair: tuple[Server, Server],
) -> None:
    """Each server-sent event stream re-reads the database (every 0.25 s): a browser's
    stream held by B shows what A changed."""
    a, b = pair
    creds = a.credentials["agent"]
    name = "Stream Across " + secrets.token_hex(3)
    with httpx.Client(base_url=b.http_url, timeout=10) as browser:
        page = browser.get("/console/login").text
        marker = 'name="csrf" value="'
        start = page.index(marker) + len(marker)
        csrf = page[start : page.index('"', start)]
        answer = browser.post(
            "/console/login",
            data={"email": creds["email"], "password": creds["password"], "csrf": csrf},
            headers={"Sec-Fetch-Site": "same-origin"},
        )
        assert answer.status_code == 303, answer.text
        with browser.stream("GET", "/console/monitoring/demo/stream") as stream:
            lines = stream.iter_lines()
            assert next(line for line in lines if line.startswith("data:"))  # the first view
            customer = HelpdeskClient(a.http_url, timeout_s=10)
            customer.register("demo", "dev-" + secrets.token_hex(8), {**FIELDS, "name": name})
            give_up = time.monotonic() + SHOWN_S  # (checked at each line: a ping each 10 s)
            line = ""
            try:
                for line in lines:
                    if (line.startswith("data:") and name in line) or time.monotonic() > give_up:
                        break
                assert line.startswith("data:") and name in line, "not in B's live view"
            finally:
                customer.close()


def test_a_relay_report_replayed_to_the_other_process_is_refused(
    pair: tuple[Server, Server],
) -> None:
    """Report signatures are remembered in the database, not only in one process."""
    a, b = pair
    body = json.dumps({"event": "heartbeat", "relay_id": "replayed-relay", "sessions": []})
    timestamp = f"{time.time():.6f}"
    signature = sign_report(RELAY_SECRET.encode(), timestamp, body.encode())
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature,
    }
    first = httpx.post(f"{a.http_url}/relay/events", content=body, headers=headers)
    assert first.status_code == 200, first.text
    replayed = httpx.post(f"{b.http_url}/relay/events", content=body, headers=headers)
    assert replayed.status_code == 401
    assert replayed.json()["code"] == ErrorCode.STALE_RELAY_REPORT


def test_two_servers_started_together_on_an_empty_database(
    tmp_path: Path, postgres_cluster: str
) -> None:
    db_url = new_database(postgres_cluster)
    # Both launched before either is waited for (from this thread: a server dies with
    # the thread that started it, tests/displays.die_with_parent).
    args = ["-m", "helpdesk.cli", "--http-port", "0", "--relay-port", "0", "--db", db_url]
    servers = {name: spawn([*args, "--data-dir", str(tmp_path / name)], ENV) for name in "ab"}
    try:
        urls = {
            name: process.wait_for(r"helpdesk event=ready http_url=(\S+)", 60).group(1)
            for name, process in servers.items()
        }
        logs = "".join(servers["a"].log + servers["b"].log)
        assert logs.count("Running upgrade  -> 0001") == 1  # migrations ran once
        assert logs.count("Running upgrade 0005 -> 0006") == 1
        made = [n for n in "ab" if (tmp_path / n / "initial-admin.json").exists()]
        assert len(made) == 1  # one made the first administrator, under the same lock
        creds = json.loads((tmp_path / made[0] / "initial-admin.json").read_text())["admin"]
        for url in urls.values():  # and its login works on both
            client = HelpdeskClient(url, timeout_s=10)
            client.login(creds["email"], creds["password"])
            client.close()
    finally:
        for process in servers.values():
            assert process.stop() == 0, "".join(process.log[-30:])


def test_workers_wake_polls_across_processes(tmp_path: Path, postgres_cluster: str) -> None:
    db_url = new_database(postgres_cluster)
    server = start_server(tmp_path, ENV, ["--db", db_url, "--workers", "2"])
    try:
        workers = worker_pids(server.process.proc.pid)
        assert len(workers) == 2
        wait_until(lambda: len(listeners(db_url)) == 2)
        port = urlsplit(server.http_url).port
        assert port is not None
        # Polls on connections of their own, which the kernel hands to whichever worker
        # accepts first: more customers come until both workers hold some (bounded);
        # one agent connection (one worker) makes every offer.
        customers: list[tuple[HelpdeskClient, Registration]] = []
        agent = login(server)
        try:
            polls = []
            held_by = [0, 0]
            while len(customers) < 8 or not all(held_by):
                assert len(customers) < 40, f"40 polls, not spread over both workers: {held_by}"
                customer, reg = register(server)
                customers.append((customer, reg))
                before = last_seen(db_url, reg.partner_id)
                polls.append(HeldPoll(customer, reg).start())
                wait_until(poll_is_held(db_url, reg.partner_id, before))
                held_by = [connections_on(pid, port) for pid in workers]
            for held in polls:
                offered = time.monotonic()
                grant = agent.connect(held.reg.partner_id, held.reg.password)
                assert [o.session_id for o in held.join().offers] == [grant.session_id]
                assert held.answered_after is not None
                assert held.started + held.answered_after - offered < WOKEN_S
                agent.end_session(grant.session_id, "test-done")
        finally:
            agent.close()
            for customer, _ in customers:
                customer.close()
        # A worker that dies is replaced, and the server keeps answering.
        doomed = workers[0]
        os.kill(doomed, signal.SIGKILL)
        server.process.wait_for(r"helpdesk event=worker-restarted worker=0")
        wait_until(lambda: len(worker_pids(server.process.proc.pid)) == 2)
        held = offer_through(server, server)
        assert held.answered_after is not None and held.answered_after < WOKEN_S
    finally:
        assert server.process.stop() == 0, "".join(server.process.log[-30:])


def test_workers_refuse_sqlite(tmp_path: Path) -> None:
    with pytest.raises(TimeoutError, match="needs PostgreSQL"):
        start_server(tmp_path, ENV, ["--workers", "2"])
