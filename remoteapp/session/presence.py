"""The customer app's life with the helpdesk: register, stay present, serve sessions.

One thread does it all with bounded waits: registration retried with a growing pause
while the server is unreachable (the UI shows a countdown), long polls for session
offers and password rotation, re-registration if presence lapsed, and each offered
session joined at the relay and served until it ends.  The UI only gets callbacks.

A server whose certificate does not verify, or an ``http://`` address to another host
that the profile does not allow, is no passing outage: the UI is told why (``unsafe``)
and the loop tries again only every ``UNSAFE_RETRY_S``. An offer whose secrets are
missing or malformed is skipped and ended at the server (the customer may end its own
session with its presence key), so it neither blocks the poll nor hangs until it
expires; never a session without its secrets.

The password the UI shows is the server's part followed by a local part this app makes
(``PasswordParts``, ``remotewire.passwords``) and never sends anywhere: an agent who
was told both runs SPAKE2 with us on the whole password, so the server, which knows
only its part, can neither read nor alter a password session (docs/security.md).

The agent app runs one too, with ``staff`` (its logged-in client): colleagues connect to
the agent by ID and password. It registers with the agent's login, so the server keeps
it out of the customers' queue; a login the server refuses is retried with the growing
pauses, never registered as a customer instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final

from remoteapp.net.errors import HelpdeskError
from remoteapp.net.helpdesk import (
    HelpdeskClient,
    HelpdeskUnavailable,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    Registration,
    SessionOffer,
    UnusableOffer,
)
from remoteapp.net.helpdesk_http import InsecureServer, ServerNotTrusted
from remoteapp.secure import InvalidSecureParams, PasswordMismatch, SecureParams
from remoteapp.session import relay_link
from remoteapp.session.customer import CustomerSession
from remotewire.errors import ProtocolError, RelayRefused
from remotewire.passwords import LOCAL_PART, new_part

log = logging.getLogger("remoteapp.presence")

RETRY_STEPS_S = (2, 4, 8, 15, 30)
LEAVE_TIMEOUT_S = 3.0  # bounds how long a closing app may linger
REGISTER_WAIT_S = 12.0  # ... and this, if it is closed while registering
ROTATE_AFTER_MISMATCHES: Final = 3  #: failed password handshakes before a new local part
UNSAFE_RETRY_S: Final = 30  #: the pause after an untrusted certificate or a refused http://
NOT_TRUSTED: Final = "not-trusted"  #: ``unsafe`` kind: the server's certificate failed
INSECURE: Final = "insecure"  #: ``unsafe`` kind: a plain http:// address, not allowed
UNUSABLE_OFFER_REASON: Final = "customer app refused the offer: its secrets are unusable"


class PasswordParts:
    """The whole password: the server's part as last heard, plus the local part.

    The local part is new whenever the server's part changes (the server rotates it at
    every start, after every session and after failures) and after
    ``ROTATE_AFTER_MISMATCHES`` password handshakes that failed on a mismatch while the
    server's part stayed the same (a server that does not rotate must not let an agent
    guess the local part by repeated tries). Used by the presence thread only."""

    def __init__(self, new_local: Callable[[], str] = lambda: new_part(LOCAL_PART)) -> None:
        self._new_local = new_local
        self.server = ""
        self.local = new_local()
        self.mismatches = 0

    @property
    def whole(self) -> str:
        return self.server + self.local

    def server_part(self, server: str) -> None:
        """What the server says its part is now (registration, every poll)."""
        if server != self.server:
            if self.server:
                self._rotate()
            self.server = server

    def mismatch(self) -> None:
        """A password handshake failed: the agent's password differs from ours."""
        self.mismatches += 1
        if self.mismatches >= ROTATE_AFTER_MISMATCHES:
            self._rotate()

    def _rotate(self) -> None:
        self.local = self._new_local()
        self.mismatches = 0


@dataclass
class PresenceCallbacks:
    """Called on the presence thread; a Qt UI forwards them as signals."""

    registered: Callable[[Registration], None] = lambda reg: None
    """``reg.password`` is the whole password to show (server part + local part)."""
    password: Callable[[str], None] = lambda password: None  #: the whole password, again
    unreachable: Callable[[str, int], None] = lambda reason, retry_in_s: None
    unsafe: Callable[[str, str, int], None] = lambda kind, reason, retry_in_s: None
    """The server was refused for safety: ``kind`` is ``NOT_TRUSTED`` or ``INSECURE``."""
    rejected: Callable[[str, str], None] = lambda code, reason: None
    """The form was refused: the server's error ``code`` ("" if none) and its English."""
    agent_joined: Callable[[str], None] = lambda agent: None
    secured: Callable[[str], None] = lambda code: None  #: the verification code to show
    session_ended: Callable[[str], None] = lambda reason: None
    wrong_password: Callable[[], None] = lambda: None
    """After ``session_ended``: the agent's password did not match ours (the attempt
    failed; the password shown will change)."""
    clipboard: Callable[[str], None] = lambda text: None  #: the agent copied this text


class CustomerPresence:
    def __init__(
        self,
        client: HelpdeskClient,
        app_id: str,
        device: str,
        fields: dict[str, str],
        callbacks: PresenceCallbacks,
        *,
        display: str | None = None,
        staff: HelpdeskClient | None = None,
    ) -> None:
        self.client = client
        self.staff = staff
        """The agent's logged-in client: its login is read at each registration."""
        self.app_id = app_id
        self.device = device
        self.fields = fields
        self.cb = callbacks
        self.display = display
        self.registration: Registration | None = None
        self.parts = PasswordParts()
        self.session: CustomerSession | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="presence", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """End any session and leave the queue at once (not after the ~30 s lapse).

        The leave request runs on its own short-lived, non-daemon thread: the caller (the
        GUI thread) does not wait on the network, yet the process does not exit before the
        request is done or has timed out (the client's timeout bounds it)."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self.session is not None:
            self.session.end("customer closed the app")
        reg = self.registration
        if reg is not None:
            threading.Thread(target=self._leave, args=(reg,), name="presence-leave").start()
        elif self._thread.is_alive():
            # maybe registering right now: the thread leaves by itself once it has an ID;
            # a non-daemon waiter keeps a quitting process alive that long (bounded)
            threading.Thread(
                target=self._thread.join, args=(REGISTER_WAIT_S,), name="presence-wait"
            ).start()

    def _leave(self, reg: Registration) -> None:
        client = HelpdeskClient(self.client.base_url, timeout_s=LEAVE_TIMEOUT_S)  # own session
        try:
            client.leave(reg.partner_id, reg.presence_key)
            log.info("presence event=left partner=%s", reg.partner_id)
        except HelpdeskError as exc:  # the lapse removes it from the queue anyway
            log.info("presence event=leave-failed reason=%r", str(exc))
        finally:
            client.close()

    def send_clipboard(self, text: str) -> None:
        """The customer copied ``text``: the agent gets it (if a session is on)."""
        session = self.session
        if session is not None:
            session.send_clipboard(text)

    def end_session(self) -> None:
        """The customer's End session button."""
        if self.session is not None:
            self.session.end("customer ended the session")

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                if self.registration is None:
                    if self.staff is not None:
                        self.client.bearer = self._staff_bearer()
                    reg = self.registration = self.client.register(
                        self.app_id, self.device, self.fields
                    )
                    if self._stop.is_set():  # stopped while registering: stop() may have
                        self._leave(reg)  # seen no registration (a second leave is harmless)
                        return
                    log.info("presence event=registered partner=%s", reg.partner_id)
                    self.parts.server_part(reg.password)
                    self.cb.registered(replace(reg, password=self.parts.whole))
                reg = self.registration
                result = self.client.poll(reg.partner_id, reg.presence_key, reg.poll_wait_s)
                if self._stop.is_set():
                    return
                failures = 0
                self.parts.server_part(result.password)
                self.cb.password(self.parts.whole)
                for unusable in result.unusable:
                    self._refuse(reg, unusable)
                for offer in result.offers[:1]:
                    if not self._stop.is_set():
                        self._serve(offer)
            except InvalidInput as exc:
                self.cb.rejected(exc.code or "", exc.message)
                return
            except (NotFound, NotAuthenticated) as exc:
                registering, self.registration = self.registration is None, None
                if registering and self.staff is not None and isinstance(exc, NotAuthenticated):
                    # the agent's login is expired or revoked: asking again each second
                    # would not help (a new login may, later)
                    wait = RETRY_STEPS_S[min(failures, len(RETRY_STEPS_S) - 1)]
                    failures += 1
                    log.warning("presence event=login-refused retry_in=%d", wait)
                    self._stop.wait(wait)
                    continue
                # presence lapsed, the server restarted, or another app on this device
                # registered since: register again (same device, same ID)
                self._stop.wait(1.0)
            except (ServerNotTrusted, InsecureServer) as exc:
                kind = NOT_TRUSTED if isinstance(exc, ServerNotTrusted) else INSECURE
                log.warning(
                    "presence event=unsafe-server kind=%s retry_in=%d reason=%r",
                    kind,
                    UNSAFE_RETRY_S,
                    str(exc),
                )
                self.cb.unsafe(kind, str(exc), UNSAFE_RETRY_S)
                self._stop.wait(UNSAFE_RETRY_S)
            except HelpdeskUnavailable as exc:
                wait = RETRY_STEPS_S[min(failures, len(RETRY_STEPS_S) - 1)]
                failures += 1
                log.warning("presence event=unreachable retry_in=%d reason=%r", wait, str(exc))
                self.cb.unreachable(str(exc), wait)
                self._stop.wait(wait)
            except HelpdeskError as exc:
                log.warning("presence event=error reason=%r", str(exc))
                self._stop.wait(RETRY_STEPS_S[0])
            except Exception:  # (the thread's boundary: a customer who cannot be reached
                # again until the app restarts is worse than a logged fault and a retry)
                log.exception("presence event=fault retry_in=%d", RETRY_STEPS_S[0])
                self._stop.wait(RETRY_STEPS_S[0])

    def _staff_bearer(self) -> str:
        """The agent's current login, which our client registers with. Logged out, the
        agent is not registered at all: without the login it would be a customer."""
        assert self.staff is not None
        if self.staff.bearer is None:
            raise NotAuthenticated(401, "log in first")
        return self.staff.bearer

    def _refuse(self, reg: Registration, offer: UnusableOffer) -> None:
        """End an offer we will not serve, as its party: the server counts it delivered,
        so it would stay offered (and this customer busy) until it expires."""
        log.warning(
            "presence event=offer-unusable session=%s reason=%r", offer.session_id, offer.reason
        )
        try:
            self.client.end_session(
                offer.session_id, UNUSABLE_OFFER_REASON, presence_key=reg.presence_key
            )
        except HelpdeskError as exc:  # it expires by itself then
            log.warning(
                "presence event=offer-end-failed session=%s reason=%r", offer.session_id, str(exc)
            )

    def _serve(self, offer: SessionOffer) -> None:
        log.info("presence event=offer session=%s agent=%r", offer.session_id, offer.agent)
        try:  # the whole password as of this offer's poll (a password connect only)
            secure = SecureParams.for_customer(offer, self.parts.whole)
        except InvalidSecureParams as exc:  # never a session without its secrets
            reg = self.registration
            if reg is not None:
                self._refuse(reg, UnusableOffer(offer.session_id, str(exc)))
            self.cb.session_ended(str(exc))
            return
        try:
            sock, initial = relay_link.join(offer.relay, offer.token)
        except (OSError, RelayRefused, ProtocolError) as exc:
            log.warning("presence event=relay-failed reason=%r", str(exc))
            self.cb.session_ended(str(exc))
            return
        # both sides are joined: the secure handshake's deadline (secure_link) runs now
        log.info("presence event=paired session=%s", offer.session_id)
        ended = threading.Event()
        reason: list[str] = []

        def on_end(why: str) -> None:
            reason.append(why)
            ended.set()

        self.session = session = CustomerSession(
            sock,
            self.fields.get("name", ""),
            secure=secure,
            on_secured=self.cb.secured,
            display=self.display,
            on_agent=self.cb.agent_joined,
            on_end=on_end,
            on_clipboard=self.cb.clipboard,
        )
        self.session.start(initial)
        while not ended.wait(1.0):
            if self._stop.is_set():
                self.session.end("customer closed the app")
        self.session = None
        self.cb.session_ended(reason[0] if reason else "")
        if isinstance(session.failure, PasswordMismatch):
            self.parts.mismatch()
            self.cb.wrong_password()
