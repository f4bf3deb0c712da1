"""``remoteapp://connect`` links reach the app, and only one app per user handles them.

The console's Connect button opens a link (``remotewire.connect_codes``); the OS starts
``remoteapp <link>`` (Linux, Windows) or hands the running app a ``QFileOpenEvent``
(macOS). A second start with a link forwards it to the instance already running for this
user over a local socket (QLocalServer, this user only) and quits::

    second start --"<link>\\n"--> LinkServer --"ok\\n"--> second start exits 0
                                  └─ received(ConnectLink) -> LinkOpener.open

``LinkOpener`` opens agent mode for the link's server (the remembered login if it is for
that server, else the login dialog), then fills the partner field with the code and
looks the ticket up in the ticket dialog; the agent confirms with Start session.
Everything read from the socket is bounded (``MAX_LINK``, a deadline) and parsed by
``parse_link``; anything else is answered ``refused`` and dropped.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from remoteapp.net.helpdesk import HelpdeskClient
from remoteapp.platform import url_handler
from remoteapp.session.device import data_dir
from remoteapp.ui import credentials, operations
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtCore, QtNetwork, QtWidgets, Signal, is_alive
from remotewire.connect_codes import MAX_LINK, BadLink, ConnectLink, parse_link
from remotewire.events import EventLog

if TYPE_CHECKING:
    from remoteapp.ui.agent_window import AgentWindow
    from remoteapp.ui.app import RemoteApp

link_events = EventLog("link")
log = logging.getLogger("remoteapp.links")
CONNECT_MS = 1000  # a running instance accepts at once; none: the connect fails at once
ANSWER_MS = 3000
READ_MS = 3000  # how long a forwarding start may take to send its line


class LinkNotDelivered(Exception):
    """An instance is listening but did not take the link."""


def channel_name() -> str:
    """This user's channel: the user and the data directory, hashed (a name, not a path:
    Qt puts the socket in the temp dir on Unix, a named pipe on Windows)."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    digest = hashlib.sha256(f"{user}\0{data_dir()}".encode(errors="replace")).hexdigest()
    return f"remoteapp-links-{digest[:20]}"


def forward(link: str, name: str | None = None) -> bool:
    """Hand ``link`` (already parsed: ASCII) to the running instance: True once it said
    ok, False when none runs. Called before any window exists, so a bounded wait is fine."""
    sock = QtNetwork.QLocalSocket()
    try:
        sock.connectToServer(name or channel_name())
        if not sock.waitForConnected(CONNECT_MS):
            return False
        sock.write(link.encode("ascii") + b"\n")
        sock.flush()
        answer = b""
        while b"\n" not in answer and len(answer) < 64:
            ready = sock.waitForReadyRead(ANSWER_MS)
            answer += bytes(sock.readAll().data())  # also what came with the disconnect
            if not ready:
                break
        if answer.startswith(b"ok\n"):
            return True
        raise LinkNotDelivered(answer.decode("ascii", "replace").strip() or "no answer")
    finally:
        sock.abort()


def _listening(name: str) -> bool:
    probe = QtNetwork.QLocalSocket()
    probe.connectToServer(name)
    alive = probe.waitForConnected(CONNECT_MS)
    probe.abort()
    return alive


class LinkServer(QtCore.QObject):
    """The running instance's end of the channel; ``received`` carries a ConnectLink."""

    received = Signal(object)

    def __init__(self, name: str | None = None, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or channel_name()
        self.server = QtNetwork.QLocalServer(self)
        self.server.setSocketOptions(QtNetwork.QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self.opener: LinkOpener | None = None  # kept alive with the server
        self._clients: set[Any] = set()

    def listen(self) -> bool:
        """False when another instance of this user already listens (it keeps the links:
        with access options Qt would replace its socket file, so ask first)."""
        if _listening(self.name):
            return False
        QtNetwork.QLocalServer.removeServer(self.name)  # left behind by a crashed instance
        return bool(self.server.listen(self.name))

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while (sock := self.server.nextPendingConnection()) is not None:
            self._serve(sock)

    def _serve(self, sock: Any) -> None:
        buffer = bytearray()
        timer = QtCore.QTimer(sock)
        timer.setSingleShot(True)

        def too_slow() -> None:  # a sender that never finishes its line
            sock.abort()

        timer.timeout.connect(too_slow)
        timer.start(READ_MS)
        self._clients.add(sock)  # the wrapper must outlive this call: it owns the socket

        def gone() -> None:
            self._clients.discard(sock)
            sock.deleteLater()

        sock.disconnected.connect(gone)

        def answer(word: bytes) -> None:
            sock.readyRead.disconnect()
            timer.stop()
            sock.write(word + b"\n")
            sock.flush()
            sock.disconnectFromServer()

        def read() -> None:
            buffer.extend(bytes(sock.read(MAX_LINK + 2 - len(buffer)).data()))
            if b"\n" not in buffer:
                if len(buffer) > MAX_LINK:
                    answer(b"refused: too long")
                return
            line = bytes(buffer).split(b"\n", 1)[0]
            try:
                link = parse_link(line.decode("ascii"))
            except (UnicodeDecodeError, BadLink) as exc:
                log.warning("link event=refused reason=%r", str(exc))
                answer(b"refused")
                return
            answer(b"ok")
            self.received.emit(link)

        sock.readyRead.connect(read)


class FileOpenLinks(QtCore.QObject):
    """macOS hands links to the running app as QFileOpenEvent with a URL."""

    received = Signal(object)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.FileOpen:
            url = event.url().toString()  # type: ignore[attr-defined]
            if url.lower().startswith("remoteapp:"):
                try:
                    self.received.emit(parse_link(url))
                except BadLink as exc:
                    log.warning("link event=refused reason=%r", str(exc))
                return True
        return False


def register_handler(window: QtWidgets.QWidget, name: str) -> None:
    """Make this program the OS's remoteapp:// handler (off the GUI thread; a failure is
    logged: the app works without links)."""
    operations.run(
        window,
        lambda: url_handler.for_this_os(name).register(url_handler.launch_command()),
        lambda _: link_events.emit("handler-registered"),
        lambda exc: log.warning("link event=handler-not-registered reason=%r", str(exc)),
        busy=False,
    )


class LinkOpener:
    """What a link does in this app (see the module docstring)."""

    def __init__(self, app: RemoteApp) -> None:
        self.app = app

    def open(self, link: ConnectLink) -> None:
        link_events.emit("opening", server=link.server, app=link.app, ticket=link.ticket or "")
        agent = self.app.agent
        if agent is not None and is_alive(agent) and agent.isVisible():
            if agent.client.base_url == link.server and agent.profile.app_id == link.app:
                agent.open_link(link.code, link.ticket)
                return
            if agent.viewers:
                agent.status.setText(
                    tr("End your sessions before opening a link for another server.")
                )
                return
            agent.close()
        operations.run(
            self.app.customer,
            credentials.saved_login,
            lambda found: self._remembered(link, found[1]),
            lambda _exc: self._ask(link),
        )

    def _remembered(self, link: ConnectLink, saved: dict[str, str] | None) -> None:
        if not saved or saved.get("server", "").rstrip("/") != link.server:
            self._ask(link)
            return
        client = HelpdeskClient(link.server)
        operations.run(
            self.app.customer,
            lambda: client.login(saved.get("email", ""), saved.get("password", "")),
            lambda user: self._agent_for(link, client, user),
            lambda _exc: self._ask(link),  # changed password, server down: the dialog says
        )

    def _agent_for(self, link: ConnectLink, client: HelpdeskClient, user: dict[str, Any]) -> None:
        self.app.open_agent(client, user, link.app)
        if self.app.agent is not None:
            self.app.agent.open_link(link.code, link.ticket)

    def _ask(self, link: ConnectLink) -> None:
        self.app.ask_login(server=link.server, app_id=link.app, then=self._opened(link))

    @staticmethod
    def _opened(link: ConnectLink) -> Callable[[AgentWindow], None]:
        return lambda agent: agent.open_link(link.code, link.ticket)


def serve(qapp: QtWidgets.QApplication, app: RemoteApp, first: ConnectLink | None) -> LinkServer:
    """Listen for forwarded links and macOS open events; open ``first`` (this start's)."""
    opener = LinkOpener(app)
    server = LinkServer(parent=qapp)
    server.received.connect(opener.open)
    if not server.listen():
        log.info("link event=not-listening reason='another instance listens'")
    file_open = FileOpenLinks(qapp)
    file_open.received.connect(opener.open)
    qapp.installEventFilter(file_open)
    server.opener = opener
    if first is not None:
        opener.open(first)
    return server
