"""The customer window says why it will not talk to its server, and does not hammer it:
a certificate that does not verify (the real HTTPS server, its test CA not pinned) and a
plain ``http://`` address to another host are no passing outage; the app tells the
customer (pt_BR and English) and tries again only every ``UNSAFE_RETRY_S``."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.branding.profile import load_profile
from remoteapp.session.presence import INSECURE, NOT_TRUSTED, UNSAFE_RETRY_S
from remoteapp.ui import i18n
from remoteapp.ui.customer_texts import unsafe_text
from remoteapp.ui.customer_window import CustomerWindow
from remoteapp.ui.qt import QtWidgets
from tests.forwarder import Forwarder
from tests.helpdesk.server_process import Server
from tests.tls.test_insecure import host_name

COUNTDOWN = re.compile(r".* Trying again in (\d+) s\.")
NOT_TRUSTED_EN = "The server's security certificate is not trusted"
INSECURE_EN = "The server's address is not encrypted (http://)"


@pytest.fixture
def forwarder(tls_server: Server) -> Iterator[Forwarder]:
    parts = urlsplit(tls_server.http_url)
    assert parts.scheme == "https" and parts.hostname and parts.port
    proxy = Forwarder((parts.hostname, parts.port))
    yield proxy
    proxy.close()


def customer_window(
    server_url: str, qtbot: QtBot, unsafe: list[tuple[str, str, int]]
) -> CustomerWindow:
    """The window, its form filled in and sent; ``unsafe`` collects its refusals."""
    profile = load_profile().with_overrides(server_url=server_url, app_id="demo")
    window = CustomerWindow(profile)
    qtbot.addWidget(window)
    window.unsafe.connect(lambda *args: unsafe.append(args))
    window.show()
    window.inputs["name"].setText("Tereza Tranca")
    window.inputs["email"].setText("tereza@acme.example")
    window.submit_button.click()
    return window


def countdown(window: CustomerWindow, headline: str) -> int:
    """The seconds the status counts down to the next try, under ``headline``."""
    text = window.status.text()
    match = COUNTDOWN.fullmatch(text)
    assert text.startswith(headline) and match, text
    return int(match.group(1))


def close(window: CustomerWindow, qtbot: QtBot) -> None:
    window.close()  # stops the presence loop (it waits on its stop event)
    assert window.presence is not None
    thread = window.presence._thread
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=5_000)


@pytest.mark.display
def test_an_untrusted_certificate_is_said_and_retried_slowly(
    qtbot: QtBot, forwarder: Forwarder
) -> None:
    """The test CA is not pinned: the real server's certificate does not verify."""
    unsafe: list[tuple[str, str, int]] = []
    window = customer_window(f"https://127.0.0.1:{forwarder.port}", qtbot, unsafe)
    qtbot.waitUntil(lambda: len(unsafe) == 1, timeout=15_000)
    assert unsafe[0][0] == NOT_TRUSTED and unsafe[0][2] == UNSAFE_RETRY_S
    qtbot.waitUntil(lambda: countdown(window, NOT_TRUSTED_EN) > 0, timeout=2_000)
    assert "certificate is not trusted" in window.status.toolTip()  # the details
    assert "cannot be reached" not in window.status.text()
    # the countdown runs down a few seconds: the old loop had tried twice more by then
    qtbot.waitUntil(lambda: countdown(window, NOT_TRUSTED_EN) <= UNSAFE_RETRY_S - 4, timeout=10_000)
    assert forwarder.accepted == 1, "the app tried again at once"
    assert len(unsafe) == 1
    assert window.pages.currentIndex() == 0
    close(window, qtbot)


@pytest.mark.display
def test_a_plain_address_to_another_host_is_said_and_nothing_is_sent(qtbot: QtBot) -> None:
    listener = socket.create_server(("0.0.0.0", 0))
    listener.settimeout(0)
    try:
        url = f"http://{host_name()}:{listener.getsockname()[1]}"
        unsafe: list[tuple[str, str, int]] = []
        window = customer_window(url, qtbot, unsafe)
        qtbot.waitUntil(lambda: len(unsafe) == 1, timeout=15_000)
        assert unsafe[0][0] == INSECURE
        qtbot.waitUntil(lambda: countdown(window, INSECURE_EN) > 0, timeout=2_000)
        assert "insecure: true" in window.status.toolTip()
        qtbot.waitUntil(
            lambda: countdown(window, INSECURE_EN) <= UNSAFE_RETRY_S - 3, timeout=10_000
        )
        with pytest.raises(BlockingIOError):  # refused before any connection
            listener.accept()
        close(window, qtbot)
    finally:
        listener.close()


def test_the_reasons_are_said_in_portuguese(qapp: QtWidgets.QApplication) -> None:
    lang, translators = i18n.install(qapp, "pt_BR")
    assert lang == "pt_BR" and translators
    try:
        assert unsafe_text(NOT_TRUSTED)(30) == (
            "O certificado de segurança do servidor não é confiável, por isso este aplicativo "
            "não se conecta a ele. Peça à sua equipe de suporte que verifique o certificado "
            "do servidor. Nova tentativa em 30 s."
        )
        assert unsafe_text(INSECURE)(7) == (
            "O endereço do servidor não é criptografado (http://), por isso este aplicativo "
            "não se conecta a ele. Peça à sua equipe de suporte um endereço https://. "
            "Nova tentativa em 7 s."
        )
    finally:
        i18n.uninstall(qapp, translators)
    assert unsafe_text(INSECURE)(7).startswith(INSECURE_EN)
