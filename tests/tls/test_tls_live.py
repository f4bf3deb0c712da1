"""The app over TLS to a real ``remoteapp-server --cert/--key``: HTTPS to the helpdesk,
two clients paired through its TLS relay, and every certificate checked."""

from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from remoteapp.net import tls
from remoteapp.net.helpdesk import HelpdeskClient, SessionGrant, SessionOffer
from remoteapp.net.helpdesk_http import ServerNotTrusted
from remoteapp.session import relay_link
from remotewire.address import parse_relay_address
from tests.helpdesk.conftest import FAST, wait_until
from tests.helpdesk.server_process import Process, Server, spawn
from tests.tls.conftest import Pki

FIELDS = {"name": "Tls Tina", "email": "tina@example.com"}


def agent_of(server: Server) -> HelpdeskClient:
    client = HelpdeskClient(server.http_url, timeout_s=10)
    creds = server.credentials["agent"]
    client.login(creds["email"], creds["password"])
    return client


def queue_session(server: Server, name: str) -> tuple[SessionGrant, SessionOffer]:
    """A customer in the queue and the agent's connect from it (no password involved)."""
    customer = HelpdeskClient(server.http_url, timeout_s=10)
    agent = agent_of(server)
    try:
        reg = customer.register("demo", "dev-" + os.urandom(8).hex(), {**FIELDS, "name": name})
        entry = next(w for w in agent.queue("demo") if w.name == name)
        grant = agent.connect_from_queue(entry.queue_ref)
        offer = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers[0]
        return grant, offer
    finally:
        agent.close()
        customer.close()


def join_both(grant: SessionGrant, offer: SessionOffer) -> Iterator[socket.socket]:
    """Both ends joined at the relay (each waits for the other: one in a thread)."""
    found: list[tuple[socket.socket, bytes] | BaseException] = []

    def customer() -> None:
        try:
            found.append(relay_link.join(offer.relay, offer.token, timeout_s=15))
        except BaseException as exc:  # handed to the test thread
            found.append(exc)

    thread = threading.Thread(target=customer)
    thread.start()
    agent_sock, _ = relay_link.join(grant.relay, grant.token, timeout_s=15)
    thread.join(20)
    result = found[0]
    if isinstance(result, BaseException):
        agent_sock.close()
        raise result
    return iter((agent_sock, result[0]))


def test_https_server_and_tls_relay_are_announced(tls_server: Server) -> None:
    assert tls_server.http_url.startswith("https://127.0.0.1:")
    assert parse_relay_address(tls_server.relay).tls


def test_the_app_logs_in_over_https_with_the_pinned_ca(
    tls_server: Server, pinned: tls.TrustPolicy
) -> None:
    agent = agent_of(tls_server)
    try:
        assert agent.me()["email"] == tls_server.credentials["agent"]["email"]
    finally:
        agent.close()


def test_an_untrusted_server_certificate_is_refused_clearly(tls_server: Server, pki: Pki) -> None:
    """No pin: the test CA is in no system store. A pin of another CA: still refused."""
    for policy in (tls.TrustPolicy(), tls.TrustPolicy(ca_pem=pki.stranger.pem)):
        tls.install(policy)
        try:
            client = HelpdeskClient(tls_server.http_url, timeout_s=10)
            with pytest.raises(ServerNotTrusted, match=r"the server's certificate is not trusted"):
                client.login("nobody@example.com", "x")
            client.close()
        finally:
            tls.install(tls.TrustPolicy())


def test_two_clients_pair_through_the_tls_relay(
    tls_server: Server, pinned: tls.TrustPolicy
) -> None:
    grant, offer = queue_session(tls_server, "Paired Over Tls")
    assert parse_relay_address(grant.relay).tls and parse_relay_address(offer.relay).tls
    agent_sock, customer_sock = join_both(grant, offer)
    with agent_sock, customer_sock:
        big = os.urandom(3 * 1024 * 1024)  # many TLS records and bridge chunks each way
        sender = threading.Thread(target=agent_sock.sendall, args=(big,))
        sender.start()
        customer_sock.sendall(b"hello agent")
        customer_sock.settimeout(10)
        got = bytearray()
        while len(got) < len(big):
            got += customer_sock.recv(1 << 20)
        sender.join(10)
        assert bytes(got) == big
        agent_sock.settimeout(10)
        assert agent_sock.recv(64) == b"hello agent"
        agent_sock.close()  # the agent leaves: the customer reads the end
        assert customer_sock.recv(64) == b""


def test_both_directions_at_full_speed_at_once(tls_server: Server, pinned: tls.TrustPolicy) -> None:
    """Each bridge is sending and receiving bulk at the same time (both of its buffers
    full): no deadlock, every byte in order."""
    grant, offer = queue_session(tls_server, "Busy Both Ways")
    agent_sock, customer_sock = join_both(grant, offer)
    size = 4 * 1024 * 1024
    sent = {agent_sock: os.urandom(size), customer_sock: os.urandom(size)}
    got: dict[socket.socket, bytes] = {}

    def read_all(sock: socket.socket) -> None:
        data = bytearray()
        while len(data) < size and (chunk := sock.recv(1 << 20)):
            data += chunk
        got[sock] = bytes(data)

    with agent_sock, customer_sock:
        for sock in sent:
            sock.settimeout(20)
        threads = [threading.Thread(target=read_all, args=(s,)) for s in sent]
        threads += [threading.Thread(target=s.sendall, args=(d,)) for s, d in sent.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert got[customer_sock] == sent[agent_sock]
        assert got[agent_sock] == sent[customer_sock]


def test_an_untrusted_relay_certificate_is_refused_clearly(
    tls_server: Server, pinned: tls.TrustPolicy
) -> None:
    grant, _ = queue_session(tls_server, "Refused Relay Rita")
    with pytest.raises(tls.NotTrusted, match=r"the relay's certificate is not trusted"):
        relay_link.join(grant.relay, grant.token, timeout_s=5, policy=tls.TrustPolicy())


def test_a_relay_certificate_for_another_host_is_refused(pki: Pki) -> None:
    """A real ``remoteapp-relay --cert`` whose certificate (from the pinned CA) names
    another host: the host name check refuses it before any token is sent."""
    relay = spawn(
        [
            "-m",
            "remoterelay.cli",
            "--port",
            "0",
            "--relay-host",
            "127.0.0.1",
            "--cert",
            str(pki.wrong_name.cert),
            "--key",
            str(pki.wrong_name.key),
        ],
        {"REMOTEAPP_RELAY_SECRET": os.urandom(32).hex()},
    )
    try:
        port = relay.wait_for(r"relay event=listening .*port=(\d+)").group(1)
        with pytest.raises(tls.NotTrusted, match=r"relay's certificate is not trusted.*mismatch"):
            relay_link.join(
                f"tls://127.0.0.1:{port}", "t", timeout_s=5, policy=tls.TrustPolicy(pki.ca.pem)
            )
    finally:
        assert relay.stop() == 0


def lone_relay(helpdesk_url: str, *extra: str) -> Process:
    """A real ``remoteapp-relay`` (plain, on loopback) reporting to ``helpdesk_url``."""
    args = ["-m", "remoterelay.cli", "--port", "0", "--relay-host", "127.0.0.1"]
    return spawn(
        [*args, "--heartbeat", "0.2", "--helpdesk-url", helpdesk_url, *extra],
        {"REMOTEAPP_RELAY_SECRET": FAST["REMOTEAPP_RELAY_SECRET"]},
    )


def test_a_lone_relay_reports_to_an_https_helpdesk_it_verifies(
    tls_server: Server, pki: Pki, tmp_path: Path, pinned: tls.TrustPolicy
) -> None:
    """``remoteapp-relay --helpdesk-url https://... --helpdesk-ca CA``: a session paired
    there shows as connected on the server (the relay's report got through); without the
    CA its reports fail on the certificate."""
    ca = tmp_path / "ca.pem"
    ca.write_text(pki.ca.pem, encoding="ascii")
    https_url = tls_server.http_url.replace("127.0.0.1", "localhost")
    unverified = lone_relay(https_url)
    try:
        unverified.wait_for(r"relay event=report-failed .*CERTIFICATE_VERIFY_FAILED")
    finally:
        assert unverified.stop() == 0
    relay = lone_relay(https_url, "--helpdesk-ca", str(ca))
    agent = agent_of(tls_server)
    try:
        port = relay.wait_for(r"relay event=listening .*port=(\d+)").group(1)
        grant, offer = queue_session(tls_server, "Lone Relay Lena")
        here = f"127.0.0.1:{port}"
        agent_sock, customer_sock = join_both(
            replace(grant, relay=here), replace(offer, relay=here)
        )
        with agent_sock, customer_sock:
            wait_until(lambda: agent.session_state(grant.session_id).state == "connected")
    finally:
        agent.close()
        assert relay.stop() == 0


def test_the_console_over_native_https_sets_a_secure_cookie(tls_server: Server, pki: Pki) -> None:
    """uvicorn serves the console with ``--cert/--key`` itself (no proxy): the login
    cookie is ``Secure``; a browser that trusts the CA loads the page."""
    context = ssl.create_default_context(cadata=pki.ca.pem)
    creds = tls_server.credentials["agent"]
    with httpx.Client(base_url=tls_server.http_url, timeout=10, verify=context) as client:
        page = client.get("/console/login").text
        marker = 'name="csrf" value="'
        start = page.index(marker) + len(marker)
        answer = client.post(
            "/console/login",
            data={
                "email": creds["email"],
                "password": creds["password"],
                "csrf": page[start : page.index('"', start)],
            },
            headers={"Sec-Fetch-Site": "same-origin"},
        )
    assert answer.status_code == 303, answer.text
    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie")
    assert "secure" in {part.strip().lower() for part in cookie.split(";")[1:]}
