"""A real shaped network for the lossy path (issue 12): the relay in its own network
namespace, reached over two veth pairs, the customer's shaped by the kernel.

    root namespace                        namespace <tag>-relay
    customer --(delay line)--> <tag>c ===tbf=== <tag>cr  10.N.1.2 --+
                                                                   remoterelay :7000
    agent ------------------> <tag>a ========== <tag>ar  10.N.2.2 --+

``tbf`` at the link rate on both ends of the customer's pair (upload and download), with
a bounded queue (``limit``): a sender that outruns the link meets real TCP back-pressure
and real drops.  This kernel has no ``netem`` (``tc qdisc add ... netem`` answers
"Specified qdisc kind is unknown"; of the qdiscs only tbf, htb and pfifo are built in),
so the round trip is added in user space: the customer dials a delay line on loopback
(``bench.link_shaper.ShapedLink`` at an unlimited rate, half the round trip each way, a
64 KiB queue) that joins the relay on its behalf, as the app's own relay join would.
``available()`` says why not when this machine cannot (not root, no ``ip``/``tc``, no
namespaces); callers skip or fall back to the in-process shaper then.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path
from types import TracebackType

from bench.link_shaper import ShapedLink
from remoteapp.session.relay_link import join_socket
from remoteapp.session.sockopts import limit_unsent

ROOT = Path(__file__).resolve().parents[1]
RELAY_PORT = 7000
QUEUE_BYTES = 64 * 1024  #: tbf limit: what the link holds before it drops
BURST = "16kb"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


def available() -> str | None:
    """None if a namespace with a tbf-shaped veth can be made here, else why not."""
    if os.geteuid() != 0:
        return "not root"
    if not (shutil.which("ip") and shutil.which("tc")):
        return "no ip/tc (iproute2)"
    try:
        with NetnsLink(5.0):
            pass
    except (OSError, subprocess.SubprocessError) as exc:
        err = getattr(exc, "stderr", b"") or b""
        return f"cannot make a namespace with a shaped veth: {exc} {err.decode(errors='replace')}"
    return None


class NetnsLink:
    """The namespace, its veth pairs and (``mbit`` not None) the customer's shaping."""

    def __init__(self, mbit: float | None, queue_bytes: int = QUEUE_BYTES) -> None:
        pid = os.getpid()
        self.tag = f"ra{pid % 100000}"
        self.ns = f"{self.tag}-relay"
        self.net = 16 + pid % 200
        self.mbit, self.queue_bytes = mbit, queue_bytes
        self.customer_if, self.agent_if = f"{self.tag}c", f"{self.tag}a"
        self.relay_for_customer = f"10.{self.net}.1.2"
        self.relay_for_agent = f"10.{self.net}.2.2"
        self.relay: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> NetnsLink:
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("netns", "del", self.ns)  # a leftover of a killed run
        _ip("netns", "add", self.ns)
        try:
            _ip("-n", self.ns, "link", "set", "lo", "up")
            for host_if, subnet in ((self.customer_if, 1), (self.agent_if, 2)):
                _ip("link", "add", host_if, "type", "veth", "peer", "name", host_if + "r",
                    "netns", self.ns)  # fmt: skip
                _ip("addr", "add", f"10.{self.net}.{subnet}.1/24", "dev", host_if)
                _ip("link", "set", host_if, "up")
                _ip("-n", self.ns, "addr", "add", f"10.{self.net}.{subnet}.2/24", "dev",
                    host_if + "r")  # fmt: skip
                _ip("-n", self.ns, "link", "set", host_if + "r", "up")
            if self.mbit is not None:
                for where in ([], ["-n", self.ns]):
                    dev = self.customer_if + ("r" if where else "")
                    subprocess.run(
                        ["tc", *where, "qdisc", "add", "dev", dev, "root", "tbf", "rate",
                         f"{self.mbit}mbit", "burst", BURST, "limit", str(self.queue_bytes)],
                        check=True, capture_output=True, timeout=20,
                    )  # fmt: skip
        except BaseException:
            self._remove()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.relay is not None:
            self.relay.terminate()
            try:
                self.relay.wait(10)
            except subprocess.TimeoutExpired:
                self.relay.kill()
                self.relay.wait(5)
        self._remove()

    def _remove(self) -> None:
        for host_if in (self.customer_if, self.agent_if):
            with contextlib.suppress(subprocess.CalledProcessError):
                _ip("link", "del", host_if)
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("netns", "del", self.ns)

    def start_relay(self, secret: bytes, timeout: float = 30.0) -> None:
        """The real relay (``python -m remoterelay``) inside the namespace, on both links."""
        env = {**os.environ, "REMOTEAPP_RELAY_SECRET": secret.decode()}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
        self.relay = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, sys.executable, "-m", "remoterelay",
             "--port", str(RELAY_PORT), "--relay-host", "0.0.0.0"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection((self.relay_for_agent, RELAY_PORT), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.relay.poll() is not None:
                    raise
                time.sleep(0.1)  # the relay process is starting: nothing to wait on

    def upload_bytes(self) -> int:
        """Bytes the customer's side has sent towards the relay (the kernel's count)."""
        return int(Path(f"/sys/class/net/{self.customer_if}/statistics/tx_bytes").read_text())

    def socket_queues(self) -> dict[str, int]:
        """Largest Recv-Q and Send-Q of the relay's TCP sockets (in its namespace) and of
        this namespace's sockets to and from the relay, now."""
        out: dict[str, int] = {}
        for where, argv in (("relay", ["ip", "netns", "exec", self.ns, "ss", "-tnH"]),
                            ("apps", ["ss", "-tnH"])):  # fmt: skip
            done = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=20)
            text = done.stdout
            recv = send = 0
            for line in text.splitlines():
                parts = line.split()
                if len(parts) < 5 or f":{RELAY_PORT}" not in line:
                    continue
                recv, send = max(recv, int(parts[1])), max(send, int(parts[2]))
            out[f"{where}_recv_q"], out[f"{where}_send_q"] = recv, send
        return out

    def qdisc_backlog(self) -> int:
        """Bytes waiting in the upload tbf now (bounded by its limit)."""
        text = subprocess.run(
            ["tc", "-s", "qdisc", "show", "dev", self.customer_if],
            check=False, capture_output=True, text=True, timeout=20,
        ).stdout  # fmt: skip
        found = re.search(r"backlog (\d+)b", text)
        return int(found.group(1)) if found else 0


def send_queue(sock: socket.socket) -> int:
    """Bytes in ``sock``'s send buffer now, sent or not, not yet acknowledged (TIOCOUTQ)."""
    try:
        out = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (OSError, ValueError):  # closed meanwhile (the run is over)
        return 0
    return int(struct.unpack("i", out)[0])


class DelayLine:
    """The customer's side of the link in user space: accepts the customer's one TCP
    connection on loopback, joins the relay with ``token`` over the shaped veth, and
    forwards both ways after ``delay`` s (half the round trip), holding at most 64 KiB a
    direction (``ShapedLink``).  ``unsent_limit``: its socket towards the relay (the
    customer's end of the shaped link) keeps few unsent bytes, as the app's would."""

    def __init__(
        self, link: NetnsLink, token: str, delay: float, *, unsent_limit: bool = True
    ) -> None:
        self._unsent_limit = unsent_limit
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._link, self._token, self._delay = link, token, delay
        self._socks: list[socket.socket] = []
        self._links: list[ShapedLink] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            self._server.settimeout(60)
            customer, _ = self._server.accept()
            self._socks.append(customer)
            relay = socket.create_connection((self._link.relay_for_customer, RELAY_PORT), 10)
            self._socks.append(relay)
            for sock in (customer, relay):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            trailing = join_socket(relay, self._token)
            relay.settimeout(None)
            if self._unsent_limit:
                limit_unsent(relay)
            customer.sendall(trailing)
            self._links = [
                ShapedLink(customer, relay, 1e12, self._delay),
                ShapedLink(relay, customer, 1e12, self._delay),
            ]
        except BaseException as exc:  # reported to the caller by close()
            self.error = exc

    def close(self) -> None:
        for sock in self._socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(70)
        for shaped in self._links:
            shaped.join()
        for sock in [*self._socks, self._server]:
            sock.close()
