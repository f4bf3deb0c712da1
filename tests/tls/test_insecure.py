"""Plain connections: refused to any other host unless the profile says ``insecure:
true``; allowed then, against a real plain server reached by this machine's host name,
and both windows show the warning (pt_BR and English)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.branding.profile import load_profile
from remoteapp.net import tls
from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from remoteapp.net.helpdesk_http import InsecureServer, verified_session
from remoteapp.session import relay_link
from remoteapp.tickets.outbox import TicketOutbox
from remoteapp.ui import i18n
from remoteapp.ui.agent_dialogs import LoginDialog, TicketDialog
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.customer_window import CustomerWindow
from remoteapp.ui.qt import QtWidgets, is_alive
from remoteapp.ui.widgets import BrandHeader, InsecureNotice
from remotewire.address import is_loopback
from tests.helpdesk.conftest import FAST
from tests.helpdesk.server_process import Server, start_server
from tests.tls.test_tls_live import join_both, queue_session
from tests.ui.test_login import MemoryKeyring, keyring_backend

NOTICE_EN = "Insecure connections allowed: this app may talk to its server without encryption."
NOTICE_PT = (
    "Conexões inseguras permitidas: este aplicativo pode falar com o servidor sem criptografia."
)


def host_name() -> str:
    """This machine's name: not a loopback literal, yet it reaches a server on 0.0.0.0."""
    name = socket.gethostname()
    try:
        socket.getaddrinfo(name, None)
    except OSError:
        pytest.skip(f"this machine's name {name!r} does not resolve")
    if is_loopback(name):
        pytest.skip(f"this machine's name {name!r} is a loopback name")
    return name


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A plain server (no --cert) reached as http://<host name>: a non-loopback URL."""
    name = host_name()
    args = ["--http-host", "0.0.0.0", "--relay-host", "0.0.0.0", "--public-host", name]
    server = start_server(tmp_path_factory.mktemp("plain-server"), FAST, args)
    server.http_url = server.http_url.replace("0.0.0.0", name)
    yield server
    assert server.process.stop() == 0, "".join(server.process.log[-30:])


@pytest.fixture
def insecure() -> Iterator[tls.TrustPolicy]:
    """The profile says ``insecure: true`` for this test."""
    policy = tls.TrustPolicy(insecure=True)
    tls.install(policy)
    yield policy
    tls.install(tls.TrustPolicy())


def test_plain_http_to_another_host_is_refused_without_insecure() -> None:
    """Refused before any byte goes out: the host need not even exist."""
    for url in ("http://helpdesk.example.com", "http://192.0.2.10:8080", "HTTP://[2001:db8::1]"):
        client = HelpdeskClient(url, timeout_s=5)
        with pytest.raises(InsecureServer, match=r"not encrypted.*insecure: true"):
            client.login("agent@example.com", "x")
        client.close()


def test_every_plain_request_is_checked_not_only_the_base_url() -> None:
    """A redirect from an https server to plain http elsewhere goes through the same
    adapter as any request: refused."""
    with verified_session() as http, pytest.raises(InsecureServer):
        http.get("http://helpdesk.example.com/api/me", timeout=5)


def test_a_plain_relay_on_another_host_is_refused_without_insecure() -> None:
    with pytest.raises(tls.InsecureRefused, match=r"the relay at relay\.example\.com is not"):
        relay_link.join("relay.example.com:8765", "token", timeout_s=5)


def test_loopback_needs_no_insecure() -> None:
    assert all(map(is_loopback, ["localhost", "127.0.0.1", "127.8.9.1", "::1", "[::1]"]))
    assert not any(map(is_loopback, ["example.com", "10.0.0.1", "localhost.example.com"]))


def test_plain_server_and_relay_on_another_host_work_with_insecure(
    plain_server: Server, insecure: tls.TrustPolicy
) -> None:
    assert not is_loopback(plain_server.http_url.split("//")[1].rsplit(":", 1)[0])
    grant, offer = queue_session(plain_server, "Plain Paula")
    assert grant.relay.startswith(host_name() + ":")
    agent_sock, customer_sock = join_both(grant, offer)
    with agent_sock, customer_sock:
        agent_sock.sendall(b"over plain TCP, as the profile allows")
        customer_sock.settimeout(10)
        assert customer_sock.recv(64) == b"over plain TCP, as the profile allows"


def test_the_same_server_is_refused_without_insecure(plain_server: Server) -> None:
    client = HelpdeskClient(plain_server.http_url, timeout_s=5)
    with pytest.raises(InsecureServer):
        client.login("agent@example.com", "x")
    client.close()


@pytest.mark.display
def test_the_header_warns_only_when_insecure_is_allowed(
    qtbot: QtBot, qapp: QtWidgets.QApplication
) -> None:
    header = BrandHeader("Suporte", None)
    qtbot.addWidget(header)
    assert header.findChild(InsecureNotice) is None
    tls.install(tls.TrustPolicy(insecure=True))
    try:
        warned = BrandHeader("Suporte", None)
        qtbot.addWidget(warned)
        notice = warned.findChild(InsecureNotice)
        assert notice is not None and notice.text() == NOTICE_EN
        lang, translators = i18n.install(qapp, "pt_BR")
        assert lang == "pt_BR" and translators
        try:
            assert InsecureNotice().text() == NOTICE_PT
        finally:
            i18n.uninstall(qapp, translators)
    finally:
        tls.install(tls.TrustPolicy())


def presence_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("presence")]


@pytest.mark.display
def test_both_windows_show_the_warning_against_an_insecure_server(
    qtbot: QtBot, plain_server: Server, insecure: tls.TrustPolicy, tmp_path: Path
) -> None:
    profile = load_profile().with_overrides(server_url=plain_server.http_url, app_id="demo")
    customer = CustomerWindow(profile)
    qtbot.addWidget(customer)
    customer.show()
    creds = plain_server.credentials
    client = HelpdeskClient(plain_server.http_url)
    user = client.login(creds["agent"]["email"], creds["agent"]["password"])
    tickets = TicketClient(plain_server.http_url, creds["token"])
    agent = AgentWindow(profile, client, user, tickets, TicketOutbox(tmp_path / "outbox"))
    try:
        agent.show()
        for window in (customer, agent):
            notice = window.findChild(InsecureNotice)
            assert notice is not None and notice.isVisible() and notice.text() == NOTICE_EN
        # and the agent's app really works over the plain URL: it registers its own ID
        qtbot.waitUntil(lambda: re.fullmatch(r"[\d ]{11}", agent.own_id.value.text()) is not None)
    finally:
        if is_alive(agent):
            agent.close()
        qtbot.waitUntil(lambda: not presence_threads(), timeout=15_000)


@pytest.mark.display
def test_the_login_dialog_says_why_it_refuses_a_server(
    qtbot: QtBot, tls_server: Server, plain_server: Server
) -> None:
    """An agent typing a server whose certificate is not trusted, or a plain http://
    one on another host, is told that, not "cannot be reached"."""
    with keyring_backend(MemoryKeyring()):
        dialog = LoginDialog(tls_server.http_url)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.keyring_checked)
        dialog.email.setText("someone@acme.example")
        dialog.password.setText("whatever")
        dialog.ok.click()
        qtbot.waitUntil(lambda: "not trusted" in dialog.message.text(), timeout=15_000)
        assert dialog.message.text() == (
            f"The certificate of {tls_server.http_url} is not trusted: not logging in."
        )
        dialog.server.setText(plain_server.http_url)
        dialog.ok.click()
        qtbot.waitUntil(lambda: "not encrypted" in dialog.message.text(), timeout=15_000)
        assert dialog.message.text() == (
            f"{plain_server.http_url} is not encrypted (http://): use its https:// address."
        )
        assert dialog.client is None and dialog.isVisible()


@pytest.mark.display
def test_the_ticket_dialog_says_the_servers_certificate_is_not_trusted(
    qtbot: QtBot, tls_server: Server
) -> None:
    """A ticket looked up at a server whose certificate does not verify is refused as
    such, not as a passing outage ("cannot be reached now: try again"), and no session
    can start on it."""
    tickets = TicketClient(tls_server.http_url, tls_server.credentials["token"])
    try:
        dialog = TicketDialog(tickets, "123 456 789", None)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.number.setText("1")  # a ticket the demo server has
        dialog.lookup.click()
        assert dialog.message.text() == "Looking up..."
        qtbot.waitUntil(dialog.lookup.isEnabled, timeout=15_000)  # the look-up has answered
        assert dialog.message.text() == (
            "The helpdesk server's certificate is not trusted: not connecting."
        )
        assert not dialog.start.isEnabled()
        dialog.start.click()
        assert dialog.choice is None and dialog.isVisible()
    finally:
        tickets.close()
