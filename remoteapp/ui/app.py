"""The desktop program: customer mode on start, agent mode through the login icon."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from remoteapp.branding.profile import Profile, ProfileError, load_profile
from remoteapp.errors import RemoteappError
from remoteapp.net import tls
from remoteapp.net.agent_tickets import agent_tickets
from remoteapp.net.helpdesk import HelpdeskClient
from remoteapp.ui import deployed, i18n, links, operations
from remoteapp.ui.agent_dialogs import LoginDialog
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.customer_window import CustomerWindow
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import (
    QtCore,
    QtGui,
    QtWidgets,
    collect_garbage_on_gui_thread,
    gui_thread_hop,
    is_alive,
)
from remoteapp.ui.updates import Updater
from remoteapp.ui.widgets import BrandHeader
from remotewire.connect_codes import BadLink, parse_link
from remotewire.events import EventLog

app_events = EventLog("app")

log = logging.getLogger("remoteapp.app")


class RemoteApp:
    """Owns the windows; switches between customer and agent mode."""

    def __init__(
        self, profile: Profile, ticket_token: str | None, origin: tuple[int, int] | None = None
    ) -> None:
        self.profile = profile
        self.origin = origin
        self.ticket_token = ticket_token or profile.ticket_api_token
        self.customer = CustomerWindow(profile)
        self.customer.header.agent_clicked.connect(self.ask_login)
        self.agent: AgentWindow | None = None
        self.updater: Updater | None = None  # a build's update icon (ui/deployed.py)

    def shutdown(self) -> None:
        """The program is quitting (last window closed, SIGTERM, Ctrl+C): end sessions with
        a reason on both sides and leave the customer queue now, not after the lapse.  An
        agent's unfinished session records stay in the outbox; the next start completes
        them with the server's end time."""
        if self.customer.presence is not None:
            self.customer.presence.stop()
        if self.agent is not None and is_alive(self.agent):
            for viewer in list(self.agent.viewers.values()):
                viewer.session.end("the agent closed the app")
            self.agent.presence.stop()
        app_events.emit("quit")

    def session_in_progress(self) -> bool:
        """An agent is connected to this customer, or this agent views someone: an
        update waits for it to end."""
        agent_viewing = self.agent is not None and is_alive(self.agent) and self.agent.viewers
        return not self.customer.banner.isHidden() or bool(agent_viewing)

    def ask_login(
        self,
        server: str | None = None,
        app_id: str | None = None,
        then: Callable[[AgentWindow], None] | None = None,
    ) -> None:
        """``server``, ``app_id``, ``then``: a remoteapp:// link's (``ui/links.py``)."""
        dialog = LoginDialog(server or self.profile.server_url, self.customer, fixed=bool(server))
        self.login_dialog = dialog

        def finished(result: int) -> None:
            if result == QtWidgets.QDialog.DialogCode.Accepted and dialog.client is not None:
                self.open_agent(dialog.client, dialog.user, app_id)
                if dialog.not_remembered and self.agent is not None:
                    self.agent.status.setText(
                        tr("Logged in, but the login could not be kept in the keyring.")
                    )
                if then is not None and self.agent is not None:
                    then(self.agent)

        dialog.finished.connect(finished)
        dialog.open()

    def login_with(self, email: str, password: str) -> None:
        """Log in without the dialog (the run command's demo agent)."""
        client = HelpdeskClient(self.profile.server_url)
        operations.run(
            self.customer,
            lambda: client.login(email, password),
            lambda user: self.open_agent(client, user),
            lambda exc: self.customer.status.setText(str(exc)),
        )

    def open_agent(
        self, client: HelpdeskClient, user: dict[str, Any], app_id: str | None = None
    ) -> None:
        # the server the agent logged in to (the dialog lets them type another one)
        profile = self.profile.with_overrides(server_url=client.base_url, app_id=app_id)
        # a token if one is configured, else (our own server) the agent's login; this
        # client's bearer ends with its logout, so the outbox's next flush, by a later
        # window, goes with that window's login
        tickets = agent_tickets(client, profile.ticket_api_url, self.ticket_token)
        self.customer.pause()  # (before the agent's own presence takes this device's row)
        self.agent = AgentWindow(profile, client, user, tickets)
        self.agent.logged_out.connect(self.customer.show)
        self.agent.logged_out.connect(self.customer.resume)
        if self.origin is not None:
            self.agent.move(*self.origin)
        self.agent.show()
        self.customer.hide()
        header = self.agent.findChild(BrandHeader)
        if self.updater is not None and header is not None:  # the update icon here too
            self.updater.add_button(header, self.agent.status.setText)
        app_events.emit("agent-mode", agent=repr(user.get("email", "")))
        links.register_handler(self.agent, profile.title)  # the console's Connect opens us


def run(
    *,
    profile_path: Path | None,
    server: str | None,
    app_id: str | None,
    lang: str | None,
    agent: bool,
    agent_credentials: Path | None,
    ticket_token: str | None,
    window_pos: tuple[int, int] | None = None,
    link: str | None = None,
) -> int:
    try:  # a remoteapp:// link from the OS is hostile input: refused before anything runs
        first_link = parse_link(link) if link is not None else None
    except BadLink as exc:
        print(f"remoteapp: this link cannot be opened: {exc}", file=sys.stderr)
        return 2
    try:  # a build: whose app this is, before any window (remoteapp/ui/deployed.py)
        built = None if profile_path is not None else deployed.prepare()
    except RemoteappError as exc:
        print(f"remoteapp: {exc}", file=sys.stderr)
        return 2
    qapp = QtWidgets.QApplication(sys.argv[:1])
    qapp.setApplicationName("remoteapp")
    collect_garbage_on_gui_thread(qapp)
    gui_thread_hop()  # the workers' way to the GUI thread, made there before any worker
    used, _ = i18n.install(qapp, lang)
    try:  # one app per user takes the links: a second start hands its link over
        if link is not None and links.forward(link):
            app_events.emit("link-forwarded")
            return 0
    except links.LinkNotDelivered as exc:
        print(f"remoteapp: the running app did not take the link: {exc}", file=sys.stderr)
        return 1
    try:
        found = deployed.profile(built) if built is not None else load_profile(profile_path)
    except ProfileError as exc:
        print(f"remoteapp: {exc}", file=sys.stderr)
        return 2
    if found is None:
        return 2
    profile = found.with_overrides(server_url=server, app_id=app_id)
    try:  # before anything dials: every connection verifies with the profile's trust
        tls.install(profile.trust)
    except tls.TlsError as exc:
        print(f"remoteapp: {exc}", file=sys.stderr)
        return 2
    demo: dict[str, Any] = {}
    if agent_credentials is not None:
        demo = json.loads(agent_credentials.read_text(encoding="utf-8"))
        ticket_token = ticket_token or demo.get("token")
    app = RemoteApp(profile, ticket_token, window_pos)
    qapp.aboutToQuit.connect(app.shutdown)
    wakeup = _quit_on_signals(qapp)
    if window_pos is not None:
        app.customer.move(*window_pos)
    if profile.logo is not None:
        app.customer.setWindowIcon(QtGui.QIcon(str(profile.logo)))
    app.customer.show()
    if built is not None:
        deployed.attach_updates(
            built,
            app.customer.header,
            app.customer,
            app.session_in_progress,
            app.customer.status.setText,
        )
        app.updater = built.updater
    app_events.emit("started", mode="customer", lang=used, server=profile.server_url)
    links.serve(qapp, app, first_link)
    if demo:
        app.login_with(demo["agent"]["email"], demo["agent"]["password"])
    elif agent:
        app.ask_login()
    try:
        return qapp.exec()
    finally:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGTERM, signal.SIGINT):  # a second one while quitting: now
            signal.signal(sig, signal.SIG_DFL)
        for end in wakeup:
            end.close()
        # (after the signals: a second one while it waits quits at once)
        operations.end_workers()  # workers stop posting before Qt is torn down


def _quit_on_signals(qapp: QtWidgets.QApplication) -> tuple[socket.socket, socket.socket]:
    """SIGTERM (logout, a service manager, ``kill``) and SIGINT quit through Qt, so that
    ``RemoteApp.shutdown`` runs.  Python runs signal handlers only between bytecodes, which
    a Qt event loop seldom executes: the signal's byte on a socket pair wakes a notifier."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QtCore.QSocketNotifier(reader.fileno(), QtCore.QSocketNotifier.Type.Read, qapp)

    def drain() -> None:
        with contextlib.suppress(OSError):
            reader.recv(64)

    notifier.activated.connect(drain)  # Python code runs: the handler below gets its turn

    def quit_app(signum: int, frame: object) -> None:
        log.info("app event=signal signal=%d", signum)
        # posted, not called: quit() before exec() has started would be lost
        QtCore.QTimer.singleShot(0, qapp.quit)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, quit_app)
    return reader, writer  # both stay open while Qt runs
