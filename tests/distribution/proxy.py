"""A real HTTP proxy in front of the update server that can misbehave the way a slow or
broken link does: hold an answer until the test lets it go (``gate``), or trickle the
body of chosen paths a byte at a time, each gap far shorter than any read timeout (a
server that never stalls long enough to time out, but never finishes either), or refuse
them (503)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


@dataclass
class Proxy:
    url: str
    trickle: Callable[[str], bool] = lambda path: False  #: paths sent a byte at a time
    gap_s: float = 0.02  #: between two trickled bytes
    gate: threading.Event = field(default_factory=threading.Event)  #: held until set
    hold: Callable[[str], bool] = lambda path: False  #: paths that wait for ``gate``
    asked: list[str] = field(default_factory=list)  #: every path requested, in order
    refuse: Callable[[str], bool] = lambda path: False  #: paths answered 503, not fetched
    stop: threading.Event = field(default_factory=threading.Event)


@contextlib.contextmanager
def proxy_to(upstream: str) -> Iterator[Proxy]:
    """A proxy to ``upstream`` on a free loopback port; stopped (trickles cut) on exit."""
    state = Proxy(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            state.asked.append(self.path)
            if state.hold(self.path):
                state.gate.wait(60)
            if state.refuse(self.path):  # a server overloaded, or a link that refuses
                self.send_error(503)
                return
            answer = requests.get(upstream + self.path, timeout=30)
            body = answer.content
            self.send_response(answer.status_code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                if not state.trickle(self.path):
                    self.wfile.write(body)
                    return
                for at in range(len(body)):
                    self.wfile.write(body[at : at + 1])
                    self.wfile.flush()
                    if state.stop.wait(state.gap_s):
                        break
                self.close_connection = True
            except OSError:  # the client gave up: that is what the tests make it do
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        state.gate.set()
        server.shutdown()
        server.server_close()
        thread.join(10)
